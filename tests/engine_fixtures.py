"""Small builders for KPI engine tests: events by hand, and snapshots as plain dicts."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from exporter.engine import EngineConfig, EngineSnapshot, KpiEngine
from exporter.events import (
    AgentState,
    AgentStateEvent,
    ContactEvent,
    ContactKind,
    Event,
    OutboundOutcome,
)

UTC = ZoneInfo("UTC")
# Monday 2026-03-02 10:00:00 UTC: the start of the hour most tests work in.
T0 = 1772445600.0


def instant(text: str, zone: str) -> float:
    """Unix seconds of a local wall-clock time, e.g. instant("2026-03-02 10:00", "Asia/Kolkata")."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp()


def offered(at: float, cid: str, queue: str = "sales", channel: str = "voice") -> ContactEvent:
    return ContactEvent(ContactKind.OFFERED, at, cid, queue=queue, channel=channel)


def answered(
    at: float, cid: str, wait: float | None, queue: str = "sales", channel: str = "voice", **kw: str
) -> ContactEvent:
    return ContactEvent(
        ContactKind.ANSWERED, at, cid, queue=queue, channel=channel, wait_seconds=wait, **kw
    )


def abandoned(
    at: float, cid: str, wait: float | None, queue: str = "sales", channel: str = "voice"
) -> ContactEvent:
    return ContactEvent(
        ContactKind.ABANDONED, at, cid, queue=queue, channel=channel, wait_seconds=wait
    )


def ended(at: float, cid: str, **fields: object) -> ContactEvent:
    return ContactEvent(ContactKind.ENDED, at, cid, **fields)  # type: ignore[arg-type]


def survey(at: float, cid: str, **scores: float) -> ContactEvent:
    return ContactEvent(ContactKind.SURVEY, at, cid, **scores)  # type: ignore[arg-type]


def dial(
    at: float, campaign: str, outcome: OutboundOutcome, converted: bool | None = None
) -> ContactEvent:
    return ContactEvent(
        ContactKind.OUTBOUND, at, "", campaign=campaign, outcome=outcome, converted=converted
    )


def bot(at: float, queue: str, channel: str, contained: bool | None) -> ContactEvent:
    return ContactEvent(ContactKind.BOT, at, "", queue=queue, channel=channel, contained=contained)


def state(at: float, agent: str, team: str, agent_state: AgentState) -> AgentStateEvent:
    return AgentStateEvent(at, agent, agent_state, team=team)


def engine_with(events: list[Event], config: EngineConfig | None = None) -> KpiEngine:
    """An engine that accepted every event, fed in time order (fails on any rejection)."""
    engine = KpiEngine(config or EngineConfig(timezone=UTC))
    for event in sorted(events, key=lambda e: e.at):
        assert engine.ingest(event) is None, event
    return engine


Key = tuple[str, tuple[tuple[str, str], ...]]


def kpi_values(snapshot: EngineSnapshot) -> dict[Key, tuple[float, float | None]]:
    """{(kpi, labels): (value, sample_size)}, rounded to 9 places to compare exact fractions."""
    found: dict[Key, tuple[float, float | None]] = {}
    for sample in snapshot.kpis:
        key = (sample.kpi, sample.labels)
        assert key not in found, f"duplicate sample {key}"
        found[key] = (round(sample.value, 9), sample.sample_size)
    return found


def of_kpi(snapshot: EngineSnapshot, kpi: str) -> dict[tuple[tuple[str, str], ...], float]:
    """{labels: value} of one KPI."""
    return {s.labels: round(s.value, 9) for s in snapshot.kpis if s.kpi == kpi}


def counter(snapshot: EngineSnapshot, name: str) -> dict[tuple[str, ...], float]:
    for family in snapshot.counters:
        if family.name == name:
            return family.samples
    raise KeyError(name)


def counted(snapshot: EngineSnapshot, name: str) -> dict[tuple[str, ...], float]:
    """The samples of a counter that counted something (siblings of a new scope start at 0)."""
    return {key: value for key, value in counter(snapshot, name).items() if value}


def site() -> tuple[tuple[str, str], ...]:
    return ()


def labels(**pairs: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(pairs.items()))
