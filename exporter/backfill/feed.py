"""Past contact data into the KPI engine in time order, stepping through instants on the way
(``replay``, ``backfill``).

A step at instant ``t`` is sampled once every event stamped at or before ``t`` has been counted
(what ``kpi-targets replay --at t`` counts), and before any later one: events reach the engine as
they would have reached a running exporter. Steps run from ``start`` to ``end`` inclusive, at
``start + k * step``; events before ``start`` are counted too (the hour in progress at ``start``
and the counters need them). Events after ``end`` are left out: ``replay`` reads on and counts
them (``later``), ``backfill`` stops reading. A file is read in the order it was written, as a
running exporter reads it: once a line stamped after ``end`` is met, the lines after it were
written after ``end`` too and are left out, whatever their stamp (a late line stamped before
``end`` would have reached the exporter after ``end``). So ``replay --at t`` counts what the
sample of ``backfill`` at ``t`` counts, out-of-order lines included, and an event too far behind
the newest one read is refused as ``too_old`` by both.

The engine's refusals are collected in ``refusals`` as they happen, for the source to report
each with the place of its line (``QueueLogSource.feed``).

``Feed`` is an ``EventReceiver``: a queue_log source hands it each event by its fields, without
an Event object, straight to ``KpiEngine.count_contact``; other sources, and several sources at
once (merged in time order), hand it Event objects (``Feed.event``). Nothing else uses the engine
meanwhile, so nothing takes its lock.
"""

from __future__ import annotations

import heapq
import math
import operator
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence

from exporter.backfill.progress import Progress
from exporter.engine import KpiEngine
from exporter.events import AgentState, ContactFields, Event, StopFeeding
from exporter.sources.base import IngestStats
from exporter.sources.queue_log import QueueLogSource
from exporter.sources.records import RecordsSource

# Without samples to take (replay), steps are an hour of data apart: when the progress line moves.
REPLAY_STEP_SECONDS = 3600.0


class _LeftOut:
    """Receives the events after ``end`` that ``replay`` reads on past: it only counts them."""

    def __init__(self) -> None:
        self.count = 0

    def contact(self, *fields: *ContactFields) -> None:
        *_, new_agent_state = fields  # two events when the agent's new state comes along
        self.count += 1 if new_agent_state is None else 2

    def agent_state(self, at: float, agent: str, state: AgentState, team: str, queue: str) -> None:
        self.count += 1


class Feed:
    """Counts events into ``engine`` and calls ``sample(t)`` at each step instant ``t``.

    Its ``contact`` and ``agent_state`` are the engine's own ``count_contact`` and
    ``count_agent_state``: nothing stands between a source's interpreter and the engine. A
    source that reads a whole file (``QueueLogSource.feed``) uses the feed as its ``Stepper``
    too, so the steps are checked once per line, not per event."""

    def __init__(
        self,
        engine: KpiEngine,
        *,
        start: float,
        end: float,
        step: float,
        sample: Callable[[float], None] | None = None,
        read_past_end: bool = False,
        progress: Progress | None = None,
    ) -> None:
        self.steps = 0  # sampled so far
        self.past_end = _LeftOut()
        self.contact = engine.count_contact
        self.agent_state = engine.count_agent_state
        self.refusals: list[str] = []  # reasons of the engine's refusals not yet reported
        engine.on_refused = self.refusals.append
        self._engine = engine
        self._counted_before = engine.counted
        self._refused_before = Counter(engine.refused)
        self._start, self._end, self._step = start, end, step
        self._sample = sample
        self._read_past_end = read_past_end
        self._progress = progress
        self._index = 0
        self._next_step = start
        self._ended = False  # a line stamped after ``end`` was met (``read_past_end``)
        self._after_end = 0
        self.watch = min(start, end)  # an event after this instant goes through ``reach``

    @classmethod
    def until(cls, engine: KpiEngine, at: float, progress: Progress | None = None) -> Feed:
        """What ``replay --at`` counts: every event at or before ``at``; later ones are counted
        in ``later``. Steps fall on ``at`` minus whole hours, for the progress line."""
        return cls(
            engine,
            start=math.fmod(at, REPLAY_STEP_SECONDS),
            end=at,
            step=REPLAY_STEP_SECONDS,
            read_past_end=True,
            progress=progress,
        )

    @property
    def counted(self) -> int:
        return self._engine.counted - self._counted_before

    @property
    def refused(self) -> Counter[str]:
        """By the engine, by reason."""
        return self._engine.refused - self._refused_before

    @property
    def later(self) -> int:
        """Events after ``end``, left out (``read_past_end``)."""
        return self.past_end.count

    @property
    def events(self) -> int:
        """Events received so far: counted, refused or left out."""
        return self.counted + self.later + sum(self.refused.values())

    def event(self, event: Event) -> None:
        """Count an Event object (sources other than one queue_log)."""
        at = event.at
        if at > self.watch:
            self.watch = self.reach(at)
            if at > self.watch:
                self.past_end.count += 1
                return
        self._engine.count(event)

    def finish(self) -> None:
        """Sample the steps no event went past (the data ended before ``end``)."""
        if not self._ended:
            self._step_to(math.inf)

    def reach(self, at: float) -> float:
        """Take the steps before ``at``; the new watch, before ``at`` only when ``at`` is after
        ``end``. Raises ``StopFeeding`` then, unless ``read_past_end``."""
        if self._ended:  # every line after the first one past ``end`` comes here
            self._after_end += 1
            if self._progress is not None and self._after_end % 1024 == 0:
                self._progress.update(self.events, at)
            return self.watch
        self._step_to(at)
        if self._progress is not None:
            self._progress.update(self.events, at)
        if at > self._end:
            if not self._read_past_end:
                raise StopFeeding
            # Written after ``end``: so is every line after it (see the module docstring).
            self._ended = True
            self.watch = -math.inf
        return self.watch

    def _step_to(self, at: float) -> None:
        """Take every step before ``at``."""
        if self._sample is None:
            # Nothing to sample: straight to the first step at or after ``at`` (or past the end).
            if self._next_step <= self._end:
                behind = min(at, self._end + self._step) - self._start
                self._index = max(self._index, math.ceil(behind / self._step))
                self._next_step = self._start + self._index * self._step
        else:
            while at > self._next_step and self._next_step <= self._end:
                self._sample(self._next_step)
                self.steps += 1
                self._index += 1
                self._next_step = self._start + self._index * self._step
        self.watch = min(self._next_step, self._end)


def feed_sources(
    sources: Sequence[QueueLogSource | RecordsSource], feed: Feed, stats: IngestStats
) -> None:
    """Every event of ``sources`` into ``feed``, in time order, then its last steps. One
    queue_log hands its events by their fields; several sources are merged as Event objects."""
    try:
        if len(sources) == 1 and isinstance(sources[0], QueueLogSource):
            sources[0].feed(feed, stats, feed)
        else:
            for event in merged(source.events(stats) for source in sources):
                feed.event(event)
    except StopFeeding:
        pass
    feed.finish()


def merged(streams: Iterable[Iterator[Event]]) -> Iterator[Event]:
    """Several time-ordered event streams as one, in time order."""
    streams = list(streams)
    if len(streams) == 1:
        return streams[0]
    return heapq.merge(*streams, key=operator.attrgetter("at"))
