"""``/settings`` (admins): the calendar the targets are judged in, in four tabs that each save on
their own with one reason: operating hours (a week per team, queue or everyone), date exceptions
(the coming 12 months), a country's public holidays (previewed before they are added) and the time
zone.

Each save changes one part of ``calendar.yaml`` through ``TargetStore.edit_calendar``: validated
exactly as ``kpi-targets check``, version-checked, written atomically and audited (one line, with
the reason), like a target. Every tab works without JavaScript; ``static/settings.js`` only saves
the round trips of the week's add, remove and copy buttons.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from zoneinfo import available_timezones

import holidays
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from exporter import catalog
from exporter.admin import settings_exceptions, settings_week
from exporter.admin.auth import requires
from exporter.admin.context import admin_context
from exporter.admin.countries import countries
from exporter.admin.doubts import confirmations, scope_doubt, with_choices
from exporter.admin.settings_problems import Change, Problems
from exporter.admin.settings_week import WeekField, WeekForm
from exporter.admin.users import Role
from exporter.targets import calendar_edit, month_grid, week_hours
from exporter.targets.store import InvalidTargetsError, StaleVersionError, StoreError

blueprint = Blueprint("settings", __name__)

TABS = {
    "hours": "Operating hours",
    "exceptions": "Date exceptions",
    "holidays": "Public holidays",
    "timezone": "Time zone",
}
TAB_OF_SECTION = {"timezone": "timezone", "hours": "hours", "exception": "exceptions",
                  "remove": "exceptions", "holidays": "holidays"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class HolidayPreview:
    country: str  # "Italy (IT)"
    year: int
    added: list[tuple[str, str]]  # ("Wed 2027-01-06", name) that the import adds
    kept: list[tuple[str, str]]  # already listed: kept as they are


def _render(
    tab: str,
    problems: Problems | None = None,
    *,
    weeks: WeekForm | None = None,
    form: Mapping[str, str] | None = None,
    status: int = 200,
    preview: HolidayPreview | None = None,
) -> tuple[str, int]:
    """The page on ``tab``; after a refusal ``problems`` and ``form`` (as posted) fill the refused
    form again with every field as typed, its messages summed up above it (focused on load)."""
    context = admin_context()
    store = context.store
    calendar_text = store.calendar_path.read_text(encoding="utf-8")
    calendar = store.current().target_set.calendar
    today = context.now().astimezone(calendar.timezone).date()
    problems = Problems() if problems is None else problems
    typed = dict(form or {})
    zone = calendar_edit.timezone_of(calendar_text)
    if weeks is None:
        weeks = WeekForm(settings_week.fields_of(calendar_edit.operating_weeks(calendar_text)))
    editing = request.args.get("date", "") if problems.section != "exception" else ""
    if editing:
        typed = settings_exceptions.typed_from(calendar, editing)
    exception_date = (
        typed.get("date", "") if problems.section in ("exception", "remove", "") else ""
    )
    return render_template(
        "settings.html",
        tab=tab,
        tabs=list(TABS.items()),
        version=store.current().version,
        timezone=typed.get("timezone", "") if problems.section == "timezone" else zone,
        current_zone=zone,
        timezones=[zone, *(z for z in sorted(available_timezones()) if z != zone)],
        weeks=weeks,
        week_days=[(d, week_hours.day_name(d)) for d in range(7)],
        who_words=list(settings_week.WHO_WORDS.items()),
        listed=exception_date and any(d.isoformat() == exception_date for d in calendar.exceptions),
        more_values=settings_exceptions.more_values(calendar, exception_date),
        kpis=[(kpi.name, kpi.title) for kpi in catalog.CATALOG if kpi.eligible],
        countries=countries(),
        form=typed,
        problems=problems,
        doubts=problems.doubts,
        confirmations=confirmations(typed),
        this_year=today.year,
        preview=preview,
        **settings_exceptions.view(calendar, today),
    ), status


def _tab() -> str:
    tab = request.args.get("tab", "hours")
    return tab if tab in TABS else "hours"


@blueprint.get("/settings")
@requires(Role.ADMIN)
def page() -> tuple[str, int]:
    return _render(_tab())


@blueprint.post("/settings")
@requires(Role.ADMIN)
def save() -> tuple[str, int] | Response:
    posted = with_choices(request.form)
    form = {key: value for key, value in posted.items() if key != "csrf_token"}
    section = form.get("section", "")
    removing = section == "exception" and bool(posted.get("remove_exception"))
    problems = Problems(section)
    tab = TAB_OF_SECTION.get(section, "hours")
    typed_weeks = settings_week.parse(posted) if section == "hours" else []
    weeks = WeekForm(typed_weeks) if section == "hours" else None
    if section == "hours" and posted.get("op"):
        return _render(tab, problems, weeks=settings_week.apply(typed_weeks, posted["op"]),
                       form=form)  # fmt: skip
    if section == "holidays" and not posted.get("confirm"):
        return _preview_holidays(problems, posted, form)
    handlers: dict[str, Callable[[Problems, MultiDict[str, str]], Change | None]] = {
        "timezone": _timezone,
        "hours": lambda p, f: _hours(p, f, typed_weeks, weeks),
        "exception": settings_exceptions.save_exception,
        "remove": settings_exceptions.remove_exception,
        "holidays": _holidays,
    }
    handler = handlers.get("remove" if removing else section)
    if handler is None:
        problems.section = "timezone"
        problems.add("", f"unknown settings form {section!r}")
        return _render("timezone", problems, form=form, status=400)
    change = handler(problems, posted)
    reason = form.get("reason", "").strip()
    if not reason:
        problems.add("reason", "say why (it goes to the history)")
    if problems or problems.doubts or change is None:
        return _render(tab, problems, weeks=weeks, form=form, status=400)
    rewrite, done = change
    try:
        version = admin_context().store.edit_calendar(
            rewrite, user=current_user.name, reason=reason, base_version=form.get("base_version")
        )
    except StaleVersionError as error:
        problems.add("", str(error))
        return _render(tab, problems, weeks=weeks, form=form, status=409)
    except InvalidTargetsError as error:
        for problem in error.problems:
            problems.add("", f"{problem.file} line {problem.line}: {problem.message}")
        return _render(tab, problems, weeks=weeks, form=form, status=400)
    except StoreError as error:
        problems.add("", str(error))
        return _render(tab, problems, weeks=weeks, form=form, status=400)
    flash(f"{done} Saved as version {version}.")
    # imported holidays are seen where they went: among the exceptions
    return redirect(url_for("settings.page", tab="exceptions" if section == "holidays" else tab))


def _timezone(problems: Problems, form: MultiDict[str, str]) -> Change | None:
    zone = form.get("timezone", "").strip()
    zones = available_timezones()
    if zone not in zones:
        close = difflib.get_close_matches(zone, sorted(zones), n=1) if len(zone) <= 64 else []
        shown = repr(zone) if zone else "An empty name"
        hint = (
            f"did you mean {close[0]}? Choose one from the list"
            if close
            else "choose one from the list, e.g. Europe/Rome"
        )
        problems.add("timezone", f"{shown} is not a time zone name: {hint}")
        return None
    return (lambda text: calendar_edit.set_timezone(text, zone)), f"Time zone set to {zone}."


def _hours(
    problems: Problems, form: MultiDict[str, str], typed: list[WeekField], shown: WeekForm | None
) -> Change | None:
    weeks, errors = settings_week.check(typed)
    for name, messages in errors.items():
        for message in messages:
            problems.add(name, message)
    if shown is not None:
        shown.errors = errors
    seen = admin_context().seen_labels()
    for index, week in enumerate(typed):
        if week.who in settings_week.WHO_LABELS and week.name:
            label = settings_week.WHO_LABELS[week.who]
            problems.ask(scope_doubt(form, f"w{index}-name", label, week.name, seen))
    if problems:
        return None
    words = "Operating hours saved." if weeks else "Operating hours removed: always on duty."
    return (lambda text: calendar_edit.set_operating_weeks(text, weeks)), words


def _holiday_days(
    problems: Problems, form: MultiDict[str, str]
) -> tuple[str, int, list[tuple[date, str]]] | None:
    """The country, year and holidays the import form asks for, or None (problems said why)."""
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
    return code, year, sorted(found.items())


def _preview_holidays(
    problems: Problems, form: MultiDict[str, str], typed: dict[str, str]
) -> tuple[str, int]:
    """The dates an import would add, and those already listed, before anything is saved."""
    asked = _holiday_days(problems, form)
    if not form.get("reason", "").strip():
        problems.add("reason", "say why (it goes to the history)")
    if problems or asked is None:
        return _render("holidays", problems, form=typed, status=400)
    code, year, days = asked
    listed = admin_context().store.current().target_set.calendar.exceptions
    preview = HolidayPreview(
        f"{dict(countries())[code]} ({code})",
        year,
        [(_weekday_date(day), name) for day, name in days if day not in listed],
        [(day.isoformat(), listed[day].name) for day, _ in days if day in listed],
    )
    return _render("holidays", problems, form=typed, preview=preview)


def _weekday_date(day: date) -> str:
    """A date as the exceptions list shows it: "Wed 2027-01-06"."""
    return f"{month_grid.WEEKDAY_SHORT[day.weekday()]} {day.isoformat()}"


def _holidays(problems: Problems, form: MultiDict[str, str]) -> Change | None:
    asked = _holiday_days(problems, form)
    if asked is None:
        return None
    code, year, days = asked
    listed = admin_context().store.current().target_set.calendar.exceptions
    count = sum(1 for day, _ in days if day not in listed)
    return (
        lambda text: calendar_edit.add_holidays(text, days)[0],
        f"Imported the public holidays of {code} for {year} ({count} dates added; a date "
        "already listed kept its entry).",
    )
