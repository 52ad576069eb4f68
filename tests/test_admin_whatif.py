"""The edit form's "Try against history" through Flask's test client, without history: Prometheus
not configured, down or slow is a message in the form (never a 500), the form keeps everything
typed, and a try writes and audits nothing. (The figures from a real Prometheus are
``test_browser_whatif``'s.)"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from exporter.admin import create_app
from exporter.admin.attainment import AttainmentReader
from exporter.prometheus_http import PrometheusClient
from exporter.prometheus_http_config import HttpClientConfig
from exporter.targets.store import TargetStore
from tests.conftest import Clock, csrf_token, form_fields, login
from tests.test_admin_targets import EDIT_VOICE

TRY = {
    "quantifier": "or_more",
    "value": "70",
    "rows": "1",
    "row-0-days": ["0", "1", "2", "3", "4"],
    "row-0-from": "09:00",
    "row-0-to": "10:00",
    "row-0-value": "90",
    "reason": "",
    "whatif_days": "7",
    "whatif_share": "75",
    "try": "1",
}


def posted(client: FlaskClient, **changes: Any) -> tuple[int, str]:
    token = csrf_token(client, EDIT_VOICE)
    data = {**TRY, "csrf_token": token, "base_version": "", "is_new": "0", **changes}
    response = client.post(EDIT_VOICE, data=data)
    return response.status_code, response.get_data(as_text=True)


def kept_as_typed(html: str) -> None:
    fields = form_fields(html, ("is_new", "0"))
    assert fields["value"] == ["70"]
    assert fields["row-0-from"] == ["09:00"] and fields["row-0-value"] == ["90"]
    assert fields["whatif_share"] == ["75"]
    assert 'value="7" selected' in html


def test_not_configured_is_a_note_and_nothing_is_written(
    as_editor: FlaskClient, targets_dir: Path
) -> None:
    before = (targets_dir / "targets.yaml").read_bytes()
    status, html = posted(as_editor)
    assert status == 200
    assert "Trying against history needs the Prometheus that scrapes this exporter" in html
    kept_as_typed(html)
    assert "say why" not in html  # a try needs no reason
    assert (targets_dir / "targets.yaml").read_bytes() == before
    assert not (targets_dir / "audit.jsonl").exists()


def test_a_bad_share_or_value_is_refused_on_its_field(as_editor: FlaskClient) -> None:
    status, html = posted(as_editor, whatif_share="150")
    assert status == 400 and "the share must be a percentage, 1 to 100" in html
    status, html = posted(as_editor, value="lots")
    assert status == 400 and 'id="value-error"' in html
    assert "Traceback" not in html


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A listener that accepts and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def app_with(url: str, store: TargetStore, state_dir: Path, clock: Clock) -> Flask:
    app = create_app(
        http_events=None,
        events_token=None,
        store=store,
        state_dir=state_dir,
        clock=clock,
        seen_labels=dict,
        max_content_length=64 * 1024,
        attainment=AttainmentReader(PrometheusClient(url, HttpClientConfig(), 0.5)),
    )
    app.config["TESTING"] = True
    return app


def test_prometheus_slow_or_down_is_a_note_in_the_form(
    silent_port: int, store: TargetStore, state_dir: Path, clock: Clock, targets_dir: Path
) -> None:
    for url, said in (
        (f"http://127.0.0.1:{silent_port}", "did not answer within 0.5 s"),
        ("http://127.0.0.1:9", "connection refused"),
    ):
        client = login(app_with(url, store, state_dir, clock).test_client(), "eddie")
        status, html = posted(client)
        assert status == 200, html
        assert "Not tried:" in html and said in html
        kept_as_typed(html)
    assert not (targets_dir / "audit.jsonl").exists()


def test_taking_a_suggestion_fills_its_field_and_saves_nothing(
    as_editor: FlaskClient, targets_dir: Path
) -> None:
    changes = {"try": "", "take": "row-0=88.5"}
    status, html = posted(as_editor, **changes)
    assert status == 200
    assert form_fields(html, ("is_new", "0"))["row-0-value"] == ["88.5"]
    assert "Put 88.5 % into Schedule 1. Save to keep it." in html
    status, html = posted(as_editor, **{"try": "", "take": "row-7=1"})
    assert status == 400 and "That suggestion is not known." in html
    status, html = posted(as_editor, **{"try": "", "take": "value=<script>"})
    assert status == 400 and "<script>" not in html
    assert not (targets_dir / "audit.jsonl").exists()
