"""A small client of Prometheus's HTTP API: one instant query, within a time limit.

Connection options come from an ``HttpClientConfig`` (``exporter.prometheus_http_config``):
basic auth or an ``Authorization`` header, TLS with a CA, a client certificate, a server name.
Every failure (nothing listening, no answer in time, TLS, an HTTP error, Prometheus's error JSON,
an answer that is not its API's JSON) raises ``PrometheusError`` whose message says what failed in
words, never a password or token. Built on the standard library's ``http.client``.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import tempfile
import time
import urllib.parse
from base64 import b64encode
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exporter.prometheus_http_config import HttpClientConfig, Secret
from exporter.web_config import TLS_VERSIONS

MAX_ANSWER_BYTES = 16 * 1024 * 1024
_MAX_REDIRECTS = 3
_REDIRECTS = (301, 302, 303, 307, 308)


class PrometheusError(Exception):
    """A query that did not give an answer; the message says why, for a person."""


class PrometheusUnreachable(PrometheusError):
    """No answer at all: nothing listening, no answer in time, TLS failed. Any other query would
    fail the same way now (unlike a refused query)."""


class PrometheusSetupError(ValueError):
    """The client cannot be built from its config (a file it names is unreadable, bad PEM)."""


@dataclass(frozen=True)
class Sample:
    """One series of an instant vector: its labels and its value."""

    labels: dict[str, str]
    value: float


@dataclass(frozen=True)
class Series:
    """One series of a range vector: its labels and its (instant, value) points."""

    labels: dict[str, str]
    points: list[tuple[float, float]]


def read_secret(secret: Secret) -> str:
    """The text of a password or token (a file's content without surrounding whitespace)."""
    if secret.text is not None:
        return secret.text
    assert secret.file is not None
    try:
        return secret.file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise PrometheusSetupError(f"{secret.file}: cannot read it: {reason}") from None


def ssl_context(config: HttpClientConfig) -> ssl.SSLContext:
    """The TLS context of ``config``'s ``tls_config``; PrometheusSetupError if a file is bad."""
    tls = config.tls
    where = f"{config.source}: tls_config" if config.source else "tls_config"
    try:
        context = ssl.create_default_context(
            cafile=str(tls.ca_file) if tls.ca_file else None, cadata=tls.ca_pem
        )
    except (OSError, ssl.SSLError) as error:
        raise PrometheusSetupError(
            f"{where}: cannot use the CA {tls.ca_file or '(ca)'}: {error}"
        ) from None
    if tls.insecure_skip_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if tls.min_version:
        context.minimum_version = TLS_VERSIONS[tls.min_version]
    if tls.max_version:
        context.maximum_version = TLS_VERSIONS[tls.max_version]
    if tls.cert_file or tls.cert_pem:
        _load_client_certificate(context, config, where)
    return context


def _load_client_certificate(context: ssl.SSLContext, config: HttpClientConfig, where: str) -> None:
    tls = config.tls
    if tls.cert_file and tls.key_file:
        try:
            context.load_cert_chain(tls.cert_file, tls.key_file)
        except (OSError, ssl.SSLError) as error:
            raise PrometheusSetupError(
                f"{where}: cannot use the client certificate {tls.cert_file} with the key "
                f"{tls.key_file}: {error}"
            ) from None
        return
    # Inline PEM: ssl loads certificates only from files, so each goes through a private one.
    with tempfile.TemporaryDirectory() as directory:
        cert = Path(tls.cert_file or Path(directory) / "cert.pem")
        key = Path(tls.key_file or Path(directory) / "key.pem")
        if tls.cert_pem:
            cert.write_text(tls.cert_pem, encoding="utf-8")
        if tls.key_pem:
            key.touch(mode=0o600)
            key.write_text(tls.key_pem, encoding="utf-8")
        try:
            context.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as error:
            raise PrometheusSetupError(
                f"{where}: cannot use the client certificate and key: {error}"
            ) from None


class _HttpsConnection(http.client.HTTPSConnection):
    """HTTPS whose certificate is checked against ``server_name`` rather than the URL's host."""

    def __init__(
        self, host: str, port: int | None, *, timeout: float, context: ssl.SSLContext, name: str
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._tls_context = context
        self._server_name = name

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._tls_context.wrap_socket(self.sock, server_hostname=self._server_name)


class PrometheusClient:
    """Instant queries to the Prometheus at ``url`` (``parse_prometheus_url``'s form)."""

    def __init__(self, url: str, config: HttpClientConfig, timeout: float) -> None:
        self.url = url
        self.config = config
        self.timeout = timeout
        self._context = ssl_context(config) if url.startswith("https:") else None
        self._authorization()  # every secret file readable at start

    def query(self, promql: str, at: float | None = None) -> list[Sample]:
        """The instant vector ``promql`` evaluates to (at ``at``, Unix seconds; default now)."""
        params = {"query": promql, "timeout": f"{self.timeout:g}s"}
        if at is not None:
            params["time"] = f"{at:.3f}"
        payload = self._get_json("/api/v1/query?" + urllib.parse.urlencode(params))
        data = payload.get("data")
        if not isinstance(data, dict) or data.get("resultType") != "vector":
            raise PrometheusError(f"{self._where()} answered a query without an instant vector")
        try:
            return [
                Sample(dict(item["metric"]), float(item["value"][1])) for item in data["result"]
            ]
        except (KeyError, TypeError, ValueError, IndexError):
            raise PrometheusError(
                f"{self._where()} answered a vector that cannot be read"
            ) from None

    def query_range(self, promql: str, start: float, end: float, step: float) -> list[Series]:
        """The range vector ``promql`` evaluates to at ``start``, ``start + step``, ... ``end``."""
        params = {
            "query": promql,
            "start": f"{start:.3f}",
            "end": f"{end:.3f}",
            "step": f"{step:g}",
            "timeout": f"{self.timeout:g}s",
        }
        payload = self._get_json("/api/v1/query_range?" + urllib.parse.urlencode(params))
        data = payload.get("data")
        if not isinstance(data, dict) or data.get("resultType") != "matrix":
            raise PrometheusError(f"{self._where()} answered a range query without a matrix")
        try:
            return [
                Series(
                    dict(item["metric"]),
                    [(float(at), float(value)) for at, value in item["values"]],
                )
                for item in data["result"]
            ]
        except (KeyError, TypeError, ValueError, IndexError):
            raise PrometheusError(
                f"{self._where()} answered a matrix that cannot be read"
            ) from None

    def _where(self) -> str:
        return f"Prometheus at {self.url}"

    def _authorization(self) -> str | None:
        if self.config.basic_auth is not None:
            user = read_secret(self.config.basic_auth.username)
            password = read_secret(self.config.basic_auth.password)
            return "Basic " + b64encode(f"{user}:{password}".encode()).decode("ascii")
        if self.config.authorization is not None:
            kind = self.config.authorization.type
            return f"{kind} {read_secret(self.config.authorization.credentials)}"
        return None

    def _get_json(self, path: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        url = self.url + path
        for _hop in range(_MAX_REDIRECTS + 1):
            status, reason, location, body = self._get(url, deadline)
            if status in _REDIRECTS and location and self.config.follow_redirects:
                url = self._same_server(url, location)
                continue
            return self._payload(status, reason, body)
        raise PrometheusError(f"{self._where()} redirected more than {_MAX_REDIRECTS} times")

    def _same_server(self, url: str, location: str) -> str:
        target = urllib.parse.urljoin(url, location)
        before, after = urllib.parse.urlsplit(url), urllib.parse.urlsplit(target)
        if (before.scheme, before.netloc) != (after.scheme, after.netloc):
            raise PrometheusError(
                f"{self._where()} redirected to another server ({after.scheme}://{after.netloc}):"
                " set --prometheus-url to the address Prometheus answers on"
            )
        return target

    def _payload(self, status: int, reason: str, body: bytes) -> dict[str, Any]:
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            if status != 200:
                raise PrometheusError(self._http_error(status, reason, body))
            raise PrometheusError(
                f"{self._where()} answered something that is not Prometheus's API JSON "
                f"({_snippet(body)}): is --prometheus-url the address of Prometheus?"
            )
        if payload.get("status") == "success" and status == 200:
            return payload
        if payload.get("status") == "error":
            kind = payload.get("errorType", "error")
            raise PrometheusError(
                f"{self._where()} refused the query (HTTP {status}, {kind}): "
                f"{str(payload.get('error', ''))[:300]}"
            )
        raise PrometheusError(self._http_error(status, reason, body))

    def _http_error(self, status: int, reason: str, body: bytes) -> str:
        hint = ""
        if status in (401, 403):
            where = self.config.source or "--prometheus-http-config-file"
            hint = f": check basic_auth or authorization in {where}"
        elif status == 404:
            hint = ": is --prometheus-url the address of Prometheus (with its path prefix, if any)?"
        text = _snippet(body)
        return (
            f"{self._where()} answered HTTP {status} {reason}"
            + (f" ({text})" if text and not hint else "")
            + hint
        )

    def _get(self, url: str, deadline: float) -> tuple[int, str, str | None, bytes]:
        """Status, reason, Location and body of GET ``url``, all within ``deadline``."""
        parts = urllib.parse.urlsplit(url)
        host, port = parts.hostname or "", parts.port
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        remaining = max(deadline - time.monotonic(), 0.001)
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            assert self._context is not None
            name = self.config.tls.server_name or host
            connection = _HttpsConnection(
                host, port, timeout=remaining, context=self._context, name=name
            )
        else:
            connection = http.client.HTTPConnection(host, port, timeout=remaining)
        headers = {"Accept": "application/json", "User-Agent": "kpi-targets"}
        authorization = self._authorization_or_error()
        if authorization is not None:
            headers["Authorization"] = authorization
        try:
            connection.request("GET", target, headers=headers)
            _set_timeout(connection, deadline)
            response = connection.getresponse()
            chunks: list[bytes] = []
            size = 0
            while True:
                _set_timeout(connection, deadline)
                chunk = response.read1(65536)  # one recv: the deadline is checked between
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_ANSWER_BYTES:
                    raise PrometheusError(
                        f"{self._where()} answered more than {MAX_ANSWER_BYTES // 1024 // 1024} MB"
                    )
                chunks.append(chunk)
            return (
                response.status,
                response.reason,
                response.getheader("Location"),
                b"".join(chunks),
            )
        except PrometheusError:
            raise
        except TimeoutError:
            raise PrometheusUnreachable(
                f"{self._where()} did not answer within {self.timeout:g} s"
            ) from None
        except ssl.SSLCertVerificationError as error:
            raise PrometheusUnreachable(
                f"{self._where()}: its TLS certificate is not trusted "
                f"({error.verify_message}): set tls_config.ca_file (and server_name) in "
                f"{self.config.source or '--prometheus-http-config-file'}"
            ) from None
        except ssl.SSLError as error:
            reason = str(error.reason or error)
            hint = (
                ": it may want a client certificate (tls_config.cert_file and key_file in "
                f"{self.config.source or '--prometheus-http-config-file'}) or one it trusts"
                if "ALERT" in reason
                else ""
            )
            raise PrometheusUnreachable(
                f"{self._where()}: the TLS handshake failed ({reason}){hint}"
            ) from None
        except ConnectionRefusedError:
            raise PrometheusUnreachable(
                f"cannot connect to {self._where()}: connection refused (is Prometheus running "
                "there?)"
            ) from None
        except socket.gaierror as error:
            raise PrometheusUnreachable(
                f"cannot connect to {self._where()}: unknown host {host!r} ({error.strerror})"
            ) from None
        except OSError as error:
            raise PrometheusUnreachable(
                f"cannot connect to {self._where()}: {error.strerror or error}"
            ) from None
        except http.client.HTTPException as error:
            raise PrometheusError(
                f"{self._where()} broke off its answer ({type(error).__name__})"
            ) from None
        finally:
            connection.close()

    def _authorization_or_error(self) -> str | None:
        try:
            return self._authorization()
        except PrometheusSetupError as error:
            raise PrometheusError(f"cannot query {self._where()}: {error}") from None


def _set_timeout(connection: http.client.HTTPConnection, deadline: float) -> None:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError
    if connection.sock is not None:
        connection.sock.settimeout(remaining)


def _snippet(body: bytes) -> str:
    """The start of an answer's body as one printable line."""
    text = body[:200].decode("utf-8", "replace")
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())
