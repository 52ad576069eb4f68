"""The exporter's own collectors, scraped at past instants: backfilled series are built by the
same code as the live ``/metrics`` ones (``exporter.collector``), so they are equal by design.

Only the series about the contact center are kept: the KPI families (``kpi_value``,
``kpi_sample_size``, ``kpi_target``, ``kpi_target_met``, ...), the raw counters and ``kpi_info``.
The exporter's self-metrics (events read, reloads, build) describe a running process, not the past.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.metrics_core import Metric

from exporter import names
from exporter.backfill.past_targets import History
from exporter.collector import CatalogCollector, KpiCollector, SnapshotSource
from exporter.targets.model import TargetSet
from exporter.targets.resolve import resolve

_CATALOG_FAMILIES = frozenset({names.KPI_INFO})


class PastScrape:
    """``collect(instant)``: the families ``serve`` would have exposed at ``instant``."""

    def __init__(self, engine: SnapshotSource, history: History | None) -> None:
        self._history = history
        self._instant = 0.0
        self._kpis = KpiCollector(engine, self._targets, resolve, clock=self._clock)
        self._catalog = [
            metric for metric in CatalogCollector().collect() if metric.name in _CATALOG_FAMILIES
        ]

    def _clock(self) -> float:
        return self._instant

    def _targets(self) -> TargetSet | None:
        return self._history.at(self._instant) if self._history is not None else None

    def collect(self, instant: float) -> Iterator[Metric]:
        self._instant = instant
        yield from self._kpis.collect()
        yield from self._catalog
