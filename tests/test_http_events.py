"""POST /api/v1/events through Flask's test client, with a real journal and a running source."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from exporter.admin import create_app
from exporter.events import ContactEvent, ContactKind, Event
from exporter.sources.base import IngestStats
from exporter.sources.event_json import IdentifiedEvent
from exporter.sources.http_events import HttpEventSource, load_events_token
from exporter.sources.journal import EventJournal

TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class CollectingSink:
    """Records what the source delivers; lets a test wait until a number of events arrived."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._arrived = threading.Condition()

    def __call__(self, event: Event) -> None:
        with self._arrived:
            self.events.append(event)
            self._arrived.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Event]:
        with self._arrived:
            assert self._arrived.wait_for(lambda: len(self.events) >= count, timeout), (
                f"only {len(self.events)} of {count} events arrived"
            )
            return list(self.events)


class Running:
    """A source running in its thread, as ``serve`` runs it."""

    def __init__(self, source: HttpEventSource, sink: CollectingSink | None = None) -> None:
        self.source = source
        self.sink = sink or CollectingSink()
        self.stats = IngestStats()
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=source.run, args=(self.sink, self.stats, self.stop), daemon=True
        )

    def __enter__(self) -> Running:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(5)
        assert not self.thread.is_alive()


def contact(event_id: str, at: float = 1000.0, **fields: object) -> dict[str, object]:
    return {
        "type": "contact",
        "id": event_id,
        "kind": "offered",
        "at": at,
        "contact_id": f"c-{event_id}",
        "queue": "sales",
        "channel": "voice",
        **fields,
    }


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[EventJournal]:
    journal = EventJournal(tmp_path / "events.sqlite")
    yield journal
    journal.close()


@pytest.fixture
def source(journal: EventJournal) -> HttpEventSource:
    return HttpEventSource(journal)


@pytest.fixture
def app(source: HttpEventSource) -> Flask:
    return create_app(http_events=source, events_token=TOKEN)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def journaled_ids(journal: EventJournal) -> list[str]:
    return [entry.event_id for entry in journal.entries_after(0)]


# --- authentication and the disabled endpoint -------------------------------------------------


def test_without_a_token_the_endpoint_is_disabled(source: HttpEventSource) -> None:
    client = create_app(http_events=source, events_token=None).test_client()
    response = client.post("/api/v1/events", json=[contact("e1")], headers=AUTH)
    assert response.status_code == 503
    assert response.get_json()["error"].startswith(
        "HTTP events are disabled: no token is configured. Set KPI_TARGETS_EVENTS_TOKEN"
    )
    assert journaled_ids(source.journal) == []


def test_without_a_source_there_is_no_endpoint() -> None:
    client = create_app(http_events=None, events_token=TOKEN).test_client()
    response = client.post("/api/v1/events", json=[contact("e1")], headers=AUTH)
    assert response.status_code == 404
    assert response.get_json()["error"].startswith("Not Found")


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   ", f"Basic {TOKEN}"])
def test_missing_credentials_get_401_with_a_bearer_challenge(
    client: FlaskClient, journal: EventJournal, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = client.post("/api/v1/events", json=[contact("e1")], headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="kpi-targets events"'
    assert response.get_json() == {
        "error": "authentication required: send Authorization: Bearer <token>"
    }
    assert journaled_ids(journal) == []


@pytest.mark.parametrize("wrong", ["nope", TOKEN + "x", TOKEN[:-1], "tökén"])
def test_a_wrong_token_gets_401(client: FlaskClient, journal: EventJournal, wrong: str) -> None:
    response = client.post(
        "/api/v1/events",
        json=[contact("e1")],
        headers={"Authorization": f"Bearer {wrong}".encode().decode("latin-1")},
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == (
        'Bearer realm="kpi-targets events", error="invalid_token"'
    )
    assert response.get_json() == {"error": "the bearer token is not valid"}
    assert journaled_ids(journal) == []


def test_the_right_token_is_accepted_and_events_are_journaled_and_delivered(
    client: FlaskClient, source: HttpEventSource
) -> None:
    with Running(source) as running:
        response = client.post(
            "/api/v1/events", json={"events": [contact("e1"), contact("e2")]}, headers=AUTH
        )
        assert response.status_code == 200
        assert response.get_json() == {
            "accepted": 2,
            "duplicates": 0,
            "duplicate_ids": [],
            "rejected": [],
        }
        assert journaled_ids(source.journal) == ["e1", "e2"]
        delivered = running.sink.wait_for(2)
    assert [event.contact_id for event in delivered if isinstance(event, ContactEvent)] == [
        "c-e1",
        "c-e2",
    ]
    assert running.stats.read_counts() == {"http": 2}


# --- request limits and malformed bodies ------------------------------------------------------


def test_a_body_over_the_size_limit_gets_413_json(source: HttpEventSource) -> None:
    client = create_app(
        http_events=source, events_token=TOKEN, max_content_length=300
    ).test_client()
    body = json.dumps([contact(f"e{n}") for n in range(5)])
    assert len(body) > 300
    response = client.post(
        "/api/v1/events", data=body, content_type="application/json", headers=AUTH
    )
    assert response.status_code == 413
    assert response.get_json() == {
        "error": "the request body is larger than the limit of 300 bytes"
    }
    assert journaled_ids(source.journal) == []


def test_too_many_events_in_one_batch_gets_413(source: HttpEventSource) -> None:
    client = create_app(
        http_events=source, events_token=TOKEN, max_events_per_batch=3
    ).test_client()
    response = client.post(
        "/api/v1/events", json=[contact(f"e{n}") for n in range(4)], headers=AUTH
    )
    assert response.status_code == 413
    assert response.get_json() == {
        "error": "the batch has 4 events; at most 3 are allowed per request: split it"
    }
    assert journaled_ids(source.journal) == []


def test_invalid_json_gets_400_with_the_parser_position(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/events",
        data='[\n  {"type": "contact",, }\n]',
        content_type="application/json",
        headers=AUTH,
    )
    assert response.status_code == 400
    # Line 2 is `  {"type": "contact",, }`: the second comma is column 22, char 2 + 21 = 23.
    assert response.get_json() == {
        "error": "the body is not valid JSON: Expecting property name enclosed in double quotes "
        "at line 2 column 22 (char 23)",
        "line": 2,
        "column": 22,
        "position": 23,
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[NaN]", "the body is not valid JSON: NaN is not a JSON number"),
        (b'["\xff"]', "the body is not UTF-8: byte 2 is invalid"),
        (b'{"events": 3}', '"events" must be a list, got a number (3)'),
        (b"42", 'expected a list of events or an object {"events": [...]}, got a number (42)'),
    ],
)
def test_bodies_that_are_not_a_batch_get_400(
    client: FlaskClient, body: bytes, message: str
) -> None:
    response = client.post(
        "/api/v1/events", data=body, content_type="application/json", headers=AUTH
    )
    assert response.status_code == 400
    assert response.get_json() == {"error": message}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_wrong_content_type_gets_415(client: FlaskClient, content_type: str | None) -> None:
    response = client.post(
        "/api/v1/events",
        data=json.dumps([contact("e1")]),
        content_type=content_type,
        headers=AUTH,
    )
    assert response.status_code == 415
    assert response.get_json()["error"].startswith("Content-Type must be application/json, got")


def test_json_with_a_charset_is_fine(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/events",
        data=json.dumps([contact("e1")]),
        content_type="application/json; charset=utf-8",
        headers=AUTH,
    )
    assert response.status_code == 200
    assert response.get_json()["accepted"] == 1


# --- per-event results ------------------------------------------------------------------------


def test_a_mixed_batch_keeps_the_valid_events_and_lists_the_errors(
    client: FlaskClient, source: HttpEventSource
) -> None:
    batch = [
        contact("ok-1"),
        contact("bad-1", wait_seconds=-2),
        "not an event",
        contact("ok-2", kind="answered", wait_seconds=12),
        contact("bad-2", kind="teleported", colour="red"),
    ]
    with Running(source) as running:
        response = client.post("/api/v1/events", json=batch, headers=AUTH)
        assert response.status_code == 200
        assert response.get_json() == {
            "accepted": 2,
            "duplicates": 0,
            "duplicate_ids": [],
            "rejected": [
                {
                    "index": 1,
                    "id": "bad-1",
                    "field": "wait_seconds",
                    "message": "must be seconds >= 0, got -2",
                    "code": "out_of_range",
                },
                {
                    "index": 2,
                    "id": None,
                    "field": "",
                    "message": "expected an object, got a string ('not an event')",
                    "code": "not_an_object",
                },
                {
                    "index": 4,
                    "id": "bad-2",
                    "field": "colour",
                    "message": "unknown field for a contact event",
                    "code": "unknown_field",
                },
                {
                    "index": 4,
                    "id": "bad-2",
                    "field": "kind",
                    "message": "unknown kind 'teleported'; expected one of: offered, answered, "
                    "abandoned, ended, transferred, survey, outbound, bot, cleared",
                    "code": "unknown_value",
                },
            ],
        }
        assert journaled_ids(source.journal) == ["ok-1", "ok-2"]
        delivered = running.sink.wait_for(2)
    assert delivered[1] == ContactEvent(
        kind=ContactKind.ANSWERED,
        at=1000.0,
        contact_id="c-ok-2",
        queue="sales",
        channel="voice",
        wait_seconds=12.0,
    )
    # One count per refused event (3), by its first problem.
    assert running.stats.rejected_counts() == {
        ("http", "out_of_range"): 1,
        ("http", "not_an_object"): 1,
        ("http", "unknown_field"): 1,
    }


def test_rejections_logged_before_the_source_runs_are_counted_when_it_starts(
    client: FlaskClient, source: HttpEventSource, caplog: pytest.LogCaptureFixture
) -> None:
    client.post("/api/v1/events", json=[contact("ok")], headers=AUTH)
    client.post("/api/v1/events", json=[contact("ok-2"), {"id": "x"}], headers=AUTH)
    with Running(source) as running:
        running.sink.wait_for(2)
    assert running.stats.rejected_counts() == {("http", "missing_field"): 1}
    assert "http: rejected missing_field at batch 2 event 1: type: required field is missing" in (
        caplog.text
    )


def test_a_retried_batch_is_reported_as_duplicates_and_not_delivered_twice(
    client: FlaskClient, source: HttpEventSource
) -> None:
    batch = [contact("e1"), contact("e2"), contact("e2")]
    with Running(source) as running:
        first = client.post("/api/v1/events", json=batch, headers=AUTH).get_json()
        second = client.post("/api/v1/events", json=batch, headers=AUTH).get_json()
        third = client.post("/api/v1/events", json=[contact("e3")], headers=AUTH).get_json()
        delivered = running.sink.wait_for(3)
    # e2 repeated inside the first batch is already a duplicate there.
    assert first == {"accepted": 2, "duplicates": 1, "duplicate_ids": ["e2"], "rejected": []}
    assert second == {
        "accepted": 0,
        "duplicates": 3,
        "duplicate_ids": ["e1", "e2", "e2"],
        "rejected": [],
    }
    assert third["accepted"] == 1
    # e3 arrived after both retries, so nothing of them can still be on its way.
    assert [event.contact_id for event in delivered if isinstance(event, ContactEvent)] == [
        "c-e1",
        "c-e2",
        "c-e3",
    ]
    assert running.stats.read_counts() == {"http": 3}


def test_an_empty_batch_is_fine(client: FlaskClient) -> None:
    response = client.post("/api/v1/events", json=[], headers=AUTH)
    assert response.status_code == 200
    assert response.get_json() == {
        "accepted": 0,
        "duplicates": 0,
        "duplicate_ids": [],
        "rejected": [],
    }


def test_a_journal_that_cannot_store_gets_503_and_nothing_is_accepted(
    client: FlaskClient, journal: EventJournal
) -> None:
    journal.close()
    response = client.post("/api/v1/events", json=[contact("e1")], headers=AUTH)
    assert response.status_code == 503
    assert response.get_json()["error"].startswith("the event journal cannot store events (")
    assert response.get_json()["error"].endswith("); nothing was stored, retry")


# --- the source: replay, hand-off, resilience -------------------------------------------------


def identified(n: int) -> IdentifiedEvent:
    return IdentifiedEvent(
        f"e{n}", ContactEvent(kind=ContactKind.OFFERED, at=float(n), contact_id=f"c{n}")
    )


class GatedSink(CollectingSink):
    """Holds the source still at its ``hold_at``-th event until ``gate`` opens."""

    def __init__(self, hold_at: int) -> None:
        super().__init__()
        self.hold_at = hold_at
        self.holding = threading.Event()
        self.gate = threading.Event()

    def __call__(self, event: Event) -> None:
        super().__call__(event)
        if len(self.events) == self.hold_at:
            self.holding.set()
            assert self.gate.wait(10)


def accept_one_by_one(source: HttpEventSource, first: int, count: int) -> None:
    for n in range(first, first + count):
        source.accept([identified(n)])


def test_events_accepted_during_the_replay_are_delivered_exactly_once(
    source: HttpEventSource,
) -> None:
    source.accept([identified(n) for n in range(2000)])
    sink = GatedSink(hold_at=500)
    writers = [
        threading.Thread(target=accept_one_by_one, args=(source, first, 200))
        for first in (10_000, 20_000, 30_000)
    ]
    with Running(source, sink) as running:
        # The replay is held at its 500th event while three writers accept 600 more.
        assert sink.holding.wait(10)
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()
        sink.gate.set()
        assert source.replay_done.wait(10)
        # Then 200 more arrive live.
        accept_one_by_one(source, 40_000, 200)
        # 2000 before start + 3 x 200 during the replay + 200 live = 2800.
        delivered = running.sink.wait_for(2800)
    counts = Counter(event.at for event in delivered)
    assert len(counts) == 2800
    assert set(counts.values()) == {1}
    # The replay runs until no row is left, so it took the 600 accepted while it ran.
    assert source.replayed == 2600
    assert source.delivered == 2800


def test_a_restarted_source_replays_every_row_once(journal: EventJournal) -> None:
    first = HttpEventSource(journal)
    first.accept([identified(n) for n in range(5)])
    with Running(first) as running:
        running.sink.wait_for(5)
    second = HttpEventSource(journal)
    with Running(second) as running:
        assert second.replay_done.wait(5)
        assert [event.at for event in running.sink.wait_for(5)] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert second.replayed == 5


def test_rows_past_retention_are_pruned_at_start_and_not_replayed(tmp_path: Path) -> None:
    now = [0.0]
    journal = EventJournal(tmp_path / "j.sqlite", retention_seconds=100.0, clock=lambda: now[0])
    source = HttpEventSource(journal)
    source.accept([identified(1)])
    now[0] = 1000.0
    source.accept([identified(2)])
    now[0] = 1050.0  # cutoff 950: e1 (received at 0) is past retention, e2 (at 1000) is not
    with Running(source) as running:
        assert source.replay_done.wait(5)
        assert [event.at for event in running.sink.wait_for(1)] == [2.0]
    assert source.replayed == 1
    assert journaled_ids(journal) == ["e2"]


def test_a_running_source_prunes_delivered_rows_past_retention(tmp_path: Path) -> None:
    now = [0.0]
    journal = EventJournal(tmp_path / "j.sqlite", retention_seconds=100.0, clock=lambda: now[0])
    source = HttpEventSource(journal, prune_interval_seconds=0.0)
    source.accept([identified(1)])
    with Running(source) as running:
        running.sink.wait_for(1)
        now[0] = 1000.0  # cutoff 900: e1 (received at 0) is now past retention
        source.accept([identified(2)])
        running.sink.wait_for(2)
        deadline = time.monotonic() + 5
        while journaled_ids(journal) != ["e2"] and time.monotonic() < deadline:
            time.sleep(0.01)
    assert journaled_ids(journal) == ["e2"]


def test_a_failing_sink_or_a_damaged_row_does_not_stop_the_others(
    journal: EventJournal, caplog: pytest.LogCaptureFixture
) -> None:
    source = HttpEventSource(journal)
    source.accept([identified(1), identified(2)])
    # Rows damaged behind our back (received now, so retention keeps them).
    insert = "INSERT INTO events (event_id, received_at, body) VALUES (?, ?, ?)"
    with sqlite3.connect(journal.path) as other:
        other.execute(insert, ("broken", time.time(), '{"id": 1'))
        other.execute(insert, ("old", time.time(), '{"id": "old"}'))
    source.accept([identified(3)])
    delivered: list[Event] = []

    def sink(event: Event) -> None:
        if event.at == 2.0:
            raise RuntimeError("engine bug")
        delivered.append(event)

    stats = IngestStats()
    stop = threading.Event()
    thread = threading.Thread(target=source.run, args=(sink, stats, stop), daemon=True)
    thread.start()
    assert source.replay_done.wait(5)
    stop.set()
    thread.join(5)
    assert [event.at for event in delivered] == [1.0, 3.0]
    assert stats.rejected_counts() == {
        ("http", "sink_error"): 1,
        ("http", "journal_row_invalid"): 2,
    }
    assert "RuntimeError('engine bug')" in caplog.text
    assert "type: required field is missing" in caplog.text


# --- the rest of the admin app ----------------------------------------------------------------


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_the_index_page_says_whether_events_are_enabled(source: HttpEventSource) -> None:
    enabled = create_app(http_events=source, events_token=TOKEN).test_client().get("/")
    disabled = create_app(http_events=source, events_token=None).test_client().get("/")
    assert enabled.status_code == disabled.status_code == 200
    assert enabled.mimetype == "text/html"
    assert b"HTTP events API (<code>POST /api/v1/events</code>):\n     enabled." in enabled.data
    assert b"disabled (no token configured)" in disabled.data


def test_api_errors_are_json_and_page_errors_are_html(client: FlaskClient) -> None:
    wrong_method = client.get("/api/v1/events")
    assert wrong_method.status_code == 405
    assert wrong_method.get_json() == {
        "error": "method GET is not allowed here; allowed: OPTIONS, POST"
    }
    missing_page = client.get("/no-such-page")
    assert missing_page.status_code == 404
    assert missing_page.mimetype == "text/html"


def test_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPI_TARGETS_EVENTS_TOKEN", "  from-env \n")
    assert load_events_token() == "from-env"
    monkeypatch.setenv("KPI_TARGETS_EVENTS_TOKEN", "   ")
    assert load_events_token() is None
    monkeypatch.delenv("KPI_TARGETS_EVENTS_TOKEN")
    assert load_events_token() is None


def test_token_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPI_TARGETS_EVENTS_TOKEN", "from-env")
    token_file = tmp_path / "token"
    token_file.write_text("from-file\n")
    assert load_events_token(token_file) == "from-file"
    token_file.write_text("\n")
    with pytest.raises(ValueError, match=r"the events token file .*token is empty"):
        load_events_token(token_file)
    with pytest.raises(ValueError, match=r"cannot read the events token file .*missing"):
        load_events_token(tmp_path / "missing")
