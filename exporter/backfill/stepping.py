"""Stepping through past contact data: the events go to the KPI engine in time order, and at each
step instant the series ``serve`` would have exposed then are sampled.

A step at instant ``t`` is sampled once every event stamped at or before ``t`` has been counted
(what ``kpi-targets replay --at t`` counts), and before any later one: events reach the engine as
they would have reached a running exporter. Steps run from ``start`` to ``end`` inclusive, at
``start + k * step``; events before ``start`` are counted too (the hour in progress at ``start``
and the counters need them), events after ``end`` are not read.
"""

from __future__ import annotations

import heapq
import operator
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from exporter.events import Event


@dataclass
class Tally:
    """What went where, for the summary."""

    counted: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # by the engine, by reason
    steps: int = 0


def merged(streams: Iterable[Iterator[Event]]) -> Iterator[Event]:
    """Several time-ordered event streams as one, in time order."""
    streams = list(streams)
    if len(streams) == 1:
        return streams[0]
    return heapq.merge(*streams, key=operator.attrgetter("at"))


# Events handed to the engine at once: its lock is taken once per batch, not per event. Small
# batches do as well as large ones and let fewer events outlive a young-generation collection.
BATCH = 64

IngestMany = Callable[[list[Event], Counter[str]], int]


def step_through(
    events: Iterable[Event],
    ingest_many: IngestMany,
    sample: Callable[[float], None],
    *,
    start: float,
    end: float,
    step: float,
) -> Tally:
    """Feed ``events`` to the engine (``KpiEngine.ingest_many``) in batches and call
    ``sample(t)`` at each step instant (see above)."""
    tally = Tally()
    refused = tally.refused
    batch: list[Event] = []
    index = 0
    next_at = start
    for event in events:
        at = event.at
        if at > next_at:
            if batch:
                tally.counted += ingest_many(batch, refused)
                batch = []
            while at > next_at and next_at <= end:
                sample(next_at)
                index += 1
                next_at = start + index * step
            if next_at > end:
                break  # the rest is after ``end``
        batch.append(event)
        if len(batch) >= BATCH:
            tally.counted += ingest_many(batch, refused)
            batch = []
    if batch:
        tally.counted += ingest_many(batch, refused)
    while next_at <= end:
        sample(next_at)
        index += 1
        next_at = start + index * step
    tally.steps = index
    return tally
