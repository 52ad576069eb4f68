"""Targets described in the words of messages: parse and store errors, past-target notes and a
resolved target's ``source`` ("scope channel=voice,queue=sales"). The admin UI's words are in
``exporter.targets.display``."""

from __future__ import annotations

from exporter.scope import Scope
from exporter.targets import daytime
from exporter.targets.model import Schedule


def scope_in_message(scope: Scope) -> str:
    """``"scope channel=voice,queue=sales"``, or ``"no scope"`` for a site-wide target."""
    if not scope:
        return "no scope"
    return "scope " + ",".join(f"{label}={value}" for label, value in scope)


def schedule_in_message(schedule: Schedule) -> str:
    """E.g. ``"at all times"``, ``"mon-fri 09:00-17:00"``, ``"sat,sun all day"``,
    ``"every day 22:00-06:00"``."""
    if schedule.at_all_times:
        return "at all times"
    days = "every day" if schedule.days is None else daytime.format_days(schedule.days)
    if schedule.hours is None:
        return f"{days} all day"
    return f"{days} {daytime.format_range(schedule.hours)}"
