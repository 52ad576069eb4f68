"""``--web.config.file``: the Prometheus exporter-toolkit format (the one node_exporter and
Prometheus read), parsed with precise errors::

    tls_server_config:
      cert_file: server.crt          # or cert: <PEM text>; relative paths: relative to this file
      key_file: server.key           # or key: <PEM text>
      client_auth_type: RequireAndVerifyClientCert   # or VerifyClientCertIfGiven, NoClientCert
      client_ca_file: clients.crt    # or client_ca: <PEM text>
      client_allowed_sans: [prometheus.example.net]
      min_version: TLS12             # TLS10 .. TLS13; default TLS12
      max_version: TLS13
      cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]   # Go's names, TLS 1.2
      prefer_server_cipher_suites: true
      curve_preferences: [X25519]    # one curve (Python's ssl sets one)
    http_server_config:
      headers: {Strict-Transport-Security: max-age=31536000}
    rate_limit: {interval: 1s, burst: 10}
    basic_auth_users:
      prometheus: $2b$12$...         # bcrypt hash

Every key the toolkit knows is either honoured or refused with the reason (the checks below);
nothing is silently ignored except ``http2``, which only chooses HTTP/2 in Go.
This module is pure: ``exporter.web_tls`` reads the certificate files, ``exporter.web_guard``
applies the rest to requests.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from exporter.config_words import kind, name_of
from exporter.targets.problems import suggestion

TLS_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}
CLIENT_AUTH_TYPES = {
    "NoClientCert": ssl.CERT_NONE,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
# The toolkit's other client auth types, refused: Python's ssl verifies every client certificate
# it asks for against the loaded CAs, or asks for none; it cannot take one unverified.
_UNVERIFIED_CLIENT_AUTH = ("RequestClientCert", "RequireAnyClientCert", "RequireClientCert")

# Go's crypto/tls names (tls.CipherSuites(), the ones the toolkit accepts) -> OpenSSL's names.
TLS12_CIPHER_SUITES = {
    "TLS_RSA_WITH_AES_128_CBC_SHA": "AES128-SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA": "AES256-SHA",
    "TLS_RSA_WITH_AES_128_GCM_SHA256": "AES128-GCM-SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384": "AES256-GCM-SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": "ECDHE-ECDSA-AES128-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": "ECDHE-ECDSA-AES256-SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": "ECDHE-RSA-AES128-SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": "ECDHE-RSA-AES256-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": "ECDHE-RSA-AES256-GCM-SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-ECDSA-CHACHA20-POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-RSA-CHACHA20-POLY1305",
}
# TLS 1.3 suites are accepted and, as in Go, not configurable: TLS 1.3 offers all three.
TLS13_CIPHER_SUITES = (
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
)
# Go's curve names -> OpenSSL's (what ssl.SSLContext.set_ecdh_curve takes).
CURVES = {
    "CurveP256": "prime256v1",
    "CurveP384": "secp384r1",
    "CurveP521": "secp521r1",
    "X25519": "X25519",
}
# The response headers the toolkit lets a web config set, with the values it allows (None: any).
HEADERS: dict[str, tuple[str, ...] | None] = {
    "Strict-Transport-Security": None,
    "X-Content-Type-Options": ("nosniff",),
    "X-Frame-Options": ("deny", "sameorigin"),
    "X-XSS-Protection": None,
    "Content-Security-Policy": None,
}

_TOP_KEYS = ("tls_server_config", "http_server_config", "rate_limit", "basic_auth_users")
_TLS_KEYS = (
    "cert_file",
    "key_file",
    "cert",
    "key",
    "client_auth_type",
    "client_ca_file",
    "client_ca",
    "client_allowed_sans",
    "min_version",
    "max_version",
    "cipher_suites",
    "prefer_server_cipher_suites",
    "curve_preferences",
)
_HTTP_KEYS = ("headers", "http2")
_RATE_KEYS = ("interval", "burst")
_BCRYPT_HASH = re.compile(r"^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


class WebConfigError(ValueError):
    """The web config cannot be used; one line per problem, each with the file."""


@dataclass(frozen=True)
class TlsConfig:
    """``tls_server_config``: each PEM from a file or inline (exactly one of the pair is set)."""

    cert_file: Path | None
    key_file: Path | None
    cert_pem: str | None = None
    key_pem: str | None = field(default=None, repr=False)
    client_auth_type: str = "NoClientCert"
    client_ca_file: Path | None = None
    client_ca_pem: str | None = None
    client_allowed_sans: tuple[str, ...] | None = None
    min_version: str = "TLS12"
    max_version: str = "TLS13"
    cipher_suites: tuple[str, ...] = ()  # Go names, as written; TLS12_CIPHER_SUITES maps them
    prefer_server_cipher_suites: bool = True
    curve: str | None = None  # a Go name of CURVES
    source: Path | None = None  # the web config file, for messages

    @property
    def tls12_ciphers(self) -> str | None:
        """The OpenSSL cipher list for ``set_ciphers``; None: OpenSSL's defaults."""
        names = [
            TLS12_CIPHER_SUITES[name]
            for name in self.cipher_suites
            if name not in TLS13_CIPHER_SUITES
        ]
        return ":".join(names) if names else None


@dataclass(frozen=True)
class RateLimit:
    """A token bucket per port: ``burst`` requests at once, one more every ``interval_seconds``."""

    interval_seconds: float
    burst: int


@dataclass(frozen=True)
class WebConfig:
    tls: TlsConfig | None = None
    basic_auth_users: Mapping[str, bytes] = field(default_factory=dict)
    headers: tuple[tuple[str, str], ...] = ()
    rate_limit: RateLimit | None = None


def parse_web_config(text: str, file: Path) -> WebConfig:
    """The web config in ``text``; WebConfigError listing every problem otherwise."""
    problems: list[str] = []
    try:
        root = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise WebConfigError(f"{file}: not valid YAML: {error}") from None
    root = {} if root is None else root
    if not isinstance(root, dict):
        raise WebConfigError(
            f"{file}: expected a mapping of {', '.join(_TOP_KEYS)}, found {kind(root)}"
        )
    _check_keys(root, _TOP_KEYS, "", file, problems)
    tls = _parse_tls(root.get("tls_server_config"), file, problems)
    headers = _parse_http(root.get("http_server_config"), file, problems)
    rate_limit = _parse_rate_limit(root.get("rate_limit"), file, problems)
    users = _parse_users(root.get("basic_auth_users"), file, problems)
    if problems:
        raise WebConfigError("\n".join(problems))
    return WebConfig(tls, users, headers, rate_limit)


def load_web_config(path: Path) -> WebConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise WebConfigError(f"{path}: cannot read the web config: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise WebConfigError(f"{path}: not UTF-8 text: {error.reason}") from None
    return parse_web_config(text, path)


def _check_keys(
    mapping: Mapping[Any, Any], known: tuple[str, ...], where: str, file: Path, problems: list[str]
) -> None:
    for key in mapping:
        if key not in known:
            problems.append(f"{file}: unknown key {where}{name_of(key)}{suggestion(key, known)}")


def _mapping(value: Any, where: str, file: Path, problems: list[str]) -> dict[Any, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.append(f"{file}: {where}: expected a mapping, found {kind(value)}")
        return None
    return value


def _strings(value: Any, where: str, file: Path, problems: list[str]) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        problems.append(f"{file}: {where}: expected a list of names, found {kind(value)}")
        return None
    return tuple(value)


def _parse_tls(value: Any, file: Path, problems: list[str]) -> TlsConfig | None:
    where = "tls_server_config"
    tls = _mapping(value, where, file, problems)
    if tls is None:
        return None
    _check_keys(tls, _TLS_KEYS, f"{where}.", file, problems)

    def text(key: str) -> str | None:
        item = tls.get(key)
        if item is None or item == "":  # empty means unset, as in the toolkit
            return None
        if not isinstance(item, str):
            problems.append(f"{file}: {where}.{key}: expected text, found {kind(item)}")
            return None
        return item

    def pem_pair(file_key: str, inline_key: str) -> tuple[Path | None, str | None, bool]:
        path, pem = text(file_key), text(inline_key)
        if path is not None and pem is not None:
            problems.append(f"{file}: {where}: give one of {inline_key} or {file_key}, not both")
        return (file.parent / path if path else None), pem, path is not None or pem is not None

    cert_file, cert_pem, has_cert = pem_pair("cert_file", "cert")
    key_file, key_pem, has_key = pem_pair("key_file", "key")
    ca_file, ca_pem, has_ca = pem_pair("client_ca_file", "client_ca")
    if not has_cert:
        problems.append(f"{file}: {where}: missing one of cert or cert_file")
    if not has_key:
        problems.append(f"{file}: {where}: missing one of key or key_file")

    client_auth = text("client_auth_type") or "NoClientCert"
    problems.extend(
        f"{file}: {where}{problem}" for problem in _client_auth_problems(client_auth, has_ca)
    )

    sans = _strings(tls.get("client_allowed_sans"), f"{where}.client_allowed_sans", file, problems)
    if sans is not None and client_auth == "NoClientCert":
        problems.append(
            f"{file}: {where}: client_allowed_sans needs client_auth_type "
            "RequireAndVerifyClientCert (or VerifyClientCertIfGiven): without a client "
            "certificate there is no SAN to check"
        )

    def version(key: str, default: str) -> str:
        name = tls.get(key, default)
        if not isinstance(name, str) or name not in TLS_VERSIONS:
            problems.append(
                f"{file}: {where}.{key}: unknown TLS version {name!r}"
                f"{suggestion(name, tuple(TLS_VERSIONS))}"
            )
            return default
        return str(name)

    min_version, max_version = version("min_version", "TLS12"), version("max_version", "TLS13")
    if TLS_VERSIONS[min_version] > TLS_VERSIONS[max_version]:
        problems.append(
            f"{file}: {where}: min_version {min_version} is above max_version {max_version}"
        )

    ciphers = _strings(tls.get("cipher_suites"), f"{where}.cipher_suites", file, problems) or ()
    problems.extend(
        f"{file}: {where}{problem}" for problem in _cipher_problems(ciphers, min_version)
    )

    prefer = tls.get("prefer_server_cipher_suites", True)
    if not isinstance(prefer, bool):
        problems.append(
            f"{file}: {where}.prefer_server_cipher_suites: expected true or false, found "
            f"{kind(prefer)}"
        )
        prefer = True

    curves = _strings(tls.get("curve_preferences"), f"{where}.curve_preferences", file, problems)
    curve_problems = _curve_problems(curves or ())
    problems.extend(f"{file}: {where}{problem}" for problem in curve_problems)
    curve = curves[0] if curves and not curve_problems else None

    if not (has_cert and has_key):
        return None
    return TlsConfig(
        cert_file=cert_file,
        key_file=key_file,
        cert_pem=cert_pem,
        key_pem=key_pem,
        client_auth_type=client_auth if client_auth in CLIENT_AUTH_TYPES else "NoClientCert",
        client_ca_file=ca_file,
        client_ca_pem=ca_pem,
        client_allowed_sans=sans,
        min_version=min_version,
        max_version=max_version,
        cipher_suites=ciphers,
        prefer_server_cipher_suites=prefer,
        curve=curve,
        source=file,
    )


def _client_auth_problems(client_auth: str, has_ca: bool) -> list[str]:
    """What is wrong with ``client_auth_type`` given whether a client CA is set (each message
    to follow ``tls_server_config``)."""
    if client_auth in _UNVERIFIED_CLIENT_AUTH:
        return [
            f".client_auth_type {client_auth} is not supported: Python's ssl module cannot take a "
            "client certificate without verifying it against a CA; use "
            "RequireAndVerifyClientCert with client_ca_file"
        ]
    if client_auth not in CLIENT_AUTH_TYPES:
        return [
            f".client_auth_type: invalid ClientAuth {client_auth!r}"
            f"{suggestion(client_auth, tuple(CLIENT_AUTH_TYPES))}"
        ]
    if has_ca and client_auth == "NoClientCert":
        return [
            ": client_ca_file is set without a client auth policy: no client certificate would "
            "be asked for or checked; set client_auth_type: RequireAndVerifyClientCert (or "
            "VerifyClientCertIfGiven), or remove client_ca_file"
        ]
    if client_auth == "RequireAndVerifyClientCert" and not has_ca:
        return [
            ": client_auth_type RequireAndVerifyClientCert needs client_ca_file (or client_ca): "
            "the CA that signs the client certificates"
        ]
    return []


def _cipher_problems(ciphers: tuple[str, ...], min_version: str) -> list[str]:
    """Unknown ``cipher_suites`` names, and a list TLS 1.2 clients could not use."""
    known = (*TLS12_CIPHER_SUITES, *TLS13_CIPHER_SUITES)
    problems = [
        f".cipher_suites: unknown cipher {name!r}{suggestion(name, known)}"
        for name in ciphers
        if name not in known
    ]
    if (
        ciphers
        and all(name in TLS13_CIPHER_SUITES for name in ciphers)
        and TLS_VERSIONS[min_version] < ssl.TLSVersion.TLSv1_3
    ):
        problems.append(
            ".cipher_suites lists only TLS 1.3 suites, which are not configurable (TLS 1.3 "
            "offers all three): TLS 1.2 clients would find no cipher; add TLS 1.2 suites or set "
            "min_version: TLS13"
        )
    return problems


def _curve_problems(curves: tuple[str, ...]) -> list[str]:
    """Unknown ``curve_preferences`` names, and more than the one curve Python's ssl can set."""
    problems = [
        f".curve_preferences: unknown curve {name!r}{suggestion(name, tuple(CURVES))}"
        for name in curves
        if name not in CURVES
    ]
    if len(curves) > 1:
        problems.append(
            f".curve_preferences lists {len(curves)} curves: Python's ssl module sets one curve "
            "(SSLContext.set_ecdh_curve), not a preference list; list one, or leave the key out "
            "for OpenSSL's default list"
        )
    return problems


def _parse_http(value: Any, file: Path, problems: list[str]) -> tuple[tuple[str, str], ...]:
    where = "http_server_config"
    http = _mapping(value, where, file, problems)
    if http is None:
        return ()
    _check_keys(http, _HTTP_KEYS, f"{where}.", file, problems)
    if not isinstance(http.get("http2", True), bool):
        problems.append(f"{file}: {where}.http2: expected true or false")
    headers = _mapping(http.get("headers"), f"{where}.headers", file, problems) or {}
    found: list[tuple[str, str]] = []
    for name, raw in headers.items():
        allowed = HEADERS.get(name, ())
        if allowed == ():
            problems.append(
                f"{file}: {where}.headers: HTTP header {name!r} can not be configured (only "
                f"{', '.join(HEADERS)}, as in the exporter-toolkit)"
            )
            continue
        if isinstance(raw, bool):
            text = "true" if raw else "false"
        elif isinstance(raw, str | int | float):
            text = str(raw)
        else:
            problems.append(
                f"{file}: {where}.headers.{name_of(name)}: expected text, found {kind(raw)}"
            )
            continue
        if allowed is not None and text not in allowed:
            problems.append(
                f"{file}: {where}.headers: invalid value for {name}: expected one of "
                f"{', '.join(allowed)}, found {text!r}"
            )
        elif not text.isprintable() or not text.strip():
            problems.append(
                f"{file}: {where}.headers.{name_of(name)}: the value must be printable text"
            )
        else:
            found.append((str(name), text))
    return tuple(found)


def parse_duration(value: object) -> float | None:
    """Seconds in a Go duration (``1s``, ``1m30s``, ``250ms``) or the number 0; None if not one."""
    if isinstance(value, int) and not isinstance(value, bool) and value == 0:
        return 0.0
    if not isinstance(value, str) or not value:
        return None
    if value == "0":
        return 0.0
    position, seconds = 0, 0.0
    for match in _DURATION_PART.finditer(value):
        if match.start() != position:
            return None
        seconds += float(match[1]) * _DURATION_UNITS[match[2]]
        position = match.end()
    return seconds if position == len(value) else None


def _parse_rate_limit(value: Any, file: Path, problems: list[str]) -> RateLimit | None:
    where = "rate_limit"
    limit = _mapping(value, where, file, problems)
    if limit is None:
        return None
    _check_keys(limit, _RATE_KEYS, f"{where}.", file, problems)
    interval = parse_duration(limit.get("interval", 0))
    burst = limit.get("burst", 0)
    if interval is None:
        problems.append(
            f"{file}: {where}.interval: expected a duration such as 1s, 250ms or 1m, found "
            f"{limit.get('interval')!r}"
        )
    if not isinstance(burst, int) or isinstance(burst, bool) or burst < 0:
        problems.append(
            f"{file}: {where}.burst: expected a whole number 0 or more, found {burst!r}"
        )
        return None
    if not interval:  # 0 (or unset): no rate limit, as in the toolkit
        return None
    if burst == 0:
        problems.append(
            f"{file}: {where}: burst 0 would refuse every request (the toolkit then answers "
            "429 to all); set burst to the requests allowed at once, 1 or more"
        )
        return None
    return RateLimit(interval, burst)


def _parse_users(value: Any, file: Path, problems: list[str]) -> dict[str, bytes]:
    where = "basic_auth_users"
    users = _mapping(value, where, file, problems) or {}
    found: dict[str, bytes] = {}
    for user, hashed in users.items():
        if ":" in str(user):
            problems.append(f"{file}: {where}: {name_of(user)}: a user name cannot contain ':'")
            continue
        if not isinstance(hashed, str) or not _BCRYPT_HASH.match(hashed):
            problems.append(
                f"{file}: {where}: {name_of(user)}: not a bcrypt hash (make one with "
                "`htpasswd -nBC 12 \"\" | tr -d ':\\n'`; plain passwords are refused)"
            )
            continue
        found[str(user)] = hashed.encode()
    return found


def bcrypt_cost(hashed: bytes) -> int:
    """The cost (log2 rounds) of a hash ``parse_web_config`` accepted."""
    return int(hashed[4:6])
