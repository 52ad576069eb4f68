"""Memory stays bounded over a long run, and concurrent ingest and snapshot keep totals exact."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from engine_fixtures import (
    T0,
    UTC,
    answered,
    counter,
    dial,
    ended,
    kpi_values,
    offered,
    state,
    survey,
)

from exporter.engine import EngineConfig, KpiEngine
from exporter.events import AgentState, Event, OutboundOutcome

HOURS = 48
AGENTS = 10
_DIAL_OUTCOMES = tuple(OutboundOutcome)


def one_minute(minute: int) -> Iterator[Event]:
    """Per minute: 3 contacts (2 answered, ended and surveyed; 1 that never gets an outcome),
    a dial and one agent state change. Contact ids never repeat."""
    at = T0 + 60.0 * minute
    for n in range(2):
        cid = f"m{minute}-{n}"
        queue = ("sales", "support")[n]
        yield offered(at, cid, queue)
        yield answered(at + 5, cid, 5.0, queue, team="blue", agent=f"a{minute % AGENTS}")
        yield ended(at + 20, cid, talk_seconds=10.0, resolved=True)
        yield survey(at + 30, cid, csat=4.0)
    yield offered(at + 1, f"lost{minute}", "sales")  # its end is never reported
    yield dial(at + 2, "renewals", _DIAL_OUTCOMES[minute % len(_DIAL_OUTCOMES)])
    agent_state = (AgentState.BUSY, AgentState.AVAILABLE)[minute % 2]
    yield state(at + 3, f"a{minute % AGENTS}", "blue", agent_state)


def test_memory_does_not_grow_with_history() -> None:
    config = EngineConfig(
        timezone=UTC,
        stale_waiting_seconds=1800.0,
        contact_memory_seconds=3600.0,
        out_of_order_tolerance_seconds=300.0,
    )
    engine = KpiEngine(config)
    peaks: dict[str, int] = {}
    for minute in range(HOURS * 60):
        for event in one_minute(minute):
            assert engine.ingest(event) is None
        if minute >= 3 * 60:  # past the warm-up, record the largest state seen
            for name, size in engine.memory_stats().items():
                peaks[name] = max(peaks.get(name, 0), size)
    # The current hour and the one before it (reachable within 300 s of tolerance).
    assert peaks["hour_buckets"] <= 2
    # Per hour, one row per combination of labels: offers to sales and to support (2), each
    # queue's contacts with each of the 10 agents (20), the campaign's dials (1), each agent's
    # state time (10): 33 per bucket, 2 buckets.
    assert peaks["hourly_rows"] <= 2 * 33
    # Lost contacts wait at most 1800 s (+ 300 s between clean-ups): 35 minutes of them, one a
    # minute.
    assert peaks["waiting_contacts"] <= 36
    # Contacts are remembered 3600 s (+ 300 s between clean-ups): 3 per minute, 66 minutes.
    assert peaks["remembered_contacts"] <= 3 * 66
    assert peaks["agents"] == AGENTS
    # Each agent changes state every 10 minutes. Its segments since the start of the hour
    # holding the out-of-order cut are kept (that hour's occupancy is read from them): an hour,
    # plus the 300 s cut and the 300 s between clean-ups, about 8 segments.
    assert peaks["agent_segments"] <= 8 * AGENTS
    assert peaks["nps_scopes"] == 0
    # And the KPIs are still those of the last hour: 120 answered contacts, 5 s each.
    last = engine.snapshot(T0 + HOURS * 3600.0 - 1)
    assert kpi_values(last)[("average_speed_of_answer_seconds", ())] == (5.0, 120.0)
    assert counter(last, "contact_center_contacts_answered")[("sales", "voice")] == HOURS * 60


def test_concurrent_ingest_and_snapshot_keep_exact_totals() -> None:
    engine = KpiEngine(EngineConfig(timezone=UTC, out_of_order_tolerance_seconds=3600.0))
    threads_count, per_thread = 4, 2000
    stop = threading.Event()
    snapshots = 0

    def feed(thread: int) -> None:
        for n in range(per_thread):
            wait = float(n % 30)  # 0..29 s
            at = T0 + 60 + n * 0.5
            assert engine.ingest(answered(at, f"t{thread}-{n}", wait, queue=f"q{thread}")) is None

    def scrape() -> None:
        nonlocal snapshots
        while not stop.is_set():
            engine.snapshot(T0 + 1800)
            snapshots += 1

    scraper = threading.Thread(target=scrape)
    feeders = [threading.Thread(target=feed, args=(t,)) for t in range(threads_count)]
    scraper.start()
    for feeder in feeders:
        feeder.start()
    for feeder in feeders:
        feeder.join()
    stop.set()
    scraper.join()

    assert snapshots > 0
    final = engine.snapshot(T0 + 1800)
    answered_total = counter(final, "contact_center_contacts_answered")
    assert answered_total == {(f"q{t}", "voice"): float(per_thread) for t in range(threads_count)}
    # Waits cycle 0..29: 2000 = 66 full cycles (sum 435 each) + 20 (0..19, sum 190).
    wait_per_thread = 66 * 435 + 190
    assert counter(final, "contact_center_answered_wait_seconds") == {
        (f"q{t}", "voice"): float(wait_per_thread) for t in range(threads_count)
    }
    # Within 20 s: waits 0..20 -> 21 per cycle; 66 * 21 + 20 (0..19 of the last partial cycle).
    within_per_thread = 66 * 21 + 20
    assert kpi_values(final)[("service_level_ratio", ())] == (
        round(within_per_thread / per_thread, 9),
        float(threads_count * per_thread),
    )
