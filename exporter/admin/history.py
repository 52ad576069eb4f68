"""``/history``: the audit log, newest first, filtered by KPI, scope, user and date, each change
with who, when, why and a readable before and after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from flask import Blueprint, render_template, request

from exporter import catalog
from exporter.admin.auth import requires
from exporter.admin.context import admin_context
from exporter.admin.users import Role
from exporter.catalog import Kpi
from exporter.targets import display, history_words
from exporter.targets.edit_input import InputError, parse_scope_items
from exporter.targets.history_words import Change, Part
from exporter.targets.model import Target
from exporter.targets.parse import parse_texts

blueprint = Blueprint("history", __name__)

MAX_SHOWN = 200
ACTION_WORDS = {
    "set": "Target saved",
    "delete": "Target deleted",
    "calendar": "Settings saved",
    "outside": "Changed outside kpi-targets",
}


KIND_WORDS = {"same": "Unchanged", "changed": "Changed", "added": "Added", "removed": "Removed"}


@dataclass(frozen=True)
class Row:
    """One line of an entry's before/after table: what happened to it, and both sides."""

    kind: str  # "Changed", "Added"...
    before: tuple[Part, ...]
    after: tuple[Part, ...]


@dataclass(frozen=True)
class Entry:
    at: str
    user: str
    action: str
    what: str
    scope: str
    reason: str
    words: str  # what changed, in words; "" when only comments or layout changed
    rows: list[Row]


def _target(entry: dict[str, Any] | None) -> Target | None:
    """A target as the audit log keeps it (the targets.yaml shape); ValueError if unreadable."""
    if entry is None:
        return None
    text = yaml.safe_dump({"targets": [entry]}, sort_keys=False)
    result = parse_texts(text, "timezone: UTC\n")
    if result.target_set is None or not result.target_set.targets:
        raise ValueError("not a target")
    return result.target_set.targets[0]


def target_dict_changes(
    before: dict[str, Any] | None, after: dict[str, Any] | None, kpi: Kpi | None
) -> list[Change]:
    try:
        return history_words.target_changes(_target(before), _target(after), kpi)
    except ValueError:
        return history_words.text_changes(_flat(before), _flat(after))


def _flat(value: Any) -> str:
    if value is None:
        return "Not set"
    return str(
        yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000)
    ).strip()


def _rows(changes: list[Change], absent: str) -> list[Row]:
    return [
        Row(
            KIND_WORDS[change.kind],
            change.before or (Part(absent),),
            change.after or (Part(absent),),
        )
        for change in changes
    ]


def _entry(raw: dict[str, Any], zone: ZoneInfo) -> Entry:
    kpi_name = str(raw.get("kpi") or "")
    kpi = catalog.find(kpi_name)
    scope = raw.get("scope") or {}
    scope_pairs = tuple(sorted((str(k), str(v)) for k, v in scope.items()))
    if kpi_name:
        changes = target_dict_changes(raw.get("before"), raw.get("after"), kpi)
        rows = _rows(changes, "Not set")
        what = kpi.title if kpi else kpi_name
    elif raw.get("before") is None and raw.get("after") is None:
        changes, rows = [], []
        what = "Targets files"
    else:
        changes = history_words.calendar_changes(raw.get("before"), raw.get("after"))
        rows = _rows(changes, "none")
        what = "Calendar (settings)"
    return Entry(
        at=display.format_instant(str(raw.get("at", "")), zone),
        user=str(raw.get("user", "")),
        action=ACTION_WORDS.get(str(raw.get("action")), str(raw.get("action"))),
        what=what,
        scope=display.scope_on_screen(scope_pairs, kpi) if kpi_name else "",
        reason=str(raw.get("reason", "")),
        words=history_words.summary(changes),
        rows=rows,
    )


def _is_iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _matches(raw: dict[str, Any], filters: dict[str, str], scope: dict[str, str]) -> bool:
    if filters["kpi"] and raw.get("kpi") != filters["kpi"]:
        return False
    if filters["user"] and filters["user"].lower() not in str(raw.get("user", "")).lower():
        return False
    day = str(raw.get("at", ""))[:10]
    if filters["from"] and day < filters["from"]:
        return False
    if filters["to"] and day > filters["to"]:
        return False
    entry_scope = raw.get("scope") or {}
    return all(str(entry_scope.get(label)) == value for label, value in scope.items())


@blueprint.get("/history")
@requires(Role.VIEWER)
def page() -> tuple[str, int]:
    names = ("kpi", "scope", "user", "from", "to")
    filters = {name: request.args.get(name, "").strip() for name in names}
    error = None
    scope: dict[str, str] = {}
    if filters["scope"]:
        try:
            scope = dict(parse_scope_items(filters["scope"].replace(",", " ").split(), "scope"))
        except InputError as problem:
            error = f"Scope: {problem.message}"
    for name, words in (("from", "From date"), ("to", "To date")):
        if filters[name] and not _is_iso_date(filters[name]):
            error = (
                f"{words}: {filters[name]!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-12-01"
            )
    store = admin_context().store
    zone = store.current().target_set.calendar.timezone
    try:
        raw_entries = store.audit.entries()
    except ValueError as problem:
        raw_entries, error = [], str(problem)
    matching = [raw for raw in reversed(raw_entries) if _matches(raw, filters, scope)]
    return render_template(
        "history.html",
        filters=filters,
        kpis=[(kpi.name, kpi.title) for kpi in catalog.CATALOG if kpi.eligible],
        entries=[_entry(raw, zone) for raw in matching[:MAX_SHOWN]],
        total=len(matching),
        shown=min(len(matching), MAX_SHOWN),
        error=error,
    ), 400 if error else 200
