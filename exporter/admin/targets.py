"""``/targets``: the KPI Targets page (two tabs), editing a target and deleting one.

Every save goes through the store (``TargetStore.set_target`` / ``delete_target``): the same
validation, version check, atomic write and audit line as ``kpi-targets targets set``. The form
carries the version it was based on, so a second editor's save is refused, not overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from exporter import attainment, catalog
from exporter.admin.attainment import Reading
from exporter.admin.auth import requires
from exporter.admin.context import admin_context
from exporter.admin.doubts import Doubt, confirmations, with_choices
from exporter.admin.target_form import (
    Row,
    TargetForm,
    doubts,
    error_summary,
    from_post,
    from_target,
    read_target,
)
from exporter.admin.users import Role
from exporter.admin.whatif import (
    DEFAULT_DAYS,
    WINDOW_DAYS,
    Choices,
    WhatIfView,
    read_choices,
    try_target,
)
from exporter.catalog import Kpi, Tab
from exporter.scope import Scope, scope_of
from exporter.targets import display
from exporter.targets.edit_input import FORM_FIELD, SCOPE_FIELD, scope_from_fields
from exporter.targets.model import Target
from exporter.targets.store import (
    InvalidTargetsError,
    StaleVersionError,
    StoreError,
    TargetNotFoundError,
)

blueprint = Blueprint("targets", __name__)

TABS = {"operations": Tab.OPERATIONS, "team": Tab.TEAM}


@dataclass(frozen=True)
class Action:
    """A row's button: "Edit", "Set" or "Add a target"; without ``url`` it is shown disabled
    (the targets are read-only), described by the read-only notice at the top of the page."""

    words: str
    label: str  # the accessible name: "Edit Service level, channel voice"
    url: str | None


@dataclass(frozen=True)
class TargetRow:
    scope: str
    lines: list[str]  # "85 % or more, Mon-Fri 09:00-17:00": one per schedule, value with its time
    edit: Action
    # How the target is met (e.g. "Met 92 % of on-duty hours this week"), shown under the
    # schedule lines when not None. Filled from Prometheus by the view when it is known.
    attainment: str | None = None


@dataclass(frozen=True)
class MetricRow:
    kpi: Kpi
    period: str
    targets: list[TargetRow]
    new: Action | None  # None: not eligible ("Set" when nothing is set, else "Add a target")


def scope_query(scope: Scope) -> str:
    return urlencode(list(scope))


def _url(endpoint: str, kpi: str, scope: Scope) -> str:
    base = url_for(endpoint, kpi=kpi)
    return f"{base}?{scope_query(scope)}" if scope else base


def _metric_rows(
    tab: Tab, targets: tuple[Target, ...], editable: bool, reading: Reading
) -> list[MetricRow]:
    rows = []
    for kpi in catalog.CATALOG:
        if kpi.tab is not tab:
            continue
        mine = [target for target in targets if target.kpi == kpi.name]
        target_rows = []
        for target in mine:
            scope = display.scope_on_screen(target.scope, kpi)
            url = _url("targets.edit", kpi.name, target.scope)
            target_rows.append(
                TargetRow(
                    scope,
                    display.describe_target(target, kpi),
                    Action("Edit", f"Edit {kpi.title}, {scope}", url if editable else None),
                    reading.words(target, targets),
                )
            )
        new = None
        if kpi.eligible:
            url = url_for("targets.edit", kpi=kpi.name, new=1)
            words, label = (
                ("Add a target", f"Add a target for {kpi.title}")
                if mine
                else ("Set", f"Set {kpi.title}")
            )
            new = Action(words, label, url if editable else None)
        rows.append(MetricRow(kpi, str(kpi.period), target_rows, new))
    return rows


@blueprint.get("/targets")
@requires(Role.VIEWER)
def page() -> str:
    tab_key = request.args.get("tab", "operations")
    tab = TABS.get(tab_key, Tab.OPERATIONS)
    loaded = admin_context().store.current()
    tabs = [(key, str(value), url_for("targets.page", tab=key)) for key, value in TABS.items()]
    editable = admin_context().store.read_only is None
    reading = admin_context().attainment.reading(attainment.LIST_DAYS, loaded.target_set.targets)
    return render_template(
        "targets.html",
        tabs=tabs,
        tab_key=tab_key if tab_key in TABS else "operations",
        rows=_metric_rows(tab, loaded.target_set.targets, editable, reading),
        may_edit=current_user.may(Role.EDITOR),
        version=loaded.version,
        attainment_note=reading.note,
    )


def _eligible_kpi(name: str) -> Kpi:
    kpi = catalog.find(name)
    if kpi is None:
        abort(404, f"there is no KPI called {name!r} in the catalog")
    if not kpi.eligible:
        abort(404, f"{kpi.title} is not eligible for targets: {kpi.description}")
    return kpi


def _scope_from_args(kpi: Kpi) -> Scope:
    labels = {}
    for label, value in request.args.items():
        if label == "new":
            continue
        if label not in kpi.scope_labels:
            abort(404, f"{kpi.title} has no scope label {label!r}")
        labels[label] = value
    return scope_of(labels)


def _find(kpi: str, scope: Scope) -> Target | None:
    for target in admin_context().store.current().target_set.targets:
        if target.kpi == kpi and target.scope == scope:
            return target
    return None


def _tab_url(kpi: Kpi) -> str:
    key = next(key for key, tab in TABS.items() if tab is kpi.tab)
    return url_for("targets.page", tab=key) + f"#{kpi.name}"


def _render_edit(
    form: TargetForm,
    status: int = 200,
    conflict: dict[str, object] | None = None,
    questions: list[Doubt] | None = None,
    confirmed: list[tuple[str, str]] | None = None,
    *,
    tried: WhatIfView | None = None,
    tried_note: str | None = None,
    choices: Choices | None = None,
    taken: str | None = None,
) -> tuple[str, int]:
    context = admin_context()
    suggestions = context.suggestions()
    words, note = _attainment_of(form)
    if choices is None:
        choices = _choices()
    return render_template(
        "edit.html",
        form=form,
        kpi=form.kpi,
        scope_words=display.scope_on_screen(scope_from_fields(form.scope), form.kpi),
        suggestions={label: suggestions.get(label, []) for label in form.scope},
        quantifiers=[
            (str(q), display.QUANTIFIER_WORDS[q], display.QUANTIFIER_HELP[q])
            for q in display.QUANTIFIER_WORDS
        ],
        unit=display.unit_hint(form.kpi),
        days=list(enumerate(display.DAY_TITLES)),
        summary=error_summary(form, questions or []),
        doubts=questions or [],
        confirmations=confirmed or [],
        form_errors=form.errors.get(FORM_FIELD, []),
        conflict=conflict,
        delete_url=None
        if form.is_new
        else _url("targets.delete", form.kpi.name, scope_from_fields(form.scope)),
        back_url=_tab_url(form.kpi),
        attainment=words,
        attainment_note=note,
        whatif=tried,
        whatif_note=tried_note,
        whatif_choices=choices,
        whatif_days=WINDOW_DAYS,
        whatif_default_days=DEFAULT_DAYS,
        taken=taken,
    ), status


def _choices() -> Choices:
    """The try's window and share as posted (the defaults on a fresh form)."""
    return read_choices(
        request.form.get("whatif_days", str(DEFAULT_DAYS)), request.form.get("whatif_share", "80")
    )


def _attainment_of(form: TargetForm) -> tuple[str | None, str | None]:
    """The saved target's met hours over the last 28 days in words, and the page's note on
    them; nothing for a new target."""
    target = None if form.is_new else _find(form.kpi.name, scope_from_fields(form.scope))
    if target is None:
        return None, None
    same_kpi = [
        other
        for other in admin_context().store.current().target_set.targets
        if other.kpi == target.kpi
    ]
    reading = admin_context().attainment.reading(attainment.TARGET_DAYS, same_kpi)
    return reading.words(target, same_kpi), reading.note


@blueprint.get("/targets/<kpi>/edit")
@requires(Role.EDITOR)
def edit(kpi: str) -> tuple[str, int]:
    found = _eligible_kpi(kpi)
    scope = _scope_from_args(found)
    target = None if request.args.get("new") else _find(found.name, scope)
    form = from_target(found, scope, target, admin_context().store.current().version)
    return _render_edit(form)


@blueprint.post("/targets/<kpi>/edit")
@requires(Role.EDITOR)
def save(kpi: str) -> tuple[str, int] | Response:
    found = _eligible_kpi(kpi)
    posted = with_choices(request.form)
    form = from_post(found, posted.get("is_new") == "1", posted)
    confirmed = confirmations(posted)
    if posted.get("add_row"):
        form.rows.append(Row())
        return _render_edit(form, confirmed=confirmed)
    if posted.get("take"):
        return _take(form, posted.get("take", ""), confirmed)
    if posted.get("try"):
        return _try(form, confirmed)
    context = admin_context()
    store = context.store
    target = read_target(form, store.calendar_path.read_text(encoding="utf-8"))
    scope = scope_from_fields(form.scope)
    if form.is_new and _find(found.name, scope) is not None:
        form.add_error(
            SCOPE_FIELD,
            f"{found.title} already has a target for {display.scope_on_screen(scope, found)}: "
            "edit that one from the targets page",
        )
    questions = doubts(form, posted, context.seen_labels())
    if target is None or form.errors or questions:
        return _render_edit(form, 400, questions=questions, confirmed=confirmed)
    try:
        version = store.set_target(
            target, user=current_user.name, reason=form.reason, base_version=form.base_version
        )
    except StaleVersionError as error:
        return _conflict(form, error, confirmed)
    except InvalidTargetsError as error:
        for problem in error.problems:
            form.add_error(FORM_FIELD, problem.message)
        return _render_edit(form, 400, confirmed=confirmed)
    except StoreError as error:
        form.add_error(FORM_FIELD, str(error))
        return _render_edit(form, 400, confirmed=confirmed)
    for problem in store.current().problems:
        if problem.severity == "warning" and found.name in problem.message:
            flash(f"Warning: {problem.message}")
    flash(
        f"Saved the target of {found.title} ({display.scope_on_screen(target.scope, found)}), "
        f"version {version}."
    )
    return redirect(_tab_url(found))


def _try(form: TargetForm, confirmed: list[tuple[str, str]]) -> tuple[str, int]:
    """The target as typed against the closed hours in Prometheus: nothing saved or audited."""
    context = admin_context()
    store = context.store
    target = read_target(form, store.calendar_path.read_text(encoding="utf-8"), need_reason=False)
    choices = _choices()
    if target is None or choices.error:
        return _render_edit(form, 400, confirmed=confirmed, choices=choices)
    tried, note = try_target(
        target, store.current().target_set, context.attainment.client, context.clock(), choices
    )
    return _render_edit(form, confirmed=confirmed, tried=tried, tried_note=note, choices=choices)


def _take(form: TargetForm, take: str, confirmed: list[tuple[str, str]]) -> tuple[str, int]:
    """A suggestion put into its field (``value=83`` or ``row-1=83``); saved only by Save."""
    field, _, value = take.partition("=")
    form.rows = [row for row in form.rows if not row.blank] or [Row()]
    try:
        float(value)
    except ValueError:
        field = ""
    shown = f"{value} {display.unit_hint(form.kpi)}"
    if field == "value":
        form.value = value
        taken = f"Put {shown} into the value at all times. Save to keep it."
    elif field.startswith("row-") and field[4:].isdigit() and int(field[4:]) < len(form.rows):
        index = int(field[4:])
        form.rows[index].value = value
        taken = f"Put {shown} into Schedule {index + 1}. Save to keep it."
    else:
        return _render_edit(form, 400, confirmed=confirmed, taken="That suggestion is not known.")
    return _render_edit(form, confirmed=confirmed, taken=taken)


def _conflict(
    form: TargetForm, error: StaleVersionError, confirmed: list[tuple[str, str]]
) -> tuple[str, int]:
    """Refused: show who changed the targets, and the current values; keep what was typed."""
    current = _find(form.kpi.name, scope_from_fields(form.scope))
    last = error.last_change or {}
    zone = admin_context().store.current().target_set.calendar.timezone
    form.base_version = error.current_version
    conflict = {
        "user": last.get("user", "someone, outside kpi-targets"),
        "at": display.format_instant(str(last.get("at", "an unknown time")), zone),
        "reason": last.get("reason", ""),
        "current": display.describe_target(current, form.kpi) if current else ["Not set"],
    }
    return _render_edit(form, 409, conflict, confirmed=confirmed)


@blueprint.route("/targets/<kpi>/delete", methods=["GET", "POST"])
@requires(Role.EDITOR)
def delete(kpi: str) -> tuple[str, int] | Response:
    found = _eligible_kpi(kpi)
    scope = _scope_from_args(found)
    target = _find(found.name, scope)
    store = admin_context().store
    if target is None:
        abort(404, f"{found.title} has no target for {display.scope_on_screen(scope, found)}")
    base_version = request.form.get("base_version", store.current().version)
    reason = request.form.get("reason", "")

    def page(status: int, error: str | None = None) -> tuple[str, int]:
        return render_template(
            "delete.html",
            kpi=found,
            scope_words=display.scope_on_screen(scope, found),
            lines=display.describe_target(target, found),
            base_version=base_version,
            reason=reason,
            back_url=_tab_url(found),
            error=error,
        ), status

    if request.method == "GET":
        return page(200)
    if not reason.strip():
        return page(400, "Say why (it goes to the history).")
    try:
        store.delete_target(
            found.name, scope, user=current_user.name, reason=reason, base_version=base_version
        )
    except (StaleVersionError, TargetNotFoundError, StoreError) as error:
        base_version = store.current().version
        return page(409 if isinstance(error, StaleVersionError) else 400, str(error))
    flash(f"Deleted the target of {found.title} ({display.scope_on_screen(scope, found)}).")
    return redirect(_tab_url(found))
