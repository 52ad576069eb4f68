"""``kpi-targets grafana sync`` against a local HTTP server that answers like Grafana's HTTP API.

No Grafana server can be installed here, so ``FakeGrafana`` below is a stand-in, NOT Grafana: it
implements only the calls the sync makes (``/api/frontend/settings``, ``/api/datasources/uid/``,
``/api/folders``, ``/api/dashboards/uid/``, ``/api/dashboards/db``) with Grafana's status codes
and JSON shapes (a saved dashboard comes back with ``id`` and ``version`` added), and refuses a
wrong bearer token with 401 like Grafana does. grafana-client itself is real and talks HTTP to it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from processes import free_port

from exporter.cli import main
from exporter.dashboards.build import DATASOURCE_UID, as_json, build_all

TOKEN = "glsa_test_0123456789abcdef"


@dataclass
class GrafanaState:
    datasources: set[str] = field(default_factory=lambda: {DATASOURCE_UID})
    folders: dict[str, str] = field(default_factory=dict)  # uid -> title
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)  # uid -> saved, meta
    calls: list[tuple[str, str]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    state: GrafanaState

    def log_message(self, *_: object) -> None:  # keep the test output quiet
        pass

    def _reply(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        self.state.calls.append((self.command, self.path))
        if self.headers.get("Authorization") == f"Bearer {TOKEN}":
            return True
        self._reply(401, {"message": "invalid API key", "traceID": ""})
        return False

    def do_GET(self) -> None:
        if not self._authorised():
            return
        state, path = self.state, self.path.split("?")[0]
        if path == "/api/frontend/settings":
            self._reply(200, {"buildInfo": {"version": "11.6.0"}})
        elif path.startswith("/api/datasources/uid/"):
            uid = path.rsplit("/", 1)[1]
            if uid in state.datasources:
                self._reply(200, {"uid": uid, "type": "prometheus", "name": "Prometheus"})
            else:
                self._reply(404, {"message": "Data source not found"})
        elif path == "/api/folders":
            self._reply(200, [{"uid": u, "title": t} for u, t in state.folders.items()])
        elif path.startswith("/api/dashboards/uid/"):
            uid = path.rsplit("/", 1)[1]
            if uid in state.dashboards:
                self._reply(200, state.dashboards[uid])
            else:
                self._reply(404, {"message": "Dashboard not found"})
        else:
            self._reply(404, {"message": "Not found"})

    def do_POST(self) -> None:
        if not self._authorised():
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        state = self.state
        if self.path == "/api/folders":
            uid = body.get("uid") or f"folder{len(state.folders)}"
            state.folders[uid] = body["title"]
            self._reply(200, {"uid": uid, "title": body["title"], "id": len(state.folders)})
        elif self.path == "/api/dashboards/db":
            board = body["dashboard"]
            uid = board["uid"]
            version = state.dashboards.get(uid, {}).get("dashboard", {}).get("version", 0) + 1
            saved = {**board, "id": len(state.dashboards) + 1, "version": version}
            state.dashboards[uid] = {"dashboard": saved, "meta": {"folderUid": body["folderUid"]}}
            self._reply(200, {"status": "success", "uid": uid, "version": version})
        else:
            self._reply(404, {"message": "Not found"})


@dataclass
class FakeGrafana:
    url: str
    state: GrafanaState


@pytest.fixture
def grafana() -> Iterator[FakeGrafana]:
    state = GrafanaState()
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FakeGrafana(f"http://127.0.0.1:{server.server_address[1]}", state)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n", encoding="utf-8")
    return path


def _sync(url: str, *extra: str) -> int:
    return main(["grafana", "sync", "--url", url, *extra])


GENERATED = {str(uid): as_json(board) for uid, board in build_all().items()}
LINES = [
    "Contact Center Operations (kpi-targets-operations)",
    "Team Performance (kpi-targets-team)",
    "KPI Targets (kpi-targets-overview)",
]


def test_first_run_creates_the_folder_and_every_dashboard_then_nothing_changes(
    grafana: FakeGrafana, token_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _sync(grafana.url, "--token-file", str(token_file)) == 0
    out = capsys.readouterr().out
    assert out == "folder KPI Targets (created)\n" + "".join(f"created   {x}\n" for x in LINES)
    assert grafana.state.folders == {"kpi-targets": "KPI Targets"}
    for uid, board in GENERATED.items():
        saved = grafana.state.dashboards[uid]
        assert saved["meta"]["folderUid"] == "kpi-targets"
        assert {k: v for k, v in saved["dashboard"].items() if k not in ("id", "version")} == board

    grafana.state.calls.clear()
    assert _sync(grafana.url, "--token-file", str(token_file)) == 0
    assert capsys.readouterr().out == "folder KPI Targets\n" + "".join(
        f"unchanged {x}\n" for x in LINES
    )
    assert ("POST", "/api/dashboards/db") not in grafana.state.calls
    assert ("POST", "/api/folders") not in grafana.state.calls


def test_a_dashboard_edited_in_grafana_is_updated_back(
    grafana: FakeGrafana, token_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _sync(grafana.url, "--token-file", str(token_file)) == 0
    grafana.state.dashboards["kpi-targets-team"]["dashboard"]["title"] = "Edited by hand"
    capsys.readouterr()
    assert _sync(grafana.url, "--token-file", str(token_file)) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        f"unchanged {LINES[0]}",
        f"updated   {LINES[1]}",
        f"unchanged {LINES[2]}",
    ]
    assert grafana.state.dashboards["kpi-targets-team"]["dashboard"]["version"] == 2


def test_the_token_can_come_from_the_environment_and_the_folder_be_named(
    grafana: FakeGrafana, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRAFANA_TOKEN", TOKEN)
    assert _sync(grafana.url, "--folder", "Contact center") == 0
    assert capsys.readouterr().out.startswith("folder Contact center (created)\n")
    (uid,) = grafana.state.folders
    assert {saved["meta"]["folderUid"] for saved in grafana.state.dashboards.values()} == {uid}


def test_a_wrong_token_is_refused_with_what_to_do(
    grafana: FakeGrafana, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("glsa_wrong", encoding="utf-8")
    assert _sync(grafana.url, "--token-file", str(wrong)) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"kpi-targets grafana sync: Grafana at {grafana.url} refused the token (401): give a "
        "service-account token with the Editor role (--token-file FILE or GRAFANA_TOKEN)\n"
    )
    assert grafana.state.dashboards == {}


def test_an_unreachable_grafana_is_said_plainly(
    token_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    assert _sync(url, "--token-file", str(token_file)) == 1
    assert capsys.readouterr().err == (
        f"kpi-targets grafana sync: cannot reach Grafana at {url}: Connection refused\n"
    )


def test_a_missing_datasource_stops_before_any_change(
    grafana: FakeGrafana, token_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grafana.state.datasources.clear()
    assert _sync(grafana.url, "--token-file", str(token_file)) == 1
    assert capsys.readouterr().err == (
        "kpi-targets grafana sync: Grafana has no datasource with uid 'kpi-targets-prometheus', "
        "which the dashboards select by default: provision "
        "grafana/provisioning/datasources/prometheus.yaml, or create a Prometheus datasource "
        "with that uid\n"
    )
    assert grafana.state.folders == {} and grafana.state.dashboards == {}


def test_no_token_is_a_usage_error(
    grafana: FakeGrafana, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GRAFANA_TOKEN", raising=False)
    assert _sync(grafana.url) == 2
    assert "no token: give --token-file FILE or set GRAFANA_TOKEN" in capsys.readouterr().err
    assert grafana.state.calls == []
