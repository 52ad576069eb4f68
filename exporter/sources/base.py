"""What every source shares: how it hands events on and how it reports what it read and refused."""

from __future__ import annotations

import csv
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Protocol

from exporter.events import Event

log = logging.getLogger(__name__)

EventSink = Callable[[Event], None]

# The rejection reason of a line or event that raised an error no check foresaw.
UNREADABLE = "unreadable"


def split_csv(text: str) -> list[str]:
    """The fields of one CSV line; ``ValueError`` saying why the csv module refused it (a lone
    carriage return inside the line is the usual one)."""
    try:
        return next(csv.reader([text]), [])
    except csv.Error as error:
        if "\r" in text:
            raise ValueError("a carriage return (\\r) inside the line, not at its end") from None
        raise ValueError(f"not a CSV line: {error}") from None


class SourceClock:
    """When each source last handed over an event (wall-clock, Unix seconds); thread-safe enough
    for its use: one writer per source, and a float assignment is atomic in CPython."""

    def __init__(self) -> None:
        self._last: dict[str, float] = {}

    def touch(self, source: str, at: float) -> None:
        self._last[source] = at

    def last_event_times(self) -> dict[str, float]:
        return dict(self._last)


class IngestStats:
    """Thread-safe tallies of events read and rejected, by source (and reason), and each source's
    health (up or failed, failures so far), for self-metrics."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._read: Counter[str] = Counter()
        self._rejected: Counter[tuple[str, str]] = Counter()
        self._up: dict[str, bool] = {}
        self._failures: Counter[str] = Counter()

    def read(self, source: str, count: int = 1) -> None:
        with self._lock:
            self._read[source] += count

    def rejected(self, source: str, reason: str, where: str = "", detail: str = "") -> None:
        """Count a refused line or event, and log where it was and why."""
        with self._lock:
            self._rejected[(source, reason)] += 1
        log.warning(
            "%s: rejected %s%s%s",
            source,
            reason,
            f" at {where}" if where else "",
            f": {detail}" if detail else "",
        )

    @staticmethod
    def refused_event(source: str, reason: str, where: str) -> None:
        """Log where an event the KPI engine refused (and counts itself) came from."""
        log.warning("%s: event refused by the engine, %s, at %s", source, reason, where)

    def unforeseen(self, source: str, where: str, error: Exception) -> None:
        """Count a line that raised an error no parser check foresaw (a bug, logged with its
        traceback at debug level) as rejected, reason ``unreadable``, so reading goes on."""
        log.debug("%s: unforeseen error at %s", source, where, exc_info=error)
        self.rejected(source, UNREADABLE, where, f"{type(error).__name__}: {str(error)[:200]}")

    def running(self, source: str) -> None:
        """The source is (again) reading its input."""
        with self._lock:
            self._up[source] = True

    def failed(self, source: str) -> None:
        """The source stopped with an error (it is retried after a pause)."""
        with self._lock:
            self._up[source] = False
            self._failures[source] += 1

    def health(self) -> dict[str, tuple[bool, int]]:
        """Per source that has run: whether it is up, and how often it failed."""
        with self._lock:
            return {name: (up, self._failures[name]) for name, up in self._up.items()}

    def read_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._read)

    def rejected_counts(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._rejected)


class Source(Protocol):
    """A running source: ``run`` feeds ``sink`` until ``stop`` is set (or, when not following a
    live input, until the input ends)."""

    name: str

    def run(self, sink: EventSink, stats: IngestStats, stop: threading.Event) -> None: ...


class EventStream:
    """A source whose input is read as one stream of events (a file, read once or followed).

    Subclasses give ``events(stats, stop)``; iterating the source reads it once (as ``replay``
    does), and ``run`` hands every event to a sink (as ``serve`` does).
    """

    name: str

    def events(self, stats: IngestStats, stop: threading.Event | None = None) -> Iterator[Event]:
        raise NotImplementedError

    def __iter__(self) -> Iterator[Event]:
        return self.events(IngestStats())

    # Events handed to a sink by earlier runs: a run after a failure reads the input again from
    # its start and skips that many, so what was delivered is not counted twice.
    delivered = 0

    def run(self, sink: EventSink, stats: IngestStats, stop: threading.Event) -> None:
        skip = self.delivered
        for event in self.events(stats, stop):
            if skip:
                skip -= 1
                continue
            self.delivered += 1
            try:
                sink(event)
            except Exception as error:  # one event the engine chokes on must not stop the rest
                stats.unforeseen(self.name, f"event at {event.at!r}", error)
