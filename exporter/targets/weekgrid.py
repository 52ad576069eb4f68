"""The week preview: what is in force for one KPI and scope, every half hour of the coming 7 days.

Each cell asks the exporter's resolver (``exporter.targets.resolve``) about the series with the
given labels at that instant, so the grid and ``/metrics`` cannot disagree. A cell says one of:
the value in force, "off duty", "closed: <name>" or "not set". ``next_change`` words when that
answer changes next: "85 % until 17:00, then 80 %". Pure logic: the caller passes the instant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from exporter import catalog
from exporter.targets import display
from exporter.targets.model import TargetSet, TimeRange
from exporter.targets.resolve import resolve

DAYS = 7
NOT_SET = "not set"
OFF_DUTY = "off duty"


@dataclass(frozen=True, slots=True)
class Cell:
    """What is in force for the series at ``start`` (local wall time of the calendar)."""

    start: datetime
    words: str  # "85 %", "off duty", "closed: Christmas", "not set"
    kind: str  # "value", "off", "closed", "unset": for styling
    source: str = ""  # where the value came from (schedule, scope, exception)


@dataclass(frozen=True, slots=True)
class WeekGrid:
    days: list[date]
    times: list[time]  # the half hours of a day, 00:00 .. 23:30
    cells: dict[tuple[date, time], Cell]
    now: Cell
    next_change: str


def state_at(target_set: TargetSet, kpi: str, labels: Mapping[str, str], at: datetime) -> Cell:
    """The answer for one series at one instant (timezone-aware), as the exporter gives it."""
    calendar = target_set.calendar
    local = at.astimezone(calendar.timezone)
    exception = calendar.exceptions.get(local.date())
    if exception is not None and exception.closed:
        return Cell(local, f"closed: {exception.name}", "closed")
    resolution = resolve(target_set, at)
    if not resolution.on_duty(labels):
        return Cell(local, OFF_DUTY, "off")
    resolved = resolution.for_series(kpi, labels)
    if resolved is None:
        return Cell(local, NOT_SET, "unset")
    words = display.format_value(resolved.value, catalog.find(kpi))
    return Cell(local, words, "value", resolved.source)


def week_grid(
    target_set: TargetSet, kpi: str, labels: Mapping[str, str], now: datetime
) -> WeekGrid:
    """Half hours of the 7 local dates from ``now``'s date on, and the next change after ``now``."""
    zone = target_set.calendar.timezone
    today = now.astimezone(zone).date()
    days = [today + timedelta(days=offset) for offset in range(DAYS)]
    times = [time(minute // 60, minute % 60) for minute in range(0, 24 * 60, 30)]
    cells = {
        (day, clock): state_at(target_set, kpi, labels, datetime.combine(day, clock, tzinfo=zone))
        for day in days
        for clock in times
    }
    current = state_at(target_set, kpi, labels, now)
    return WeekGrid(days, times, cells, current, next_change(target_set, kpi, labels, now))


def next_change(target_set: TargetSet, kpi: str, labels: Mapping[str, str], now: datetime) -> str:
    """E.g. "85 % until 17:00, then 80 %", "off duty until Mon 08:00, then 85 %"."""
    zone = target_set.calendar.timezone
    current = state_at(target_set, kpi, labels, now)
    local_now = now.astimezone(zone)
    for candidate in _candidates(target_set, local_now):
        later = state_at(target_set, kpi, labels, candidate)
        if later.words != current.words:
            when = candidate.strftime("%H:%M")
            if candidate.date() != local_now.date():
                when = f"{candidate.strftime('%a %d %b')} {when}"
            return f"{current.words} until {when}, then {later.words}"
    return f"{current.words} for the next {DAYS} days"


def _candidates(target_set: TargetSet, local_now: datetime) -> list[datetime]:
    """Every instant in the coming week where something could change: the times written in the
    targets and the calendar (schedule and hours boundaries) and each midnight."""
    minutes = {0}
    ranges: list[TimeRange] = [
        schedule.hours
        for target in target_set.targets
        for schedule in target.schedules
        if schedule.hours is not None
    ]
    hours = target_set.calendar.operating_hours
    for weekly in [hours.default, *hours.teams.values(), *hours.queues.values()]:
        for day_ranges in (weekly or {}).values():
            ranges.extend(day_ranges)
    for exception in target_set.calendar.exceptions.values():
        ranges.extend(exception.hours or ())
    for hours_range in ranges:
        minutes.add(hours_range.start.hour * 60 + hours_range.start.minute)
        minutes.add(hours_range.end.hour * 60 + hours_range.end.minute)
    zone = local_now.tzinfo
    found = []
    for offset in range(DAYS + 1):
        day = local_now.date() + timedelta(days=offset)
        for minute in sorted(minutes):
            candidate = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
            if local_now < candidate <= local_now + timedelta(days=DAYS):
                found.append(candidate)
    return found
