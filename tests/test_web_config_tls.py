"""``--web.config.file`` TLS cases against a real TLS listener (cheroot with our context, on
loopback), each probed by a Python ``ssl`` client: client certificates required, optional, from
a foreign CA; allowed SANs; inline PEM; TLS 1.2 cipher suites and their order; one curve;
response headers; the rate limit; and the refusals ``serve`` gives at start and ``--check-only``.
"""

from __future__ import annotations

import http.client
import shutil
import signal
import ssl
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from processes import KPI_TARGETS, Process, free_port, serve_command, wait_for
from tls_certs import Pki, make_pki

from exporter.config import Address
from exporter.http_server import HttpServer
from exporter.web_config import TLS12_CIPHER_SUITES, WebConfigError, load_web_config
from exporter.web_guard import WebGuard
from exporter.web_tls import new_ssl_context


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def _hello(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello\n"]


@contextmanager
def serving(pki: Pki, web_yml: str) -> Iterator[int]:
    """A TLS port with ``web_yml`` (paths relative to the certificates) in front of hello."""
    path = pki.directory / "web.yml"
    path.write_text(web_yml, encoding="utf-8")
    config = load_web_config(path)
    assert config.tls is not None
    context = new_ssl_context(config.tls)
    port = free_port()
    server = HttpServer(
        Address("127.0.0.1", port), WebGuard(_hello, config), name="test", tls=lambda: context
    )
    server.start()
    try:
        yield port
    finally:
        server.stop()


def client_context(
    pki: Pki,
    cert: str | None = None,
    *,
    ciphers: str | None = None,
    curve: str | None = None,
    version: ssl.TLSVersion | None = None,
) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki.crt("ca")))
    if cert is not None:
        context.load_cert_chain(pki.crt(cert), pki.key(cert))
    if ciphers is not None:
        context.set_ciphers(ciphers)
    if curve is not None:
        context.set_ecdh_curve(curve)
    if version is not None:
        context.minimum_version = context.maximum_version = version
    return context


def get(
    port: int, context: ssl.SSLContext, path: str = "/"
) -> tuple[int, dict[str, str], str | None]:
    """Status, headers and the cipher the handshake chose; ssl.SSLError or ConnectionError
    when the server refuses the handshake."""
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        cipher = connection.sock.cipher() if connection.sock else None
        return response.status, dict(response.getheaders()), cipher[0] if cipher else None
    finally:
        connection.close()


REFUSED = (ssl.SSLError, ConnectionError)
SERVER = "cert_file: server.crt\n  key_file: server.key\n"


def test_require_and_verify_takes_only_clients_of_the_ca(pki: Pki) -> None:
    web = (
        f"tls_server_config:\n  {SERVER}  client_auth_type: RequireAndVerifyClientCert\n"
        "  client_ca_file: ca.crt\n"
    )
    with serving(pki, web) as port:
        assert get(port, client_context(pki, "client"))[0] == 200
        with pytest.raises(REFUSED):
            get(port, client_context(pki))  # no certificate
        with pytest.raises(REFUSED):
            get(port, client_context(pki, "foreign-client"))  # another CA's


def test_verify_if_given_takes_no_certificate_but_not_a_foreign_one(pki: Pki) -> None:
    web = (
        f"tls_server_config:\n  {SERVER}  client_auth_type: VerifyClientCertIfGiven\n"
        "  client_ca_file: ca.crt\n"
    )
    with serving(pki, web) as port:
        assert get(port, client_context(pki))[0] == 200
        assert get(port, client_context(pki, "client"))[0] == 200
        with pytest.raises(REFUSED):
            get(port, client_context(pki, "foreign-client"))


def test_client_allowed_sans_answer_403_to_other_certificates(pki: Pki) -> None:
    web = (
        f"tls_server_config:\n  {SERVER}  client_auth_type: VerifyClientCertIfGiven\n"
        "  client_ca_file: ca.crt\n  client_allowed_sans: [prometheus.test]\n"
    )
    with serving(pki, web) as port:
        assert get(port, client_context(pki, "client"))[0] == 200
        assert get(port, client_context(pki, "other-client"))[0] == 403
        assert get(port, client_context(pki))[0] == 403  # no certificate, no SAN
    # An IP SAN matches however it is written (Python spells IPv6 in full, Go compressed).
    with serving(pki, web.replace("[prometheus.test]", "['::1']")) as port:
        assert get(port, client_context(pki, "client"))[0] == 200
        assert get(port, client_context(pki, "other-client"))[0] == 403


def test_inline_cert_and_key_serve_and_leave_no_file_behind(
    pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def indented(path: Path) -> str:
        return "".join(f"    {line}\n" for line in path.read_text(encoding="utf-8").splitlines())

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    web = (
        f"tls_server_config:\n  cert: |\n{indented(pki.crt('server'))}"
        f"  key: |\n{indented(pki.key('server'))}"
        f"  client_auth_type: RequireAndVerifyClientCert\n  client_ca: |\n{indented(pki.crt('ca'))}"
    )
    with serving(pki, web) as port:
        assert get(port, client_context(pki, "client"))[0] == 200
        with pytest.raises(REFUSED):
            get(port, client_context(pki, "foreign-client"))
    assert list(tmp_path.iterdir()) == []  # the key's temporary copy is gone


def test_cipher_suites_limit_tls12_and_their_order_follows_prefer_server(pki: Pki) -> None:
    web = (
        "tls_server_config:\n  cert_file: rsa-server.crt\n  key_file: rsa-server.key\n"
        "  max_version: TLS12\n  cipher_suites:\n"
        "    - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n"
        "    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n"
    )
    both = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"  # the client's order
    with serving(pki, web) as port:
        assert get(port, client_context(pki, ciphers=both))[2] == "ECDHE-RSA-AES256-GCM-SHA384"
        with pytest.raises(REFUSED):
            get(port, client_context(pki, ciphers="ECDHE-RSA-AES128-SHA"))  # not listed
    with serving(pki, web + "  prefer_server_cipher_suites: false\n") as port:
        assert get(port, client_context(pki, ciphers=both))[2] == "ECDHE-RSA-AES128-GCM-SHA256"


def test_the_cipher_names_are_openssls_names_for_gos() -> None:
    openssl = shutil.which("openssl")
    assert openssl, "openssl is not installed (Debian package `openssl`)"
    listed = subprocess.run(
        [openssl, "ciphers", "-stdname", "ALL"], capture_output=True, text=True, check=True
    ).stdout
    standard = dict(
        (parts[0], parts[2]) for parts in (line.split() for line in listed.splitlines())
    )
    # Go writes CHACHA20_POLY1305 suites with _SHA256, as the IANA registry does.
    assert {go: standard[go] for go in TLS12_CIPHER_SUITES} == TLS12_CIPHER_SUITES


def test_one_curve_is_the_only_key_exchange_offered(pki: Pki) -> None:
    web = f"tls_server_config:\n  {SERVER}  min_version: TLS13\n  curve_preferences: [X25519]\n"
    with serving(pki, web) as port:
        assert get(port, client_context(pki, curve="X25519"))[0] == 200
        with pytest.raises(REFUSED):
            get(port, client_context(pki, curve="prime256v1"))


def test_too_old_a_client_is_refused(pki: Pki) -> None:
    with serving(pki, f"tls_server_config:\n  {SERVER}  min_version: TLS13\n") as port:
        with pytest.raises(REFUSED):
            get(port, client_context(pki, version=ssl.TLSVersion.TLSv1_2))
        assert get(port, client_context(pki, version=ssl.TLSVersion.TLSv1_3))[0] == 200


def test_headers_go_on_every_response_and_the_rate_limit_answers_429(pki: Pki) -> None:
    hash_ = "$2b$04$" + "a" * 53
    web = (
        f"tls_server_config:\n  {SERVER}"
        "http_server_config:\n  http2: false\n  headers:\n"
        "    Strict-Transport-Security: max-age=31536000\n    X-Frame-Options: deny\n"
        "rate_limit: {interval: 1m, burst: 2}\n"
        f"basic_auth_users: {{prometheus: '{hash_}'}}\n"
    )
    with serving(pki, web) as port:
        context = client_context(pki)
        for _ in range(2):
            status, headers, _cipher = get(port, context)
            assert status == 401  # the refusal carries the headers too
            assert headers["Strict-Transport-Security"] == "max-age=31536000"
            assert headers["X-Frame-Options"] == "deny"
        status, headers, _cipher = get(port, context)
        assert status == 429
        assert 1 <= int(headers["Retry-After"]) <= 60
        assert headers["Strict-Transport-Security"] == "max-age=31536000"


def _check_and_serve(directory: Path) -> list[subprocess.CompletedProcess[str]]:
    """``serve --check-only`` and ``serve`` on ``directory``/web.yml; both must refuse it."""
    done = []
    for extra in (["--check-only"], ["--metrics-address", f"127.0.0.1:{free_port()}",
                                     "--admin-address", f"127.0.0.1:{free_port()}"]):  # fmt: skip
        done.append(
            subprocess.run(
                [*KPI_TARGETS, "serve", "--web.config.file", "web.yml", *extra],
                cwd=directory,
                capture_output=True,
                text=True,
                timeout=60,
            )
        )
    return done


def test_a_client_ca_without_a_client_auth_type_is_refused_at_start_and_check(
    pki: Pki, tmp_path: Path
) -> None:
    for name in ("server.crt", "server.key", "ca.crt"):
        shutil.copy(pki.directory / name, tmp_path / name)
    (tmp_path / "web.yml").write_text(
        f"tls_server_config:\n  {SERVER}  client_ca_file: ca.crt\n", encoding="utf-8"
    )
    for done in _check_and_serve(tmp_path):
        assert done.returncode == 1, done.stderr
        assert "client_ca_file is set without a client auth policy" in done.stderr
        assert "Traceback" not in done.stderr


def test_a_missing_or_unusable_client_ca_file_is_named_as_such(pki: Pki, tmp_path: Path) -> None:
    for name in ("server.crt", "server.key"):
        shutil.copy(pki.directory / name, tmp_path / name)
    web = (
        f"tls_server_config:\n  {SERVER}  client_auth_type: RequireAndVerifyClientCert\n"
        "  client_ca_file: clients.crt\n"
    )
    (tmp_path / "web.yml").write_text(web, encoding="utf-8")
    for done in _check_and_serve(tmp_path):
        assert done.returncode == 1, done.stderr
        assert "web.yml: cannot read the client CA file (client_ca_file) clients.crt: " in (
            done.stderr
        )
        assert "No such file or directory" in done.stderr
        assert "TLS certificate" not in done.stderr
    (tmp_path / "clients.crt").write_text("not a certificate\n", encoding="utf-8")
    for done in _check_and_serve(tmp_path):
        assert done.returncode == 1, done.stderr
        assert "web.yml: cannot use the client CA file clients.crt: " in done.stderr
        assert "TLS certificate" not in done.stderr


@pytest.mark.integration
def test_sighup_swaps_the_client_ca_and_the_old_one_is_trusted_no_more(
    pki: Pki, tmp_path: Path
) -> None:
    for name in ("server.crt", "server.key", "ca.crt", "foreign-ca.crt"):
        shutil.copy(pki.directory / name, tmp_path / name)
    web = tmp_path / "web.yml"
    mtls = f"tls_server_config:\n  {SERVER}  client_auth_type: RequireAndVerifyClientCert\n"
    web.write_text(mtls + "  client_ca_file: ca.crt\n", encoding="utf-8")
    metrics, admin = free_port(), free_port()
    process = Process(serve_command(metrics, admin, "--web.config.file", "web.yml"), cwd=tmp_path)
    try:
        assert process.read_line(30).startswith("Admin UI: https://")
        assert get(metrics, client_context(pki, "client"), "/metrics")[0] == 200
        with pytest.raises(REFUSED):
            get(metrics, client_context(pki, "foreign-client"), "/metrics")

        web.write_text(
            mtls + "  client_ca_file: foreign-ca.crt\n  client_allowed_sans: [prometheus.test]\n"
            "http_server_config: {headers: {X-Frame-Options: sameorigin}}\n",
            encoding="utf-8",
        )
        process.popen.send_signal(signal.SIGHUP)
        wait_for("the reload", lambda: True if "reloaded" in process.stderr else None, 20)
        status, headers, _cipher = get(metrics, client_context(pki, "foreign-client"), "/metrics")
        assert (status, headers["X-Frame-Options"]) == (200, "sameorigin")
        with pytest.raises(REFUSED):
            get(metrics, client_context(pki, "client"), "/metrics")  # its CA is gone
    finally:
        assert process.stop() == 0, process.stderr


MTLS = f"{SERVER}  client_auth_type: RequireAndVerifyClientCert\n"
CERT = "cannot use the TLS certificate"
CA = "cannot use the client CA file"


@pytest.mark.parametrize(
    ("tls", "message"),
    [
        ("cert: 'héllo'\n  key_file: server.key", f"{CERT} tls_server_config.cert (inline) with"),
        ("cert_file: server.crt\n  key_file: other-client.key", CERT),
        ("cert_file: .\n  key_file: server.key", "cannot read the TLS certificate (cert_file)"),
        (f"{MTLS}  client_ca: 'héllo'", f"{CA} tls_server_config.client_ca (inline): not PEM"),
        (f"{MTLS}  client_ca_file: server.key", CA),
    ],
)
def test_unusable_pem_is_a_located_error(pki: Pki, tls: str, message: str) -> None:
    path = pki.directory / "bad.yml"
    path.write_text(f"tls_server_config:\n  {tls}\n", encoding="utf-8")
    config = load_web_config(path)
    assert config.tls is not None
    with pytest.raises(WebConfigError) as caught:
        new_ssl_context(config.tls)
    assert str(caught.value).startswith(f"{path}: {message}"), caught.value
