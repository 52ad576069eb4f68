"""The Prometheus client's own behaviour against a real HTTP server on loopback (a stand-in for a
proxy in front of Prometheus): the Authorization header from a token file read at each request
(so a rotated token is used at once), redirects followed within the server and refused to
another, and an answer that goes on too long cut at the time limit."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from exporter.prometheus_http import PrometheusClient, PrometheusError
from exporter.prometheus_http_config import parse_http_client_config

ANSWER = json.dumps(
    {
        "status": "success",
        "data": {"resultType": "vector", "result": [{"metric": {"kpi": "x"}, "value": [1, "3"]}]},
    }
).encode()


class Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        Recorder.seen.append((self.path, self.headers.get("Authorization")))
        if self.path.startswith("/old/"):
            self.send_response(307)
            self.send_header("Location", self.path.replace("/old/", "/new/", 1))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.startswith("/away/"):
            self.send_response(302)
            self.send_header("Location", "http://192.0.2.1:9090/api/v1/query")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.startswith("/slow/"):
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(30):  # a byte every 0.1 s: each read is quick, the whole is not
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:  # the client gave up, as it should
                pass
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(ANSWER)))
        self.end_headers()
        self.wfile.write(ANSWER)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Recorder.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def test_the_bearer_token_file_is_read_at_each_request(server: str, tmp_path: Path) -> None:
    (tmp_path / "token").write_text("first-token\n", encoding="utf-8")
    config = parse_http_client_config(
        "authorization: {credentials_file: token}\n", tmp_path / "http.yml"
    )
    client = PrometheusClient(server, config, 1.0)
    assert [sample.value for sample in client.query("up")] == [3.0]
    (tmp_path / "token").write_text("second-token\n", encoding="utf-8")
    client.query("up")
    assert [auth for _path, auth in Recorder.seen] == ["Bearer first-token", "Bearer second-token"]
    assert Recorder.seen[0][0] == "/api/v1/query?query=up&timeout=1s"


def test_redirects_within_the_server_are_followed_unless_turned_off(
    server: str, tmp_path: Path
) -> None:
    config = parse_http_client_config("basic_auth: {username: u, password: p}\n", tmp_path / "h")
    assert PrometheusClient(f"{server}/old", config, 1.0).query("up")[0].value == 3.0
    assert [path.split("?")[0] for path, _auth in Recorder.seen] == [
        "/old/api/v1/query",
        "/new/api/v1/query",
    ]
    assert Recorder.seen[1][1] == "Basic dTpw"  # base64 of u:p
    no_follow = parse_http_client_config("follow_redirects: false\n", tmp_path / "h")
    with pytest.raises(PrometheusError) as caught:
        PrometheusClient(f"{server}/old", no_follow, 1.0).query("up")
    assert str(caught.value) == (f"Prometheus at {server}/old answered HTTP 307 Temporary Redirect")
    with pytest.raises(PrometheusError) as caught:
        PrometheusClient(f"{server}/away", config, 1.0).query("up")
    assert str(caught.value) == (
        f"Prometheus at {server}/away redirected to another server (http://192.0.2.1:9090): set "
        "--prometheus-url to the address Prometheus answers on"
    )


def test_an_answer_trickling_in_is_cut_at_the_time_limit(server: str, tmp_path: Path) -> None:
    config = parse_http_client_config("", tmp_path / "h")
    started = time.monotonic()
    with pytest.raises(PrometheusError) as caught:
        PrometheusClient(f"{server}/slow", config, 1.0).query("up")
    assert time.monotonic() - started < 1.5
    assert str(caught.value) == f"Prometheus at {server}/slow did not answer within 1 s"
