"""Targets in the words the admin UI shows: "85 % or more", "Mon-Fri 09:00-17:00", "20 s".

Values are kept in the files' units (ratios 0..1, seconds); here they are shown as people read
them: ratios in percent, seconds with "s". Pure functions. The words of messages (errors, notes)
are in ``exporter.targets.wording``.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from exporter.catalog import Kpi, Unit
from exporter.scope import Scope
from exporter.targets import daytime
from exporter.targets.model import DAY_NAMES, Quantifier, Schedule, Target

QUANTIFIER_WORDS = {Quantifier.OR_MORE: "Or more", Quantifier.OR_LESS: "Or less"}
# The seed's explanations, word for word where it has them.
QUANTIFIER_HELP = {
    Quantifier.OR_MORE: "the actual value must be equal to or greater than the target to be "
    "considered achieved (e.g. Service Level ≥ 90%)",
    Quantifier.OR_LESS: "the actual value must be equal to or lower than the target to be "
    "considered achieved (e.g. Average Waiting Time ≤ 30 seconds)",
}
DAY_TITLES = tuple(name.capitalize() for name in DAY_NAMES)  # "Mon" .. "Sun"


def plain_number(value: float) -> str:
    """0.85 -> "0.85", 300.0 -> "300", at most 4 decimals."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def format_value(value: float, kpi: Kpi | None) -> str:
    """A value with its unit: "85 %", "20 s", "4.2"."""
    if kpi is not None and kpi.unit is Unit.RATIO:
        return f"{plain_number(value * 100)} %"
    if kpi is not None and kpi.unit is Unit.SECONDS:
        return f"{plain_number(value)} s"
    return plain_number(value)


def input_value(value: float, kpi: Kpi | None) -> str:
    """What a form field shows for a value (ratios in percent, without the sign)."""
    if kpi is not None and kpi.unit is Unit.RATIO:
        return plain_number(value * 100)
    return plain_number(value)


def unit_hint(kpi: Kpi) -> str:
    if kpi.unit is Unit.RATIO:
        return "%"
    if kpi.unit is Unit.SECONDS:
        return "seconds"
    if kpi.minimum is not None and kpi.maximum is not None:
        return f"{plain_number(kpi.minimum)} to {plain_number(kpi.maximum)}"
    return str(kpi.unit)


def format_instant(text: str, zone: ZoneInfo) -> str:
    """An audit time ("2026-11-30T09:02:03Z") as local time: "Mon 30 Nov 2026 10:02:03 CET"."""
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if at.tzinfo is None:
        return text
    return at.astimezone(zone).strftime("%a %d %b %Y %H:%M:%S %Z")


def describe_days(days: frozenset[int] | None) -> str:
    if days is None or len(days) == 7:
        return "Every day"
    return ", ".join(
        "-".join(part.capitalize() for part in item.split("-"))
        for item in daytime.format_day_items(days)
    )


def schedule_on_screen(schedule: Schedule) -> str:
    """ "At all times", "Mon-Fri 09:00-17:00", "Sat, Sun" (whole days)."""
    if schedule.at_all_times:
        return "At all times"
    days = describe_days(schedule.days)
    if schedule.hours is None:
        return days
    return f"{days} {daytime.format_range(schedule.hours)}"


# What an empty scope covers, by the labels a KPI's scope may use.
_EVERYONE = {
    ("agent", "team"): "All teams and agents",
    ("team",): "All teams",
    ("campaign",): "All campaigns",
}


def scope_on_screen(scope: Scope, kpi: Kpi | None = None) -> str:
    """ "channel voice, queue sales"; for an empty scope what it covers: "All contacts", or for
    ``kpi``'s scope labels "All teams", "All teams and agents", "All campaigns"."""
    if not scope:
        labels = tuple(sorted(kpi.scope_labels)) if kpi is not None else ()
        return _EVERYONE.get(labels, "All contacts")
    return ", ".join(f"{label} {value}" for label, value in scope)


def describe_target(target: Target, kpi: Kpi | None) -> list[str]:
    """One line per schedule: "85 % or more, Mon-Fri 09:00-17:00"."""
    words = QUANTIFIER_WORDS[target.quantifier].lower()
    return [
        f"{format_value(schedule.value, kpi)} {words}, {schedule_on_screen(schedule)}"
        for schedule in target.schedules
    ]
