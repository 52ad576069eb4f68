"""Operating hours as a week (``exporter.targets.week_hours``) and written back to calendar.yaml
(``calendar_edit.set_operating_weeks``): the same text as written by hand, comments kept."""

from __future__ import annotations

from datetime import time

import pytest

from exporter.targets import calendar_edit, week_hours
from exporter.targets.daytime import DayTimeError, parse_range
from exporter.targets.model import TimeRange
from exporter.targets.week_hours import WeekHours, week

NINE_FIVE = (parse_range("09:00-17:00"),)
SPLIT = (parse_range("08:00-12:00"), parse_range("14:00-18:00"))
NIGHT = (parse_range("22:00-06:00"),)


def test_day_keys_are_read_into_seven_days() -> None:
    days = week_hours.days_of({"mon-fri": "09:00-17:00", "sat,sun": ["08:00-12:00", "14:00-18:00"]})
    assert days == (NINE_FIVE,) * 5 + (SPLIT, SPLIT)
    assert week_hours.days_of({"fri-mon": "22:00-06:00"}) == (
        NIGHT,
        (),
        (),
        (),
        NIGHT,
        NIGHT,
        NIGHT,
    )
    assert week_hours.days_of(None) == week_hours.CLOSED_WEEK
    assert NIGHT[0] == TimeRange(time(22, 0), time(6, 0)) and NIGHT[0].crosses_midnight


def test_a_bad_key_is_an_error_not_a_guess() -> None:
    with pytest.raises(DayTimeError, match="unknown day 'weekdays'"):
        week_hours.days_of({"weekdays": "09:00-17:00"})


def test_seven_days_are_written_as_compact_keys_each_range_list_once() -> None:
    days = week([NINE_FIVE, NINE_FIVE, NINE_FIVE, NINE_FIVE, NINE_FIVE, SPLIT, ()])
    assert week_hours.day_keys(days) == {
        "mon-fri": ["09:00-17:00"], "sat": ["08:00-12:00", "14:00-18:00"]}  # fmt: skip
    # the same ranges on days apart share a key; a run of two stays two names; Sunday closed
    days = week([SPLIT, NINE_FIVE, SPLIT, NINE_FIVE, SPLIT, NIGHT, NIGHT])
    assert week_hours.day_keys(days) == {
        "mon,wed,fri": ["08:00-12:00", "14:00-18:00"], "tue,thu": ["09:00-17:00"],
        "sat,sun": ["22:00-06:00"]}  # fmt: skip
    assert week_hours.day_keys(week_hours.CLOSED_WEEK) == {}
    whole = week([(parse_range("00:00-24:00"),)] * 7)
    assert week_hours.day_keys(whole) == {"mon-sun": ["00:00-24:00"]}


def test_copy_monday_fills_tuesday_to_friday_and_keeps_the_weekend() -> None:
    days = week([SPLIT, (), NINE_FIVE, (), (), NINE_FIVE, NIGHT])
    assert week_hours.copy_monday(days) == (SPLIT,) * 5 + (NINE_FIVE, NIGHT)


def test_writing_a_week_back_and_reading_it_gives_the_same_week() -> None:
    days = week([SPLIT, NINE_FIVE, (), NIGHT, SPLIT, (), NINE_FIVE])
    assert week_hours.days_of(week_hours.day_keys(days)) == days


# --- calendar.yaml: the week editor writes what a person would have written -----------------

BEFORE = """\
# The calendar (hand-written)
timezone: Europe/Rome

# When we are open
operating_hours:
  default:
    mon-fri: "08:00-20:00"  # the usual week
    sat: "09:00-13:00"

# Holidays
exceptions:
  - {date: 2026-12-25, name: Christmas, closed: true}
"""

# A split day (Monday and Wednesday), an overnight team, Sunday closed: as written by hand.
BY_HAND = """\
# The calendar (hand-written)
timezone: Europe/Rome

# When we are open
operating_hours:
  default:
    mon,wed: ["08:00-12:00", "14:00-18:00"]
    tue,thu,fri: "09:00-17:00"
    sat: "09:00-13:00"
  teams:
    night: {mon-sat: "22:00-06:00"}

# Holidays
exceptions:
  - {date: 2026-12-25, name: Christmas, closed: true}
"""

SATURDAY = (parse_range("09:00-13:00"),)
EDITED = [
    WeekHours("default", "", week([SPLIT, NINE_FIVE, SPLIT, NINE_FIVE, NINE_FIVE, SATURDAY, ()])),
    WeekHours("teams", "night", week([NIGHT] * 6 + [()])),
]


def test_a_week_edited_gives_the_hand_written_file() -> None:
    assert calendar_edit.set_operating_weeks(BEFORE, EDITED) == BY_HAND
    assert calendar_edit.operating_weeks(BY_HAND) == EDITED


def test_an_unchanged_week_keeps_its_text_and_comments() -> None:
    weeks = calendar_edit.operating_weeks(BEFORE)
    assert calendar_edit.set_operating_weeks(BEFORE, weeks) == BEFORE
    # a team added: everyone's hours keep their keys and end-of-line comment
    added = [*weeks, WeekHours("queues", "vip", week([NIGHT] * 7))]
    text = calendar_edit.set_operating_weeks(BEFORE, added)
    assert '    mon-fri: "08:00-20:00"  # the usual week\n    sat: "09:00-13:00"\n' in text
    assert '  queues:\n    vip: {mon-sun: "22:00-06:00"}\n\n# Holidays\n' in text


def test_no_weeks_means_always_on_duty() -> None:
    text = calendar_edit.set_operating_weeks(BEFORE, [])
    assert "operating_hours" not in text and "# Holidays\nexceptions:" in text
