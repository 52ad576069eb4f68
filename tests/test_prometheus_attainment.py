"""Attainment read from a real Prometheus: a hand-made history backfilled with promtool
(``tests/attainment_history.py`` works the figures out), a Prometheus behind TLS, a client
certificate and basic auth (its ``--web.config.file``, certificates by openssl), and the ways a
Prometheus fails: down, silent, refusing the query, not Prometheus at all; each failure said in
words within the 2 s a page may take, and cached so the next page does not wait again."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import bcrypt
import pytest
import yaml
from attainment_history import (
    ABANDONMENT,
    SL,
    backfilled_prometheus,
    copy_of,
    create_blocks,
    prometheus_on,
    wait_until_ready,
)
from flask.testing import FlaskClient
from processes import free_port
from tls_certs import make_ca, make_signed

from exporter.admin import create_app
from exporter.admin.attainment import AttainmentReader, Reading
from exporter.prometheus_http import PrometheusClient, PrometheusError
from exporter.prometheus_http_config import HttpClientConfig, parse_http_client_config
from exporter.scope import scope_of
from exporter.targets.model import Quantifier, Schedule, Target
from exporter.targets.store import TargetStore
from tests.conftest import MONDAY_10, Clock, WriteTargets, login

pytestmark = pytest.mark.integration

PAGE_SECONDS = 2.0  # a page renders within this, whatever Prometheus does


def target(kpi: str, **scope: str) -> Target:
    return Target(kpi, Quantifier.OR_MORE, (Schedule(0.8),), scope_of(scope))


SALES = target(SL, queue="sales")
SITE = target(SL)
ABANDONED = target(ABANDONMENT)
TARGETS = [SALES, SITE, ABANDONED]


@pytest.fixture(scope="module")
def blocks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return create_blocks(time.time(), tmp_path_factory.mktemp("history"))


@pytest.fixture(scope="module")
def backfilled(blocks: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with backfilled_prometheus(blocks, tmp_path_factory.mktemp("prometheus")) as url:
        yield url


def all_words(reading: Reading) -> list[str | None]:
    return [reading.words(item, TARGETS) for item in TARGETS]


def test_the_hand_counted_history_in_words(backfilled: str) -> None:
    reader = AttainmentReader(PrometheusClient(backfilled, HttpClientConfig(), 1.0))
    week = reader.reading(7, TARGETS)
    assert week.note is None
    assert all_words(week) == [
        "met 18 of 24 judged hours in the last 7 days (5 low volume not judged)",
        "no judged hours in the last 7 days yet",
        "no judged hours in the last 7 days yet (3 low volume not judged)",
    ]
    assert all_words(reader.reading(28, TARGETS)) == [
        "met 48 of 58 judged hours in the last 28 days (5 low volume not judged)",
        "met 6 of 6 judged hours in the last 28 days",
        "no judged hours in the last 28 days yet (3 low volume not judged)",
    ]
    # A target with no series in Prometheus: nothing judged, said as such.
    assert week.words(target(SL, queue="billing"), TARGETS) == (
        "no judged hours in the last 7 days yet"
    )


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_answer_is_kept_a_minute(backfilled: str) -> None:
    ticks = Ticks()
    reader = AttainmentReader(PrometheusClient(backfilled, HttpClientConfig(), 1.0), clock=ticks)
    first = reader.reading(7, TARGETS)
    ticks.now += 59
    assert reader.reading(7, TARGETS) is first
    ticks.now += 2
    again = reader.reading(7, TARGETS)
    assert again is not first and again == first


@pytest.fixture
def silent() -> Iterator[str]:
    """A listener that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def timed(reader: AttainmentReader, days: int = 7) -> tuple[Reading, float]:
    started = time.monotonic()
    reading = reader.reading(days, TARGETS)
    return reading, time.monotonic() - started


def test_a_silent_prometheus_costs_one_timeout_then_ten_seconds_of_nothing(silent: str) -> None:
    ticks = Ticks()
    reader = AttainmentReader(PrometheusClient(silent, HttpClientConfig(), 1.0), clock=ticks)
    reading, took = timed(reader)
    assert 0.9 < took < PAGE_SECONDS
    assert reading.counts is None
    assert (
        reading.note
        == f"Attainment is not shown: Prometheus at {silent} did not answer within 1 s."
    )
    assert reading.words(SALES, TARGETS) is None
    ticks.now += 9
    cached, took = timed(reader)
    assert cached == reading and took < 0.05
    # Another range or another tab's targets: the same failure, without asking again.
    started = time.monotonic()
    other = reader.reading(28, [SALES])
    assert time.monotonic() - started < 0.05
    assert other.note == reading.note and other.days == 28
    ticks.now += 2
    _again, took = timed(reader)
    assert 0.9 < took < PAGE_SECONDS  # asked again after 10 s


def test_a_prometheus_that_is_down(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    reading, took = timed(AttainmentReader(PrometheusClient(url, HttpClientConfig(), 1.0)))
    assert took < PAGE_SECONDS
    assert reading.note == (
        f"Attainment is not shown: cannot connect to Prometheus at {url}: connection refused (is "
        "Prometheus running there?)."
    )


def test_a_wrong_path_prefix_is_prometheus_answering_404(backfilled: str) -> None:
    url = f"{backfilled}/prometheus"
    reading, took = timed(AttainmentReader(PrometheusClient(url, HttpClientConfig(), 1.0)))
    assert took < PAGE_SECONDS
    assert reading.note == (
        f"Attainment is not shown: Prometheus at {url} answered HTTP 404 Not Found: is "
        "--prometheus-url the address of Prometheus (with its path prefix, if any)?"
    )


def test_prometheus_refusing_the_query_gives_its_error(blocks: Path, tmp_path: Path) -> None:
    # A real refusal: this Prometheus may load 10 samples per query; ours needs more.
    with prometheus_on(copy_of(blocks, tmp_path), tmp_path, ["--query.max-samples=10"]) as (
        url,
        _process,
    ):
        client = PrometheusClient(url, HttpClientConfig(), 1.0)
        wait_until_ready(client)
        reading, took = timed(AttainmentReader(client))
    assert took < PAGE_SECONDS
    assert reading.note is not None
    assert reading.note.startswith(
        f"Attainment is not shown: Prometheus at {url} refused the query (HTTP 422, execution): "
        "query processing would load too many samples into memory"
    ), reading.note


def test_a_bad_query_is_prometheus_error_json(backfilled: str) -> None:
    with pytest.raises(PrometheusError) as caught:
        PrometheusClient(backfilled, HttpClientConfig(), 1.0).query("sum(")
    assert str(caught.value) == (
        f"Prometheus at {backfilled} refused the query (HTTP 400, bad_data): invalid parameter "
        '"query": 1:5: parse error: unclosed left parenthesis'
    )


class _NotPrometheus(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html><body>Welcome to nginx!</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_server_that_is_not_prometheus() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotPrometheus)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        reading, took = timed(AttainmentReader(PrometheusClient(url, HttpClientConfig(), 1.0)))
    finally:
        server.shutdown()
        server.server_close()
    assert took < PAGE_SECONDS
    assert reading.note == (
        f"Attainment is not shown: Prometheus at {url} answered something that is not "
        "Prometheus's API JSON (<html><body>Welcome to nginx!</body></html>): is "
        "--prometheus-url the address of Prometheus?"
    )


# --- TLS, a client certificate and basic auth ----------------------------------------------------

PASSWORD = "s3cret prometheus password"


@pytest.fixture(scope="module")
def secured(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Path]]:
    """A Prometheus on HTTPS (a certificate for the name prometheus.test only) that wants a client
    certificate and the user kpi: its URL and the directory holding the PKI."""
    directory = tmp_path_factory.mktemp("secured")
    make_ca("ca", directory)
    make_ca("other-ca", directory)
    make_signed("server", "ca", "DNS:prometheus.test", "serverAuth", directory)
    make_signed("client", "ca", "DNS:kpi-targets.test", "clientAuth", directory)
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    (directory / "web.yml").write_text(
        f"""\
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
basic_auth_users:
  kpi: {hashed}
""",
        encoding="utf-8",
    )
    (directory / "password").write_text(PASSWORD + "\n", encoding="utf-8")
    (directory / "wrong-password").write_text("guess\n", encoding="utf-8")
    extra = [f"--web.config.file={directory / 'web.yml'}"]
    with prometheus_on(directory / "data", directory, extra, scheme="https") as (url, _process):
        wait_until_ready(client(url, directory, GOOD))
        yield url, directory


GOOD = """\
basic_auth: {username: kpi, password_file: password}
tls_config:
  ca_file: ca.crt
  cert_file: client.crt
  key_file: client.key
  server_name: prometheus.test
"""


def client(url: str, directory: Path, text: str) -> PrometheusClient:
    (directory / "http.yml").write_text(text, encoding="utf-8")
    config = parse_http_client_config(text, directory / "http.yml")
    return PrometheusClient(url, config, 1.0)


def test_tls_client_certificate_and_basic_auth(secured: tuple[str, Path]) -> None:
    url, directory = secured
    answer = client(url, directory, GOOD).query("vector(7)")
    assert [sample.value for sample in answer] == [7.0]
    # The same with every PEM inline in the file (ca, cert, key) instead of files.
    pem = {
        name: (directory / name).read_text(encoding="utf-8")
        for name in ("ca.crt", "client.crt", "client.key")
    }
    inline = yaml.safe_dump(
        {
            "basic_auth": {"username": "kpi", "password_file": "password"},
            "tls_config": {
                "ca": pem["ca.crt"],
                "cert": pem["client.crt"],
                "key": pem["client.key"],
                "server_name": "prometheus.test",
            },
        }
    )
    assert [sample.value for sample in client(url, directory, inline).query("vector(8)")] == [8.0]
    reading = AttainmentReader(client(url, directory, GOOD)).reading(7, TARGETS)
    assert reading.note is None and reading.counts == {}
    assert reading.words(SALES, TARGETS) == "no judged hours in the last 7 days yet"


def note(url: str, directory: Path, text: str) -> str:
    reading, took = timed(AttainmentReader(client(url, directory, text)))
    assert took < PAGE_SECONDS
    assert reading.note is not None
    return reading.note


def test_each_wrong_connection_setting_is_said(secured: tuple[str, Path]) -> None:
    url, directory = secured
    where = f"Attainment is not shown: Prometheus at {url}"
    assert note(
        url, directory, GOOD.replace("password_file: password", "password_file: wrong-password")
    ) == (
        f"{where} answered HTTP 401 Unauthorized: check basic_auth or authorization in "
        f"{directory / 'http.yml'}."
    )
    assert PASSWORD not in note(url, directory, GOOD.replace("kpi,", "someone,"))
    assert note(url, directory, GOOD.replace("ca_file: ca.crt", "ca_file: other-ca.crt")) == (
        f"{where}: its TLS certificate is not trusted (unable to get local issuer certificate): "
        f"set tls_config.ca_file (and server_name) in {directory / 'http.yml'}."
    )
    # Without server_name the certificate is checked against 127.0.0.1, which it does not name.
    assert note(url, directory, GOOD.replace("  server_name: prometheus.test\n", "")) == (
        f"{where}: its TLS certificate is not trusted (IP address mismatch, certificate is not "
        f"valid for '127.0.0.1'.): set tls_config.ca_file (and server_name) in "
        f"{directory / 'http.yml'}."
    )
    no_client_certificate = GOOD.replace("  cert_file: client.crt\n  key_file: client.key\n", "")
    print("NOCERT", note(url, directory, no_client_certificate))
    print("PLAIN", note(url.replace("https:", "http:"), directory, GOOD))
    assert note(url, directory, no_client_certificate).startswith(
        f"{where}: the TLS handshake failed ("
    )
    assert "https" in url
    plain = url.replace("https:", "http:")
    assert note(plain, directory, GOOD).startswith(
        f"Attainment is not shown: Prometheus at {plain}"
    )


# --- the admin pages ----------------------------------------------------------------------------

PAGE_TARGETS = """\
targets:
  - kpi: service_level_ratio
    scope: {queue: sales}
    quantifier: or_more
    schedules: [{value: 0.8}]
  - kpi: service_level_ratio
    quantifier: or_more
    schedules: [{value: 0.75}]
  - kpi: abandonment_ratio
    quantifier: or_less
    schedules: [{value: 0.05}]
"""


def admin_client(
    write_targets: WriteTargets, state_dir: Path, reader: AttainmentReader | None, name: str
) -> FlaskClient:
    app = create_app(
        http_events=None,
        events_token=None,
        store=TargetStore(write_targets(PAGE_TARGETS, "admin", directory=state_dir.parent / "t")),
        state_dir=state_dir,
        clock=Clock(MONDAY_10),
        attainment=reader,
    )
    app.config["TESTING"] = True
    return login(app.test_client(), name)


def page(client: FlaskClient, url: str) -> tuple[str, float]:
    started = time.monotonic()
    response = client.get(url)
    took = time.monotonic() - started
    assert response.status_code == 200
    return response.get_data(as_text=True), took


def attainment_lines(html: str) -> list[str]:
    found = re.findall(r'<(p|span) class="attainment"[^>]*>([^<]*)</\1>', html)
    return [unescape(text) for _tag, text in found]


def note_of(html: str) -> str | None:
    found = re.search(r'<div class="attainment-note"[^>]*><p>(.*?)</p></div>', html, re.DOTALL)
    return unescape(found.group(1)) if found else None


def test_the_targets_page_and_a_target_page_show_the_hand_counted_words(
    backfilled: str, write_targets: WriteTargets, state_dir: Path
) -> None:
    reader = AttainmentReader(PrometheusClient(backfilled, HttpClientConfig(), 1.0))
    client = admin_client(write_targets, state_dir, reader, "eddie")
    html, _took = page(client, "/targets")
    assert note_of(html) is None
    # In the page's order: Service Level (sales, then all contacts), then Abandonment.
    assert attainment_lines(html) == [
        "met 18 of 24 judged hours in the last 7 days (5 low volume not judged)",
        "no judged hours in the last 7 days yet",
        "no judged hours in the last 7 days yet (3 low volume not judged)",
    ]
    html, _took = page(client, "/targets/service_level_ratio/edit?queue=sales")
    assert attainment_lines(html) == [
        "met 48 of 58 judged hours in the last 28 days (5 low volume not judged)"
    ]
    html, _took = page(client, "/targets/service_level_ratio/edit")
    assert attainment_lines(html) == ["met 6 of 6 judged hours in the last 28 days"]
    html, _took = page(client, "/targets/service_level_ratio/edit?new=1")
    assert attainment_lines(html) == []  # a new target has no hours yet


def test_not_configured_the_page_says_how_to_configure_it(
    write_targets: WriteTargets, state_dir: Path
) -> None:
    html, _took = page(admin_client(write_targets, state_dir, None, "vera"), "/targets")
    assert attainment_lines(html) == []
    assert note_of(html) == (
        "Attainment (how many closed hours met each target) comes from the Prometheus that "
        "scrapes this exporter: start serve with --prometheus-url URL (or prometheus_url: URL "
        "in serve.yaml, or KPI_TARGETS_PROMETHEUS_URL), e.g. --prometheus-url "
        "http://127.0.0.1:9090."
    )


def test_the_pages_render_within_2_s_whatever_prometheus_does(
    silent: str, write_targets: WriteTargets, state_dir: Path
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotPrometheus)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    not_prometheus = f"http://127.0.0.1:{server.server_port}"
    try:
        for url, said in (
            (silent, f"Prometheus at {silent} did not answer within 1 s."),
            (down, f"cannot connect to Prometheus at {down}: connection refused"),
            (not_prometheus, "(<html><body>Welcome to nginx!</body></html>)"),
        ):
            reader = AttainmentReader(PrometheusClient(url, HttpClientConfig(), 1.0))
            client = admin_client(write_targets, state_dir, reader, "eddie")
            for address in ("/targets", "/targets/service_level_ratio/edit?queue=sales"):
                html, took = page(client, address)
                assert took < PAGE_SECONDS, (url, address, took)
                note = note_of(html)
                assert note is not None and note.startswith("Attainment is not shown: ")
                assert said in note
                assert attainment_lines(html) == []
                assert "<html><body>Welcome" not in html.split("<body>", 1)[1]  # escaped
    finally:
        server.shutdown()
        server.server_close()
