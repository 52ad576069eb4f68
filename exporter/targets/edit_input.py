"""Building a target from what a person typed: ``kpi-targets targets set`` flags or the admin form.

The rules live here once, so the command line and the web form agree:

- a value is a finite number; in the admin form a ratio KPI is typed in percent (``85`` = 0.85),
  on the command line in the file's units (``0.85``) or in percent with the sign (``85%``);
  a number between 0 and 1 in a percent field (``0.85``) may be a ratio meant as 85 %, so the
  form asks (``ratio_reading``); a value out of the KPI's bounds is said in the form's units
  ("150 % is over 100 %", ``range_problem``);
- ``--schedule`` is ``DAYS[ HH:MM-HH:MM]=VALUE``; a form row is days + from/to + value; no hours
  (or 00:00-24:00) is the whole day;
- a scope is label=value pairs, each label once; a value the exporter has never seen for its label
  (``queue=slaes`` while it has seen ``sales``) is worth a question (``unseen_scope_value``);
- the quantifier defaults to the existing target's, else the KPI's natural direction.

``field_problems`` then checks the built target with the same parser as ``kpi-targets check`` and
says which field each problem belongs to. Pure logic, no I/O.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from decimal import Decimal, InvalidOperation

from exporter.catalog import Direction, Kpi, Unit
from exporter.scope import Scope, scope_of
from exporter.targets import display
from exporter.targets.daytime import DayTimeError, parse_day_item, parse_range, parse_time
from exporter.targets.model import Quantifier, Schedule, Target, TimeRange
from exporter.targets.parse import dump_targets, parse_texts

# Field names the admin form uses; problems are attached to them.
VALUE_FIELD = "value"
QUANTIFIER_FIELD = "quantifier"
SCOPE_FIELD = "scope"
FORM_FIELD = "form"  # a problem with the target as a whole


def row_field(index: int) -> str:
    """The field name of schedule row ``index`` (0-based)."""
    return f"row-{index}"


class InputError(ValueError):
    """Input that does not follow its syntax; ``field`` says where (a form field or an option)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def parse_number(text: str, field: str, *, percent: bool = False) -> float:
    """A finite number; ``percent`` reads ``85`` or ``85 %`` as 0.85 (exactly, via Decimal)."""
    cleaned = text.strip().removesuffix("%").strip() if percent else text.strip()
    if not cleaned:
        raise InputError(field, "enter a number")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise InputError(field, f"{text.strip()!r} is not a number") from None
    if not number.is_finite():
        raise InputError(field, f"{text.strip()!r} is not a finite number")
    value = float(number / 100) if percent else float(number)
    if not math.isfinite(value):
        raise InputError(field, f"{text.strip()!r} is too large")
    return value


def uses_percent(kpi: Kpi | None) -> bool:
    """Ratios are typed and shown in percent in the admin UI."""
    return kpi is not None and kpi.unit is Unit.RATIO


def parse_file_value(text: str, field: str, kpi: Kpi | None) -> float:
    """A value on the command line: in the file's units (``0.85``, ``300``), or for a ratio KPI in
    percent with the sign (``85%`` = 0.85). ``85`` for a ratio is refused with both spellings,
    so the command line and the form (which reads ``85`` as 85 %) never disagree silently."""
    stripped = text.strip()
    if stripped.endswith("%"):
        if not uses_percent(kpi):
            unit = kpi.unit if kpi is not None else "this KPI's unit"
            raise InputError(field, f"{stripped!r}: a % sign is for ratios only; give {unit}")
        return parse_number(stripped, field, percent=True)
    value = parse_number(stripped, field)
    if uses_percent(kpi) and 1 < value <= 100:
        raise InputError(
            field,
            f"{stripped} is over 1: write a ratio as {display.plain_number(value / 100)} "
            f"or {stripped}%",
        )
    return value


def ratio_reading(text: str, *, percent: bool) -> str | None:
    """In a percent field, a number strictly between 0 and 1 typed without a % sign (``0.85``)
    may be a ratio meant as 85 %: that percent as text (``"85"``), else None."""
    stripped = text.strip()
    if not percent or stripped.endswith("%"):
        return None
    try:
        number = Decimal(stripped)
    except InvalidOperation:
        return None
    if not number.is_finite() or not 0 < number < 1:
        return None
    return format((number * 100).normalize(), "f")


def range_problem(value: float, kpi: Kpi | None) -> str | None:
    """A value out of the KPI's bounds in the form's units ("150 % is over 100 %",
    "-5 s is below 0 s"), else None."""
    if kpi is None:
        return None
    shown = display.format_value(value, kpi)
    if kpi.minimum is not None and value < kpi.minimum:
        return f"{shown} is below {display.format_value(kpi.minimum, kpi)}"
    if kpi.maximum is not None and value > kpi.maximum:
        return f"{shown} is over {display.format_value(kpi.maximum, kpi)}"
    return None


def unseen_scope_value(
    label: str, value: str, seen: Mapping[str, Iterable[str]]
) -> tuple[str, str | None] | None:
    """``(message, closest seen value or None)`` when the exporter has seen values for ``label``
    but never ``value``; None when it has seen it (or nothing to compare with)."""
    known = sorted(set(seen.get(label, ())))
    if not value or not known or value in known:
        return None
    close = difflib.get_close_matches(value, known, n=1, cutoff=0.6)
    never = f"the exporter has never seen {label} {value!r}"
    if close:
        return f"{never}: did you mean {close[0]!r}?", close[0]
    shown = ", ".join(repr(item) for item in known[:8]) + (", ..." if len(known) > 8 else "")
    return f"{never} (it has seen {shown})", None


def parse_schedule_spec(text: str, field: str = "--schedule", kpi: Kpi | None = None) -> Schedule:
    """``DAYS[ HH:MM-HH:MM]=VALUE``, e.g. ``"mon-fri 09:00-17:00=0.85"``, ``"sat=70%"``; VALUE as
    ``parse_file_value`` reads it for ``kpi``."""
    spec, equals, value_text = text.rpartition("=")
    parts = spec.split()
    if not equals or len(parts) not in (1, 2):
        raise InputError(
            field,
            f"{text!r} is not DAYS[ HH:MM-HH:MM]=VALUE,"
            ' e.g. "mon-fri 09:00-17:00=0.85" or "sat=0.7"',
        )
    try:
        days = parse_day_item(parts[0])
        hours = parse_range(parts[1]) if len(parts) == 2 else None
    except DayTimeError as error:
        raise InputError(field, f"{text!r}: {error}") from None
    value = parse_file_value(value_text, field, kpi)
    return Schedule(value=value, days=days, hours=_whole_day_is_none(hours))


def schedule_from_row(
    index: int, days: Iterable[int], start: str, end: str, value: str, *, percent: bool
) -> Schedule:
    """One schedule row of the form: the days ticked, from/to (both or neither), the value."""
    field = row_field(index)
    day_set = frozenset(days)
    if not day_set:
        raise InputError(field, "tick at least one day")
    start, end = start.strip(), end.strip()
    hours: TimeRange | None = None
    if bool(start) != bool(end):
        raise InputError(field, "give both From and To, or neither for the whole day")
    if start:
        try:
            hours = TimeRange(parse_time(start), parse_time(end, allow_end_of_day=True))
        except DayTimeError as error:
            raise InputError(field, str(error)) from None
    number = parse_number(value, field, percent=percent)
    return Schedule(value=number, days=day_set, hours=_whole_day_is_none(hours))


def _whole_day_is_none(hours: TimeRange | None) -> TimeRange | None:
    if hours is not None and hours.start == hours.end == time(0):
        return None  # 00:00-24:00 is the whole day, which is what no hours means
    return hours


def parse_scope_items(items: Sequence[str], field: str = "--scope") -> Scope:
    """``["channel=voice", "queue=sales"]`` -> the sorted scope; a label given twice is refused."""
    labels: dict[str, str] = {}
    for item in items:
        label, sep, value = item.partition("=")
        label, value = label.strip(), value.strip()
        if not sep or not label or not value:
            raise InputError(field, f"{item!r} is not label=value, e.g. channel=voice")
        if label in labels:
            raise InputError(field, f"label {label!r} given twice")
        labels[label] = value
    return scope_of(labels)


def scope_from_fields(fields: Mapping[str, str]) -> Scope:
    """Form scope fields (label -> typed value); an empty field means "any"."""
    return scope_of({label: value.strip() for label, value in fields.items() if value.strip()})


def default_quantifier(kpi: Kpi | None, existing: Target | None) -> Quantifier | None:
    """The existing target's quantifier, else the KPI's natural direction, else None."""
    if existing is not None:
        return existing.quantifier
    if kpi is not None and kpi.direction is Direction.HIGHER:
        return Quantifier.OR_MORE
    if kpi is not None and kpi.direction is Direction.LOWER:
        return Quantifier.OR_LESS
    return None


def assemble(
    kpi: str,
    quantifier: Quantifier,
    scope: Scope,
    at_all_times: float | None,
    timed: Sequence[Schedule],
) -> Target:
    """The target; refused (``InputError`` on the value) when it has no value at all."""
    schedules = ([Schedule(value=at_all_times)] if at_all_times is not None else []) + list(timed)
    if not schedules:
        raise InputError(VALUE_FIELD, "give a value at all times and/or at least one schedule row")
    return Target(kpi=kpi, quantifier=quantifier, schedules=tuple(schedules), scope=scope)


@dataclass(frozen=True, slots=True)
class FieldProblem:
    field: str
    message: str
    severity: str = "error"


def field_problems(target: Target, calendar_text: str) -> list[FieldProblem]:
    """The target checked alone, exactly as ``kpi-targets check`` would, each problem on its field.

    ``calendar_text`` gives the time zone and calendar context; problems of the calendar itself
    (such as an exception naming another target) are not the form's and are left out.
    """
    text = dump_targets([target])
    fields = _line_fields(text, at_all_times_first=bool(target.schedules[0].at_all_times))
    result = parse_texts(text, calendar_text, targets_file="form", calendar_file="calendar")
    return [
        FieldProblem(
            fields.get(problem.line, FORM_FIELD),
            _words_for_lines(problem.message, fields),
            problem.severity,
        )
        for problem in result.problems
        if problem.file == "form"
    ]


def _words_for_lines(message: str, fields: dict[int, str]) -> str:
    """ "overlaps the schedule at line 8" -> "overlaps schedule 1": lines mean nothing in a form."""

    def name(match: re.Match[str]) -> str:
        field = fields.get(int(match.group(1)), FORM_FIELD)
        if field.startswith("row-"):
            return f"schedule {int(field.removeprefix('row-')) + 1}"
        return "the value at all times" if field == VALUE_FIELD else "the target"

    return re.sub(r"(?:the schedule )?at line (\d+)", name, message)


def _line_fields(text: str, *, at_all_times_first: bool) -> dict[int, str]:
    """Line number of ``dump_targets`` output -> the form field it came from."""
    fields: dict[int, str] = {}
    schedule = -1
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("- kpi:"):
            fields[number] = FORM_FIELD
        elif stripped.startswith("scope:"):
            fields[number] = SCOPE_FIELD
        elif stripped.startswith("quantifier:"):
            fields[number] = QUANTIFIER_FIELD
        elif line.startswith("      - "):
            schedule += 1
        if schedule >= 0:
            row = schedule - 1 if at_all_times_first else schedule
            fields[number] = VALUE_FIELD if row < 0 else row_field(row)
    return fields
