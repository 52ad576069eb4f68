"""``--prometheus-http-config-file`` (Prometheus's HTTP client format) and the three Prometheus
settings: what is read, and every refusal in words naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporter.config import ConfigError, SettingsSource, parse_prometheus_url
from exporter.prometheus_http_config import (
    Authorization,
    BasicAuth,
    ClientTls,
    HttpClientConfig,
    HttpClientConfigError,
    Secret,
    load_http_client_config,
    parse_http_client_config,
)

FILE = Path("/etc/kpi/prometheus-http.yml")


def refused(text: str) -> list[str]:
    with pytest.raises(HttpClientConfigError) as caught:
        parse_http_client_config(text, FILE)
    return str(caught.value).splitlines()


def test_every_supported_key_is_read_with_paths_relative_to_the_file() -> None:
    config = parse_http_client_config(
        """\
basic_auth:
  username: kpi
  password_file: secrets/password
tls_config:
  ca_file: ca.crt
  cert_file: /abs/client.crt
  key_file: client.key
  server_name: prometheus.test
  insecure_skip_verify: false
  min_version: TLS12
  max_version: TLS13
follow_redirects: false
enable_http2: true
""",
        FILE,
    )
    assert config == HttpClientConfig(
        basic_auth=BasicAuth(Secret("kpi"), Secret(None, Path("/etc/kpi/secrets/password"))),
        tls=ClientTls(
            ca_file=Path("/etc/kpi/ca.crt"),
            cert_file=Path("/abs/client.crt"),
            key_file=Path("/etc/kpi/client.key"),
            server_name="prometheus.test",
            min_version="TLS12",
            max_version="TLS13",
        ),
        follow_redirects=False,
        source=FILE,
    )
    assert "kpi" not in repr(Secret("kpi"))  # a secret never shows in a log line or traceback


def test_authorization_and_the_older_bearer_token() -> None:
    config = parse_http_client_config("authorization: {credentials_file: token}\n", FILE)
    assert config.authorization == Authorization("Bearer", Secret(None, Path("/etc/kpi/token")))
    config = parse_http_client_config("bearer_token: abc\n", FILE)
    assert config.authorization == Authorization("Bearer", Secret("abc"))
    assert parse_http_client_config("", FILE) == HttpClientConfig(source=FILE)


def test_what_this_client_cannot_do_is_refused_with_the_reason() -> None:
    assert refused("oauth2: {client_id: x}\nproxy_url: http://proxy:3128\n") == [
        f"{FILE}: oauth2: OAuth 2.0 is not supported: use basic_auth or authorization (a bearer "
        "token)",
        f"{FILE}: proxy_url: a proxy is not supported: give --prometheus-url an address reachable "
        "directly",
    ]


def test_every_problem_at_once_naming_the_key() -> None:
    assert refused(
        """\
basic_auth: {username: kpi, password: x, password_file: p, pasword: y}
authorization: {type: Basic, credentials: z}
tls_config: {cert_file: c.crt, min_version: TLS14, insecure_skip_verify: "no"}
follow_redirect: true
"""
    ) == [
        f"{FILE}: unknown key follow_redirect (did you mean 'follow_redirects'?)",
        f"{FILE}: unknown key basic_auth.pasword (did you mean 'password' or 'password_file'?)",
        f"{FILE}: basic_auth: give one of password or password_file, not both",
        f"{FILE}: authorization.type: cannot be Basic: use basic_auth instead",
        f"{FILE}: give one of basic_auth or authorization (bearer_token), not both",
        f"{FILE}: tls_config: a client certificate needs both cert_file (or cert) and key_file "
        "(or key)",
        f"{FILE}: tls_config.min_version: unknown TLS version 'TLS14' (did you mean 'TLS13' or "
        "'TLS12' or 'TLS11'?)",
        f"{FILE}: tls_config.insecure_skip_verify: expected true or false, found str 'no'",
    ]
    assert refused("basic_auth: {password: x}\n") == [
        f"{FILE}: basic_auth: missing username (or username_file)"
    ]
    assert refused("- a list\n") == [
        f"{FILE}: expected a mapping of basic_auth, authorization, bearer_token, "
        "bearer_token_file, tls_config, follow_redirects, enable_http2, found a list"
    ]


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(HttpClientConfigError) as caught:
        load_http_client_config(tmp_path / "missing.yml")
    assert str(caught.value) == (
        f"{tmp_path / 'missing.yml'}: cannot read the Prometheus HTTP client config: "
        "No such file or directory"
    )


def test_the_url_setting() -> None:
    assert parse_prometheus_url("http://127.0.0.1:9090/") == "http://127.0.0.1:9090"
    assert parse_prometheus_url("https://mon.example/prometheus/") == (
        "https://mon.example/prometheus"
    )
    for text, message in (
        ("127.0.0.1:9090", "'127.0.0.1:9090' is not an http:// or https:// URL"),
        ("http://kpi:secret@mon:9090", "the URL must not carry a user or password"),
        ("http://mon:9090/?x=1", "must not have a query"),
        ("http://mon:99999", "the port must be a number from 1 to 65535"),
    ):
        with pytest.raises(ValueError) as caught:
            parse_prometheus_url(text)
        assert message in str(caught.value)
        assert "secret" not in str(caught.value)


def test_the_settings_come_from_flags_file_and_environment(tmp_path: Path) -> None:
    (tmp_path / "serve.yaml").write_text(
        "prometheus_url: http://mon:9090\nprometheus_timeout: 0.5\n", encoding="utf-8"
    )
    settings = SettingsSource(
        tmp_path / "serve.yaml",
        {"prometheus_http_config_file": "http.yml"},
        {"KPI_TARGETS_PROMETHEUS_TIMEOUT": "2"},
    ).load()
    assert settings.prometheus_url == "http://mon:9090"
    assert settings.prometheus_timeout == 2.0
    assert settings.prometheus_http_config_file == Path("http.yml")
    with pytest.raises(ConfigError) as caught:
        SettingsSource(
            None, {"prometheus_url": "mon:9090"}, {"KPI_TARGETS_PROMETHEUS_TIMEOUT": "0"}
        ).load()
    assert str(caught.value).splitlines() == [
        "KPI_TARGETS_PROMETHEUS_TIMEOUT: '0' must be a number > 0",
        "--prometheus-url: 'mon:9090' is not an http:// or https:// URL (e.g. "
        "http://127.0.0.1:9090)",
    ]
