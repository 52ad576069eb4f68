"""Operating hours drawn as a week, and back to ``calendar.yaml``'s day keys.

``calendar.yaml`` writes a weekly schedule with day keys (``mon-fri: "08:00-20:00"``,
``sat: ["09:00-13:00", "14:00-18:00"]``); the Settings page shows it as seven rows, Monday first,
each with its time ranges (none: closed that day). ``days_of`` reads the keys into the seven days,
``day_keys`` writes seven days back as compact keys, each list of ranges once
(``{"mon-fri": [...], "sat": [...]}``). Pure logic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from exporter.targets import daytime
from exporter.targets.model import DAY_NAMES, TimeRange

WHO_DEFAULT = "default"
WHO_TEAM = "teams"
WHO_QUEUE = "queues"
WHOS = (WHO_DEFAULT, WHO_TEAM, WHO_QUEUE)
WEEKDAYS = (0, 1, 2, 3, 4)  # Monday to Friday: what "copy Monday to weekdays" fills

Day = tuple[TimeRange, ...]  # the ranges of one weekday, in the order written; () is closed
Week = tuple[Day, Day, Day, Day, Day, Day, Day]


@dataclass(frozen=True, slots=True)
class WeekHours:
    """The weekly hours of everyone (``who`` is ``default``), a team or a queue (``name``)."""

    who: str
    name: str
    days: Week


CLOSED_WEEK: Week = ((), (), (), (), (), (), ())


def week(days: Sequence[Day]) -> Week:
    """Seven days as a ``Week`` (a shorter list is padded with closed days)."""
    padded = [tuple(day) for day in days[:7]] + [()] * (7 - min(len(days), 7))
    return (padded[0], padded[1], padded[2], padded[3], padded[4], padded[5], padded[6])


def days_of(weekly: Mapping[Any, Any] | None) -> Week:
    """``{"mon-fri": "08:00-20:00", "sat": ["09:00-13:00"]}`` -> the ranges of each weekday.

    Raises ``DayTimeError`` for a day key or range it cannot read (the parser reports those with
    their line; the page only reads files that passed it)."""
    days: list[Day] = [()] * 7
    for key, value in (weekly or {}).items():
        texts = value if isinstance(value, list) else [value]
        ranges = tuple(daytime.parse_range(str(text)) for text in texts)
        for day in daytime.parse_day_item(str(key)):
            days[day] = ranges
    return week(days)


def day_keys(days: Week) -> dict[str, list[str]]:
    """The week as compact day keys, in the order of each key's first day: days with the same
    ranges share one key (``mon-fri``, ``sat,sun``, ``mon,wed,fri``); closed days are left out
    (a day not listed is off duty)."""
    groups: dict[Day, list[int]] = {}
    for index, ranges in enumerate(days):
        if ranges:
            groups.setdefault(ranges, []).append(index)
    return {
        ",".join(daytime.format_day_items(members)): [daytime.format_range(r) for r in ranges]
        for ranges, members in groups.items()
    }


def copy_monday(days: Week) -> Week:
    """Monday's ranges on every weekday (Tuesday to Friday); the weekend as it was."""
    return week([days[0] if index in WEEKDAYS else day for index, day in enumerate(days)])


def weeks_of(section: Mapping[Any, Any] | None) -> list[WeekHours]:
    """The ``operating_hours`` section as weeks: everyone's first, then teams, then queues, each
    in file order."""
    if not isinstance(section, Mapping):
        return []
    found: list[WeekHours] = []
    default = section.get(WHO_DEFAULT)
    if isinstance(default, Mapping):
        found.append(WeekHours(WHO_DEFAULT, "", days_of(default)))
    for who in (WHO_TEAM, WHO_QUEUE):
        named = section.get(who)
        for name, weekly in named.items() if isinstance(named, Mapping) else ():
            if isinstance(weekly, Mapping):
                found.append(WeekHours(who, str(name), days_of(weekly)))
    return found


def day_name(index: int) -> str:
    """0 -> "Monday"."""
    return _DAY_WORDS[index]


_DAY_WORDS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
assert len(_DAY_WORDS) == len(DAY_NAMES)
