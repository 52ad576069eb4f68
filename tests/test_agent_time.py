"""Agent-time counters: seconds per team, agent and state, monotonic even when a state change
arrives after its time was counted. T0 = 2026-03-02 10:00 UTC."""

from __future__ import annotations

from exporter.engine import EngineConfig, KpiEngine
from exporter.events import AgentState
from tests.engine_fixtures import T0, UTC, counter, state

NAME = "contact_center_agent_state_seconds"


def _seconds(engine: KpiEngine, now: float) -> dict[tuple[str, ...], float]:
    return {k: round(v, 6) for k, v in counter(engine.snapshot(now), NAME).items()}


def test_counters_keep_up_with_now_and_split_by_state() -> None:
    engine = KpiEngine(EngineConfig(timezone=UTC))
    for event in (
        state(T0, "ann", "blue", AgentState.LOGGED_IN),
        state(T0 + 30, "ann", "blue", AgentState.BUSY),
        state(T0 + 90, "ann", "blue", AgentState.AFTER_CONTACT_WORK),
        state(T0 + 100, "ann", "blue", AgentState.PAUSED),
        state(T0 + 160, "ann", "blue", AgentState.OUTBOUND),
        state(T0 + 200, "ann", "blue", AgentState.LOGGED_OUT),
        state(T0 + 50, "bob", "red", AgentState.AVAILABLE),
    ):
        assert engine.ingest(event) is None
    # bob's time grows with each scrape while he stays available; ann's stopped at her logout.
    assert _seconds(engine, T0 + 300) == {
        ("blue", "ann", "available"): 30,
        ("blue", "ann", "on_contact"): 60,
        ("blue", "ann", "after_contact_work"): 10,
        ("blue", "ann", "paused"): 60,
        ("blue", "ann", "outbound"): 40,
        ("red", "bob", "available"): 250,
    }
    assert _seconds(engine, T0 + 400)[("red", "bob", "available")] == 350


def test_a_change_reported_after_its_time_was_counted_never_lowers_a_counter() -> None:
    engine = KpiEngine(EngineConfig(timezone=UTC))
    assert engine.ingest(state(T0, "ann", "blue", AgentState.AVAILABLE)) is None
    assert _seconds(engine, T0 + 100) == {("blue", "ann", "available"): 100}
    # Ann was busy from +60: 40 s counted as available were on a contact. Available owes them
    # back instead of going down.
    assert engine.ingest(state(T0 + 60, "ann", "blue", AgentState.BUSY)) is None
    assert _seconds(engine, T0 + 200) == {
        ("blue", "ann", "available"): 100,
        ("blue", "ann", "on_contact"): 140,  # 60..200
    }
    assert engine.ingest(state(T0 + 250, "ann", "blue", AgentState.AVAILABLE)) is None
    # Available again 250..300: 50 s, of which 40 pay the debt; now exact: 60 + 50 = 110.
    assert _seconds(engine, T0 + 300) == {
        ("blue", "ann", "available"): 110,
        ("blue", "ann", "on_contact"): 190,
    }
