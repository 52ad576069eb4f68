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


def step_through(
    events: Iterable[Event],
    ingest: Callable[[Event], str | None],
    sample: Callable[[float], None],
    *,
    start: float,
    end: float,
    step: float,
) -> Tally:
    """Feed ``events`` to ``ingest`` and call ``sample(t)`` at each step instant (see above)."""
    tally = Tally()
    refused = tally.refused
    counted = 0
    index = 0
    next_at = start
    for event in events:
        at = event.at
        if at > next_at:
            while at > next_at and next_at <= end:
                sample(next_at)
                index += 1
                next_at = start + index * step
            if next_at > end:
                break  # the rest is after ``end``
        reason = ingest(event)
        if reason is None:
            counted += 1
        else:
            refused[reason] += 1
    while next_at <= end:
        sample(next_at)
        index += 1
        next_at = start + index * step
    tally.counted = counted
    tally.steps = index
    return tally
