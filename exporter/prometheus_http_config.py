"""``--prometheus-http-config-file``: how the admin UI connects to Prometheus, in Prometheus's own
HTTP client format (the file promtool's ``--http.config.file`` reads, the keys of a scrape
config's HTTP part), parsed with precise errors::

    basic_auth:
      username: kpi-targets
      password_file: prometheus.password   # or password: <text>; relative paths: to this file
    authorization:                         # instead of basic_auth
      type: Bearer                         # the default
      credentials_file: prometheus.token   # or credentials: <text>
    tls_config:
      ca_file: ca.crt                      # or ca: <PEM text>; default: the system's CAs
      cert_file: client.crt                # a client certificate (or cert: <PEM text>)
      key_file: client.key                 # or key: <PEM text>
      server_name: prometheus.example.net  # the name the certificate must carry
      insecure_skip_verify: false
      min_version: TLS12                   # TLS10 .. TLS13
      max_version: TLS13
    follow_redirects: true                 # the default; redirects within the same server
    enable_http2: true                     # accepted; the client speaks HTTP/1.1

``bearer_token`` and ``bearer_token_file`` (the older spelling of ``authorization``) are
accepted. What this client cannot do (``oauth2``, a proxy, extra headers) is refused with the
reason, never silently ignored. Pure: ``exporter.prometheus_http`` reads the files it names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from exporter.config_words import kind, name_of
from exporter.targets.problems import suggestion
from exporter.web_config import TLS_VERSIONS

_TOP_KEYS = (
    "basic_auth",
    "authorization",
    "bearer_token",
    "bearer_token_file",
    "tls_config",
    "follow_redirects",
    "enable_http2",
)
# The format's keys this client refuses, with why.
_UNSUPPORTED = {
    "oauth2": "OAuth 2.0 is not supported: use basic_auth or authorization (a bearer token)",
    "proxy_url": "a proxy is not supported: give --prometheus-url an address reachable directly",
    "no_proxy": "a proxy is not supported: give --prometheus-url an address reachable directly",
    "proxy_from_environment": "a proxy is not supported: give --prometheus-url an address "
    "reachable directly",
    "proxy_connect_header": "a proxy is not supported: give --prometheus-url an address "
    "reachable directly",
    "http_headers": "extra request headers are not supported: use basic_auth or authorization",
}
_BASIC_KEYS = ("username", "username_file", "password", "password_file")
_AUTHORIZATION_KEYS = ("type", "credentials", "credentials_file")
_TLS_KEYS = (
    "ca",
    "ca_file",
    "cert",
    "cert_file",
    "key",
    "key_file",
    "server_name",
    "insecure_skip_verify",
    "min_version",
    "max_version",
)


class HttpClientConfigError(ValueError):
    """The HTTP client config cannot be used; one line per problem, each with the file."""


@dataclass(frozen=True)
class Secret:
    """A password or token: inline text, or a file read at each request (so it can rotate)."""

    text: str | None = field(default=None, repr=False)
    file: Path | None = None


@dataclass(frozen=True)
class BasicAuth:
    username: Secret
    password: Secret


@dataclass(frozen=True)
class Authorization:
    type: str
    credentials: Secret


@dataclass(frozen=True)
class ClientTls:
    """``tls_config``; each PEM from a file or inline (at most one of each pair)."""

    ca_file: Path | None = None
    ca_pem: str | None = None
    cert_file: Path | None = None
    cert_pem: str | None = None
    key_file: Path | None = None
    key_pem: str | None = field(default=None, repr=False)
    server_name: str | None = None
    insecure_skip_verify: bool = False
    min_version: str | None = None
    max_version: str | None = None


@dataclass(frozen=True)
class HttpClientConfig:
    basic_auth: BasicAuth | None = None
    authorization: Authorization | None = None
    tls: ClientTls = field(default_factory=ClientTls)
    follow_redirects: bool = True
    source: Path | None = None  # the file, for messages


def parse_http_client_config(text: str, file: Path) -> HttpClientConfig:
    """The HTTP client config in ``text``; HttpClientConfigError listing every problem."""
    try:
        root = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise HttpClientConfigError(f"{file}: not valid YAML: {error}") from None
    root = {} if root is None else root
    if not isinstance(root, dict):
        raise HttpClientConfigError(
            f"{file}: expected a mapping of {', '.join(_TOP_KEYS)}, found {kind(root)}"
        )
    problems: list[str] = []
    for key in root:
        if key in _UNSUPPORTED:
            problems.append(f"{file}: {key}: {_UNSUPPORTED[key]}")
        elif key not in _TOP_KEYS:
            problems.append(f"{file}: unknown key {name_of(key)}{suggestion(key, _TOP_KEYS)}")
    reader = _Reader(file, problems)
    basic = reader.basic_auth(root.get("basic_auth"))
    authorization = reader.authorization(root)
    if basic is not None and authorization is not None:
        problems.append(f"{file}: give one of basic_auth or authorization (bearer_token), not both")
    tls = reader.tls(root.get("tls_config"))
    follow = reader.flag(root, "follow_redirects", "", default=True)
    reader.flag(root, "enable_http2", "", default=True)
    if problems:
        raise HttpClientConfigError("\n".join(problems))
    return HttpClientConfig(basic, authorization, tls, follow, file)


def load_http_client_config(path: Path) -> HttpClientConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise HttpClientConfigError(
            f"{path}: cannot read the Prometheus HTTP client config: {error.strerror}"
        ) from None
    except UnicodeDecodeError as error:
        raise HttpClientConfigError(f"{path}: not UTF-8 text: {error.reason}") from None
    return parse_http_client_config(text, path)


@dataclass
class _Reader:
    """Reads the sections of one file, adding one ``file: where: problem`` line per problem."""

    file: Path
    problems: list[str]

    def problem(self, where: str, message: str) -> None:
        self.problems.append(
            f"{self.file}: {where}: {message}" if where else f"{self.file}: {message}"
        )

    def mapping(self, value: Any, where: str, known: tuple[str, ...]) -> Mapping[Any, Any] | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            self.problem(where, f"expected a mapping, found {kind(value)}")
            return None
        for key in value:
            if key not in known:
                self.problems.append(
                    f"{self.file}: unknown key {where}.{name_of(key)}{suggestion(key, known)}"
                )
        return value

    def text(self, mapping: Mapping[Any, Any], key: str, where: str) -> str | None:
        value = mapping.get(key)
        if value is None or value == "":  # empty means unset, as in Prometheus
            return None
        if not isinstance(value, str):
            self.problem(f"{where}.{key}", f"expected text, found {kind(value)}")
            return None
        return value

    def path(self, mapping: Mapping[Any, Any], key: str, where: str) -> Path | None:
        value = self.text(mapping, key, where)
        return self.file.parent / value if value is not None else None

    def flag(self, mapping: Mapping[Any, Any], key: str, where: str, *, default: bool) -> bool:
        value = mapping.get(key, default)
        if not isinstance(value, bool):
            self.problem(f"{where}{key}", f"expected true or false, found {kind(value)}")
            return default
        return value

    def secret(self, mapping: Mapping[Any, Any], key: str, where: str) -> Secret | None:
        """``key`` (inline) or ``key_file``: at most one of the two."""
        inline = self.text(mapping, key, where)
        path = self.path(mapping, f"{key}_file", where)
        if inline is not None and path is not None:
            self.problem(where, f"give one of {key} or {key}_file, not both")
        if inline is None and path is None:
            return None
        return Secret(inline, path)

    def basic_auth(self, value: Any) -> BasicAuth | None:
        where = "basic_auth"
        section = self.mapping(value, where, _BASIC_KEYS)
        if section is None:
            return None
        username = self.secret(section, "username", where)
        password = self.secret(section, "password", where)
        if username is None:
            self.problem(where, "missing username (or username_file)")
        if password is None:
            self.problem(where, "missing password (or password_file)")
        if username is None or password is None:
            return None
        return BasicAuth(username, password)

    def authorization(self, root: Mapping[Any, Any]) -> Authorization | None:
        where = "authorization"
        section = self.mapping(root.get(where), where, _AUTHORIZATION_KEYS)
        old = self.secret(root, "bearer_token", "")
        if old is not None:
            if section is not None:
                self.problem(where, "give one of authorization or bearer_token, not both")
                return None
            return Authorization("Bearer", old)
        if section is None:
            return None
        scheme = self.text(section, "type", where) or "Bearer"
        if scheme.lower() == "basic":
            self.problem(f"{where}.type", "cannot be Basic: use basic_auth instead")
        credentials = self.secret(section, "credentials", where)
        if credentials is None:
            self.problem(where, "missing credentials (or credentials_file)")
            return None
        return Authorization(scheme, credentials)

    def tls(self, value: Any) -> ClientTls:
        where = "tls_config"
        section = self.mapping(value, where, _TLS_KEYS)
        if section is None:
            return ClientTls()

        def pem_pair(key: str) -> tuple[Path | None, str | None]:
            path, pem = self.path(section, f"{key}_file", where), self.text(section, key, where)
            if path is not None and pem is not None:
                self.problem(where, f"give one of {key} or {key}_file, not both")
            return path, pem

        ca_file, ca_pem = pem_pair("ca")
        cert_file, cert_pem = pem_pair("cert")
        key_file, key_pem = pem_pair("key")
        has_cert = cert_file is not None or cert_pem is not None
        has_key = key_file is not None or key_pem is not None
        if has_cert != has_key:
            self.problem(
                where,
                "a client certificate needs both cert_file (or cert) and key_file (or key)",
            )

        def version(key: str) -> str | None:
            name = section.get(key)
            if name is None or name == "":
                return None
            if not isinstance(name, str) or name not in TLS_VERSIONS:
                self.problem(
                    f"{where}.{key}",
                    f"unknown TLS version {name!r}{suggestion(name, tuple(TLS_VERSIONS))}",
                )
                return None
            return name

        low, high = version("min_version"), version("max_version")
        if low and high and TLS_VERSIONS[low] > TLS_VERSIONS[high]:
            self.problem(where, f"min_version {low} is above max_version {high}")
        return ClientTls(
            ca_file=ca_file,
            ca_pem=ca_pem,
            cert_file=cert_file,
            cert_pem=cert_pem,
            key_file=key_file,
            key_pem=key_pem,
            server_name=self.text(section, "server_name", where),
            insecure_skip_verify=self.flag(
                section, "insecure_skip_verify", f"{where}.", default=False
            ),
            min_version=low,
            max_version=high,
        )
