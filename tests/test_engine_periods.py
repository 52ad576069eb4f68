"""Measurement periods: local clock hours (odd offsets, DST), out-of-order events, the In Queue
state (waiting, longest wait, stale contacts) and agent time split at hour boundaries."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from engine_fixtures import (
    T0,
    abandoned,
    answered,
    counter,
    engine_with,
    instant,
    kpi_values,
    labels,
    of_kpi,
    offered,
    state,
    survey,
)

from exporter.engine import EngineConfig, KpiEngine
from exporter.events import AgentState

VOICE = labels(channel="voice")
ASA = "average_speed_of_answer_seconds"


def config(zone: str = "UTC", **overrides: float) -> EngineConfig:
    return EngineConfig(timezone=ZoneInfo(zone), **overrides)  # type: ignore[arg-type]


def test_hourly_values_reset_at_the_clock_hour() -> None:
    engine = engine_with(
        [
            answered(T0 + 600, "a", 10.0),  # 10:10
            answered(T0 + 3540, "b", 30.0),  # 10:59
            answered(T0 + 3600, "c", 4.0),  # 11:00 sharp belongs to the new hour
        ]
    )
    assert of_kpi(engine.snapshot(T0 + 3599), ASA)[()] == 20.0  # (10 + 30) / 2
    assert kpi_values(engine.snapshot(T0 + 3700))[(ASA, ())] == (4.0, 1.0)


def test_an_hour_without_data_has_no_hourly_sample_but_keeps_the_other_periods() -> None:
    engine = engine_with(
        [
            offered(T0 + 100, "w"),  # still waiting
            answered(T0 + 200, "a", 10.0),
            survey(T0 + 300, "a", nps=10.0),
        ]
    )
    later = engine.snapshot(T0 + 3600 + 60)  # 11:01, nothing happened in this hour
    kpis = {sample.kpi for sample in later.kpis}
    assert kpis == {"contacts_waiting", "longest_wait_seconds", "net_promoter_score"}
    assert of_kpi(later, "net_promoter_score")[()] == 100.0  # All Time: 100 * (1 - 0) / 1
    assert of_kpi(later, "longest_wait_seconds")[()] == 3560.0  # 3660 - 100
    # The counters are All Time too.
    assert counter(later, "contact_center_contacts_answered") == {("sales", "voice"): 1.0}


def test_an_engine_without_events_publishes_no_kpi() -> None:
    snapshot = KpiEngine().snapshot(T0)
    assert snapshot.kpis == []
    assert all(family.samples == {} for family in snapshot.counters)


def test_hours_follow_a_half_hour_offset_zone() -> None:
    # Asia/Kolkata is UTC+05:30: the local 10:00 hour starts at 04:30 UTC.
    zone = "Asia/Kolkata"
    engine = engine_with(
        [
            answered(instant("2026-03-02 09:59", zone), "a", 10.0),
            answered(instant("2026-03-02 10:01", zone), "b", 30.0),
        ],
        config(zone),
    )
    # A UTC hour (04:00-05:00) would hold both; the local hour holds only b.
    assert kpi_values(engine.snapshot(instant("2026-03-02 10:15", zone)))[(ASA, ())] == (30.0, 1.0)


def test_hours_follow_a_45_minute_offset_zone() -> None:
    zone = "Asia/Kathmandu"  # UTC+05:45
    engine = engine_with(
        [
            answered(instant("2026-03-02 10:59", zone), "a", 10.0),
            answered(instant("2026-03-02 11:00", zone), "b", 30.0),
            answered(instant("2026-03-02 11:40", zone), "c", 50.0),
        ],
        config(zone),
    )
    assert of_kpi(engine.snapshot(instant("2026-03-02 11:50", zone)), ASA)[()] == 40.0  # (30+50)/2


def test_the_repeated_dst_hour_is_its_own_hour() -> None:
    # Europe/Rome falls back on 2026-10-25: 02:00-03:00 happens twice (CEST, then CET).
    engine = KpiEngine(config("Europe/Rome"))
    first = instant("2026-10-25 00:30", "UTC")  # 02:30 CEST
    second = instant("2026-10-25 01:30", "UTC")  # 02:30 CET, same wall clock
    assert engine.ingest(answered(first, "a", 10.0)) is None
    assert of_kpi(engine.snapshot(first + 600), ASA)[()] == 10.0
    assert engine.ingest(answered(second, "b", 30.0)) is None
    assert kpi_values(engine.snapshot(second + 600))[(ASA, ())] == (30.0, 1.0)


def test_the_skipped_dst_hour_does_not_merge_hours() -> None:
    # Europe/Rome springs forward on 2026-03-29: 01:59 CET is followed by 03:00 CEST.
    zone = "Europe/Rome"
    engine = engine_with(
        [
            answered(instant("2026-03-29 01:59", zone), "a", 10.0),
            answered(instant("2026-03-29 03:00", zone), "b", 30.0),
        ],
        config(zone),
    )
    assert kpi_values(engine.snapshot(instant("2026-03-29 03:30", zone)))[(ASA, ())] == (30.0, 1.0)


def test_an_out_of_order_event_within_tolerance_lands_in_its_own_hour() -> None:
    engine = KpiEngine(config(out_of_order_tolerance_seconds=300.0))
    assert engine.ingest(answered(T0 + 3720, "new", 40.0)) is None  # 11:02
    assert engine.ingest(answered(T0 + 3480, "late", 10.0)) is None  # 10:58, 240 s older
    assert kpi_values(engine.snapshot(T0 + 3540))[(ASA, ())] == (10.0, 1.0)  # hour 10: late only
    assert kpi_values(engine.snapshot(T0 + 3780))[(ASA, ())] == (40.0, 1.0)  # hour 11: new only


def test_an_event_older_than_the_tolerance_is_rejected_and_not_counted() -> None:
    engine = KpiEngine(config(out_of_order_tolerance_seconds=300.0))
    assert engine.ingest(answered(T0 + 1000, "new", 40.0)) is None
    assert engine.ingest(answered(T0 + 700, "edge", 20.0)) is None  # exactly 300 s older: kept
    assert engine.ingest(answered(T0 + 699, "old", 10.0)) == "too_old"
    snapshot = engine.snapshot(T0 + 1100)
    assert kpi_values(snapshot)[(ASA, ())] == (30.0, 2.0)  # (40 + 20) / 2
    assert counter(snapshot, "contact_center_contacts_answered") == {("sales", "voice"): 2.0}


def test_contacts_waiting_and_longest_wait_at_a_given_now() -> None:
    engine = engine_with(
        [
            offered(T0 + 10, "a"),
            offered(T0 + 40, "b"),
            offered(T0 + 70, "c", "support", "chat"),
            answered(T0 + 90, "a", 80.0),  # a leaves: b is now the oldest voice contact
        ]
    )
    snapshot = engine.snapshot(T0 + 100)
    assert of_kpi(snapshot, "contacts_waiting") == {
        (): 2.0,
        VOICE: 1.0,
        labels(channel="chat"): 1.0,
        labels(queue="sales", channel="voice"): 1.0,
        labels(queue="support", channel="chat"): 1.0,
    }
    assert of_kpi(snapshot, "longest_wait_seconds") == {
        (): 60.0,  # 100 - 40 (b)
        VOICE: 60.0,
        labels(channel="chat"): 30.0,  # 100 - 70 (c)
        labels(queue="sales", channel="voice"): 60.0,
        labels(queue="support", channel="chat"): 30.0,
    }
    # Waiting is state now: a later snapshot sees longer waits.
    assert of_kpi(engine.snapshot(T0 + 160), "longest_wait_seconds")[()] == 120.0


def test_stale_waiting_contacts_are_dropped() -> None:
    engine = engine_with([offered(T0, "lost")], config(stale_waiting_seconds=600.0))
    assert of_kpi(engine.snapshot(T0 + 600), "longest_wait_seconds")[()] == 600.0
    late = engine.snapshot(T0 + 601)
    assert of_kpi(late, "contacts_waiting")[()] == 0.0  # a real 0: the scope was seen
    assert of_kpi(late, "longest_wait_seconds")[()] == 0.0
    assert engine.memory_stats()["waiting_contacts"] == 0


def test_an_answer_reported_before_its_offer_leaves_nothing_waiting() -> None:
    engine = KpiEngine(config())
    assert engine.ingest(answered(T0 + 30, "a", 20.0)) is None
    assert engine.ingest(offered(T0 + 10, "a")) is None
    assert of_kpi(engine.snapshot(T0 + 60), "contacts_waiting")[()] == 0.0


def test_a_missing_wait_is_derived_from_the_queue_entry() -> None:
    engine = KpiEngine(config())
    assert engine.ingest(offered(T0 + 10, "a")) is None
    assert engine.ingest(abandoned(T0 + 14, "a", None)) is None  # 4 s: a short abandon
    assert engine.ingest(offered(T0 + 20, "b")) is None
    assert engine.ingest(answered(T0 + 32, "b", None)) is None  # 12 s
    assert engine.ingest(answered(T0 + 40, "unknown", None)) == "missing_wait_seconds"
    snapshot = engine.snapshot(T0 + 60)
    assert kpi_values(snapshot)[(ASA, ())] == (12.0, 1.0)
    assert counter(snapshot, "contact_center_contacts_abandoned_short") == {("sales", "voice"): 1.0}


def test_an_abandon_with_an_unknown_wait_is_lost_not_short() -> None:
    engine = KpiEngine(config())
    # An export that knows only that "a" was not answered: offer and abandon at the same instant.
    assert engine.ingest(offered(T0 + 10, "a")) is None
    assert engine.ingest(abandoned(T0 + 10, "a", None)) is None
    # "z" was never seen entering the queue: its abandon still counts.
    assert engine.ingest(abandoned(T0 + 20, "z", None)) is None
    assert engine.ingest(offered(T0 + 30, "b")) is None
    assert engine.ingest(answered(T0 + 30, "b", None)) is None  # answered at once: 0 s wait
    snapshot = engine.snapshot(T0 + 60)
    # 2 abandons, neither short: 2 / (1 answered + 2 abandoned); SL = 1 within / (1 + 2 - 0).
    assert kpi_values(snapshot)[("abandonment_ratio", ())] == (round(2 / 3, 9), 3.0)
    assert kpi_values(snapshot)[("service_level_ratio", ())] == (round(1 / 3, 9), 3.0)
    # The counters exist (a queue's counters appear together), at 0.
    assert counter(snapshot, "contact_center_contacts_abandoned_short") == {("sales", "voice"): 0.0}
    assert counter(snapshot, "contact_center_contacts_abandoned_within_threshold") == {
        ("sales", "voice"): 0.0
    }


def test_agent_state_time_is_split_at_the_hour_boundary() -> None:
    events = [
        state(T0, "ann", "blue", AgentState.LOGGED_IN),  # 10:00
        state(T0 + 1800, "ann", "blue", AgentState.BUSY),  # 10:30
        state(T0 + 5400, "ann", "blue", AgentState.AVAILABLE),  # 11:30
    ]
    # A tolerance of 2 hours keeps hour 10 after the 11:30 event.
    engine = engine_with(events, config(out_of_order_tolerance_seconds=7200.0))
    # Hour 10: available 10:00-10:30 (1800), busy 10:30-11:00 (1800) -> 0.5
    assert kpi_values(engine.snapshot(T0 + 3599))[("occupancy_ratio", labels(team="blue"))] == (
        0.5,
        3600.0,
    )
    # Hour 11 at 11:45: busy 11:00-11:30 (1800), available 11:30-11:45 (900, open) -> 2/3
    assert of_kpi(engine.snapshot(T0 + 6300), "occupancy_ratio")[labels(team="blue")] == round(
        2 / 3, 9
    )


def test_agent_state_time_splits_at_a_half_hour_offset_hour() -> None:
    zone = "Asia/Kolkata"
    events = [
        state(instant("2026-03-02 09:40", zone), "ann", "blue", AgentState.BUSY),
        state(instant("2026-03-02 10:20", zone), "ann", "blue", AgentState.AVAILABLE),
    ]
    engine = engine_with(events, config(zone))
    # At 10:40 IST: busy 10:00-10:20 (1200), available 10:20-10:40 (1200) -> 0.5
    snapshot = engine.snapshot(instant("2026-03-02 10:40", zone))
    assert kpi_values(snapshot)[("occupancy_ratio", labels(team="blue", agent="ann"))] == (
        0.5,
        2400.0,
    )


def test_an_out_of_order_state_change_takes_time_back_from_the_state_it_interrupts() -> None:
    engine = KpiEngine(config())
    assert engine.ingest(state(T0, "ann", "blue", AgentState.AVAILABLE)) is None
    assert engine.ingest(state(T0 + 2400, "ann", "blue", AgentState.BUSY)) is None  # 10:40
    # Reported 120 s late: ann went to after-contact work at 10:38.
    assert engine.ingest(state(T0 + 2280, "ann", "blue", AgentState.AFTER_CONTACT_WORK)) is None
    # At 10:50: available 2280, acw 120, busy 600 (open) -> (120 + 600) / 3000
    snapshot = engine.snapshot(T0 + 3000)
    assert kpi_values(snapshot)[("occupancy_ratio", labels(team="blue"))] == (0.24, 3000.0)


def test_paused_and_logged_out_time_counts_in_nothing() -> None:
    engine = engine_with(
        [
            state(T0, "ann", "blue", AgentState.PAUSED),
            state(T0 + 1200, "ann", "blue", AgentState.BUSY),
            state(T0 + 1800, "ann", "blue", AgentState.LOGGED_OUT),
        ]
    )
    snapshot = engine.snapshot(T0 + 3000)
    # Only busy 10:20-10:30 counts: 600 / 600
    assert kpi_values(snapshot)[("occupancy_ratio", labels(team="blue"))] == (1.0, 600.0)
    assert of_kpi(snapshot, "agents_available") == {(): 0.0, labels(team="blue"): 0.0}


def test_a_survey_is_attributed_to_what_the_contact_said_before() -> None:
    engine = engine_with(
        [
            answered(T0 + 10, "a", 5.0, queue="billing", channel="chat", team="green", agent="eve"),
            survey(T0 + 100, "a", csat=4.0),
        ]
    )
    snapshot = engine.snapshot(T0 + 200)
    assert of_kpi(snapshot, "customer_satisfaction_score") == {
        (): 4.0,
        labels(channel="chat"): 4.0,
        labels(queue="billing", channel="chat"): 4.0,
    }
    assert of_kpi(snapshot, "team_customer_satisfaction_score") == {
        labels(team="green"): 4.0,
        labels(team="green", agent="eve"): 4.0,
    }


def test_an_agent_without_a_team_on_the_contact_takes_the_team_of_its_states() -> None:
    engine = engine_with(
        [
            state(T0, "eve", "green", AgentState.AVAILABLE),
            answered(T0 + 10, "a", 5.0, agent="eve"),
            survey(T0 + 100, "a", csat=2.0),
        ]
    )
    assert of_kpi(engine.snapshot(T0 + 200), "team_customer_satisfaction_score") == {
        labels(team="green"): 2.0,
        labels(team="green", agent="eve"): 2.0,
    }
