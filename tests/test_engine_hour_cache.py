"""The engine reuses the hour bucket of the previous event: events that go back and forth across
an hour boundary (a DST fall-back's repeated hour included) or outlive a pruned hour still land
in their own hour."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from engine_fixtures import T0, answered, instant, kpi_values, state

from exporter.engine import EngineConfig, KpiEngine
from exporter.events import AgentState

ASA = "average_speed_of_answer_seconds"


def test_events_alternating_across_the_repeated_dst_hour_land_in_their_own_hour() -> None:
    # Europe/Rome falls back on 2026-10-25: 02:00-03:00 CEST (00:00-01:00 UTC), then
    # 02:00-03:00 CET (01:00-02:00 UTC), the same wall-clock hour twice.
    engine = KpiEngine(EngineConfig(timezone=ZoneInfo("Europe/Rome")))
    second_hour = instant("2026-10-25 01:00", "UTC")
    for at, cid, wait in (
        (second_hour - 120, "a", 10.0),  # 02:58 CEST
        (second_hour + 60, "b", 30.0),  # 02:01 CET
        (second_hour - 30, "c", 20.0),  # 02:59:30 CEST, 90 s late
        (second_hour + 120, "d", 50.0),  # 02:02 CET
    ):
        assert engine.ingest(answered(at, cid, wait)) is None
    # First 02:00 hour: (10 + 20) / 2 = 15 over 2; second: (30 + 50) / 2 = 40 over 2.
    assert kpi_values(engine.snapshot(second_hour - 1))[(ASA, ())] == (15.0, 2.0)
    assert kpi_values(engine.snapshot(second_hour + 600))[(ASA, ())] == (40.0, 2.0)


def test_agent_time_alternating_across_an_hour_boundary_is_split_exactly() -> None:
    engine = KpiEngine(EngineConfig(timezone=ZoneInfo("UTC")))
    hour = T0 + 3600  # 11:00
    # busy from 10:59 to 11:01, then available from 11:01 (reported in that order).
    assert engine.ingest(state(hour - 60, "ann", "blue", AgentState.BUSY)) is None
    assert engine.ingest(state(hour + 60, "ann", "blue", AgentState.AVAILABLE)) is None
    # A late change at 10:59:30 to after-contact work takes 10:59:30-11:01 back from busy.
    assert engine.ingest(state(hour - 30, "ann", "blue", AgentState.AFTER_CONTACT_WORK)) is None
    ten = kpi_values(engine.snapshot(hour - 1))
    eleven = kpi_values(engine.snapshot(hour + 120))
    # Hour 10: busy 30 s, ACW 30 s; occupancy = (busy + acw) / (busy + acw + available) = 1.
    assert ten[("occupancy_ratio", (("team", "blue"),))][0] == 1.0
    # Hour 11 at 11:02: ACW 60 s (11:00-11:01), available 60 s (11:01-11:02): 60 / 120 = 0.5.
    assert eleven[("occupancy_ratio", (("team", "blue"),))][0] == 0.5


def test_an_event_after_its_previous_hour_was_pruned_counts_in_the_new_hour() -> None:
    engine = KpiEngine(EngineConfig(timezone=ZoneInfo("UTC"), out_of_order_tolerance_seconds=300))
    assert engine.ingest(answered(T0 + 10, "a", 10.0)) is None  # 10:00:10
    # 11:06:40: the cut is 11:01:40, so hour 10 (ending 11:00) is pruned here.
    assert engine.ingest(answered(T0 + 4000, "b", 30.0)) is None
    assert engine.memory_stats()["hour_buckets"] == 1
    assert engine.ingest(answered(T0 + 3950, "c", 20.0)) is None  # 11:05:50, 50 s late
    # Hour 11: (30 + 20) / 2 = 25 over 2; hour 10 is gone.
    assert kpi_values(engine.snapshot(T0 + 4100))[(ASA, ())] == (25.0, 2.0)
    assert (ASA, ()) not in kpi_values(engine.snapshot(T0 + 100))
    assert engine.ingest(answered(T0 + 20, "d", 5.0)) == "too_old"
