"""The edit form of one target: its fields filled from a target or from a posted form, read back
into a ``Target`` with each problem on its field (rules in ``exporter.targets.edit_input``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from exporter.admin.doubts import Doubt, percent_doubt, scope_doubt
from exporter.catalog import Kpi
from exporter.scope import Scope
from exporter.targets import display
from exporter.targets.edit_input import (
    FORM_FIELD,
    QUANTIFIER_FIELD,
    SCOPE_FIELD,
    VALUE_FIELD,
    FieldProblem,
    InputError,
    assemble,
    default_quantifier,
    field_problems,
    parse_number,
    range_problem,
    row_field,
    schedule_from_row,
    scope_from_fields,
    uses_percent,
)
from exporter.targets.model import Quantifier, Schedule, Target

MAX_ROWS = 50  # schedule rows one form may carry
_DAY_VALUES = frozenset("0123456")  # the day checkboxes' values, Monday = 0


@dataclass
class Row:
    days: set[int] = field(default_factory=set)
    start: str = ""
    end: str = ""
    value: str = ""

    @property
    def blank(self) -> bool:
        return not (self.days or self.start or self.end or self.value.strip())


@dataclass
class TargetForm:
    kpi: Kpi
    is_new: bool
    scope: dict[str, str]  # label -> value, for every label the KPI may be scoped by
    quantifier: str
    value: str
    rows: list[Row]
    reason: str = ""
    base_version: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def percent(self) -> bool:
        return uses_percent(self.kpi)

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def add_problems(self, problems: list[FieldProblem]) -> None:
        for problem in problems:
            if problem.severity == "error":
                self.add_error(problem.field, problem.message)


def scope_fields(kpi: Kpi, scope: Scope) -> dict[str, str]:
    given = dict(scope)
    return {label: given.get(label, "") for label in kpi.scope_labels}


def from_target(kpi: Kpi, scope: Scope, target: Target | None, version: str) -> TargetForm:
    """The form showing ``target`` (or a new one for ``scope``), with one blank row to fill."""
    quantifier = default_quantifier(kpi, target) or Quantifier.OR_MORE
    value = ""
    rows: list[Row] = []
    for schedule in target.schedules if target is not None else ():
        if schedule.at_all_times:
            value = display.input_value(schedule.value, kpi)
        else:
            rows.append(_row_of(schedule, kpi))
    if not rows:
        rows.append(Row())
    return TargetForm(
        kpi, target is None, scope_fields(kpi, scope), str(quantifier), value, rows,
        base_version=version,
    )  # fmt: skip


def _row_of(schedule: Schedule, kpi: Kpi) -> Row:
    from exporter.targets.daytime import format_time

    days = set(range(7)) if schedule.days is None else set(schedule.days)
    start = end = ""
    if schedule.hours is not None:
        start = format_time(schedule.hours.start)
        end = format_time(schedule.hours.end, is_end=True)
    return Row(days, start, end, display.input_value(schedule.value, kpi))


def from_post(kpi: Kpi, is_new: bool, form: MultiDict[str, str]) -> TargetForm:
    """The form as posted; rows ticked "remove" are dropped, blank rows kept for typing."""
    try:
        count = min(int(form.get("rows", "0")), MAX_ROWS)
    except ValueError:
        count = 0
    rows = []
    for index in range(max(count, 0)):
        prefix = f"row-{index}-"
        if form.get(prefix + "remove"):
            continue
        days = {int(day) for day in form.getlist(prefix + "days") if day in _DAY_VALUES}
        rows.append(
            Row(days, form.get(prefix + "from", ""), form.get(prefix + "to", ""),
                form.get(prefix + "value", ""))
        )  # fmt: skip
    return TargetForm(
        kpi=kpi,
        is_new=is_new,
        scope={label: form.get(f"scope-{label}", "").strip() for label in kpi.scope_labels},
        quantifier=form.get("quantifier", ""),
        value=form.get("value", ""),
        rows=rows,
        reason=form.get("reason", ""),
        base_version=form.get("base_version", ""),
    )


def read_target(form: TargetForm, calendar_text: str, *, need_reason: bool = True) -> Target | None:
    """The target the form describes, or None with ``form.errors`` saying what is wrong where:
    every problem of the form at once, in the form's words and units."""
    kpi = form.kpi
    try:
        quantifier: Quantifier | None = Quantifier(form.quantifier)
    except ValueError:
        form.add_error(QUANTIFIER_FIELD, "choose Or more or Or less")
        quantifier = None
    at_all_times = None
    if form.value.strip():
        try:
            at_all_times = parse_number(form.value, VALUE_FIELD, percent=form.percent)
        except InputError as error:
            form.add_error(error.field, error.message)
        else:
            _check_range(form, VALUE_FIELD, at_all_times)
    timed = []
    filled = [row for row in form.rows if not row.blank]
    for index, row in enumerate(filled):
        try:
            schedule = schedule_from_row(
                index, row.days, row.start, row.end, row.value, percent=form.percent
            )
        except InputError as error:
            form.add_error(error.field, error.message)
            continue
        _check_range(form, row_field(index), schedule.value)
        timed.append(schedule)
    form.rows = filled or [Row()]
    target = None
    if not form.errors and quantifier is not None:
        try:
            target = assemble(
                kpi.name, quantifier, scope_from_fields(form.scope), at_all_times, timed
            )
        except InputError as error:
            form.add_error(error.field, error.message)
        else:
            form.add_problems(field_problems(target, calendar_text))
    if need_reason and not form.reason.strip():  # a try (what-if) saves nothing: no reason
        form.add_error("reason", "say why (it goes to the history)")
    return None if form.errors else target


def _check_range(form: TargetForm, name: str, value: float) -> None:
    problem = range_problem(value, form.kpi)
    if problem is not None:
        form.add_error(name, problem)


def doubts(
    form: TargetForm, posted: Mapping[str, str], seen: Mapping[str, Iterable[str]]
) -> list[Doubt]:
    """What to confirm before saving: ratios typed in percent fields, and (for a new target)
    scope values the exporter has never seen. ``posted`` holds the confirmations."""
    found: list[Doubt | None] = []
    if form.percent:
        found.append(percent_doubt(posted, VALUE_FIELD, form.value))
        found.extend(
            percent_doubt(posted, f"row-{index}-value", row.value)
            for index, row in enumerate(form.rows)
        )
    if form.is_new:
        found.extend(
            scope_doubt(posted, f"scope-{label}", label, value, seen)
            for label, value in form.scope.items()
        )
    return [doubt for doubt in found if doubt is not None]


ERROR_ORDER = (SCOPE_FIELD, QUANTIFIER_FIELD, VALUE_FIELD, FORM_FIELD)


def error_summary(form: TargetForm, doubts: Iterable[Doubt] = ()) -> list[tuple[str, str]]:
    """(element id, message) in the order the fields appear, for the summary at the top; a
    question to confirm comes with its field's errors."""
    asked: dict[str, list[Doubt]] = {}
    for doubt in doubts:
        asked.setdefault(_doubt_place(doubt.field), []).append(doubt)
    names = [*ERROR_ORDER, *(row_field(i) for i in range(len(form.rows))), "reason"]
    return [
        item
        for name in names
        for item in [
            *((name, message) for message in form.errors.get(name, [])),
            *((f"doubt-{doubt.field}", doubt.message) for doubt in asked.get(name, [])),
        ]
    ]


def _doubt_place(field: str) -> str:
    """The error field a doubt's input belongs to: scope-queue -> scope, row-0-value -> row-0."""
    if field.startswith("scope-"):
        return SCOPE_FIELD
    if field.startswith("row-"):
        return field.removesuffix("-value")
    return field
