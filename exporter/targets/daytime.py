"""Day names, day ranges and wall-clock times as users write them, and back.

Shared by the parser (reading ``days: [mon-fri]``, ``from: "09:00"``), the dumper (writing them
back) and the resolver (describing in words which schedule produced a value). Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import time

from exporter.targets.model import DAY_NAMES, TimeRange

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY

_TIME_PATTERN = re.compile(r"(\d{2}):(\d{2})")
_END_OF_DAY = "24:00"


class DayTimeError(ValueError):
    """A day or time written in a way this module cannot read; the message says why."""


def parse_day(text: str) -> int:
    """``"mon"`` -> 0 ... ``"sun"`` -> 6 (case-insensitive)."""
    name = text.strip().lower()
    if name not in DAY_NAMES:
        raise DayTimeError(
            f"unknown day {text!r}: use {', '.join(DAY_NAMES)} or a range like mon-fri"
        )
    return DAY_NAMES.index(name)


def parse_day_item(text: str) -> frozenset[int]:
    """One item of a day list: a day (``"sat"``), a range (``"mon-fri"``, wrapping ``"sat-mon"``)
    or several of those joined by commas (``"sat,sun"``)."""
    days: set[int] = set()
    for part in text.split(","):
        if not part.strip():
            raise DayTimeError(f"empty day in {text!r}")
        first, dash, last = part.partition("-")
        if not dash:
            days.add(parse_day(first))
            continue
        start, end = parse_day(first), parse_day(last)
        days.update((start + offset) % 7 for offset in range((end - start) % 7 + 1))
    return frozenset(days)


def parse_time(text: str, *, allow_end_of_day: bool = False) -> time:
    """``"HH:MM"`` on a 24-hour clock; ``"24:00"`` (read as midnight) only where it ends a range."""
    match = _TIME_PATTERN.fullmatch(text.strip())
    if match is None:
        raise DayTimeError(f'bad time {text!r}: expected HH:MM on a 24-hour clock, e.g. "09:30"')
    hour, minute = int(match.group(1)), int(match.group(2))
    if text.strip() == _END_OF_DAY:
        if allow_end_of_day:
            return time(0, 0)
        raise DayTimeError('"24:00" may only end a time range')
    if hour > 23:
        raise DayTimeError(f"bad time {text!r}: hour {hour} is over 23")
    if minute > 59:
        raise DayTimeError(f"bad time {text!r}: minute {minute} is over 59")
    return time(hour, minute)


def parse_range(text: str) -> TimeRange:
    """``"08:00-20:00"``; an end at or before the start crosses midnight (``"22:00-06:00"``)."""
    start, dash, end = text.partition("-")
    if not dash:
        raise DayTimeError(f'bad time range {text!r}: expected HH:MM-HH:MM, e.g. "08:00-20:00"')
    return TimeRange(parse_time(start), parse_time(end, allow_end_of_day=True))


def format_time(value: time, *, is_end: bool = False) -> str:
    if is_end and value == time(0, 0):
        return _END_OF_DAY
    return f"{value.hour:02d}:{value.minute:02d}"


def format_range(hours: TimeRange) -> str:
    return f"{format_time(hours.start)}-{format_time(hours.end, is_end=True)}"


def day_runs(days: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive runs of weekdays, Monday first, without wrapping: {0,1,2,4} -> [(0,2),(4,4)]."""
    runs: list[tuple[int, int]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] == day - 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def format_day_items(days: Iterable[int]) -> list[str]:
    """Compact day list items: {0,1,2,3,4,6} -> ["mon-fri", "sun"]; a run of two stays two names."""
    items: list[str] = []
    for first, last in day_runs(days):
        if last - first >= 2:
            items.append(f"{DAY_NAMES[first]}-{DAY_NAMES[last]}")
        else:
            items.extend(DAY_NAMES[day] for day in range(first, last + 1))
    return items


def format_days(days: Iterable[int]) -> str:
    """Days in words for messages: ``"mon-fri,sun"``; every day is ``"every day"``."""
    day_set = set(days)
    if len(day_set) == 7:
        return "every day"
    return ",".join(format_day_items(day_set))


def format_week_minute(minute: int) -> str:
    """Minute of the week (Monday 00:00 = 0) in words: 600 -> ``"mon 10:00"``."""
    day, rest = divmod(minute % MINUTES_PER_WEEK, MINUTES_PER_DAY)
    return f"{DAY_NAMES[day]} {rest // 60:02d}:{rest % 60:02d}"


def minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def week_intervals(days: frozenset[int] | None, hours: TimeRange | None) -> list[tuple[int, int]]:
    """The minutes of the week ``[start, end)`` a timed slot covers, split where the week wraps.

    ``days is None`` is every day; ``hours is None`` is whole days. A range that crosses midnight
    covers its start day from ``start`` and the next day until ``end``.
    """
    intervals: list[tuple[int, int]] = []
    for day in sorted(range(7) if days is None else days):
        day_start = day * MINUTES_PER_DAY
        if hours is None:
            start, end = day_start, day_start + MINUTES_PER_DAY
        else:
            start = day_start + minutes(hours.start)
            end = day_start + minutes(hours.end)
            if hours.crosses_midnight:
                end += MINUTES_PER_DAY
        if end > MINUTES_PER_WEEK:
            intervals.append((start, MINUTES_PER_WEEK))
            intervals.append((0, end - MINUTES_PER_WEEK))
        else:
            intervals.append((start, end))
    return intervals


def first_common_minute(left: list[tuple[int, int]], right: list[tuple[int, int]]) -> int | None:
    """The earliest minute of the week both interval lists cover, or None when they are disjoint."""
    common = [
        max(a_start, b_start)
        for a_start, a_end in left
        for b_start, b_end in right
        if max(a_start, b_start) < min(a_end, b_end)
    ]
    return min(common) if common else None
