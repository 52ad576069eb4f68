"""The date exceptions tab of ``/settings``: the coming 12 months as month grids, the coming
exceptions listed (past ones folded away), and the form that adds, edits or removes one date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from werkzeug.datastructures import MultiDict

from exporter import catalog
from exporter.admin.context import admin_context
from exporter.admin.doubts import percent_doubt
from exporter.admin.settings_problems import Change, Problems
from exporter.scope import Scope
from exporter.targets import calendar_edit, daytime, display, month_grid
from exporter.targets.calendar_edit import ExceptionValueInput
from exporter.targets.daytime import DayTimeError
from exporter.targets.edit_input import (
    InputError,
    parse_number,
    parse_scope_items,
    range_problem,
    uses_percent,
)
from exporter.targets.model import Calendar, DateException
from exporter.targets.month_grid import CLOSED, HOURS, VALUES, Mark
from exporter.targets.problems import did_you_mean

KINDS = {"closed": "Closed all day", "hours": "Special hours", "usual": "Usual hours"}
KIND_OF_MARK = {"closed": CLOSED, "hours": HOURS, "usual": VALUES}
MARK_SYMBOLS = {CLOSED: "✕", HOURS: "◷", VALUES: "±"}


@dataclass(frozen=True, slots=True)
class ExceptionRow:
    date: str  # ISO
    weekday: str  # "Thu"
    name: str
    kind: str  # a month_grid mark kind
    what: str  # "Closed", "Open 08:00-13:00", "Usual hours"
    special: str  # the different target values in words, or ""


def _kind(exception: DateException) -> str:
    if exception.closed:
        return "closed"
    return "hours" if exception.hours is not None else "usual"


def _row(exception: DateException) -> ExceptionRow:
    kind = _kind(exception)
    if kind == "closed":
        what = "Closed all day"
    elif exception.hours is not None:
        what = "Open " + ", ".join(daytime.format_range(r) for r in exception.hours)
    else:
        what = "Usual hours"
    values = [
        f"{catalog.get(v.kpi).title} ({display.scope_on_screen(v.scope)}): "
        f"{display.format_value(v.value, catalog.find(v.kpi))}"
        for v in exception.values
    ]
    return ExceptionRow(
        exception.date.isoformat(), month_grid.WEEKDAY_SHORT[exception.date.weekday()],
        exception.name, KIND_OF_MARK[kind], what, "; ".join(values),
    )  # fmt: skip


def view(calendar: Calendar, today: date) -> dict[str, object]:
    """What the tab shows: the months, the coming and past exceptions."""
    marks = {
        day: Mark(KIND_OF_MARK[_kind(exception)], exception.name)
        for day, exception in calendar.exceptions.items()
    }
    rows = {day: _row(exception) for day, exception in calendar.exceptions.items()}
    coming, past = month_grid.split_by_today(rows, today)
    return {
        "months": month_grid.months(today, marks),
        "weekdays": month_grid.WEEKDAY_SHORT,
        "mark_words": month_grid.MARK_WORDS,
        "mark_symbols": MARK_SYMBOLS,
        "coming": coming,
        "past": past,
        "kinds": list(KINDS.items()),
    }


def typed_from(calendar: Calendar, text: str) -> dict[str, str]:
    """The form filled from the exception on the date ``text`` (ISO) to edit it; only the date
    when there is none (a new exception), nothing for a text that is not a date."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return {}
    exception = calendar.exceptions.get(day)
    if exception is None:
        return {"date": day.isoformat()}
    typed = {
        "date": day.isoformat(),
        "name": exception.name,
        "kind": _kind(exception),
        "hours": ", ".join(daytime.format_range(r) for r in exception.hours or ()),
    }
    if exception.values:
        first = exception.values[0]
        kpi = catalog.find(first.kpi)
        typed.update(
            {
                "value_kpi": first.kpi,
                "value_scope": scope_text(first.scope) if first.scope else "",
                "value": display.input_value(first.value, kpi),
            }
        )
    return typed


def more_values(calendar: Calendar, text: str) -> int:
    """How many different target values of that date the form cannot show (it shows one)."""
    try:
        exception = calendar.exceptions.get(date.fromisoformat(text.strip()))
    except ValueError:
        return 0
    return max(len(exception.values) - 1, 0) if exception is not None else 0


def _date(problems: Problems, form: MultiDict[str, str], name: str) -> date | None:
    text = form.get(name, "").strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.add(name, f"{text!r} is not a date written YYYY-MM-DD, like 2026-12-24")
        return None


def save_exception(problems: Problems, form: MultiDict[str, str]) -> Change | None:
    day = _date(problems, form, "date")
    name = form.get("name", "").strip()
    if not name:
        problems.add("name", "name the day, e.g. Christmas")
    kind = form.get("kind", "")
    if kind not in KINDS:
        problems.add("kind", "choose Closed all day, Special hours or Usual hours")
    hours = form.get("hours", "").strip()
    if kind == "hours":
        if not hours:
            problems.add("hours", "give the special hours, e.g. 08:00-13:00")
        for part in hours.split(",") if hours else ():
            try:
                daytime.parse_range(part.strip())
            except DayTimeError as error:
                problems.add("hours", str(error))
    elif hours:
        problems.add("hours", "choose Special hours to open at these hours that day")
    if kind == "usual" and not form.get("value_kpi", "").strip():
        problems.add(
            "kind",
            "Usual hours change only a target value: choose the metric and value below, "
            "or choose Closed all day or Special hours",
        )
    values = _exception_values(problems, form, kind)
    if problems or day is None:
        return None
    return (
        lambda text: calendar_edit.add_exception(
            text, day, name, closed=kind == "closed", hours=hours if kind == "hours" else "",
            values=values,
        ),
        f"Exception {day.isoformat()} {name} saved.",
    )  # fmt: skip


def _exception_values(
    problems: Problems, form: MultiDict[str, str], kind: str
) -> list[ExceptionValueInput]:
    """The different target value of the exception form (none, or one for an existing target)."""
    kpi_name = form.get("value_kpi", "").strip()
    scope_field = form.get("value_scope", "").strip()
    value_text = form.get("value", "")
    if not kpi_name:
        if scope_field or value_text.strip():
            problems.add("value_kpi", "choose the metric this value is for")
        return []
    kpi = catalog.find(kpi_name)
    if kpi is None or not kpi.eligible:
        problems.add("value_kpi", f"{kpi_name!r} is not a metric with targets")
        return []
    if kind == "closed":
        problems.add(
            "value_kpi",
            "no target is in force on a closed day: choose Special hours or Usual hours to "
            "change a target that day",
        )
    scope: Scope | None = None
    try:
        scope = parse_scope_items(scope_field.replace(",", " ").split(), "value_scope")
    except InputError as error:
        problems.add(error.field, error.message)
    value: float | None = None
    try:
        value = parse_number(value_text, "value", percent=uses_percent(kpi))
    except InputError as error:
        problems.add(error.field, error.message)
    else:
        out_of_range = range_problem(value, kpi)
        if out_of_range is not None:
            problems.add("value", out_of_range)
        elif uses_percent(kpi):
            problems.ask(percent_doubt(form, "value", value_text))
    if scope is not None:
        _check_target_exists(problems, kpi, scope)
    if scope is None or value is None:
        return []
    return [ExceptionValueInput(kpi.name, scope, value)]


def _check_target_exists(problems: Problems, kpi: catalog.Kpi, scope: Scope) -> None:
    """An exception value changes an existing target: say so in the form's words if none."""
    targets = admin_context().store.current().target_set.targets
    known = [target.scope for target in targets if target.kpi == kpi.name]
    if scope in known:
        return
    if not known:
        problems.add(
            "value_kpi",
            f"{kpi.title} has no target yet: set one on the targets page first (a date "
            "exception changes the value of an existing target)",
        )
        return
    spelled = [scope_text(other) for other in known]
    problems.add(
        "value_scope",
        f"Scope of the target: {kpi.title} has no target for {scope_text(scope)}"
        f"{did_you_mean(scope_text(scope), spelled)}; its targets are for " + ", ".join(spelled),
    )


def scope_text(scope: Scope) -> str:
    """A scope as the form's scope field takes it: "channel=voice queue=sales", or "empty (all
    contacts)"."""
    if not scope:
        return "empty (all contacts)"
    return " ".join(f"{label}={value}" for label, value in scope)


def remove_exception(problems: Problems, form: MultiDict[str, str]) -> Change | None:
    day = _date(problems, form, "date")
    if day is None:
        return None
    if day not in admin_context().store.current().target_set.calendar.exceptions:
        problems.add("date", f"{day.isoformat()} has no exception to remove")
        return None
    return (
        lambda text: calendar_edit.remove_exception(text, day),
        f"Exception {day.isoformat()} removed.",
    )
