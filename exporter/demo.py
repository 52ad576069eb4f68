"""Where the default run's simulator starts, so a newcomer sees KPIs and targets at any hour.

At night or on a Sunday the default calendar is off duty: no target is in force, and the
simulator's arrival curve is quiet. Then the simulation starts at the latest earlier moment when the
calendar (its default operating hours, i.e. the whole site) was on duty for the hour before (the
simulator's backfill) and the hours after, and runs from there. It starts at a quarter to the hour
so the first scrape's Hourly KPIs already hold 45 simulated minutes. ``on_duty_hours`` gives the
simulator the local hours the calendar is on duty, so its arrival curve is quiet in none of them (a
calendar on duty around the clock gets contacts at 06:30 too). Pure logic.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from exporter.targets.model import Calendar
from exporter.targets.resolve import is_on_duty

STEP = timedelta(minutes=15)
BEFORE = timedelta(hours=1)  # the simulator's backfill
AFTER = timedelta(hours=2)  # how long the demo stays on duty at real-time speed
LOOK_BACK = timedelta(days=14)
WEEK = timedelta(days=7)
START_MINUTE = 45


def demo_start(calendar: Calendar, now: float) -> float | None:
    """None when the calendar is on duty now; else the latest earlier start at ``START_MINUTE``
    (Unix seconds) on duty from ``BEFORE`` before it to ``AFTER`` after it, or None if the last
    two weeks have none."""
    at = datetime.fromtimestamp(now, calendar.timezone)
    if is_on_duty(calendar, at, {}):
        return None
    first = at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0) - LOOK_BACK
    points = int((LOOK_BACK + AFTER) / STEP)
    duty = [is_on_duty(calendar, first + i * STEP, {}) for i in range(points)]
    before, window = int(BEFORE / STEP), int((BEFORE + AFTER) / STEP)
    for end in range(len(duty) - window, -1, -1):
        start = first + (end + before) * STEP
        on_duty = start.minute == START_MINUTE and all(duty[end : end + window])
        if on_duty and start.timestamp() <= now:
            return start.timestamp()
    return None


def on_duty_hours(calendar: Calendar, now: float) -> frozenset[int]:
    """The local hours (0-23, in the calendar's time zone) in which the calendar's default hours are
    on duty at some quarter of the week starting at ``now``'s local midnight."""
    midnight = datetime.fromtimestamp(now, calendar.timezone).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    points = (midnight + i * STEP for i in range(int(WEEK / STEP)))
    # Wall-clock steps: a DST day has an hour twice or not at all, which changes no hour's answer.
    return frozenset(at.hour for at in points if is_on_duty(calendar, at, {}))


def demo_start_note(zone: ZoneInfo, start: float) -> str:
    """What ``serve`` says when the simulation starts at ``demo_start``'s ``start``, in ``zone``."""
    local = datetime.fromtimestamp(start, zone)
    return (
        f"the calendar ({zone.key}) is off duty now, so the simulation starts at "
        f"{local:%a %Y-%m-%d %H:%M %z}, the last time it was on duty, and runs from there: KPIs "
        "and targets show at once (--simulator-start chooses another start)"
    )
