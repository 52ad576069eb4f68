"""The closed-period series: the last clock hour that ended, judged, and the hours counted.

For every Hourly KPI eligible for targets and every scope it is published for::

    kpi_last_period_value{kpi="service_level_ratio",level="channel",channel="voice"} 0.84
    kpi_last_period_target{kpi=...,level=...,quantifier="or_more",<scope>} 0.8
    kpi_last_period_met{kpi=...,level=...,<scope>} 1
    kpi_target_periods_total{kpi=...,level=...,<scope>,result="met"} 17

``kpi_last_period_*`` are the last hour that ended (``EngineSnapshot.last_period``: the value
``kpi_value`` had at the hour's last instant), present for the whole next hour, and only when a
target judged it and it has a value. The target is chosen by ``exporter.targets.periods`` (the
judging rule, shared with backfill and the what-if); ``met`` compares the value with it, whatever
the volume. ``kpi_target_periods_total`` counts the judged hours by ``result`` (met, missed,
low_volume, no_data); hours that no target judged (not set, off duty, closed) count nowhere.
Every result exists at 0 from the scrape that first sees a series of the scope, so ``increase()``
sees the first hour counted.

**Counting once, restarts.** An hour is judged once, at the first scrape after it ended (with the
targets in force then), and counted only when it ended after the collector's first scrape: the
exporter's start for ``serve``, ``--from`` for ``backfill``. An hour that ended before the start
is published (its ``kpi_last_period_*``, e.g. from data ``serve`` re-read at start) but never
counted, since the run before may have counted it already: a restart starts the counters at 0,
which ``increase()`` reads as a counter reset, and can never count an hour twice. The price: the
hours that end while the exporter is down are counted by nobody (backfill them). The counters
live in the process, like the raw counters: summing over exporters and restarts is Prometheus'.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime

from prometheus_client.metrics_core import Metric
from prometheus_client.samples import Sample

from exporter import names, presentation
from exporter.catalog import CATALOG, Family, Kpi, level_of
from exporter.engine.types import ClosedPeriod
from exporter.scope import Scope
from exporter.targets.model import TargetSet
from exporter.targets.periods import (
    PeriodJudge,
    PeriodResult,
    SeriesTargets,
    periods_judged,
    result_of,
)

LAST_PERIOD_VALUE_HELP = (
    "The value of the last closed period (clock hour) of an Hourly KPI, as kpi_value was at its "
    "last instant; present for the whole next period while a target judged it."
)
LAST_PERIOD_TARGET_HELP = (
    "The target that judged the last closed period (the one in force at its last on-duty minute)."
)
LAST_PERIOD_MET_HELP = (
    "1 when kpi_last_period_value achieves kpi_last_period_target (equality is achieved), else 0."
)
TARGET_PERIODS_HELP = (
    "Closed periods judged by a target, by result: met, missed, low_volume (fewer contacts than "
    "the KPI's alert minimum) or no_data; off-duty and closed periods are not counted."
)

_RESULTS = tuple(PeriodResult)
_INDEX = {result: index for index, result in enumerate(_RESULTS)}

Resolver = Callable[[TargetSet, datetime], SeriesTargets]


class _Counted:
    """One scope of one KPI: its labels, and its periods counted per result."""

    __slots__ = ("by_result", "counts", "key", "labels", "scope")

    def __init__(self, key: tuple[str, Scope], labels: dict[str, str]) -> None:
        self.key = key
        self.scope = dict(key[1])
        self.labels = labels
        self.by_result = [{**labels, names.RESULT: str(result)} for result in _RESULTS]
        self.counts = [0.0] * len(_RESULTS)


def series_labels(kpi: str, scope: Scope) -> dict[str, str]:
    """The labels of a KPI series of ``scope``: kpi, level and the scope's own."""
    return {names.KPI: kpi, names.LEVEL: level_of(dict(scope)), **dict(scope)}


def _new(name: str, labels: dict[str, str], value: float) -> Sample:
    return tuple.__new__(Sample, (name, labels, value, None, None, None))  # type: ignore[type-var]


class ClosedPeriods:
    """Judges each closed hour once and keeps the counters; ``families`` at every scrape.

    Scrapes may overlap (Prometheus and someone's curl): a lock makes one of them judge the hour
    and the other see it judged, so no hour is counted twice."""

    def __init__(self, catalog: Iterable[Kpi] = CATALOG) -> None:
        # The KPIs judged, with their alert minimum sample.
        self._minimum: dict[str, float | None] = {
            kpi.name: presentation.of(kpi.name).min_sample_size for kpi in periods_judged(catalog)
        }
        self._born: float | None = None
        self._judged: tuple[float, float] | None = None
        self._last: tuple[list[Sample], list[Sample], list[Sample]] = ([], [], [])
        self._counted: dict[tuple[str, Scope], _Counted] = {}
        self._counter_samples: list[Sample] | None = None  # rebuilt when a count changes
        self._order: list[_Counted] | None = None  # by KPI (catalog order), then scope
        self._lock = threading.Lock()
        # Per family, the judged KPIs and the label sets each is published for (declared scopes).
        self._by_family: dict[Family, list[tuple[str, frozenset[tuple[str, ...]]]]] = {}
        for kpi in periods_judged(catalog):
            label_sets = frozenset(tuple(sorted(labels)) for labels in kpi.scopes)
            self._by_family.setdefault(kpi.family, []).append((kpi.name, label_sets))
        self._declared: frozenset[tuple[Family, Scope]] = frozenset()

    def know(self, kpi: str, scope: Scope, labels: dict[str, str]) -> None:
        """A series of ``kpi`` exists for ``scope`` (``labels``: kpi, level and the scope): its
        periods are counted from now on, every result at 0 until then."""
        if (kpi, scope) not in self._counted and kpi in self._minimum:
            with self._lock:
                self._know(kpi, scope, labels)

    def _know(self, kpi: str, scope: Scope, labels: dict[str, str]) -> None:
        if (kpi, scope) not in self._counted:
            self._counted[(kpi, scope)] = _Counted((kpi, scope), labels)
            self._counter_samples = self._order = None

    def families(
        self,
        last: ClosedPeriod | None,
        target_set: TargetSet | None,
        now: float,
        resolver: Resolver,
        declared: frozenset[tuple[Family, Scope]] = frozenset(),
    ) -> tuple[Metric, ...]:
        """The four families at ``now``, judging ``last`` first if it was not yet; ``declared``:
        the scopes sources declared (``EngineSnapshot.declared``), counted from now on too."""
        with self._lock:
            if self._born is None:
                self._born = now
            if declared is not self._declared:
                self._know_declared(declared)
            if last is not None and (last.start, last.end) != self._judged:
                for sample in last.kpis:
                    if sample.kpi in self._minimum:
                        labels = series_labels(sample.kpi, sample.labels)
                        self._know(sample.kpi, sample.labels, labels)
                self._judge(last, target_set, resolver, counted=last.end > self._born)
            found, counters = self._last, self._counters()
        value, target, met = (
            Metric(names.KPI_LAST_PERIOD_VALUE, LAST_PERIOD_VALUE_HELP, "gauge"),
            Metric(names.KPI_LAST_PERIOD_TARGET, LAST_PERIOD_TARGET_HELP, "gauge"),
            Metric(names.KPI_LAST_PERIOD_MET, LAST_PERIOD_MET_HELP, "gauge"),
        )
        value.samples, target.samples, met.samples = (list(samples) for samples in found)
        periods = Metric(
            names.family_name(names.KPI_TARGET_PERIODS), TARGET_PERIODS_HELP, "counter"
        )
        periods.samples = list(counters)
        return value, target, met, periods

    def _know_declared(self, declared: frozenset[tuple[Family, Scope]]) -> None:
        for family, scope in declared - self._declared:
            label_names = tuple(label for label, _ in scope)
            for kpi, label_sets in self._by_family.get(family, ()):
                if label_names in label_sets:
                    self._know(kpi, scope, series_labels(kpi, scope))
        self._declared = declared

    def _judge(
        self,
        last: ClosedPeriod,
        target_set: TargetSet | None,
        resolver: Resolver,
        *,
        counted: bool,
    ) -> None:
        self._judged = (last.start, last.end)
        values: list[Sample] = []
        targets: list[Sample] = []
        mets: list[Sample] = []
        self._last = (values, targets, mets)
        if target_set is None:
            return
        judge = PeriodJudge(target_set, last.start, last.end, resolver)
        samples = {(sample.kpi, sample.labels): sample for sample in last.kpis}
        value_name, target_name, met_name = (
            names.KPI_LAST_PERIOD_VALUE,
            names.KPI_LAST_PERIOD_TARGET,
            names.KPI_LAST_PERIOD_MET,
        )
        for entry in self._in_order():
            kpi, scope = entry.key
            judging = judge.target_for(kpi, entry.scope)
            if judging is None:
                continue
            sample = samples.get((kpi, scope))
            found = None if sample is None else sample.value
            result = result_of(
                found, None if sample is None else sample.sample_size, judging, self._minimum[kpi]
            )
            if counted:
                entry.counts[_INDEX[result]] += 1.0
                self._counter_samples = None
            if found is None or result is PeriodResult.NO_DATA:
                continue
            labels = entry.labels
            with_quantifier = {**labels, names.QUANTIFIER: str(judging.quantifier)}
            achieved = judging.quantifier.achieved(found, judging.value)
            values.append(_new(value_name, labels, found))
            targets.append(_new(target_name, with_quantifier, judging.value))
            mets.append(_new(met_name, labels, 1.0 if achieved else 0.0))

    def _in_order(self) -> list[_Counted]:
        """Every scope counted, by KPI (catalog order) then scope: the same order however the
        scopes came to be known."""
        if self._order is None:
            rank = {kpi: index for index, kpi in enumerate(self._minimum)}
            self._order = [
                self._counted[key]
                for key in sorted(self._counted, key=lambda key: (rank[key[0]], key[1]))
            ]
        return self._order

    def _counters(self) -> list[Sample]:
        found = self._counter_samples
        if found is None:
            name = names.KPI_TARGET_PERIODS
            found = self._counter_samples = [
                _new(name, labels, count)
                for entry in self._in_order()
                for labels, count in zip(entry.by_result, entry.counts, strict=True)
            ]
        return found
