"""``/settings`` (admins): the calendar the targets are judged in: time zone, operating hours,
date exceptions, and a country's public holidays imported from the ``holidays`` library.

Each form changes one part of ``calendar.yaml`` through ``TargetStore.edit_calendar``: validated
exactly as ``kpi-targets check``, version-checked, written atomically and audited, like a target.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from zoneinfo import available_timezones

import holidays
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from exporter import catalog
from exporter.admin.auth import requires
from exporter.admin.context import admin_context
from exporter.admin.users import Role
from exporter.targets import calendar_edit, daytime, display
from exporter.targets.calendar_edit import ExceptionValueInput, HoursRow
from exporter.targets.daytime import DayTimeError
from exporter.targets.edit_input import InputError, parse_number, parse_scope_items, uses_percent
from exporter.targets.store import InvalidTargetsError, StaleVersionError, StoreError

blueprint = Blueprint("settings", __name__)

MAX_ROWS = 100
WHO_WORDS = {
    calendar_edit.WHO_DEFAULT: "Everyone (default)",
    calendar_edit.WHO_TEAM: "Team",
    calendar_edit.WHO_QUEUE: "Queue",
}


@cache
def countries() -> list[tuple[str, str]]:
    """(code, name) of every country the ``holidays`` library knows, by name."""
    from holidays.registry import COUNTRIES

    names = {entry[1]: key.replace("_", " ").title() for key, entry in COUNTRIES.items()}
    codes = holidays.list_supported_countries(include_aliases=False)
    return sorted(((code, names.get(code, code)) for code in codes), key=lambda item: item[1])


@dataclass
class Problems:
    """Errors per form field, and for the form as a whole (key "" )."""

    section: str = ""
    by_field: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.by_field)


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
            f"{catalog.get(v.kpi).title} ({display.describe_scope(v.scope)}): "
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
    form: dict[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    store = admin_context().store
    calendar_text = store.calendar_path.read_text(encoding="utf-8")
    rows = hours if hours is not None else calendar_edit.hours_rows(calendar_text)
    return render_template(
        "settings.html",
        version=store.current().version,
        timezone=(form or {}).get("timezone") or calendar_edit.timezone_of(calendar_text),
        timezones=sorted(available_timezones()),
        hours=rows or [HoursRow(calendar_edit.WHO_DEFAULT, "", "", "")],
        who_words=list(WHO_WORDS.items()),
        exceptions=_exception_rows(),
        kpis=[(kpi.name, kpi.title) for kpi in catalog.CATALOG if kpi.eligible],
        countries=countries(),
        form=form or {},
        problems=problems or Problems(),
        this_year=admin_context().now().year,
    ), status


@blueprint.get("/settings")
@requires(Role.ADMIN)
def page() -> tuple[str, int]:
    return _render()


@blueprint.post("/settings")
@requires(Role.ADMIN)
def save() -> tuple[str, int] | Response:
    form = {key: value for key, value in request.form.items() if key != "csrf_token"}
    section = form.get("section", "")
    problems = Problems(section)
    rows = _hours_rows(problems) if section == "hours" else []
    if section == "hours" and request.form.get("add_row"):
        return _render(hours=[*rows, HoursRow(calendar_edit.WHO_DEFAULT, "", "", "")])
    handlers: dict[str, Callable[[Problems], tuple[Callable[[str], str], str] | None]] = {
        "timezone": _timezone,
        "hours": lambda p: _hours(p, rows),
        "exception": _exception,
        "remove": _remove,
        "holidays": _holidays,
    }
    handler = handlers.get(section)
    if handler is None:
        problems.section = "timezone"
        problems.add("", f"unknown settings form {section!r}")
        return _render(problems, form=form, status=400)
    reason = form.get("reason", "").strip()
    if not reason:
        problems.add("reason", "say why (it goes to the history)")
    change = handler(problems)
    hours_shown = rows if section == "hours" else None
    if problems or change is None:
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
            problems.add("", f"line {problem.line}: {problem.message}")
        return _render(problems, hours=hours_shown, form=form, status=400)
    except StoreError as error:
        problems.add("", str(error))
        return _render(problems, hours=hours_shown, form=form, status=400)
    flash(f"{done} Saved as version {version}.")
    return redirect(url_for("settings.page"))


def _timezone(problems: Problems) -> tuple[Callable[[str], str], str] | None:
    zone = request.form.get("timezone", "").strip()
    if zone not in available_timezones():
        problems.add("timezone", f"{zone!r} is not a time zone name such as Europe/Rome")
        return None
    return (lambda text: calendar_edit.set_timezone(text, zone)), f"Time zone set to {zone}."


def _hours_rows(problems: Problems) -> list[HoursRow]:
    try:
        count = min(int(request.form.get("rows", "0")), MAX_ROWS)
    except ValueError:
        count = 0
    rows = []
    for index in range(max(count, 0)):
        prefix = f"hours-{index}-"
        if request.form.get(prefix + "remove"):
            continue
        row = HoursRow(
            request.form.get(prefix + "who", calendar_edit.WHO_DEFAULT),
            request.form.get(prefix + "name", "").strip(),
            request.form.get(prefix + "days", "").strip().lower().replace(" ", ""),
            request.form.get(prefix + "hours", "").strip(),
        )
        if not (row.name or row.days or row.hours):
            continue
        rows.append(row)
    return rows


def _hours(problems: Problems, rows: list[HoursRow]) -> tuple[Callable[[str], str], str] | None:
    for index, row in enumerate(rows):
        name = f"hours-{index}"
        if row.who not in WHO_WORDS:
            problems.add(name, "choose Everyone, Team or Queue")
        if row.who != calendar_edit.WHO_DEFAULT and not row.name:
            problems.add(name, f"name the {WHO_WORDS.get(row.who, 'team').lower()}")
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


def _date(problems: Problems, name: str) -> date | None:
    text = request.form.get(name, "").strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.add(name, f"{text!r} is not a date like 2026-12-24")
        return None


def _exception(problems: Problems) -> tuple[Callable[[str], str], str] | None:
    day = _date(problems, "date")
    name = request.form.get("name", "").strip()
    if not name:
        problems.add("name", "name the day, e.g. Christmas")
    closed = request.form.get("kind") == "closed"
    hours = request.form.get("hours", "").strip() if request.form.get("kind") == "hours" else ""
    if request.form.get("hours", "").strip() and request.form.get("kind") != "hours":
        problems.add("hours", "choose Special hours to open at these hours that day")
    if request.form.get("kind") == "hours":
        if not hours:
            problems.add("hours", "give the special hours, e.g. 08:00-13:00")
        for part in hours.split(",") if hours else ():
            try:
                daytime.parse_range(part.strip())
            except DayTimeError as error:
                problems.add("hours", str(error))
    values = []
    kpi_name = request.form.get("value_kpi", "").strip()
    if kpi_name:
        kpi = catalog.find(kpi_name)
        try:
            scope_text = request.form.get("value_scope", "").replace(",", " ").split()
            scope = parse_scope_items(scope_text, "value_scope")
            value = parse_number(request.form.get("value", ""), "value", percent=uses_percent(kpi))
            values.append(ExceptionValueInput(kpi_name, scope, value))
        except InputError as error:
            problems.add(error.field, error.message)
    if problems or day is None:
        return None
    return (
        lambda text: calendar_edit.add_exception(
            text, day, name, closed=closed, hours=hours, values=values
        ),
        f"Exception {day.isoformat()} {name} saved.",
    )


def _remove(problems: Problems) -> tuple[Callable[[str], str], str] | None:
    day = _date(problems, "date")
    if day is None:
        return None
    return (
        lambda text: calendar_edit.remove_exception(text, day),
        f"Exception {day.isoformat()} removed.",
    )


def _holidays(problems: Problems) -> tuple[Callable[[str], str], str] | None:
    code = request.form.get("country", "").strip().upper()
    subdivision = request.form.get("subdivision", "").strip().upper() or None
    try:
        year = int(request.form.get("year", ""))
        if not 1900 <= year <= 2200:
            raise ValueError
    except ValueError:
        problems.add("year", "give a year such as 2027")
        return None
    if code not in dict(countries()):
        problems.add("country", f"{code!r} is not a country the holidays library knows")
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
