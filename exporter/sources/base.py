"""What every source shares: how it hands events on and how it reports what it read and refused."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Protocol

from exporter.events import Event

log = logging.getLogger(__name__)

EventSink = Callable[[Event], None]


class IngestStats:
    """Thread-safe tallies of events read and rejected, by source (and reason), for self-metrics."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._read: Counter[str] = Counter()
        self._rejected: Counter[tuple[str, str]] = Counter()

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

    def run(self, sink: EventSink, stats: IngestStats, stop: threading.Event) -> None:
        for event in self.events(stats, stop):
            sink(event)
