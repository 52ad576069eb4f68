"""``serve`` runs each source under supervision: a source that fails is shown down, counted, and
started again after a pause that doubles; a file source started again skips what it already
delivered, the HTTP source carries on from its journal cursor."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

import pytest

from exporter.events import ContactEvent, ContactKind, Event
from exporter.sources.base import EventSink, IngestStats
from exporter.sources.http_events import HttpEventSource
from exporter.sources.journal import EventJournal
from exporter.sources.queue_log import QueueLogSource
from exporter.sources.supervisor import run_source


class FlakySource:
    """Fails its first ``failures`` runs (after delivering one event each), then delivers one
    event and ends."""

    name = "flaky"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.run_started: list[float] = []

    def run(self, sink: EventSink, stats: IngestStats, stop: threading.Event) -> None:
        self.run_started.append(time.monotonic())
        sink(ContactEvent(ContactKind.OFFERED, float(len(self.run_started)), "c"))
        if len(self.run_started) <= self.failures:
            raise OSError(5, "Input/output error")


def test_a_failing_source_is_shown_down_counted_and_retried_with_doubling_pauses() -> None:
    source = FlakySource(failures=3)
    stats = IngestStats()
    delivered: list[float] = []
    stop = threading.Event()
    threading.Timer(10, stop.set).start()  # a safety net: the source ends long before
    run_source(source, lambda e: delivered.append(e.at), stats, stop, first_delay=0.1)
    stop.set()
    assert delivered == [1.0, 2.0, 3.0, 4.0]
    pauses = [b - a for a, b in zip(source.run_started, source.run_started[1:], strict=False)]
    for pause, wanted in zip(pauses, [0.1, 0.2, 0.4], strict=True):
        assert wanted <= pause < wanted + 0.5  # no sooner; later only by a busy machine
    assert stats.health() == {"flaky": (True, 3)}  # up again after its last start


def test_a_source_down_between_retries_shows_as_down() -> None:
    source = FlakySource(failures=1)
    stats = IngestStats()
    stop = threading.Event()
    thread = threading.Thread(
        target=run_source, args=(source, lambda e: None, stats, stop), kwargs={"first_delay": 5}
    )
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while stats.health().get("flaky") != (False, 1):
            assert time.monotonic() < deadline, stats.health()
            time.sleep(0.01)
    finally:
        stop.set()  # also ends the pause: stopping never waits for a retry
        thread.join(2)
    assert not thread.is_alive()
    assert len(source.run_started) == 1


def test_a_file_source_started_again_does_not_deliver_twice(tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    path.write_text("".join(f"{1000 + n}|c{n}|sales|NONE|ENTERQUEUE||555|1\n" for n in range(4)))
    source = QueueLogSource(path)
    delivered: list[Event] = []

    def fail_at_the_third(event: Event) -> None:
        delivered.append(event)
        if len(delivered) == 3 and not hasattr(fail_at_the_third, "failed"):
            fail_at_the_third.failed = True  # type: ignore[attr-defined]
            raise SystemExit  # not an Exception: stops the run, as a crash of the source would

    stats = IngestStats()
    with contextlib.suppress(SystemExit):
        source.run(fail_at_the_third, stats, threading.Event())
    source.run(delivered.append, stats, threading.Event())
    assert [event.at for event in delivered] == [1000.0, 1001.0, 1002.0, 1003.0]


def test_the_http_source_started_again_carries_on_from_its_cursor(tmp_path: Path) -> None:
    from exporter.sources.event_json import parse_event

    journal = EventJournal(tmp_path / "j.sqlite3")
    source = HttpEventSource(journal)
    events = [
        parse_event(
            {
                "type": "contact",
                "id": f"e{n}",
                "kind": "offered",
                "at": 1000 + n,
                "contact_id": f"c{n}",
            }
        )
        for n in range(3)
    ]
    source.accept(events[:2])  # type: ignore[arg-type]
    delivered: list[float] = []
    stop = threading.Event()

    def sink(event: Event) -> None:
        delivered.append(event.at)
        if len(delivered) == 2:
            stop.set()

    source.run(sink, IngestStats(), stop)
    source.accept(events[2:])  # type: ignore[arg-type]
    again = threading.Event()

    def sink_again(event: Event) -> None:
        delivered.append(event.at)
        again.set()

    thread = threading.Thread(target=source.run, args=(sink_again, IngestStats(), again))
    thread.start()
    thread.join(5)
    assert delivered == [1000.0, 1001.0, 1002.0]
    journal.close()


def test_a_followed_path_that_cannot_be_opened_is_waited_for_and_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "queue_log"
    path.mkdir()  # a directory where the file should be: open() fails with EISDIR
    source = QueueLogSource(path, follow=True, poll_interval=0.02)
    delivered: list[float] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=source.run, args=(lambda e: delivered.append(e.at), IngestStats(), stop)
    )
    thread.start()
    try:
        time.sleep(0.3)  # about 15 polls of the directory
        path.rmdir()
        path.write_text("1000|c1|sales|NONE|ENTERQUEUE||555|1\n")
        deadline = time.monotonic() + 5
        while not delivered:
            assert time.monotonic() < deadline and thread.is_alive()
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(5)
    assert delivered == [1000.0]
    warnings = [r.getMessage() for r in caplog.records if "cannot open" in r.getMessage()]
    assert warnings == [f"cannot open {path} (Is a directory): waiting until it can be read"]
