"""The operating hours form of ``/settings``: a week per team, queue or everyone, a row per weekday
with its from-to ranges, read from the posted form and checked in the form's words.

Field names (also what ``static/settings.js`` writes when it adds a range without a round trip):
``weeks`` (how many weeks), ``w{S}-who``, ``w{S}-name``, ``w{S}-d{D}-n`` (how many ranges day D
of week S may have: a removed one leaves a gap) and ``w{S}-d{D}-r{R}-from`` / ``-to``. Without
JavaScript the buttons post ``op`` (``add:S:D``, ``remove:S:D:R``, ``copy:S``, ``add-week``,
``drop:S``) and the page comes back changed, nothing saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from exporter.targets import daytime
from exporter.targets.daytime import DayTimeError
from exporter.targets.model import TimeRange
from exporter.targets.week_hours import (
    WEEKDAYS,
    WHO_DEFAULT,
    WHO_QUEUE,
    WHO_TEAM,
    WeekHours,
    day_name,
    week,
)

MAX_WEEKS = 50
MAX_RANGES = 12
WHO_WORDS = {WHO_DEFAULT: "Everyone (default)", WHO_TEAM: "Team", WHO_QUEUE: "Queue"}
WHO_LABELS = {WHO_TEAM: "team", WHO_QUEUE: "queue"}


@dataclass(frozen=True, slots=True)
class RangeField:
    start: str  # as typed: "08:00"
    end: str

    @property
    def overnight(self) -> bool:
        """Whether the range as typed runs into the next day (said next to it); one ending at
        midnight (24:00) does not."""
        if self.end in ("00:00", "24:00"):
            return False
        try:
            return daytime.parse_range(f"{self.start}-{self.end}").crosses_midnight
        except DayTimeError:
            return False


@dataclass(frozen=True, slots=True)
class WeekField:
    """One week of the form as typed: whose, and per weekday its ranges."""

    who: str
    name: str
    days: tuple[tuple[RangeField, ...], ...]  # seven, Monday first

    @property
    def title(self) -> str:
        if self.who == WHO_DEFAULT:
            return "Everyone (default)"
        words = WHO_WORDS.get(self.who, "Team")
        return f"{words} {self.name}" if self.name else f"{words} (name it)"


@dataclass
class WeekForm:
    weeks: list[WeekField]
    focus: str = ""  # the id of the input to focus after a button without JavaScript
    errors: dict[str, list[str]] = field(default_factory=dict)  # by field name


def fields_of(weeks: list[WeekHours]) -> list[WeekField]:
    """The weeks of the file as the form shows them."""
    return [
        WeekField(
            hours.who,
            hours.name,
            tuple(
                tuple(
                    RangeField(
                        daytime.format_time(r.start), daytime.format_time(r.end, is_end=True)
                    )
                    for r in day
                )
                for day in hours.days
            ),
        )
        for hours in weeks
    ]


def _count(form: Mapping[str, str], name: str, limit: int) -> int:
    text = form.get(name, "0").strip()
    return min(int(text), limit) if text.isascii() and text.isdigit() else 0


def parse(form: Mapping[str, str]) -> list[WeekField]:
    """The weeks as posted (blank ranges dropped, gaps closed), every text as typed."""
    weeks = []
    for s in range(_count(form, "weeks", MAX_WEEKS)):
        prefix = f"w{s}-"
        if prefix + "who" not in form:
            continue  # a week removed by the script
        days = []
        for d in range(7):
            ranges = []
            for r in range(_count(form, f"{prefix}d{d}-n", MAX_RANGES)):
                start = form.get(f"{prefix}d{d}-r{r}-from", "").strip()
                end = form.get(f"{prefix}d{d}-r{r}-to", "").strip()
                if start or end:
                    ranges.append(RangeField(start, end))
            days.append(tuple(ranges))
        who = form.get(prefix + "who", WHO_DEFAULT)
        name = form.get(prefix + "name", "").strip() if who != WHO_DEFAULT else ""
        weeks.append(WeekField(who, name, tuple(days)))
    return weeks


def apply(weeks: list[WeekField], op: str) -> WeekForm:
    """What a button other than Save does to the form: add or remove a range, copy Monday to the
    weekdays, add or drop a week. Unknown or out-of-range buttons change nothing."""
    parts = op.split(":")
    numbers = [int(p) for p in parts[1:] if p.isascii() and p.isdigit()]
    changed = list(weeks)
    focus = ""
    if parts[0] == "add-week":
        has_default = any(w.who == WHO_DEFAULT for w in weeks)  # the first week is everyone's
        changed.append(WeekField(WHO_TEAM if has_default else WHO_DEFAULT, "", ((),) * 7))
        focus = f"w{len(changed) - 1}-who"
    elif not numbers or numbers[0] >= len(weeks) or len(numbers) != len(parts) - 1:
        return WeekForm(changed)
    elif parts[0] == "drop" and len(numbers) == 1:
        del changed[numbers[0]]
        focus = "hours-add-week"
    elif parts[0] == "copy" and len(numbers) == 1:
        s = numbers[0]
        days = changed[s].days
        changed[s] = replace(
            changed[s], days=tuple(days[0] if d in WEEKDAYS else days[d] for d in range(7))
        )
        focus = f"w{s}-copy"
    elif parts[0] in ("add", "remove") and len(numbers) >= 2 and numbers[1] < 7:
        s, d = numbers[0], numbers[1]
        day = list(changed[s].days[d])
        if parts[0] == "add" and len(day) < MAX_RANGES:
            day.append(RangeField("", ""))
            focus = f"w{s}-d{d}-r{len(day) - 1}-from"
        elif parts[0] == "remove" and len(numbers) == 3 and numbers[2] < len(day):
            del day[numbers[2]]
            focus = f"w{s}-d{d}-add"
        all_days = list(changed[s].days)
        all_days[d] = tuple(day)
        changed[s] = replace(changed[s], days=tuple(all_days))
    return WeekForm(changed, focus)


def check(weeks: list[WeekField]) -> tuple[list[WeekHours], dict[str, list[str]]]:
    """The weeks to save, or the problems by field name, in the form's words."""
    errors: dict[str, list[str]] = {}
    found: list[WeekHours] = []
    seen: set[tuple[str, str]] = set()
    for s, typed in enumerate(weeks):
        who_field = f"w{s}-name"
        if typed.who not in WHO_WORDS:
            errors.setdefault(who_field, []).append("choose Everyone, Team or Queue")
            continue
        if typed.who != WHO_DEFAULT and not typed.name:
            errors.setdefault(who_field, []).append(f"name the {WHO_LABELS[typed.who]}")
        key = (typed.who, typed.name)
        if key in seen:
            twice = "Everyone's hours are" if typed.who == WHO_DEFAULT else f"{typed.title} is"
            errors.setdefault(who_field, []).append(f"{twice} given twice: keep one week for it")
        seen.add(key)
        days: list[tuple[TimeRange, ...]] = []
        for d, day in enumerate(typed.days):
            ranges = []
            for r, item in enumerate(day):
                where = f"{typed.title}, {day_name(d)}, range {r + 1}"
                problem = _range_problem(item)
                if problem is not None:
                    errors.setdefault(f"w{s}-d{d}", []).append(f"{where}: {problem}")
                else:
                    ranges.append(daytime.parse_range(f"{item.start}-{item.end}"))
            days.append(tuple(ranges))
        found.append(WeekHours(typed.who, typed.name, week(days)))
    return found, errors


def _range_problem(item: RangeField) -> str | None:
    if not item.start or not item.end:
        return "give both From and To (HH:MM), or remove the range"
    try:
        daytime.parse_time(item.start)
    except DayTimeError as error:
        return f"From: {error}"
    try:
        daytime.parse_time(item.end, allow_end_of_day=True)
    except DayTimeError as error:
        return f"To: {error}"
    if item.start == item.end and item.start != "00:00":
        return f"From and To are both {item.start}: give a range, e.g. 08:00-20:00"
    return None
