"""The engine's parts on their own: local clock hours, agent timelines, the contact memory,
who waits in queue."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from engine_fixtures import T0, instant

from exporter.engine.agents import AgentTimelines
from exporter.engine.clock import LocalHours
from exporter.engine.contacts import ContactMemory
from exporter.engine.scopes import ScopeCache
from exporter.engine.waiting import _COMBINATIONS_KEPT, WaitingContacts
from exporter.events import AgentState


def test_utc_hours() -> None:
    hours = LocalHours(ZoneInfo("UTC"))
    assert hours.bounds(T0 + 1234.5) == (T0, T0 + 3600)
    assert hours.start_of(T0 + 3600) == T0 + 3600  # the hour's end belongs to the next hour
    assert hours.start_of(T0 - 0.001) == T0 - 3600


def test_half_hour_offset_hours_start_at_half_past_utc() -> None:
    hours = LocalHours(ZoneInfo("Asia/Kolkata"))
    start = instant("2026-03-02 10:00", "Asia/Kolkata")
    assert start == instant("2026-03-02 04:30", "UTC")
    assert hours.bounds(start + 10) == (start, start + 3600)


def test_the_repeated_hour_of_a_fall_back_has_its_own_start() -> None:
    hours = LocalHours(ZoneInfo("Europe/Rome"))
    first = instant("2026-10-25 00:00", "UTC")  # 02:00 CEST
    second = instant("2026-10-25 01:00", "UTC")  # 02:00 CET
    assert hours.bounds(first + 1800) == (first, second)
    assert hours.bounds(second + 1800) == (second, second + 3600)


def test_a_spring_forward_hour_ends_at_the_jump() -> None:
    hours = LocalHours(ZoneInfo("Europe/Rome"))
    one_am = instant("2026-03-29 00:00", "UTC")  # 01:00 CET; 02:00 CET becomes 03:00 CEST
    assert hours.bounds(one_am + 10) == (one_am, one_am + 3600)
    assert hours.start_of(one_am + 3600) == one_am + 3600  # 03:00 CEST


def test_a_half_hour_dst_shift_makes_short_and_long_hours() -> None:
    # Lord Howe Island: 2026-10-04 02:00 (+10:30) jumps to 02:30 (+11:00); on 2026-04-05
    # 02:00 (+11:00) falls back to 01:30 (+10:30).
    hours = LocalHours(ZoneInfo("Australia/Lord_Howe"))
    jump = instant("2026-10-03 15:30", "UTC")  # 02:00 +10:30, the instant of the jump
    start, end = hours.bounds(jump + 60)  # 02:31 +11:00
    assert (start, end) == (jump, jump + 1800)  # the 02 hour lasts 30 minutes
    one_am = instant("2026-04-04 14:00", "UTC")  # 01:00 +11:00
    assert hours.bounds(one_am + 10) == (one_am, one_am + 5400)  # 01:00-02:00 lasts 90 minutes


def _change(
    at: float, agent: str, team: str, agent_state: AgentState
) -> tuple[float, str, AgentState, str]:
    """``AgentTimelines.record``'s first arguments: ``agent`` (of ``team``) changes at ``at``."""
    return at, agent, agent_state, team


def _recorder() -> tuple[AgentTimelines, dict[tuple[str, str, str], float]]:
    """Timelines whose counters add into the dictionary returned with them."""
    counted: dict[tuple[str, str, str], float] = {}

    def add(key: tuple[str, str, str], seconds: float) -> None:
        counted[key] = counted.get(key, 0.0) + seconds

    return AgentTimelines(add), counted


def _time(timelines: AgentTimelines, start: float, end: float, now: float) -> dict[str, float]:
    """ann's seconds per state in [T0 + start, T0 + end), up to T0 + now."""
    found = timelines.time_in(T0 + start, T0 + end, T0 + now)
    return {str(state): seconds for state, seconds in found.get(("blue", "ann"), {}).items()}


def test_a_state_reported_before_the_first_known_one_lasts_until_it() -> None:
    timelines, _ = _recorder()
    timelines.record(*_change(T0 + 600, "ann", "blue", AgentState.BUSY), keep_from=T0)
    timelines.record(*_change(T0 + 100, "ann", "blue", AgentState.AVAILABLE), keep_from=T0)
    assert _time(timelines, 0, 3600, 900) == {"available": 500.0, "busy": 300.0}
    assert [state for _, state, _ in timelines.current()] == [AgentState.BUSY]


def test_two_changes_at_one_instant_the_later_reported_wins() -> None:
    timelines, _ = _recorder()
    timelines.record(*_change(T0, "ann", "blue", AgentState.AVAILABLE), keep_from=T0)
    timelines.record(*_change(T0 + 60, "ann", "blue", AgentState.BUSY), keep_from=T0)
    timelines.record(*_change(T0 + 60, "ann", "blue", AgentState.PAUSED), keep_from=T0)
    assert _time(timelines, 0, 3600, 100) == {"available": 60.0, "paused": 40.0}  # no busy
    assert [state for _, state, _ in timelines.current()] == [AgentState.PAUSED]


def test_a_change_inside_a_closed_segment_splits_it() -> None:
    timelines, _ = _recorder()
    for at, agent_state in ((0, AgentState.AVAILABLE), (100, AgentState.BUSY)):
        timelines.record(*_change(T0 + at, "ann", "blue", agent_state), keep_from=T0)
    timelines.record(*_change(T0 + 40, "ann", "blue", AgentState.PAUSED), keep_from=T0)
    assert _time(timelines, 0, 3600, 150) == {"available": 40.0, "paused": 60.0, "busy": 50.0}
    # Only the part of each segment within the hour asked about counts.
    assert _time(timelines, 50, 120, 150) == {"paused": 50.0, "busy": 20.0}


def test_segments_behind_the_kept_hour_are_dropped_into_the_counters() -> None:
    timelines, counted = _recorder()
    for minute in range(10):
        agent_state = (AgentState.BUSY, AgentState.AVAILABLE)[minute % 2]
        timelines.record(*_change(T0 + 60 * minute, "ann", "blue", agent_state), keep_from=T0)
    assert timelines.segment_count() == 10
    timelines.trim(T0 + 60 * 8)  # segments that ended by 8 min are not needed for any hour
    assert timelines.segment_count() == 2  # the one from 8 min (ends 9 min) and the open one
    assert counted == {("blue", "ann", "on_contact"): 240.0, ("blue", "ann", "available"): 240.0}


def test_a_long_timeline_is_trimmed_as_it_grows() -> None:
    timelines, counted = _recorder()
    for second in range(200):
        timelines.record(*_change(T0 + second, "ann", "blue", AgentState.BUSY), keep_from=T0 + 100)
    assert timelines.segment_count() <= 101  # what the kept hour still holds, fewer than 200
    assert counted == {("blue", "ann", "on_contact"): 200.0 - timelines.segment_count()}


def test_an_agent_keeps_its_team_when_a_state_omits_it() -> None:
    timelines, _ = _recorder()
    timelines.record(*_change(T0, "ann", "blue", AgentState.AVAILABLE), keep_from=T0)
    timelines.record(*_change(T0 + 60, "ann", "", AgentState.BUSY), keep_from=T0)
    assert timelines.team_of("ann") == "blue"
    assert timelines.available_counts([(), ("team",)]) == {(): 0, (("team", "blue"),): 0}


def test_the_contact_memory_forgets_by_age_and_by_count() -> None:
    memory = ContactMemory(max_age=100.0, max_entries=3)
    for n in range(5):
        memory.remember(f"c{n}", memory.get(f"c{n}"), "q", "", "", "", "", T0 + n)
    assert len(memory) == 3  # c2, c3, c4
    assert memory.get("c1") is None
    assert memory.get("c4") is not None
    memory.forget_old(T0 + 103)  # keeps heard_at >= T0 + 3: c2 (T0 + 2) goes, c3 stays
    assert [cid for cid in ("c2", "c3", "c4") if memory.get(cid)] == ["c3", "c4"]


def test_the_contact_memory_keeps_the_latest_word_but_not_blanks() -> None:
    memory = ContactMemory(max_age=100.0, max_entries=10)
    memory.remember("c", memory.get("c"), "q", "", "", "ann", "", T0)
    facts = memory.remember("c", memory.get("c"), "", "", "", "bob", "", T0)
    assert (facts.queue, facts.agent) == ("q", "bob")


def test_waiting_contacts_report_every_scope_offered_in_past_the_combinations_kept() -> None:
    # More label combinations than are kept as such (a stream of ever-new agents): their
    # scopes are kept instead, and every one is still reported, with who waits there now.
    cache = ScopeCache((("channel",), ("channel", "queue")), (), ())
    waiting = WaitingContacts()
    combinations = _COMBINATIONS_KEPT + 5
    for n in range(combinations):
        queue = "first" if n == 0 else f"q{n % 3}"  # seen once, before the bound is reached
        waiting.see(cache.of(queue, "voice", "", f"agent{n}", ""))
    waiting.enter("c1", T0, cache.of("q9", "voice", "", "", ""))
    view = waiting.by_scope()
    queues = {(("channel", "voice"), ("queue", name)) for name in ("first", "q0", "q1", "q2", "q9")}
    assert set(view) == {(("channel", "voice"),), *queues}
    assert view[(("channel", "voice"), ("queue", "q9"))].waiting == 1
    assert view[(("channel", "voice"), ("queue", "q0"))].waiting == 0
    assert view[(("channel", "voice"),)].waiting == 1
