"""``/settings`` (admins): the calendar the targets are judged in: time zone, operating hours,
date exceptions, and a country's public holidays imported from the ``holidays`` library.

Each form changes one part of ``calendar.yaml`` through ``TargetStore.edit_calendar``: validated
exactly as ``kpi-targets check``, version-checked, written atomically and audited, like a target.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from zoneinfo import available_timezones

import holidays
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from exporter import catalog
from exporter.admin.auth import requires
from exporter.admin.context import admin_context
from exporter.admin.doubts import Doubt, confirmations, percent_doubt, scope_doubt, with_choices
from exporter.admin.users import Role
from exporter.scope import Scope
from exporter.targets import calendar_edit, daytime, display
from exporter.targets.calendar_edit import ExceptionValueInput, HoursRow
from exporter.targets.daytime import DayTimeError
from exporter.targets.edit_input import (
    InputError,
    parse_number,
    parse_scope_items,
    range_problem,
    uses_percent,
)
from exporter.targets.problems import did_you_mean
from exporter.targets.store import InvalidTargetsError, StaleVersionError, StoreError

blueprint = Blueprint("settings", __name__)

MAX_ROWS = 100
WHO_WORDS = {
    calendar_edit.WHO_DEFAULT: "Everyone (default)",
    calendar_edit.WHO_TEAM: "Team",
    calendar_edit.WHO_QUEUE: "Queue",
}
WHO_LABELS = {calendar_edit.WHO_TEAM: "team", calendar_edit.WHO_QUEUE: "queue"}
KINDS = {"closed": "Closed all day", "hours": "Special hours", "usual": "Usual hours"}


@cache
def countries() -> list[tuple[str, str]]:
    """(code, name) of every country the ``holidays`` library knows, by name."""
    from holidays.registry import COUNTRIES

    names = {entry[1]: key.replace("_", " ").title() for key, entry in COUNTRIES.items()}
    codes = holidays.list_supported_countries(include_aliases=False)
    return sorted(((code, names.get(code, code)) for code in codes), key=lambda item: item[1])


@dataclass
class Problems:
    """Errors per form field, and for the form as a whole (key "" ), in the order found; and the
    questions to confirm before saving (``exporter.admin.doubts``)."""

    section: str = ""
    by_field: dict[str, list[str]] = field(default_factory=dict)
    doubts: list[Doubt] = field(default_factory=list)

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, []).append(message)

    def ask(self, doubt: Doubt | None) -> None:
        if doubt is not None:
            self.doubts.append(doubt)

    def messages(self) -> list[tuple[str, str]]:
        """(element id, message) for the summary above the form: the errors in the order found,
        the questions before the reason (asked about fields above it) and the form's own last."""
        errors = [
            (f"{self.section}-{name}-error", message)
            for name, found in self.by_field.items()
            if name not in ("reason", "")
            for message in found
        ]
        questions = [(f"doubt-{doubt.field}", doubt.message) for doubt in self.doubts]
        reason = [(f"{self.section}-reason-error", m) for m in self.by_field.get("reason", [])]
        whole = [("", message) for message in self.by_field.get("", [])]
        return errors + questions + reason + whole

    def __bool__(self) -> bool:
        return bool(self.by_field)


Change = tuple[Callable[[str], str], str]  # the rewrite of calendar.yaml, and the words saying it


def _exception_rows() -> list[dict[str, str]]:
    calendar = admin_context().store.current().target_set.calendar
    rows = []
    for day, exception in sorted(calendar.exceptions.items()):
        if exception.closed:
            what = "Closed"
        elif exception.hours is not None:
            what = "Open " + ", ".join(daytime.format_range(r) for r in exception.hours)
        else:
            what = "Usual hours"
        values = [
            f"{catalog.get(v.kpi).title} ({display.scope_on_screen(v.scope)}): "
            f"{display.format_value(v.value, catalog.find(v.kpi))}"
            for v in exception.values
        ]
        rows.append(
            {"date": day.isoformat(), "name": exception.name, "what": what,
             "special": "; ".join(values) or "None"}
        )  # fmt: skip
    return rows


def _render(
    problems: Problems | None = None,
    hours: list[HoursRow] | None = None,
    form: Mapping[str, str] | None = None,
    status: int = 200,
    focus_row: int | None = None,
) -> tuple[str, int]:
    """The page; after a refusal ``problems`` and ``form`` (as posted) fill the refused form
    again with every field as typed, its messages summed up above it (focused on load)."""
    store = admin_context().store
    calendar_text = store.calendar_path.read_text(encoding="utf-8")
    rows = hours if hours is not None else calendar_edit.hours_rows(calendar_text)
    problems = Problems() if problems is None else problems
    typed = dict(form or {})
    return render_template(
        "settings.html",
        version=store.current().version,
        timezone=typed.get("timezone", "")
        if problems.section == "timezone"
        else calendar_edit.timezone_of(calendar_text),
        timezones=sorted(available_timezones()),
        hours=rows or [HoursRow(calendar_edit.WHO_DEFAULT, "", "", "")],
        focus_row=focus_row,
        who_words=list(WHO_WORDS.items()),
        kinds=list(KINDS.items()),
        exceptions=_exception_rows(),
        kpis=[(kpi.name, kpi.title) for kpi in catalog.CATALOG if kpi.eligible],
        countries=countries(),
        form=typed,
        problems=problems,
        doubts=problems.doubts,
        confirmations=confirmations(typed),
        this_year=admin_context().now().year,
    ), status


@blueprint.get("/settings")
@requires(Role.ADMIN)
def page() -> tuple[str, int]:
    return _render()


@blueprint.post("/settings")
@requires(Role.ADMIN)
def save() -> tuple[str, int] | Response:
    posted = with_choices(request.form)
    form = {key: value for key, value in posted.items() if key != "csrf_token"}
    section = form.get("section", "")
    problems = Problems(section)
    rows = _hours_rows(posted) if section == "hours" else []
    if section == "hours" and posted.get("add_row"):
        blank = HoursRow(calendar_edit.WHO_DEFAULT, "", "", "")
        return _render(problems, hours=[*rows, blank], form=form, focus_row=len(rows))
    handlers: dict[str, Callable[[Problems, MultiDict[str, str]], Change | None]] = {
        "timezone": _timezone,
        "hours": lambda p, f: _hours(p, f, rows),
        "exception": _exception,
        "remove": _remove,
        "holidays": _holidays,
    }
    handler = handlers.get(section)
    if handler is None:
        problems.section = "timezone"
        problems.add("", f"unknown settings form {section!r}")
        return _render(problems, form=form, status=400)
    change = handler(problems, posted)
    reason = form.get("reason", "").strip()
    if not reason:
        problems.add("reason", "say why (it goes to the history)")
    hours_shown = rows if section == "hours" else None
    if problems or problems.doubts or change is None:
        return _render(problems, hours=hours_shown, form=form, status=400)
    rewrite, done = change
    try:
        version = admin_context().store.edit_calendar(
            rewrite, user=current_user.name, reason=reason, base_version=form.get("base_version")
        )
    except StaleVersionError as error:
        problems.add("", str(error))
        return _render(problems, hours=hours_shown, form=form, status=409)
    except InvalidTargetsError as error:
        for problem in error.problems:
            problems.add("", f"{problem.file} line {problem.line}: {problem.message}")
        return _render(problems, hours=hours_shown, form=form, status=400)
    except StoreError as error:
        problems.add("", str(error))
        return _render(problems, hours=hours_shown, form=form, status=400)
    flash(f"{done} Saved as version {version}.")
    return redirect(url_for("settings.page"))


def _timezone(problems: Problems, form: MultiDict[str, str]) -> Change | None:
    zone = form.get("timezone", "").strip()
    if zone not in available_timezones():
        problems.add("timezone", f"{zone!r} is not a time zone name such as Europe/Rome")
        return None
    return (lambda text: calendar_edit.set_timezone(text, zone)), f"Time zone set to {zone}."


def _hours_rows(form: MultiDict[str, str]) -> list[HoursRow]:
    try:
        count = min(int(form.get("rows", "0")), MAX_ROWS)
    except ValueError:
        count = 0
    rows = []
    for index in range(max(count, 0)):
        prefix = f"hours-{index}-"
        if form.get(prefix + "remove"):
            continue
        row = HoursRow(
            form.get(prefix + "who", calendar_edit.WHO_DEFAULT),
            form.get(prefix + "name", "").strip(),
            form.get(prefix + "days", "").strip().lower().replace(" ", ""),
            form.get(prefix + "hours", "").strip(),
        )
        if not (row.name or row.days or row.hours):
            continue
        rows.append(row)
    return rows


def _hours(problems: Problems, form: MultiDict[str, str], rows: list[HoursRow]) -> Change | None:
    seen = admin_context().seen_labels()
    for index, row in enumerate(rows):
        name = f"hours-{index}"
        if row.who not in WHO_WORDS:
            problems.add(name, "choose Everyone, Team or Queue")
        if row.who != calendar_edit.WHO_DEFAULT and not row.name:
            problems.add(name, f"name the {WHO_WORDS.get(row.who, 'team').lower()}")
        if row.who in WHO_LABELS and row.name:
            problems.ask(scope_doubt(form, f"{name}-name", WHO_LABELS[row.who], row.name, seen))
        try:
            daytime.parse_day_item(row.days)
        except DayTimeError as error:
            problems.add(name, f"days: {error}")
        for part in row.hours.split(","):
            try:
                daytime.parse_range(part.strip())
            except DayTimeError as error:
                problems.add(name, f"hours: {error}")
    if problems:
        return None
    words = "Operating hours saved." if rows else "Operating hours removed: always on duty."
    return (lambda text: calendar_edit.set_operating_hours(text, rows)), words


def _date(problems: Problems, form: MultiDict[str, str], name: str) -> date | None:
    text = form.get(name, "").strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.add(name, f"{text!r} is not a date like 2026-12-24")
        return None


def _exception(problems: Problems, form: MultiDict[str, str]) -> Change | None:
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
    scope_text = form.get("value_scope", "").strip()
    value_text = form.get("value", "")
    if not kpi_name:
        if scope_text or value_text.strip():
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
        scope = parse_scope_items(scope_text.replace(",", " ").split(), "value_scope")
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


def _remove(problems: Problems, form: MultiDict[str, str]) -> Change | None:
    day = _date(problems, form, "date")
    if day is None:
        return None
    return (
        lambda text: calendar_edit.remove_exception(text, day),
        f"Exception {day.isoformat()} removed.",
    )


def _holidays(problems: Problems, form: MultiDict[str, str]) -> Change | None:
    code = form.get("country", "").strip().upper()
    subdivision = form.get("subdivision", "").strip().upper() or None
    year_text = form.get("year", "").strip()
    year = int(year_text) if year_text.isascii() and year_text.isdigit() else None
    if year is None or not 1900 <= year <= 2200:
        problems.add("year", "give a year such as 2027")
    if code not in dict(countries()):
        problems.add("country", f"{code!r} is not a country the holidays library knows")
    if problems or year is None:
        return None
    try:
        found = holidays.country_holidays(code, subdiv=subdivision, years=year)
    except NotImplementedError as error:
        problems.add("subdivision", str(error))
        return None
    days = sorted(found.items())
    count = len(days)
    return (
        lambda text: calendar_edit.add_holidays(text, days)[0],
        f"Imported the public holidays of {code} for {year} ({count} dates; a date already "
        "listed kept its entry).",
    )
