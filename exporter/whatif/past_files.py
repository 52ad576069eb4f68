"""The past from contact data files: each closed hour's value per scope, by the engine of
``replay`` and ``backfill``.

The files are fed through ``exporter.backfill.feed.Feed`` into a ``KpiEngine`` exactly as
``backfill`` feeds them, stepping every quarter hour (every local hour in any time zone starts on
one) and taking, at each local hour's end, the engine's last closed period: the hour's values as
``kpi_value`` had them at its last instant, what ``kpi_last_period_value`` publishes and
``replay --at HH:59:59.999`` prints.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from exporter.backfill.feed import Feed, feed_sources
from exporter.engine import KpiEngine
from exporter.engine.clock import LocalHours
from exporter.scope import Scope
from exporter.sources.base import IngestStats
from exporter.sources.queue_log import QueueLogSource
from exporter.sources.records import RecordsSource
from exporter.whatif.score import HourValue

QUARTER_HOUR = 900.0


@dataclass(slots=True)
class FileHistory:
    """Per KPI, per scope, per hour start: the closed hours of ``[start, end)`` read."""

    by_kpi: dict[str, dict[Scope, dict[float, HourValue]]] = field(default_factory=dict)
    hours: int = 0  # closed hours taken
    counted: int = 0  # events counted
    stats: IngestStats = field(default_factory=IngestStats)
    feed: Feed | None = None


def closed_hours(
    engine: KpiEngine,
    sources: Sequence[QueueLogSource | RecordsSource],
    kpis: Iterable[str],
    *,
    start: float,
    end: float,
) -> FileHistory:
    """The closed local hours ending in ``(start, end]`` and starting at or after ``start``, of
    ``kpis``, from every event of ``sources`` (those before ``start`` too: the engine needs
    them)."""
    wanted = frozenset(kpis)
    found = FileHistory(by_kpi={kpi: {} for kpi in wanted})
    hours = LocalHours(engine.config.timezone)

    def sample(at: float) -> None:
        if hours.bounds(at)[0] != at:
            return  # not a local hour's start, so no hour ended here
        period = engine.snapshot(at).last_period
        if period is None or period.end != at or period.start < start:
            return
        found.hours += 1
        for kpi_sample in period.kpis:
            scopes = found.by_kpi.get(kpi_sample.kpi)
            if scopes is not None:
                scopes.setdefault(kpi_sample.labels, {})[period.start] = HourValue(
                    kpi_sample.value, kpi_sample.sample_size
                )

    first = math.floor(start / QUARTER_HOUR) * QUARTER_HOUR
    feed = Feed(engine, start=first, end=end, step=QUARTER_HOUR, sample=sample)
    feed_sources(sources, feed, found.stats)
    found.counted = feed.counted
    found.feed = feed
    return found
