"""``--web.config.file``: TLS and basic auth for both ports, in the Prometheus exporter-toolkit
format that node_exporter and Prometheus itself read::

    tls_server_config:
      cert_file: server.crt          # relative paths are relative to this file
      key_file: server.key
      client_auth_type: RequireAndVerifyClientCert   # optional, with client_ca_file
      client_ca_file: clients.crt
      min_version: TLS12             # TLS10 .. TLS13; default TLS12
    basic_auth_users:
      prometheus: $2b$12$...         # bcrypt hash (htpasswd -nBC 12 "" | tr -d ':\\n')

``parse_web_config`` is pure; ``ssl_context`` reads the certificate files.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import ssl
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
import yaml

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
_TOP_KEYS = ("tls_server_config", "basic_auth_users", "http_server_config")
_TLS_KEYS = (
    "cert_file",
    "key_file",
    "client_auth_type",
    "client_ca_file",
    "min_version",
    "max_version",
)
# exporter-toolkit keys this server cannot honour: refused rather than silently ignored.
_UNSUPPORTED = (
    "cipher_suites",
    "curve_preferences",
    "prefer_server_cipher_suites",
    "client_allowed_sans",
    "cert",
    "key",
    "http2",
    "headers",
)
_BCRYPT_HASH = re.compile(r"^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$")


class WebConfigError(ValueError):
    """The web config cannot be used; one line per problem, each with the file."""


@dataclass(frozen=True)
class TlsConfig:
    cert_file: Path
    key_file: Path
    client_auth_type: str = "NoClientCert"
    client_ca_file: Path | None = None
    min_version: str = "TLS12"
    max_version: str | None = None


@dataclass(frozen=True)
class WebConfig:
    tls: TlsConfig | None = None
    basic_auth_users: Mapping[str, bytes] = field(default_factory=dict)


def parse_web_config(text: str, file: Path) -> WebConfig:
    """The web config in ``text``; WebConfigError listing every problem otherwise."""
    problems: list[str] = []
    try:
        root = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise WebConfigError(f"{file}: not valid YAML: {error}") from None
    root = {} if root is None else root
    if not isinstance(root, dict):
        raise WebConfigError(f"{file}: expected a mapping (tls_server_config, basic_auth_users)")
    _check_keys(root, _TOP_KEYS, "", file, problems)
    tls = _parse_tls(root.get("tls_server_config"), file, problems)
    http = root.get("http_server_config")
    if http is not None:
        _check_keys(
            http if isinstance(http, dict) else {}, (), "http_server_config.", file, problems
        )
    users: dict[str, bytes] = {}
    raw_users = root.get("basic_auth_users") or {}
    if not isinstance(raw_users, dict):
        problems.append(f"{file}: basic_auth_users: expected a mapping of user: bcrypt hash")
        raw_users = {}
    for user, hashed in raw_users.items():
        if not isinstance(hashed, str) or not _BCRYPT_HASH.match(hashed):
            problems.append(
                f"{file}: basic_auth_users: {user}: not a bcrypt hash (make one with "
                "`htpasswd -nBC 12 \"\" | tr -d ':\\n'`; plain passwords are refused)"
            )
            continue
        users[str(user)] = hashed.encode()
    if problems:
        raise WebConfigError("\n".join(problems))
    return WebConfig(tls, users)


def _check_keys(
    mapping: Mapping[Any, Any], known: tuple[str, ...], where: str, file: Path, problems: list[str]
) -> None:
    for key in mapping:
        if key in known:
            continue
        if key in _UNSUPPORTED:
            problems.append(f"{file}: {where}{key} is not supported by kpi-targets")
        else:
            problems.append(f"{file}: unknown key {where}{key}{suggestion(key, known)}")


def _parse_tls(value: Any, file: Path, problems: list[str]) -> TlsConfig | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.append(f"{file}: tls_server_config: expected a mapping")
        return None
    _check_keys(value, _TLS_KEYS, "tls_server_config.", file, problems)
    base = file.parent

    def path(key: str) -> Path | None:
        text = value.get(key)
        if text is None:
            return None
        if not isinstance(text, str) or not text:
            problems.append(f"{file}: tls_server_config.{key}: expected a file name")
            return None
        return base / text

    def choice(key: str, options: Iterable[str], default: str | None) -> str | None:
        text = value.get(key, default)
        if text is not None and text not in options:
            problems.append(
                f"{file}: tls_server_config.{key}: {text!r} is not one of {', '.join(options)}"
            )
        return text

    cert, key = path("cert_file"), path("key_file")
    if cert is None or key is None:
        problems.append(f"{file}: tls_server_config needs both cert_file and key_file")
    client_auth = choice("client_auth_type", CLIENT_AUTH_TYPES, "NoClientCert")
    client_ca = path("client_ca_file")
    if client_auth != "NoClientCert" and client_ca is None:
        problems.append(
            f"{file}: tls_server_config.client_auth_type {client_auth} needs client_ca_file"
        )
    min_version = choice("min_version", TLS_VERSIONS, "TLS12")
    max_version = choice("max_version", TLS_VERSIONS, None)
    if cert is None or key is None:
        return None
    return TlsConfig(
        cert, key, client_auth or "NoClientCert", client_ca, min_version or "TLS12", max_version
    )


def load_web_config(path: Path) -> WebConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise WebConfigError(f"{path}: cannot read the web config: {error.strerror}") from None
    return parse_web_config(text, path)


def configure_ssl_context(context: ssl.SSLContext, tls: TlsConfig) -> None:
    """Load ``tls`` into ``context`` (new connections use it at once); WebConfigError if not."""
    try:
        context.load_cert_chain(tls.cert_file, tls.key_file)
        if tls.client_ca_file is not None:
            context.load_verify_locations(tls.client_ca_file)
    except (OSError, ssl.SSLError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise WebConfigError(
            f"cannot use the TLS certificate {tls.cert_file} with key {tls.key_file}: {reason}"
        ) from None
    context.verify_mode = CLIENT_AUTH_TYPES[tls.client_auth_type]
    context.minimum_version = TLS_VERSIONS[tls.min_version]
    context.maximum_version = (
        TLS_VERSIONS[tls.max_version] if tls.max_version else ssl.TLSVersion.MAXIMUM_SUPPORTED
    )


def new_ssl_context(tls: TlsConfig) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    configure_ssl_context(context, tls)
    return context


StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class BasicAuth:
    """WSGI middleware: HTTP basic auth against bcrypt hashes, when users are configured.

    bcrypt is slow on purpose, so a successful check is remembered (keyed by a SHA-256 of user,
    password and hash: nothing reversible is kept) and a scrape every 15 s costs one hash a run.
    ``exempt`` paths authenticate themselves (``POST /api/v1/events`` with its bearer token).
    """

    def __init__(
        self, app: WsgiApp, users: Mapping[str, bytes], *, exempt: Iterable[str] = ()
    ) -> None:
        self._app = app
        self._exempt = frozenset(exempt)
        self._lock = threading.Lock()
        self._users: Mapping[str, bytes] = {}
        self._verified: set[bytes] = set()
        self._dummy = b""
        self.set_users(users)

    def set_users(self, users: Mapping[str, bytes]) -> None:
        # Unknown users are checked against a hash of the users' highest cost, so a wrong user
        # name takes as long as a wrong password and does not tell which names exist.
        rounds = max((int(hashed[4:6]) for hashed in users.values()), default=4)
        dummy = bcrypt.hashpw(b"kpi-targets", bcrypt.gensalt(rounds=rounds)) if users else b""
        with self._lock:
            self._users, self._verified, self._dummy = dict(users), set(), dummy

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        users = self._users
        if not users or environ.get("PATH_INFO") in self._exempt or self._allowed(environ, users):
            return self._app(environ, start_response)
        start_response(
            "401 Unauthorized",
            [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("WWW-Authenticate", 'Basic realm="kpi-targets"'),
            ],
        )
        return [b"Unauthorized\n"]

    def _allowed(self, environ: dict[str, Any], users: Mapping[str, bytes]) -> bool:
        header = environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, separator, password = (
                base64.b64decode(encoded, validate=True).decode().partition(":")
            )
        except (binascii.Error, UnicodeDecodeError):
            return False
        if not separator:
            return False
        hashed = users.get(user)
        key = hashlib.sha256(b"\0".join((user.encode(), password.encode(), hashed or b""))).digest()
        if hashed is not None and key in self._verified:
            return True
        try:
            ok = bcrypt.checkpw(password.encode(), hashed or self._dummy) and hashed is not None
        except ValueError:  # bcrypt refuses passwords over 72 bytes
            return False
        if ok:
            with self._lock:
                if len(self._verified) > 1000:
                    self._verified.clear()
                self._verified.add(key)
        return ok
