"""``--web.config.file``: the exporter-toolkit format parsed with precise errors, basic auth, and
TLS with basic auth on both ports, scraped by the real Prometheus over TLS with basic auth."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import ssl
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import yaml
from example_targets import copy_example_targets
from hypothesis import given, settings
from hypothesis import strategies as st
from processes import KPI_TARGETS, Process, free_port, http_get, serve_command, wait_for

from exporter.web_config import WebConfig, WebConfigError, parse_web_config
from exporter.web_guard import WebGuard

# bcrypt at cost 4 keeps the tests fast; the format is the same as htpasswd -B.
HASH = bcrypt.hashpw(b"s3cret pass", bcrypt.gensalt(rounds=4)).decode()


def test_a_full_web_config_parses_with_paths_relative_to_the_file() -> None:
    config = parse_web_config(
        "tls_server_config:\n"
        "  cert_file: tls/server.crt\n"
        "  key_file: /etc/ssl/server.key\n"
        "  min_version: TLS13\n"
        f"basic_auth_users:\n  prometheus: '{HASH}'\n",
        Path("/etc/kpi-targets/web.yml"),
    )
    assert config.tls is not None
    assert config.tls.cert_file == Path("/etc/kpi-targets/tls/server.crt")
    assert config.tls.key_file == Path("/etc/ssl/server.key")
    assert (config.tls.min_version, config.tls.client_auth_type) == ("TLS13", "NoClientCert")
    assert config.basic_auth_users == {"prometheus": HASH.encode()}


def test_every_problem_of_a_web_config_is_listed() -> None:
    with pytest.raises(WebConfigError) as caught:
        parse_web_config(
            "tls_server_config:\n"
            "  cert_file: server.crt\n"
            "  min_versoin: TLS12\n"
            "  client_auth_type: RequireAndVerifyClientCert\n"
            "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n"
            "basic_auth_user: {}\n"
            "basic_auth_users:\n  ann: plain-password\n",
            Path("web.yml"),
        )
    assert str(caught.value).splitlines() == [
        "web.yml: unknown key basic_auth_user (did you mean 'basic_auth_users'?)",
        "web.yml: unknown key tls_server_config.min_versoin "
        "(did you mean 'min_version' or 'max_version'?)",
        "web.yml: tls_server_config: missing one of key or key_file",
        "web.yml: tls_server_config: client_auth_type RequireAndVerifyClientCert needs "
        "client_ca_file (or client_ca): the CA that signs the client certificates",
        "web.yml: tls_server_config.cipher_suites lists only TLS 1.3 suites, which are not "
        "configurable (TLS 1.3 offers all three): TLS 1.2 clients would find no cipher; add "
        "TLS 1.2 suites or set min_version: TLS13",
        "web.yml: basic_auth_users: ann: not a bcrypt hash (make one with "
        "`htpasswd -nBC 12 \"\" | tr -d ':\\n'`; plain passwords are refused)",
    ]


def _call(app: WebGuard, path: str, authorization: str | None = None) -> str:
    statuses: list[str] = []
    environ: dict[str, Any] = {"PATH_INFO": path}
    if authorization is not None:
        environ["HTTP_AUTHORIZATION"] = authorization

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        statuses.append(status)

    b"".join(app(environ, start_response))
    return statuses[0]


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_basic_auth_lets_in_only_a_known_user_with_the_right_password() -> None:
    def inner(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [])
        return [b"ok"]

    users = {"prometheus": HASH.encode()}
    app = WebGuard(inner, WebConfig(basic_auth_users=users), exempt=("/api/v1/events",))
    assert _call(app, "/metrics") == "401 Unauthorized"
    assert _call(app, "/metrics", _basic("prometheus", "s3cret pass")) == "200 OK"
    assert _call(app, "/metrics", _basic("prometheus", "s3cret pass")) == "200 OK"  # remembered
    assert _call(app, "/metrics", _basic("prometheus", "wrong")) == "401 Unauthorized"
    assert _call(app, "/metrics", _basic("nobody", "s3cret pass")) == "401 Unauthorized"
    assert _call(app, "/metrics", _basic("prometheus", "x" * 100)) == "401 Unauthorized"
    assert _call(app, "/metrics", "Basic !!!") == "401 Unauthorized"
    assert _call(app, "/metrics", "Bearer abc") == "401 Unauthorized"
    assert _call(app, "/api/v1/events", "Bearer abc") == "200 OK"  # its own token decides
    app.set_config(WebConfig())
    assert _call(app, "/metrics") == "200 OK"  # no users: no basic auth


# --- TLS and basic auth on both ports, with the real Prometheus ---------------------------------


def _self_signed(directory: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    assert openssl, "openssl is not installed (Debian package `openssl`); run scripts/test.sh"
    cert, key = directory / "server.crt", directory / "server.key"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def _https_get(url: str, cert: Path, authorization: str | None = None) -> tuple[int, str]:
    context = ssl.create_default_context(cafile=str(cert))
    request = urllib.request.Request(url)
    if authorization:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.integration
def test_tls_and_basic_auth_on_both_ports_and_prometheus_scrapes_over_them(
    tmp_path: Path,
) -> None:
    prometheus = shutil.which("prometheus")
    assert prometheus, "prometheus is not installed (Debian package `prometheus`): scripts/test.sh"
    cert, _key = _self_signed(tmp_path)
    (tmp_path / "web.yml").write_text(
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
        f"basic_auth_users:\n  prometheus: '{HASH}'\n",
        encoding="utf-8",
    )
    targets = tmp_path / "targets"
    copy_example_targets(targets)
    metrics, admin, prometheus_port = free_port(), free_port(), free_port()
    exporter = Process(
        serve_command(
            metrics,
            admin,
            "--targets",
            str(targets),
            "--web.config.file",
            str(tmp_path / "web.yml"),
            "--simulator-start",
            "2026-03-02T10:40:00+01:00",
        ),
        cwd=tmp_path,
    )
    (tmp_path / "password").write_text("s3cret pass\n", encoding="utf-8")
    (tmp_path / "prometheus.yml").write_text(
        f"""\
global: {{scrape_interval: 1s}}
scrape_configs:
  - job_name: kpi-targets
    scheme: https
    tls_config: {{ca_file: {cert}}}
    basic_auth: {{username: prometheus, password_file: {tmp_path / "password"}}}
    static_configs: [{{targets: ["127.0.0.1:{metrics}"]}}]
""",
        encoding="utf-8",
    )
    server = None
    try:
        assert exporter.read_line(30) == f"Admin UI: https://127.0.0.1:{admin}/\n"
        assert exporter.read_line(5) == f"Metrics: https://127.0.0.1:{metrics}/metrics\n"
        good = _basic("prometheus", "s3cret pass")
        for url in (f"https://127.0.0.1:{metrics}/metrics", f"https://127.0.0.1:{admin}/healthz"):
            assert _https_get(url, cert)[0] == 401
            assert _https_get(url, cert, _basic("prometheus", "nope"))[0] == 401
            assert _https_get(url, cert, good)[0] == 200
            with pytest.raises((urllib.error.URLError, ConnectionError)):
                http_get(url.replace("https:", "http:"))  # no plain HTTP on a TLS port
        assert _https_get(f"https://127.0.0.1:{admin}/healthz", cert, good)[1] == (
            '{"status":"ok"}\n'
        )
        # Silent clients (no TLS handshake, no request) hold up neither accepts nor workers.
        idle = [socket.create_connection(("127.0.0.1", metrics)) for _ in range(30)]
        try:
            assert _https_get(f"https://127.0.0.1:{metrics}/metrics", cert, good)[0] == 200
        finally:
            for connection in idle:
                connection.close()

        server = Process(
            [
                prometheus,
                f"--config.file={tmp_path / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{prometheus_port}",
            ],
            cwd=tmp_path,
        )

        def scraped_targets() -> list[Any] | None:
            query = urllib.parse.urlencode({"query": 'kpi_target{job="kpi-targets"}'})
            status, body = http_get(f"http://127.0.0.1:{prometheus_port}/api/v1/query?{query}")
            result = json.loads(body)["data"]["result"] if status == 200 else []
            return result or None

        found = wait_for("Prometheus to scrape kpi_target over TLS", scraped_targets, timeout=60)
        assert {series["metric"]["kpi"] for series in found} >= {"service_level_ratio"}
        _status, body = http_get(f"http://127.0.0.1:{prometheus_port}/api/v1/targets")
        (target,) = json.loads(body)["data"]["activeTargets"]
        assert target["scrapeUrl"] == f"https://127.0.0.1:{metrics}/metrics"
        assert (target["health"], target["lastError"]) == ("up", "")
        # Plain HTTP and silent clients were the clients' problem: nothing logged above debug.
        assert "level=error" not in exporter.stderr and "level=warning" not in exporter.stderr
    finally:
        if server is not None:
            server.stop()
        assert exporter.stop() == 0, exporter.stderr


def test_an_unusable_web_config_stops_serve_with_every_reason(tmp_path: Path) -> None:
    (tmp_path / "web.yml").write_text(
        "tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n"
        "basic_auth_users:\n  ann: hunter2\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [*KPI_TARGETS, "serve", "--web.config.file", "web.yml", "--check-only"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "web.yml: basic_auth_users: ann: not a bcrypt hash" in done.stderr
    done = subprocess.run(
        [
            *KPI_TARGETS,
            "serve",
            "--web.config.file",
            "web.yml",
            "--check-only",
            "--source",
            "records:nowhere.csv",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "source 'records:nowhere.csv': nowhere.csv does not exist" in done.stderr
    assert "not a bcrypt hash" in done.stderr  # every problem, not the first


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False),
    st.sampled_from(["", "x", "0", "1s", "TLS13", "NoClientCert", "server.crt", "deny"]),
    st.text(max_size=8),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
_TLS_KEYS = st.sampled_from(
    ["cert_file", "key_file", "cert", "key", "client_auth_type", "client_ca_file", "client_ca",
     "client_allowed_sans", "min_version", "max_version", "cipher_suites",
     "prefer_server_cipher_suites", "curve_preferences"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    tls=st.one_of(_VALUES, st.dictionaries(_TLS_KEYS, _VALUES, max_size=6)),
    http=st.one_of(_VALUES, st.dictionaries(st.sampled_from(["headers", "http2"]), _VALUES)),
    rate=st.one_of(_VALUES, st.dictionaries(st.sampled_from(["interval", "burst"]), _VALUES)),
    users=_VALUES,
)
def test_any_web_config_is_parsed_or_refused_with_reasons(
    tls: object, http: object, rate: object, users: object
) -> None:
    text = yaml.safe_dump(
        {
            "tls_server_config": tls,
            "http_server_config": http,
            "rate_limit": rate,
            "basic_auth_users": users,
        }
    )
    try:
        parse_web_config(text, Path("web.yml"))
    except WebConfigError as error:
        assert all(line.startswith("web.yml: ") for line in str(error).splitlines())
