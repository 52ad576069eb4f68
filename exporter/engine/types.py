"""What the KPI engine is configured with and what it hands to the collector."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from exporter.catalog import Family
from exporter.catalog.sums import DEFAULT_SERVICE_LEVEL_VARIANT, ServiceLevelVariant
from exporter.events import EMAIL_SERVICE_LEVEL_THRESHOLD_SECONDS
from exporter.scope import Scope

DEFAULT_THRESHOLDS_SECONDS: dict[str, float] = {
    "voice": 20.0,
    "chat": 30.0,
    "email": EMAIL_SERVICE_LEVEL_THRESHOLD_SECONDS,
}


@dataclass(frozen=True, slots=True)
class EngineConfig:
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    service_level_variant: ServiceLevelVariant = DEFAULT_SERVICE_LEVEL_VARIANT
    # Abandons at or under this many seconds of wait are misdials, not lost customers.
    short_abandon_seconds: float = 5.0
    thresholds_seconds: dict[str, float] = field(
        default_factory=lambda: dict(DEFAULT_THRESHOLDS_SECONDS)
    )
    # Threshold for channels missing from thresholds_seconds.
    default_threshold_seconds: float = 20.0
    # Events up to this much older than the newest event seen are still placed in their hour;
    # older ones are rejected (reason "too_old").
    out_of_order_tolerance_seconds: float = 300.0
    # A contact still waiting after this long is dropped from In Queue KPIs (its end was lost).
    stale_waiting_seconds: float = 24 * 3600.0
    # How long the queue, channel, team and agent of a contact are remembered (seconds of event
    # time since it was last heard of), to attribute a later SURVEY; and at most how many contacts.
    contact_memory_seconds: float = 24 * 3600.0
    contact_memory_max_entries: int = 200_000
    # Keep each queue's last 30 minutes and who serves it, for the agents-needed estimate
    # (exporter.engine.recent); replay and backfill, which publish no estimate, skip it.
    recent_traffic: bool = True


@dataclass(frozen=True, slots=True)
class KpiSample:
    """One ``kpi_value`` series: a KPI over its period for one scope."""

    kpi: str
    labels: Scope  # the scope labels, sorted by name (``()`` = the whole site)
    value: float
    # How many contacts (or answers, dials, sessions) the value is computed from, for the alerts'
    # minimum-volume guard; None where volume means nothing (Live and In Queue KPIs).
    sample_size: float | None = None


@dataclass(frozen=True, slots=True)
class CounterFamily:
    """One raw-flow counter (``contact_center_*_total``), all its label combinations."""

    name: str  # without the _total suffix, as prometheus_client wants it
    documentation: str
    label_names: tuple[str, ...]
    samples: dict[tuple[str, ...], float]


@dataclass(frozen=True, slots=True)
class ClosedPeriod:
    """The last local clock hour that ended before a snapshot's ``now``: ``[start, end)`` (UTC
    instants) and its Hourly KPI samples, as ``kpi_value`` showed them at the hour's last instant
    (``KpiEngine.snapshot`` says when they are taken)."""

    start: float
    end: float
    kpis: list[KpiSample]


@dataclass(frozen=True, slots=True)
class EngineSnapshot:
    kpis: list[KpiSample]
    counters: list[CounterFamily]
    last_period: ClosedPeriod | None = None
    # (family, scope) of the scopes sources declared before any event (``KpiEngine.declare``):
    # the same object until one more is declared.
    declared: frozenset[tuple[Family, Scope]] = frozenset()
