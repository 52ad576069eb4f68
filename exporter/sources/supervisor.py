"""Sources kept running in ``serve``: one thread per source, fed through a sink that checks each
event's time, hands it to the KPI engine and counts what it refused; a source that fails is
started again after a pause that doubles up to a minute."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from exporter.events import Event
from exporter.limits import FROM_THE_FUTURE, FUTURE_TOLERANCE_SECONDS
from exporter.sources.base import EventSink, IngestStats, Source, SourceClock

# Named as before these lines moved out of exporter.serve: log filters and readers know the name.
log = logging.getLogger("exporter.serve")

# A failed source is started again after a pause: 1 s, doubling up to a minute.
RETRY_FIRST_SECONDS = 1.0
RETRY_MAX_SECONDS = 60.0

# What takes an event in: the engine's ``ingest``, which answers why it refused it, or None.
Ingest = Callable[[Event], str | None]


def start_sources(
    sources: list[Source],
    ingest: Ingest,
    stats: IngestStats,
    source_clock: SourceClock,
    now: Callable[[], float],
    stop: threading.Event,
) -> list[threading.Thread]:
    """One thread per source running it (``run_source``) into ``ingest`` (the engine's) until
    ``stop``."""
    threads = []
    for item in sources:
        sink = counting_sink(item.name, ingest, stats, source_clock, now)
        thread = threading.Thread(
            target=run_source, args=(item, sink, stats, stop), name=f"source-{item.name}"
        )
        thread.start()
        threads.append(thread)
    return threads


def counting_sink(
    name: str,
    ingest: Ingest,
    stats: IngestStats,
    source_clock: SourceClock,
    now: Callable[[], float],
) -> EventSink:
    """Source ``name``'s events into ``ingest``: one further than ``now`` allows in the future is
    refused, every refusal is counted in ``stats``, and each event marks when ``name`` last
    delivered."""
    touch = source_clock.touch
    wall = time.time

    def sink(event: Event) -> None:
        if event.at > now() + FUTURE_TOLERANCE_SECONDS:
            reason: str | None = FROM_THE_FUTURE
        else:
            reason = ingest(event)
        touch(name, wall())
        if reason is not None:
            stats.rejected(name, reason, where=f"event at {event.at:.3f}")

    return sink


def run_source(
    source: Source,
    sink: EventSink,
    stats: IngestStats,
    stop: threading.Event,
    *,
    first_delay: float = RETRY_FIRST_SECONDS,
    max_delay: float = RETRY_MAX_SECONDS,
) -> None:
    """Run ``source`` until ``stop``, starting it again whenever it fails (``stats`` shows it down
    and counts the failure meanwhile). The pause doubles after each failure up to ``max_delay``,
    and starts again from ``first_delay`` after a run that lasted longer than ``max_delay``."""
    delay = first_delay
    while not stop.is_set():
        stats.running(source.name)
        started = time.monotonic()
        try:
            source.run(sink, stats, stop)
        except Exception as error:
            stats.failed(source.name)
            if time.monotonic() - started > max_delay:
                delay = first_delay
            log.error(
                "source %s failed (%s: %s); starting it again in %g s",
                source.name,
                type(error).__name__,
                error,
                delay,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            stop.wait(delay)
            delay = min(delay * 2, max_delay)
            continue
        if not stop.is_set():
            log.info("source %s reached the end of its input", source.name)
        return
