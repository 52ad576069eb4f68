"""Agent-time counters: seconds per team, agent and state, monotonic even when a state change
arrives after its time was counted. T0 = 2026-03-02 10:00 UTC."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.engine import EngineConfig, KpiEngine
from exporter.engine.agents import STATE_LABELS, AgentTimelines
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


# ---- any order of changes and scrapes ---------------------------------------------------------

_STATES = [s for s in AgentState]


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("change"), st.integers(0, 250), st.sampled_from(_STATES)),
            st.tuples(st.just("scrape"), st.integers(0, 400), st.just(AgentState.AVAILABLE)),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_counters_never_go_down_and_end_exact_once_debts_are_settled(
    steps: list[tuple[str, int, AgentState]],
) -> None:
    """Changes come in any order (all within the 300 s tolerance) between scrapes: each counter
    is monotonic, and counter - debt equals the seconds of the final timeline, state by state."""
    totals: dict[tuple[str, str, str], float] = {}

    def add(key: tuple[str, str, str], seconds: float) -> None:
        assert seconds > 0
        totals[key] = totals.get(key, 0.0) + seconds

    counters = AgentTimelines(add)
    reported: list[tuple[int, AgentState]] = []
    now = 0
    for kind, at, agent_state in steps:
        if kind == "change":
            counters.record(T0 + at, "ann", agent_state, "blue", T0 - 1)
            reported.append((at, agent_state))
        else:
            now = max(now, at)
            before = dict(totals)
            counters.count_until(T0 + now)
            assert all(totals[key] >= value for key, value in before.items())
    end = 1000
    counters.count_until(T0 + end)
    # The final timeline by hand: sorted by time, the later-reported change wins at one instant.
    final: dict[int, AgentState] = {}
    for at, agent_state in reported:
        final[at] = agent_state
    expected: dict[tuple[str, str, str], float] = {}
    starts = sorted(final)
    for position, start in enumerate(starts):
        stop = starts[position + 1] if position + 1 < len(starts) else end
        label = STATE_LABELS.get(final[start])
        if label is not None and stop > start:
            key = ("blue", "ann", label)
            expected[key] = expected.get(key, 0.0) + stop - start
    settled = {
        key: round(value - counters._debt.get(key, 0.0), 6)
        for key, value in totals.items()
        if round(value - counters._debt.get(key, 0.0), 6) != 0
    }
    assert settled == {key: float(value) for key, value in expected.items()}
