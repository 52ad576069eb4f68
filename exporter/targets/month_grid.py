"""The coming months as calendar grids (weeks Monday first), each date marked with its exception.

The Settings page draws the date exceptions of the coming 12 months this way: a closed day, a day
with special hours, a day with only a different target value. ``split_by_today`` sorts the
exceptions into coming and past ones. Pure logic: the caller passes today and the marks.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

CLOSED = "closed"
HOURS = "hours"
VALUES = "values"
MARK_WORDS = {CLOSED: "closed", HOURS: "special hours", VALUES: "different target"}

_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
WEEKDAY_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True, slots=True)
class Mark:
    kind: str  # CLOSED, HOURS or VALUES
    name: str  # "Christmas"


@dataclass(frozen=True, slots=True)
class DayCell:
    """One square of a month grid; ``day`` is None for the squares before the 1st and after the
    last day (the grid's weeks run Monday to Sunday)."""

    day: date | None
    mark: Mark | None = None
    past: bool = False
    today: bool = False

    @property
    def words(self) -> str:
        """E.g. "Thursday 24 December 2026: special hours, Christmas Eve"."""
        if self.day is None:
            return ""
        when = (
            f"{calendar.day_name[self.day.weekday()]} {self.day.day} "
            f"{_MONTH_NAMES[self.day.month - 1]} {self.day.year}"
        )
        if self.mark is None:
            return when
        return f"{when}: {MARK_WORDS[self.mark.kind]}, {self.mark.name}"


@dataclass(frozen=True, slots=True)
class Month:
    year: int
    month: int
    weeks: tuple[tuple[DayCell, ...], ...]

    @property
    def title(self) -> str:
        return f"{_MONTH_NAMES[self.month - 1]} {self.year}"

    @property
    def marked(self) -> int:
        return sum(1 for week in self.weeks for cell in week if cell.mark is not None)


def months(today: date, marks: Mapping[date, Mark], count: int = 12) -> list[Month]:
    """``count`` months from today's month on, each as weeks of seven ``DayCell``."""
    grids = []
    year, month = today.year, today.month
    weeks_of = calendar.Calendar(firstweekday=0).monthdatescalendar
    for _ in range(count):
        weeks = tuple(
            tuple(
                DayCell(day, marks.get(day), day < today, day == today)
                if day.month == month
                else DayCell(None)
                for day in days
            )
            for days in weeks_of(year, month)
        )
        grids.append(Month(year, month, weeks))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return grids


T = TypeVar("T")


def split_by_today(by_date: Mapping[date, T], today: date) -> tuple[list[T], list[T]]:
    """(coming, past): today and later in date order, and earlier ones latest first."""
    coming = [item for day, item in sorted(by_date.items()) if day >= today]
    past = [item for day, item in sorted(by_date.items(), reverse=True) if day < today]
    return coming, past
