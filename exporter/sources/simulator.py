"""The built-in contact-center simulator: the embedded default source of ``kpi-targets serve``.

``simulate(config, until)`` yields the events as fast as possible (benchmarks, fixtures, tests);
``SimulatorSource`` implements the Source protocol. In real time it anchors simulated time to the
wall clock: the simulation starts "now" and each event is handed on when its time comes, ``speed``
simulated seconds per wall second. The model itself lives in ``simulation`` (the discrete-event
core) and ``center`` (what is simulated, with the defaults).
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections.abc import Callable

from exporter.simulator.center import SimulatorConfig, default_config
from exporter.simulator.simulation import simulate
from exporter.sources.base import EventSink, IngestStats

SOURCE_NAME = "simulator"
# Longest single sleep while waiting for an event's time: bounds how late a stop is noticed.
_MAX_SLEEP_SECONDS = 0.2
_DAY_SECONDS = 86400.0


class SimulatorSource:
    """The simulator as a Source.

    - ``realtime=True``: starts at the wall clock's now (``config.start`` is replaced), minus
      ``backfill_seconds`` of history that is handed on at once (so Hourly KPIs have data from the
      first scrape); then each event at ``now + (event time - now) / speed``; runs until ``stop``.
      With ``speed > 1`` event times run ahead of the wall clock.
    - ``realtime=False``: from ``config.start`` to ``until`` (default one simulated day) as fast
      as possible, then returns.
    """

    name = SOURCE_NAME

    def __init__(
        self,
        config: SimulatorConfig | None = None,
        *,
        realtime: bool = True,
        speed: float = 1.0,
        backfill_seconds: float = 0.0,
        until: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not speed > 0:
            raise ValueError(f"simulator speed must be > 0, got {speed}")
        if backfill_seconds < 0:
            raise ValueError(f"backfill_seconds must be >= 0, got {backfill_seconds}")
        self.config = config if config is not None else default_config()
        self.realtime = realtime
        self.speed = speed
        self.backfill_seconds = backfill_seconds
        self.until = until
        self._clock = clock

    def known_scopes(self) -> list[dict[str, str]]:
        """The queues, agents and campaigns simulated, for counters at 0 from the first scrape."""
        channels = {queue.name: str(queue.channel) for queue in self.config.queues}
        scopes = [{"queue": name, "channel": channel} for name, channel in channels.items()]
        for team in self.config.teams:
            for agent in team.agent_names:
                for queue in team.queues:
                    labels = {"queue": queue, "channel": channels[queue]}
                    scopes.append({**labels, "team": team.name, "agent": agent})
        scopes.extend({"campaign": campaign.name} for campaign in self.config.campaigns)
        return scopes

    def run(self, sink: EventSink, stats: IngestStats, stop: threading.Event) -> None:
        if self.realtime:
            self._run_realtime(sink, stats, stop)
            return
        until = self.until if self.until is not None else self.config.start + _DAY_SECONDS
        for event in simulate(self.config, until):
            if stop.is_set():
                return
            sink(event)
            stats.read(SOURCE_NAME)

    def _run_realtime(self, sink: EventSink, stats: IngestStats, stop: threading.Event) -> None:
        anchor = self._clock()
        config = dataclasses.replace(self.config, start=anchor - self.backfill_seconds)
        until = self.until if self.until is not None else math.inf
        for event in simulate(config, until):
            due = anchor + (event.at - anchor) / self.speed
            while (delay := due - self._clock()) > 0:
                if stop.wait(min(delay, _MAX_SLEEP_SECONDS)):
                    return
            if stop.is_set():
                return
            sink(event)
            stats.read(SOURCE_NAME)
