"""Which targets are in force at an instant: schedules, calendar, scope precedence. Pure logic.

``resolve(target_set, at)`` does the per-instant work once: it converts the instant to the
calendar's wall-clock time, picks each target's value in force (an exception value for today's
date beats a timed schedule, which beats the at-all-times one) and indexes the targets in force per
KPI, most specific scope first. ``Resolution.for_series`` then answers per ``kpi_value`` series
with a few dictionary look-ups, caching operating-hours answers per (queue, team).

Rules users rely on (README "How a target is chosen"):

- A target matches a series when every label of its scope equals the series' label. The most
  specific matching target *in force* wins: more labels first, then the earlier label in
  ``catalog.SCOPE_LABELS`` (agent > queue > team > campaign > channel). A more specific target
  with no schedule in force right now falls through to the next one.
- Outside operating hours, and on closed dates, no target is in force at all. Operating hours are
  the series' queue's if configured, else its team's, else the default; none configured means
  always on duty. An exception's special hours replace that date's weekly hours for everyone.
- A range (schedule or operating hours) whose end is at or before its start crosses midnight and
  belongs to the day it starts on; it spills into the next date unless that date is closed.
- An exception value holds for the whole of its date, whenever anyone is on duty.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta

from exporter.catalog import SCOPE_LABELS
from exporter.scope import Scope
from exporter.targets.model import (
    Calendar,
    OperatingHours,
    ResolvedTarget,
    Schedule,
    Target,
    TargetSet,
    TimeRange,
    WeeklyHours,
)
from exporter.targets.wording import schedule_in_message, scope_in_message

TARGETS_FILE = "targets.yaml"
CALENDAR_FILE = "calendar.yaml"

_LAST_RANK = len(SCOPE_LABELS)

# One label set of a KPI's targets in force: a getter pulling those labels' values out of a series'
# labels (KeyError when one is missing) and the targets keyed by what the getter returns.
_ScopeTable = tuple[Callable[[Mapping[str, str]], object], dict[object, ResolvedTarget]]


def resolve(target_set: TargetSet, at: datetime) -> Resolution:
    """The targets in force at ``at`` (timezone-aware)."""
    return Resolution(target_set, at)


def is_on_duty(calendar: Calendar, at: datetime, labels: Mapping[str, str]) -> bool:
    """Whether the queue/team named in ``labels`` is on duty at ``at`` (timezone-aware)."""
    local = _local(calendar, at)
    weekly = _weekly_hours_for(calendar.operating_hours, labels)
    return _on_duty(calendar, weekly, local.date(), local.time())


def specificity(scope: Scope) -> tuple[int, tuple[int, ...]]:
    """Sort key, most specific first: more labels, then labels earlier in SCOPE_LABELS."""
    ranks = sorted(_rank(label) for label, _ in scope)
    return (-len(scope), tuple(ranks))


class Resolution:
    """The targets in force at one instant, answering per series or all at once."""

    def __init__(self, target_set: TargetSet, at: datetime) -> None:
        self.calendar = target_set.calendar
        self.at = at
        self.local = _local(self.calendar, at)
        self._date = self.local.date()
        self._clock = self.local.time()
        exception = self.calendar.exceptions.get(self._date)
        self._exception_values = {
            (special.kpi, special.scope): special
            for special in (exception.values if exception is not None else ())
        }
        self._in_force: list[ResolvedTarget] = []
        for target in target_set.targets:
            resolved = self._value_in_force(target)
            if resolved is not None:
                self._in_force.append(resolved)
        self._index = _build_index(self._in_force)
        self._duty_cache: dict[tuple[str | None, str | None], bool] = {}

    def for_series(self, kpi: str, labels: Mapping[str, str]) -> ResolvedTarget | None:
        """The target in force for one ``kpi_value`` series, or None (no target, or off duty)."""
        tables = self._index.get(kpi)
        if not tables or not self.on_duty(labels):
            return None
        for values_of, table in tables:
            try:
                found = table.get(values_of(labels))
            except KeyError:
                continue  # the series lacks a label this scope needs
            if found is not None:
                return found
        return None

    def all(self) -> list[ResolvedTarget]:
        """Every target in force, each at its own scope (operating hours judged for that scope)."""
        in_force = [resolved for resolved in self._in_force if self.on_duty(dict(resolved.scope))]
        return sorted(in_force, key=lambda resolved: (resolved.kpi, resolved.scope))

    def on_duty(self, labels: Mapping[str, str]) -> bool:
        key = (labels.get("queue"), labels.get("team"))
        answer = self._duty_cache.get(key)
        if answer is None:
            weekly = _weekly_hours_for(self.calendar.operating_hours, labels)
            answer = _on_duty(self.calendar, weekly, self._date, self._clock)
            self._duty_cache[key] = answer
        return answer

    def _value_in_force(self, target: Target) -> ResolvedTarget | None:
        if self._exception_values:
            special = self._exception_values.get((target.kpi, target.scope))
            if special is not None:
                exception = self.calendar.exceptions[self._date]
                source = (
                    f"{CALENDAR_FILE}:{special.line or exception.line} exception "
                    f"{exception.date.isoformat()} {exception.name}, "
                    f"{scope_in_message(target.scope)}"
                )
                return _resolved(target, special.value, source)
        chosen = _schedule_in_force(target.schedules, self._date.weekday(), self._clock)
        if chosen is None:
            return None
        return _resolved(target, chosen.value, _schedule_source(chosen, target.scope))


def _resolved(target: Target, value: float, source: str) -> ResolvedTarget:
    return ResolvedTarget(target.kpi, target.scope, value, target.quantifier, source)


# Targets change rarely and are resolved at every scrape: word each (schedule, scope) once.
@functools.lru_cache(maxsize=65_536)
def _schedule_source(schedule: Schedule, scope: Scope) -> str:
    return (
        f"{TARGETS_FILE}:{schedule.line} schedule {schedule_in_message(schedule)}, "
        f"{scope_in_message(scope)}"
    )


def _rank(label: str) -> int:
    return SCOPE_LABELS.index(label) if label in SCOPE_LABELS else _LAST_RANK


def _build_index(in_force: list[ResolvedTarget]) -> dict[str, list[_ScopeTable]]:
    by_kpi: dict[str, dict[tuple[str, ...], dict[object, ResolvedTarget]]] = {}
    for resolved in in_force:
        keys = tuple(label for label, _ in resolved.scope)
        table = by_kpi.setdefault(resolved.kpi, {}).setdefault(keys, {})
        # setdefault keeps the first of two same-scope targets (a validated set has none)
        table.setdefault(_values_of(keys)(dict(resolved.scope)), resolved)
    return {
        kpi: [
            (_values_of(keys), table)
            for keys, table in sorted(
                tables.items(), key=lambda item: specificity(tuple((k, "") for k in item[0]))
            )
        ]
        for kpi, tables in by_kpi.items()
    }


def _values_of(keys: tuple[str, ...]) -> Callable[[Mapping[str, str]], object]:
    """The values of ``keys`` in a label mapping: () for none, the value for one, else a tuple."""
    if not keys:
        return _no_values
    return operator.itemgetter(*keys)


def _no_values(labels: Mapping[str, str]) -> object:
    return ()


def _local(calendar: Calendar, at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"instant {at.isoformat()} has no time zone offset")
    return at.astimezone(calendar.timezone)


def _schedule_in_force(
    schedules: tuple[Schedule, ...], weekday: int, clock: time
) -> Schedule | None:
    """The timed schedule covering (weekday, clock), else the at-all-times one, else None."""
    at_all_times: Schedule | None = None
    for schedule in schedules:
        if schedule.at_all_times:
            at_all_times = at_all_times or schedule
        elif _timed_covers(schedule, weekday, clock):
            return schedule
    return at_all_times


def _timed_covers(schedule: Schedule, weekday: int, clock: time) -> bool:
    days, hours = schedule.days, schedule.hours
    if hours is None:
        return days is None or weekday in days
    if (days is None or weekday in days) and _covers_on_start_day(hours, clock):
        return True
    yesterday = (weekday - 1) % 7
    return _covers_next_day(hours, clock) and (days is None or yesterday in days)


def _covers_on_start_day(hours: TimeRange, clock: time) -> bool:
    return hours.start <= clock and (hours.crosses_midnight or clock < hours.end)


def _covers_next_day(hours: TimeRange, clock: time) -> bool:
    return hours.crosses_midnight and clock < hours.end


def _weekly_hours_for(hours: OperatingHours, labels: Mapping[str, str]) -> WeeklyHours | None:
    queue = labels.get("queue")
    if queue is not None and queue in hours.queues:
        return hours.queues[queue]
    team = labels.get("team")
    if team is not None and team in hours.teams:
        return hours.teams[team]
    return hours.default


def _ranges_of(
    calendar: Calendar, weekly: WeeklyHours | None, day: date
) -> tuple[TimeRange, ...] | None:
    """On-duty ranges that start on ``day``; None means the whole day (always on duty)."""
    exception = calendar.exceptions.get(day)
    if exception is not None:
        if exception.closed:
            return ()
        if exception.hours is not None:
            return exception.hours
    if weekly is None:
        return None
    return weekly.get(day.weekday(), ())


def _on_duty(calendar: Calendar, weekly: WeeklyHours | None, day: date, clock: time) -> bool:
    exception = calendar.exceptions.get(day)
    if exception is not None and exception.closed:
        return False
    today = _ranges_of(calendar, weekly, day)
    if today is None or any(_covers_on_start_day(hours, clock) for hours in today):
        return True
    yesterday = _ranges_of(calendar, weekly, day - timedelta(days=1))
    return yesterday is not None and any(_covers_next_day(hours, clock) for hours in yesterday)
