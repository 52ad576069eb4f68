"""What-if scoring against a hand-built history (Europe/Rome, Thu 26 - Mon 30 March 2026): a
schedule boundary inside an hour (09:30), the DST night (Sunday 29th has no 02:00), a closed
holiday (Friday 27th), a date exception with its own value (Monday 30th at 50 %), low volume, an
hour with no value and off-duty hours with values that must not count. Every figure below was
worked out by hand from the table in HOURS."""

from __future__ import annotations

import pytest
from engine_fixtures import instant

from exporter.engine.clock import LocalHours
from exporter.scope import Scope, scope_of
from exporter.targets.model import Quantifier, Target, TargetSet
from exporter.targets.parse import parse_texts
from exporter.targets.periods import PeriodJudge
from exporter.whatif.score import (
    HourValue,
    compare,
    find_target,
    hours_between,
    round_shown,
    suggest,
)

ZONE = "Europe/Rome"
SL = "service_level_ratio"
VOICE = scope_of({"channel": "voice"})
CHAT = scope_of({"channel": "chat"})
IN_FORCE = """\
targets:
  - kpi: service_level_ratio
    scope: {channel: voice}
    quantifier: or_more
    schedules:
      - value: 0.80
      - days: [mon, tue, wed, thu, fri]
        from: "08:00"
        to: "10:00"
        value: 0.85
"""
PROPOSED = """\
targets:
  - kpi: service_level_ratio
    scope: {channel: voice}
    quantifier: or_more
    schedules:
      - value: 0.70
      - days: [mon, tue, wed, thu, fri]
        from: "08:00"
        to: "09:30"
        value: 0.90
"""
CALENDAR = """\
timezone: Europe/Rome
operating_hours:
  default: {mon-fri: "08:00-12:00", sun: "01:00-04:00"}
exceptions:
  - {date: 2026-03-27, name: Patron saint, closed: true}
  - date: 2026-03-30
    name: Inventory
    values:
      - {kpi: service_level_ratio, scope: {channel: voice}, value: 0.5}
"""
# Local hour start -> (value, sample size) of the voice channel.
HOURS = {
    "2026-03-26 08:00": (0.88, 50),  # proposed 90 % row: missed; today 85 % row: met
    "2026-03-26 09:00": (0.86, 50),  # ends after 09:30: proposed at all times 70 %: met
    "2026-03-26 10:00": (0.75, 50),  # proposed 70 % met; today 80 % missed
    "2026-03-26 11:00": (0.95, 5),  # low volume (fewer than 20 answers)
    "2026-03-26 13:00": (0.10, 50),  # off duty: not judged
    "2026-03-27 10:00": (0.20, 50),  # closed holiday: not judged
    "2026-03-29 01:00": (0.7237, 30),  # proposed 70 % met; today 80 % missed
    # 2026-03-29 03:00 (on duty, the hour after the DST jump) has no value: no data
    "2026-03-30 08:00": (0.55, 50),  # the exception's 50 %: met
    "2026-03-30 09:00": (0.45, 50),  # missed
    "2026-03-30 10:00": (0.60, 50),  # met
    "2026-03-30 11:00": (0.52, 50),  # met
}


def parsed(targets: str) -> TargetSet:
    result = parse_texts(targets, CALENDAR)
    assert result.target_set is not None, [str(problem) for problem in result.problems]
    return result.target_set


def window() -> list[tuple[float, float]]:
    return hours_between(
        instant("2026-03-26 00:00", ZONE),
        instant("2026-03-31 00:00", ZONE),
        LocalHours(parsed(IN_FORCE).calendar.timezone),
    )


def history() -> dict[Scope, dict[float, HourValue]]:
    voice = {instant(at, ZONE): HourValue(value, size) for at, (value, size) in HOURS.items()}
    chat = {instant("2026-03-26 08:00", ZONE): HourValue(0.1, 50)}  # no chat target: not judged
    # The sales queue's series is at the queue level: a channel target's figures leave it out.
    sales = {instant(at, ZONE): HourValue(0.0, 50) for at in HOURS}
    return {VOICE: voice, CHAT: chat, scope_of({"channel": "voice", "queue": "sales"}): sales}


def proposed_target() -> Target:
    target = find_target(parsed(PROPOSED), SL, VOICE)
    assert target is not None
    return target


def test_the_window_has_its_local_hours_one_fewer_on_the_dst_night() -> None:
    hours = window()
    assert len(hours) == 5 * 24 - 1
    assert all(start < end for start, end in hours)
    assert hours[0][0] == instant("2026-03-26 00:00", ZONE)
    assert hours[-1][1] == instant("2026-03-31 00:00", ZONE)


def test_the_proposed_target_in_total_and_per_row() -> None:
    result = compare(proposed_target(), parsed(IN_FORCE), window(), history())
    total = result.proposed.total
    assert (total.judged, total.met, total.missed, total.low_volume, total.no_data) == (
        8,
        6,
        2,
        1,
        1,
    )
    assert total.met_share == pytest.approx(6 / 8)
    rows = {row.label: row for row in result.proposed.rows}
    assert list(rows) == ["At all times", "Mon-Fri 08:00-09:30", "2026-03-30 Inventory"]
    always, morning, inventory = rows.values()
    assert (always.tally.met, always.tally.missed, always.tally.low_volume) == (3, 0, 1)
    assert always.tally.no_data == 1  # the hour after the DST jump
    assert sorted(always.values) == [0.7237, 0.75, 0.86]
    assert (morning.tally.met, morning.tally.missed, morning.tally.judged) == (0, 1, 1)
    assert (inventory.index, inventory.value) == (None, 0.5)
    assert (inventory.tally.met, inventory.tally.missed) == (3, 1)


def test_the_target_in_force_today_over_the_same_hours() -> None:
    today = compare(proposed_target(), parsed(IN_FORCE), window(), history()).today
    assert today is not None
    total = today.total
    assert (total.judged, total.met, total.missed, total.low_volume, total.no_data) == (
        8,
        5,
        3,
        1,
        1,
    )
    assert total.met_share == pytest.approx(5 / 8)
    always, morning, inventory = today.rows
    assert (always.label, always.tally.met, always.tally.missed) == ("At all times", 0, 2)
    assert (morning.label, morning.tally.met, morning.tally.missed) == ("Mon-Fri 08:00-10:00", 2, 0)
    assert (inventory.tally.met, inventory.tally.missed) == (3, 1)


def test_the_week_grid_shares_met_by_weekday_and_local_hour() -> None:
    grid = compare(proposed_target(), parsed(IN_FORCE), window(), history()).proposed.grid_shares()
    thursday, sunday, monday = grid[3], grid[6], grid[0]
    assert thursday[8:12] == [0.0, 1.0, 1.0, None]  # 11:00 was low volume
    assert sunday[1] == 1.0 and sunday[2] is None and sunday[3] is None  # no 02:00; 03:00 no data
    assert monday[8:12] == [1.0, 0.0, 1.0, 1.0]
    filled = {(day, hour) for day in range(7) for hour in range(24) if grid[day][hour] is not None}
    assert len(filled) == 3 + 1 + 4


def test_suggestions_per_schedule_row_rounded_as_shown() -> None:
    result = compare(proposed_target(), parsed(IN_FORCE), window(), history())
    always, morning, inventory = result.proposed.rows
    # 80 % of 3 values is 3 of them: the lowest, 72.37 % shown as 72.3 % (rounded down: still met)
    assert always.suggestion == 0.723
    assert morning.suggestion == 0.88
    assert inventory.suggestion is None  # an exception's value is the calendar's, not a row's
    half = compare(proposed_target(), parsed(IN_FORCE), window(), history(), share=0.5)
    assert half.proposed.rows[0].suggestion == 0.75  # 2 of 3 met


def test_no_target_in_force_today_and_no_judged_hour() -> None:
    empty = TargetSet(targets=(), calendar=parsed(IN_FORCE).calendar)
    result = compare(proposed_target(), empty, window(), history())
    assert result.today is None
    assert (result.proposed.total.judged, result.proposed.total.met) == (8, 6)
    nothing = compare(proposed_target(), empty, window(), {})  # no scope has any value
    assert nothing.proposed.total.judged == 0 and nothing.proposed.total.met_share is None


def test_suggest_for_or_less_rounds_up_to_the_shown_decimal() -> None:
    values = [25.0, 30.04, 40.0]
    assert suggest(values, Quantifier.OR_LESS, 0.6, "average_speed_of_answer_seconds") == 30.1
    assert suggest(values, Quantifier.OR_LESS, 0.8, "average_speed_of_answer_seconds") == 40.0
    assert suggest([], Quantifier.OR_MORE, 0.8, SL) is None
    assert round_shown(0.85, SL, down=True) == 0.85  # already as shown: unchanged
    assert round_shown(4.256, "customer_satisfaction_score", down=True) == 4.25
    with pytest.raises(ValueError, match="share"):
        compare(proposed_target(), parsed(IN_FORCE), window(), history(), share=0)


def test_hours_judged_once_per_week_agree_with_judging_every_hour() -> None:
    # 90 days across the October DST change, a closed date, an exception value, a night shift
    # past midnight and a schedule boundary inside an hour: the kept weekly answers
    # (exporter.whatif.score._Judgments) equal PeriodJudge asked hour by hour.
    targets = """\
targets:
  - kpi: service_level_ratio
    scope: {channel: voice}
    quantifier: or_more
    schedules:
      - value: 0.70
      - {days: [mon, tue, wed, thu, fri], from: "08:30", to: "17:00", value: 0.85}
      - {days: [sat], from: "22:00", to: "02:00", value: 0.60}
"""
    calendar = """\
timezone: Europe/Rome
operating_hours:
  default: {mon-fri: "08:00-18:00", sat: "21:00-03:00"}
exceptions:
  - {date: 2026-10-31, name: Closed Saturday, closed: true}
  - date: 2026-11-02
    name: Short day
    hours: ["10:00-12:00"]
    values:
      - {kpi: service_level_ratio, scope: {channel: voice}, value: 0.5}
"""
    result = parse_texts(targets, calendar)
    assert result.target_set is not None, [str(problem) for problem in result.problems]
    target_set = result.target_set
    hours = hours_between(
        instant("2026-09-01 00:00", ZONE),
        instant("2026-11-30 00:00", ZONE),
        LocalHours(target_set.calendar.timezone),
    )
    values = {
        start: HourValue(0.5 + (index % 9) / 20, 40) for index, (start, _) in enumerate(hours)
    }
    target = find_target(target_set, SL, VOICE)
    assert target is not None
    scored = compare(target, target_set, hours, {VOICE: values}).today
    assert scored is not None
    by_hand = {"met": 0, "missed": 0}
    for start, end in hours:
        judging = PeriodJudge(target_set, start, end).target_for(SL, dict(VOICE))
        if judging is not None:
            met = values[start].value >= judging.value  # type: ignore[operator]
            by_hand["met" if met else "missed"] += 1
    assert (scored.total.met, scored.total.missed) == (by_hand["met"], by_hand["missed"])
    assert scored.total.judged > 600
