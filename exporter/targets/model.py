"""Targets and calendar as plain values: what ``targets.yaml`` and ``calendar.yaml`` mean.

These types carry no I/O and no validation logic: ``exporter.targets.parse`` builds them from YAML
(refusing invalid files with file, line and reason) and ``exporter.targets.resolve`` answers which
targets are in force at an instant.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, time
from zoneinfo import ZoneInfo

from exporter.scope import Scope

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = weekday()


class Quantifier(enum.StrEnum):
    OR_MORE = "or_more"  # achieved when actual >= value
    OR_LESS = "or_less"  # achieved when actual <= value

    def achieved(self, actual: float, target: float) -> bool:
        """Equality is achieved, whichever the quantifier."""
        return actual >= target if self is Quantifier.OR_MORE else actual <= target


@dataclass(frozen=True, slots=True)
class TimeRange:
    """Wall-clock ``start`` (inclusive) to ``end`` (exclusive) in the calendar's time zone.

    ``end <= start`` crosses midnight; the range then belongs to the day it starts on.
    ``start == end == 00:00`` is the whole day.
    """

    start: time
    end: time

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start


@dataclass(frozen=True, slots=True)
class Schedule:
    """One value of a target, at all times (``days is None``) or on some days in a time range."""

    value: float
    days: frozenset[int] | None = None  # weekday numbers, Monday = 0
    hours: TimeRange | None = None  # None with days set: the whole of those days
    line: int = 0  # where it stands in targets.yaml, for messages and ``source``

    @property
    def at_all_times(self) -> bool:
        return self.days is None and self.hours is None


@dataclass(frozen=True, slots=True)
class Target:
    kpi: str
    quantifier: Quantifier
    schedules: tuple[Schedule, ...]
    scope: Scope = ()
    line: int = 0


# weekday -> on-duty ranges; a day that is missing is off duty
WeeklyHours = dict[int, tuple[TimeRange, ...]]


@dataclass(frozen=True, slots=True)
class OperatingHours:
    """When teams are on duty. ``default is None`` means always on duty (unless overridden)."""

    default: WeeklyHours | None = None
    teams: dict[str, WeeklyHours] = field(default_factory=dict)
    queues: dict[str, WeeklyHours] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExceptionValue:
    """A different value, on an exception's date, for the target with this KPI and scope."""

    kpi: str
    value: float
    scope: Scope = ()
    line: int = 0  # where it stands in calendar.yaml, for ``source``


@dataclass(frozen=True, slots=True)
class DateException:
    """A holiday, closure or day of special hours. ``hours`` replaces the weekly operating hours."""

    date: date
    name: str
    closed: bool = False
    hours: tuple[TimeRange, ...] | None = None
    values: tuple[ExceptionValue, ...] = ()
    line: int = 0


@dataclass(frozen=True, slots=True)
class Calendar:
    timezone: ZoneInfo
    operating_hours: OperatingHours = field(default_factory=OperatingHours)
    exceptions: dict[date, DateException] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TargetSet:
    """Everything the resolver needs: the targets and the calendar they are judged in."""

    targets: tuple[Target, ...]
    calendar: Calendar


@dataclass(frozen=True, slots=True)
class ResolvedTarget:
    """A target in force at one instant, and where its value came from."""

    kpi: str
    scope: Scope
    value: float
    quantifier: Quantifier
    source: str  # e.g. "targets.yaml:14 schedule mon-fri 09:00-17:00 (scope channel=voice)"

    def as_dict(self) -> dict[str, object]:
        return {
            "kpi": self.kpi,
            "scope": dict(self.scope),
            "value": self.value,
            "quantifier": str(self.quantifier),
            "source": self.source,
        }
