"""Prometheus collectors: the exporter's series contract (see the README's "Prometheus series").

Four collectors, one per area, each registered in the ``/metrics`` registry:

- ``KpiCollector``: the KPI values with the targets in force, and the engine's raw counters, all
  from ONE engine snapshot and ONE target resolution taken at the scrape instant, so a scrape is a
  consistent view and a schedule boundary or a saved edit shows on the next scrape.
- ``CatalogCollector``: ``kpi_info`` (catalog metadata) and ``kpi_targets_build_info``.
- ``SelfMetricsCollector``: what the exporter read, refused and reloaded.
- ``TargetVersionCollector``: since when the targets version in force exists (annotations).

Families are built directly from ``Sample`` tuples (not ``add_metric``), because a scrape may carry
100,000 series and the collector should cost little next to the serialisation itself
(``bench/bench_scrape.py``). Series of one family may carry different label sets (a site-wide
``kpi_value`` has no scope labels, a per-queue one has ``queue`` and ``channel``), which the
exposition format allows.
"""

from __future__ import annotations

import gc
import platform
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from prometheus_client.metrics_core import Metric
from prometheus_client.samples import Sample

from exporter import __version__, names
from exporter.catalog import CATALOG, Kpi, level_of
from exporter.closed_periods import ClosedPeriods
from exporter.engine.types import EngineSnapshot
from exporter.scope import Scope
from exporter.sources.base import IngestStats, SourceClock
from exporter.targets.model import Calendar, Quantifier, ResolvedTarget, TargetSet


class SnapshotSource(Protocol):
    """What the collector needs of the KPI engine."""

    def snapshot(self, now: float) -> EngineSnapshot: ...


class SeriesResolution(Protocol):
    """What the collector needs of ``exporter.targets.resolve.Resolution``."""

    calendar: Calendar
    local: datetime

    def for_series(self, kpi: str, labels: Mapping[str, str]) -> ResolvedTarget | None: ...

    def on_duty(self, labels: Mapping[str, str]) -> bool: ...


Resolver = Callable[[TargetSet, datetime], SeriesResolution]


class TargetStoreStatus(Protocol):
    """What the self-metrics need of ``exporter.targets.store.TargetStore``."""

    reloads: int
    reload_errors: int
    last_reload_error: str | None


KPI_VALUE_HELP = (
    "The KPI over its measurement period (see kpi_info), one series per scope; level names the "
    "scope's level (site, channel, queue, team, agent, campaign)."
)
KPI_TARGET_HELP = (
    "The KPI target in force now for the kpi_value series with the same kpi and scope labels; "
    "absent when no target is in force (not set, outside operating hours, closed date)."
)
KPI_TARGET_MET_HELP = (
    "1 when kpi_value achieves kpi_target (or_more: value >= target, or_less: value <= target; "
    "equality is achieved), else 0; only while both exist."
)
KPI_SAMPLE_SIZE_HELP = (
    "How many contacts (answers, dials, sessions) the kpi_value series is computed from, for "
    "minimum-volume guards; absent for Live and In Queue KPIs."
)
KPI_TARGET_STATUS_HELP = (
    "Why no target is in force for the kpi_value series with the same kpi and scope labels, or "
    "where the one in force came from: status in_force (detail: its source), not_set, off_duty or "
    "closed (detail: closed: <exception name>); always 1."
)
KPI_INFO_HELP = "Catalog metadata of every KPI, always 1."
BUILD_INFO_HELP = "The running kpi-targets version, always 1."


def _sample(name: str, labels: dict[str, str], value: float) -> Sample:
    # tuple.__new__ skips the namedtuple's keyword handling: the hot loop builds ~4 per KPI series.
    return tuple.__new__(Sample, (name, labels, value, None, None, None))  # type: ignore[type-var]


class _CyclicGcPause:
    """Pauses the cyclic garbage collector while any scrape is under way (scrapes may overlap);
    restores it only if it was enabled before."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._was_enabled = False

    def __enter__(self) -> None:
        with self._lock:
            if self._active == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._active += 1

    def __exit__(self, *_: object) -> None:
        with self._lock:
            self._active -= 1
            if self._active == 0 and self._was_enabled:
                gc.enable()


_CYCLIC_GC_PAUSE = _CyclicGcPause()


class KpiCollector:
    """The KPI series and the raw counters, from one engine snapshot and one target resolution.

    Series (``<scope>`` = exactly the engine sample's labels, none for the whole site; ``level``
    = the scope's most specific label, ``site`` for none)::

        kpi_value{kpi="service_level_ratio",level="channel",channel="voice"} 0.82
        kpi_sample_size{kpi="service_level_ratio",level="channel",channel="voice"} 57
        kpi_target{kpi="service_level_ratio",level="channel",channel="voice",
                   quantifier="or_more"} 0.8
        kpi_target_met{kpi="service_level_ratio",level="channel",channel="voice"} 1
        kpi_target_status{kpi="service_level_ratio",level="channel",channel="voice",
                          status="in_force",detail="targets.yaml:22 schedule ..."} 1
        contact_center_contacts_offered_total{queue="sales",channel="voice"} 1234

    ``kpi_target_status`` has one series per ``kpi_value`` series: ``in_force`` (detail: where the
    value came from), ``not_set``, ``off_duty`` or ``closed`` (detail ``closed: Christmas``).

    ``targets`` returns the target set in force (the store's last good one) or None when there is
    none; ``resolver`` is ``exporter.targets.resolve.resolve``; ``clock`` gives the scrape instant
    in Unix seconds.
    """

    def __init__(
        self,
        engine: SnapshotSource,
        targets: Callable[[], TargetSet | None],
        resolver: Resolver,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._targets = targets
        self._resolver = resolver
        self._clock = clock
        # Label dicts of the last scrape's series, reused by the next one: building them is most
        # of the collector's cost, and series rarely change between scrapes. Each scrape keeps only
        # what it used, so series that went away do not pile up. Serialising only reads them.
        self._kpi_labels: dict[tuple[str, Scope], _KpiLabels] = {}
        self._counter_labels: dict[tuple[str, tuple[str, ...]], dict[str, str]] = {}
        self._periods = ClosedPeriods()

    def collect(self) -> Iterator[Metric]:
        # The scrape holds one Sample tuple per series until it is serialised: at 100,000 series
        # those allocations set off the cyclic garbage collector again and again, which then walks
        # every live object (the engine's state included) and cost more than building the families
        # (bench/bench_scrape.py). Nothing a scrape allocates forms a cycle (reference counting
        # frees it all), so the cyclic collector rests until the families are serialised: the
        # generator resumes, and the pause ends, only once the registry has written them all.
        with _CYCLIC_GC_PAUSE:
            now = self._clock()
            snapshot = self._engine.snapshot(now)
            target_set = self._targets()
            resolution = (
                self._resolver(target_set, datetime.fromtimestamp(now, UTC))
                if target_set is not None
                else None
            )
            yield from self._kpi_families(snapshot, resolution)
            yield from self._counter_families(snapshot)
            yield from self._periods.families(
                snapshot.last_period, target_set, now, self._resolver, snapshot.declared
            )

    def _kpi_families(
        self, snapshot: EngineSnapshot, resolution: SeriesResolution | None
    ) -> tuple[Metric, ...]:
        value_name, size_name = names.KPI_VALUE, names.KPI_SAMPLE_SIZE
        target_name, met_name, status_name = (
            names.KPI_TARGET,
            names.KPI_TARGET_MET,
            names.KPI_TARGET_STATUS,
        )
        value_family = Metric(value_name, KPI_VALUE_HELP, "gauge")
        size_family = Metric(size_name, KPI_SAMPLE_SIZE_HELP, "gauge")
        target_family = Metric(target_name, KPI_TARGET_HELP, "gauge")
        met_family = Metric(met_name, KPI_TARGET_MET_HELP, "gauge")
        status_family = Metric(status_name, KPI_TARGET_STATUS_HELP, "gauge")
        add_value = value_family.samples.append
        add_size = size_family.samples.append
        add_target = target_family.samples.append
        add_met = met_family.samples.append
        add_status = status_family.samples.append
        for_series = resolution.for_series if resolution is not None else None
        why_not = _WhyNoTarget(resolution)
        new = tuple.__new__
        previous = self._kpi_labels
        current: dict[tuple[str, Scope], _KpiLabels] = {}
        for kpi_sample in snapshot.kpis:
            kpi = kpi_sample.kpi
            key = (kpi, kpi_sample.labels)
            entry = previous.get(key)
            if entry is None:
                scope = dict(kpi_sample.labels)
                level = level_of(scope)
                entry = (scope, {names.KPI: kpi, names.LEVEL: level, **scope}, {}, {})
                self._periods.know(kpi, key[1], entry[1])
            current[key] = entry
            scope, labels, target_labels, status_labels = entry
            value = kpi_sample.value
            add_value(new(Sample, (value_name, labels, value, None, None, None)))
            if kpi_sample.sample_size is not None:
                size = kpi_sample.sample_size
                add_size(new(Sample, (size_name, labels, size, None, None, None)))
            target = for_series(kpi, scope) if for_series is not None else None
            status = ("in_force", target.source) if target is not None else why_not(scope)
            with_status = status_labels.get(status)
            if with_status is None:
                with_status = {**labels, names.STATUS: status[0], names.DETAIL: status[1]}
                status_labels[status] = with_status
            add_status(new(Sample, (status_name, with_status, 1.0, None, None, None)))
            if target is None:
                continue
            quantifier = target.quantifier
            with_quantifier = target_labels.get(quantifier)
            if with_quantifier is None:
                with_quantifier = {**labels, names.QUANTIFIER: str(quantifier)}
                target_labels[quantifier] = with_quantifier
            goal = target.value
            add_target(new(Sample, (target_name, with_quantifier, goal, None, None, None)))
            if value == value:  # a NaN value has no verdict
                met = 1.0 if quantifier.achieved(value, goal) else 0.0
                add_met(new(Sample, (met_name, labels, met, None, None, None)))
        self._kpi_labels = current
        return value_family, size_family, target_family, met_family, status_family

    def _counter_families(self, snapshot: EngineSnapshot) -> list[Metric]:
        previous = self._counter_labels
        current: dict[tuple[str, tuple[str, ...]], dict[str, str]] = {}
        new = tuple.__new__
        families = []
        for family in snapshot.counters:
            metric = Metric(family.name, family.documentation, "counter")
            name = family.name
            sample_name = name + "_total"
            label_names = family.label_names
            add = metric.samples.append
            for key, value in family.samples.items():
                cache_key = (name, key)
                labels = previous.get(cache_key)
                if labels is None:
                    labels = dict(zip(label_names, key, strict=True))
                current[cache_key] = labels
                add(new(Sample, (sample_name, labels, value, None, None, None)))
            families.append(metric)
        self._counter_labels = current
        return families


# A KPI series' labels: its scope; kpi + level + scope; those + quantifier, by quantifier; and
# those + status + detail, by (status, detail).
_KpiLabels = tuple[
    dict[str, str],
    dict[str, str],
    dict[Quantifier, dict[str, str]],
    dict[tuple[str, str], dict[str, str]],
]

_NOT_SET = ("not_set", "not set")
_OFF_DUTY = ("off_duty", "off duty")


class _WhyNoTarget:
    """For one scrape: why a series has no target in force (not set, off duty, closed: <name>)."""

    def __init__(self, resolution: SeriesResolution | None) -> None:
        self._resolution = resolution
        self._closed: tuple[str, str] | None = None
        if resolution is not None:
            exception = resolution.calendar.exceptions.get(resolution.local.date())
            if exception is not None and exception.closed:
                self._closed = ("closed", f"closed: {exception.name}")

    def __call__(self, scope: Mapping[str, str]) -> tuple[str, str]:
        resolution = self._resolution
        if resolution is None or resolution.on_duty(scope):
            return _NOT_SET
        return self._closed or _OFF_DUTY


class CatalogCollector:
    """Catalog metadata and build information; they never change while the process runs::

    kpi_info{kpi="service_level_ratio",title="Service level",tab="Contact Center Operations",
             period="Hourly",unit="ratio",direction="higher",eligible="true"} 1
    kpi_targets_build_info{version="0.1.0",python_version="3.11.2"} 1
    """

    def __init__(self, catalog: Iterable[Kpi] = CATALOG, *, version: str = __version__) -> None:
        self._families = (_info_family(catalog), _build_info_family(version))

    def collect(self) -> Iterator[Metric]:
        yield from self._families


def _info_family(catalog: Iterable[Kpi]) -> Metric:
    family = Metric(names.KPI_INFO, KPI_INFO_HELP, "gauge")
    for kpi in catalog:
        labels = {
            names.KPI: kpi.name,
            "title": kpi.title,
            "tab": str(kpi.tab),
            "period": str(kpi.period),
            "unit": str(kpi.unit),
            "direction": str(kpi.direction),
            "eligible": "true" if kpi.eligible else "false",
        }
        family.samples.append(_sample(names.KPI_INFO, labels, 1.0))
    return family


def _build_info_family(version: str) -> Metric:
    family = Metric(names.BUILD_INFO, BUILD_INFO_HELP, "gauge")
    labels = {names.VERSION: version, "python_version": platform.python_version()}
    family.samples.append(_sample(names.BUILD_INFO, labels, 1.0))
    return family


class TargetVersionCollector:
    """Since when the targets version in force exists, for the dashboards' "targets changed"
    annotations::

        kpi_targets_targets_version_timestamp_seconds{version="3f2a9c1d0b7e"} 1.7e9

    ``changed_at`` says when the version was made (the target files' modification time, see
    ``files_modified_at``), so a restart does not look like a change. It is read when the
    collector first sees a version, at the first scrape after the store picked it up.
    """

    def __init__(self, version: Callable[[], str], changed_at: Callable[[], float]) -> None:
        self._version = version
        self._changed_at = changed_at
        self._seen: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def collect(self) -> Iterator[Metric]:
        version = self._version()
        with self._lock:
            if self._seen is None or self._seen[0] != version:
                self._seen = (version, self._changed_at())
            seen = self._seen
        family = Metric(
            names.TARGETS_VERSION_TIMESTAMP,
            "When the targets version in force was made (its files' modification time, Unix "
            "seconds).",
            "gauge",
        )
        family.samples.append(_sample(family.name, {names.VERSION: seen[0]}, seen[1]))
        yield family


def files_modified_at(*paths: Path) -> Callable[[], float]:
    """When the newest of ``paths`` was last written (now, when none can be read)."""

    def modified_at() -> float:
        times = []
        for path in paths:
            try:
                times.append(path.stat().st_mtime)
            except OSError:
                continue
        return max(times, default=time.time())

    return modified_at


class SelfMetricsCollector:
    """What the exporter read, refused and reloaded::

        kpi_targets_events_read_total{source="simulator"} 1200
        kpi_targets_events_rejected_total{source="queue_log",reason="too_old"} 3
        kpi_targets_target_reloads_total 2
        kpi_targets_target_reload_errors_total 1
        kpi_targets_targets_valid 0
        kpi_targets_source_last_event_timestamp_seconds{source="simulator"} 1.7e9
        kpi_targets_source_up{source="queue_log"} 1
        kpi_targets_source_failures_total{source="queue_log"} 0

    Every source in ``source_names`` gets a read counter from the start (0 until it reads), so
    ``increase()`` sees a source that never delivered anything. ``targets_valid`` is 0 while the
    files on disk are invalid and the last good targets stay in force.
    """

    def __init__(
        self,
        stats: IngestStats,
        store: TargetStoreStatus | None,
        source_clock: SourceClock,
        source_names: Iterable[str] = (),
    ) -> None:
        self._stats = stats
        self._store = store
        self._source_clock = source_clock
        self._source_names = tuple(source_names)

    def collect(self) -> Iterator[Metric]:
        read = Metric(
            names.family_name(names.EVENTS_READ),
            "Events (lines, records) read, by source.",
            "counter",
        )
        counts = dict.fromkeys(self._source_names, 0)
        counts.update(self._stats.read_counts())
        for source, count in sorted(counts.items()):
            read.samples.append(_sample(names.EVENTS_READ, {names.SOURCE: source}, float(count)))
        yield read

        rejected = Metric(
            names.family_name(names.EVENTS_REJECTED),
            "Events (lines, records) refused, by source and reason; each is logged with where.",
            "counter",
        )
        for (source, reason), count in sorted(self._stats.rejected_counts().items()):
            labels = {names.SOURCE: source, names.REASON: reason}
            rejected.samples.append(_sample(names.EVENTS_REJECTED, labels, float(count)))
        yield rejected

        last_event = Metric(
            names.SOURCE_LAST_EVENT_TIMESTAMP,
            "When each source last delivered an event (wall clock, Unix seconds).",
            "gauge",
        )
        for source, at in sorted(self._source_clock.last_event_times().items()):
            last_event.samples.append(
                _sample(names.SOURCE_LAST_EVENT_TIMESTAMP, {names.SOURCE: source}, at)
            )
        yield last_event

        up = Metric(
            names.SOURCE_UP,
            "1 while the source reads its input, 0 after it failed until it is started again.",
            "gauge",
        )
        failures = Metric(
            names.family_name(names.SOURCE_FAILURES),
            "Times the source stopped with an error (each is logged and retried with backoff).",
            "counter",
        )
        health = {name: (True, 0) for name in self._source_names} | self._stats.health()
        for source, (running, failed) in sorted(health.items()):
            labels = {names.SOURCE: source}
            up.samples.append(_sample(names.SOURCE_UP, labels, 1.0 if running else 0.0))
            failures.samples.append(_sample(names.SOURCE_FAILURES, labels, float(failed)))
        yield up
        yield failures

        if self._store is None:
            return
        store = self._store
        yield _single(
            names.TARGET_RELOADS,
            "Target files reloaded after a change.",
            "counter",
            store.reloads,
        )
        yield _single(
            names.TARGET_RELOAD_ERRORS,
            "Reloads refused because the target files were invalid (the last good targets stay).",
            "counter",
            store.reload_errors,
        )
        yield _single(
            names.TARGETS_VALID,
            "1 when the target files on disk are valid, 0 while an invalid edit is ignored.",
            "gauge",
            1 if store.last_reload_error is None else 0,
        )


def _single(series: str, documentation: str, kind: str, value: float) -> Metric:
    """A family of one series without labels."""
    family = Metric(names.family_name(series), documentation, kind)
    family.samples.append(_sample(series, {}, float(value)))
    return family
