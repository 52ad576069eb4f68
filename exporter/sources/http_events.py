"""Events pushed over HTTP: journaled on acceptance, then fed to the engine from the journal.

The journal is also the queue. ``accept`` (called by the HTTP handler threads) commits events to
the journal and wakes the source; ``run`` (the source's own thread) delivers every journal row
after its cursor, in journal order. A new source starts its cursor at 0, so its first ``run``
replays every retained row, then keeps delivering new ones: an event accepted while the replay is
under way is simply a row after the cursor, so none is lost nor delivered twice, and the sink is
only ever called from the source's thread. A ``run`` started again after a failure carries on
from the cursor.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from exporter.sources.base import EventSink, IngestStats
from exporter.sources.event_json import (
    IdentifiedEvent,
    event_to_json,
    parse_event,
)
from exporter.sources.journal import EventJournal

log = logging.getLogger(__name__)

SOURCE_NAME = "http"
TOKEN_ENVIRONMENT_VARIABLE = "KPI_TARGETS_EVENTS_TOKEN"
DEFAULT_PRUNE_INTERVAL_SECONDS = 600.0
# How often ``run`` looks at its stop event while no event arrives.
_IDLE_WAKE_SECONDS = 0.5
_DELIVERY_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class AcceptResult:
    accepted: int
    duplicate_ids: list[str] = field(default_factory=list)


class HttpEventSource:
    """The Source for HTTP events (see the module docstring for the hand-off)."""

    name = SOURCE_NAME

    def __init__(
        self,
        journal: EventJournal,
        *,
        prune_interval_seconds: float = DEFAULT_PRUNE_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.journal = journal
        self.clock = clock  # the exporter's now: events stamped too far after it are refused
        self._prune_interval = prune_interval_seconds
        self._wake = threading.Condition()
        self._pending = False  # set by accept under _wake, so a wake-up is never missed
        self._stats: IngestStats | None = None
        # Rejections counted before run() handed us the stats: flushed into them on start.
        self._early_rejections: list[tuple[str, str, str]] = []
        self._batches = 0
        self._cursor = 0  # the journal row delivered last
        self.replay_done = threading.Event()
        self.replayed = 0
        self.delivered = 0

    def accept(self, events: Sequence[IdentifiedEvent]) -> AcceptResult:
        """Journal ``events`` (one durable transaction) and wake ``run``. Events whose id is
        already journaled are reported as duplicates and not delivered again."""
        if not events:
            return AcceptResult(accepted=0)
        bodies = [
            (item.event_id, json.dumps(event_to_json(item), separators=(",", ":")))
            for item in events
        ]
        stored = self.journal.append(bodies)
        duplicates = [item.event_id for item, new in zip(events, stored, strict=True) if not new]
        accepted = len(events) - len(duplicates)
        if accepted:
            with self._wake:
                self._pending = True
                self._wake.notify_all()
        return AcceptResult(accepted=accepted, duplicate_ids=duplicates)

    def next_batch_number(self) -> int:
        """Numbers the batches received since start, for ``where`` in rejection logs."""
        with self._wake:
            self._batches += 1
            return self._batches

    def reject(self, reason: str, where: str, detail: str = "") -> None:
        """Count a refused event in the ingest stats (thread-safe; before ``run`` too)."""
        with self._wake:
            stats = self._stats
            if stats is None:
                self._early_rejections.append((reason, where, detail))
                return
        stats.rejected(SOURCE_NAME, reason, where=where, detail=detail)

    def run(self, sink: EventSink, stats: IngestStats, stop: threading.Event) -> None:
        with self._wake:
            self._stats = stats
            early, self._early_rejections = self._early_rejections, []
        for reason, where, detail in early:
            stats.rejected(SOURCE_NAME, reason, where=where, detail=detail)
        pruned = self.journal.prune()
        if pruned:
            log.info("event journal %s: pruned %d rows past retention", self.journal.path, pruned)
        cursor = self._deliver_all(self._cursor, sink, stats, stop)
        if not self.replay_done.is_set():
            self.replayed = self.delivered
            self.replay_done.set()
            log.info("event journal %s: replayed %d events", self.journal.path, self.replayed)
        last_prune = time.monotonic()
        while not stop.is_set():
            with self._wake:
                if not self._pending:
                    self._wake.wait(_IDLE_WAKE_SECONDS)
                self._pending = False
            cursor = self._deliver_all(cursor, sink, stats, stop)
            if time.monotonic() - last_prune >= self._prune_interval:
                last_prune = time.monotonic()
                self.journal.prune(up_to_seq=cursor)

    def _deliver_all(
        self, cursor: int, sink: EventSink, stats: IngestStats, stop: threading.Event
    ) -> int:
        while not stop.is_set():
            entries = self.journal.entries_after(cursor, _DELIVERY_CHUNK)
            if not entries:
                break
            for entry in entries:
                cursor = self._cursor = entry.seq
                where = f"journal {self.journal.path} row {entry.seq}"
                try:
                    parsed = parse_event(json.loads(entry.body))
                except json.JSONDecodeError as error:
                    stats.rejected(
                        SOURCE_NAME, "journal_row_invalid", where=where, detail=str(error)
                    )
                    continue
                if not isinstance(parsed, IdentifiedEvent):
                    detail = "; ".join(f"{e.field}: {e.message}" for e in parsed)
                    stats.rejected(SOURCE_NAME, "journal_row_invalid", where=where, detail=detail)
                    continue
                stats.read(SOURCE_NAME)
                self.delivered += 1
                try:
                    sink(parsed.event)
                except Exception as error:
                    # One event the engine chokes on must not stop every later one.
                    log.exception("http: the sink failed on %s", where)
                    stats.rejected(SOURCE_NAME, "sink_error", where=where, detail=repr(error))
        return cursor


def load_events_token(token_file: Path | None = None) -> str | None:
    """The bearer token for ``POST /api/v1/events``: from ``token_file`` when given, else from
    ``$KPI_TARGETS_EVENTS_TOKEN``; None (the endpoint stays disabled) when neither has one."""
    if token_file is not None:
        try:
            text = token_file.read_text(encoding="utf-8")
        except OSError as error:
            raise ValueError(f"cannot read the events token file {token_file}: {error}") from error
        token = text.strip()
        if not token:
            raise ValueError(f"the events token file {token_file} is empty")
        return token
    token = os.environ.get(TOKEN_ENVIRONMENT_VARIABLE, "").strip()
    return token or None
