"""Each queue's last 30 minutes and who serves it (exporter.engine.recent), through a real engine:
the window's edges, out-of-order events, and membership from declarations, state events naming
a queue and answers."""

from __future__ import annotations

from datetime import UTC, datetime

from exporter.engine import EngineConfig, KpiEngine
from exporter.engine.recent import QueueTraffic
from exporter.events import AgentState, AgentStateEvent, ContactEvent, ContactKind

# 10:00:00 UTC, a whole minute.
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC).timestamp()
VOICE = {"queue": "sales", "channel": "voice"}


def offered(engine: KpiEngine, at: float, number: int, queue: str = "sales") -> None:
    event = ContactEvent(ContactKind.OFFERED, at, f"{queue}-{number}", queue=queue, channel="voice")
    assert engine.ingest(event) is None


def sales(engine: KpiEngine, now: float) -> QueueTraffic:
    (found,) = [q for q in engine.staffing_inputs(now).queues if dict(q.scope) == VOICE]
    return found


def test_the_window_is_the_last_30_minutes_in_whole_minutes() -> None:
    engine = KpiEngine(EngineConfig(out_of_order_tolerance_seconds=3600.0))
    # One call a minute from 10:00 to 10:59 (60 calls).
    for minute in range(60):
        offered(engine, T0 + minute * 60.0 + 5.0, minute)
    # At 10:59:30: from 10:29 (the minute holding 10:29:30) to now, 31 calls over 1830 s.
    before = sales(engine, T0 + 3570.0)
    assert (before.offered, before.seconds) == (31, 1830.0)
    # At 11:00 exactly: the bins of 10:30 to 10:59, 30 calls over 1800 s.
    at_eleven = sales(engine, T0 + 3600.0)
    assert (at_eleven.offered, at_eleven.seconds) == (30, 1800.0)


def test_just_after_the_start_the_window_is_what_was_seen() -> None:
    engine = KpiEngine(EngineConfig())
    for number in range(10):
        offered(engine, T0 + 30.0 * number, number)  # 10 calls from 10:00:00 to 10:04:30
    found = sales(engine, T0 + 300.0)
    assert (found.offered, found.seconds) == (10, 300.0)  # 10 calls in 5 minutes, not in 30


def test_an_out_of_order_event_lands_in_its_minute() -> None:
    engine = KpiEngine(EngineConfig())
    offered(engine, T0 + 1790.0, 1)
    offered(engine, T0 + 1700.0, 2)  # 90 s late, within the engine's tolerance
    assert sales(engine, T0 + 1800.0).offered == 2
    # 30 minutes later both are out of the window; the queue is still listed, with nothing.
    gone = sales(engine, T0 + 3700.0)
    assert (gone.offered, gone.handled, gone.abandoned) == (0, 0, 0)


def test_who_serves_a_queue_and_is_on_duty() -> None:
    engine = KpiEngine(EngineConfig())
    engine.declare(queue="sales", channel="voice", team="blue", agent="ann")
    engine.declare(queue="support", channel="voice", team="blue", agent="ann")
    for agent, state, queue in (
        ("ann", AgentState.AVAILABLE, ""),  # declared for sales and support
        ("bob", AgentState.LOGGED_IN, "sales"),  # queue_log ADDMEMBER: names the queue
        ("cid", AgentState.PAUSED, "sales"),  # paused: not on duty
        ("dan", AgentState.AVAILABLE, ""),  # serves nothing known yet
    ):
        assert engine.ingest(AgentStateEvent(T0, agent, state, "blue", queue)) is None
    # dan answers a sales call: he serves sales from then on.
    offered(engine, T0 + 10.0, 1)
    answer = ContactEvent(
        ContactKind.ANSWERED, T0 + 20.0, "sales-1", wait_seconds=10.0, agent="dan", **VOICE
    )
    assert engine.ingest(answer) is None
    engine.ingest(AgentStateEvent(T0 + 20.0, "dan", AgentState.BUSY, "blue", "sales"))
    inputs = engine.staffing_inputs(T0 + 60.0)
    on_duty = {dict(q.scope)["queue"]: q.on_duty for q in inputs.queues}
    # ann counts on both queues (the documented approximation), once for the team.
    assert on_duty == {"sales": 3, "support": 1}
    assert inputs.teams == {"blue": 3}
    # bob logs out of sales, dan logs out: what events taught is forgotten; ann stays declared.
    engine.ingest(AgentStateEvent(T0 + 70.0, "bob", AgentState.LOGGED_OUT, "blue", "sales"))
    engine.ingest(AgentStateEvent(T0 + 80.0, "dan", AgentState.LOGGED_OUT, "blue", ""))
    engine.ingest(AgentStateEvent(T0 + 90.0, "dan", AgentState.AVAILABLE, "blue", ""))
    inputs = engine.staffing_inputs(T0 + 120.0)
    assert {dict(q.scope)["queue"]: q.on_duty for q in inputs.queues} == {
        "sales": 1,
        "support": 1,
    }


def test_handle_time_abandons_and_waits_are_counted() -> None:
    engine = KpiEngine(EngineConfig())
    offered(engine, T0, 1)
    offered(engine, T0 + 1.0, 2)
    events = [
        ContactEvent(ContactKind.ANSWERED, T0 + 12.0, "sales-1", wait_seconds=12.0, **VOICE),
        ContactEvent(
            ContactKind.ENDED,
            T0 + 200.0,
            "sales-1",
            talk_seconds=150.0,
            hold_seconds=10.0,
            after_contact_work_seconds=20.0,
            **VOICE,
        ),
        ContactEvent(ContactKind.ABANDONED, T0 + 73.0, "sales-2", wait_seconds=72.0, **VOICE),
    ]
    for event in events:
        assert engine.ingest(event) is None
    found = sales(engine, T0 + 600.0)
    # Handle time: talk + hold + after-contact work; waits of both who left the queue.
    assert (found.handled, found.handle_seconds) == (1, 180.0)
    assert (found.abandoned, found.waited_seconds) == (1, 84.0)


def test_replay_and_backfill_keep_no_window() -> None:
    engine = KpiEngine(EngineConfig(recent_traffic=False))
    engine.declare(queue="sales", channel="voice", team="blue", agent="ann")
    offered(engine, T0, 1)
    (found,) = engine.staffing_inputs(T0 + 60.0).queues  # the declared queue, nothing in it
    assert found.offered == 0
