"""Targets described in words, alike in parse messages and in a resolved target's ``source``."""

from __future__ import annotations

from exporter.scope import Scope
from exporter.targets import daytime
from exporter.targets.model import Schedule


def describe_scope(scope: Scope) -> str:
    """``"scope channel=voice,queue=sales"``, or ``"no scope"`` for a site-wide target."""
    if not scope:
        return "no scope"
    return "scope " + ",".join(f"{label}={value}" for label, value in scope)


def describe_schedule(schedule: Schedule) -> str:
    """E.g. ``"at all times"``, ``"mon-fri 09:00-17:00"``, ``"sat,sun all day"``,
    ``"every day 22:00-06:00"``."""
    if schedule.at_all_times:
        return "at all times"
    days = "every day" if schedule.days is None else daytime.format_days(schedule.days)
    if schedule.hours is None:
        return f"{days} all day"
    return f"{days} {daytime.format_range(schedule.hours)}"
