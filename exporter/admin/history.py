"""``/history``: the audit log, newest first, filtered by KPI, scope, user and date, each change
with who, when, why and a readable before and after."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from flask import Blueprint, render_template, request

from exporter import catalog
from exporter.admin.auth import requires
from exporter.admin.context import admin_context
from exporter.admin.users import Role
from exporter.targets import display
from exporter.targets.edit_input import InputError, parse_scope_items
from exporter.targets.parse import parse_texts

blueprint = Blueprint("history", __name__)

MAX_SHOWN = 200
ACTION_WORDS = {
    "set": "Target saved",
    "delete": "Target deleted",
    "calendar": "Settings saved",
    "outside": "Changed outside kpi-targets",
}


@dataclass(frozen=True)
class Entry:
    at: str
    user: str
    action: str
    what: str
    scope: str
    reason: str
    before: list[str]
    after: list[str]


def describe_target_dict(entry: dict[str, Any] | None) -> list[str]:
    """A target as the audit log keeps it (the targets.yaml shape), in the page's words."""
    if entry is None:
        return ["Not set"]
    text = yaml.safe_dump({"targets": [entry]}, sort_keys=False)
    result = parse_texts(text, "timezone: UTC\n")
    if result.target_set is None or not result.target_set.targets:
        return [yaml.safe_dump(entry, sort_keys=False, default_flow_style=True).strip()]
    target = result.target_set.targets[0]
    return display.describe_target(target, catalog.find(target.kpi))


def describe_calendar_change(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> tuple[list[str], list[str]]:
    """Only the parts that differ: the time zone, the operating hours, each exception."""
    before, after = before or {}, after or {}
    old_lines: list[str] = []
    new_lines: list[str] = []
    for key, words in (("timezone", "Time zone"), ("operating_hours", "Operating hours")):
        if before.get(key) != after.get(key):
            old_lines.append(f"{words}: {_flat(before.get(key))}")
            new_lines.append(f"{words}: {_flat(after.get(key))}")
    old_exceptions = [_flat(item) for item in before.get("exceptions") or []]
    new_exceptions = [_flat(item) for item in after.get("exceptions") or []]
    old_lines += [f"Exception {item}" for item in old_exceptions if item not in new_exceptions]
    new_lines += [f"Exception {item}" for item in new_exceptions if item not in old_exceptions]
    return old_lines or ["(nothing else)"], new_lines or ["(nothing else)"]


def _flat(value: Any) -> str:
    if value is None:
        return "none"
    return str(
        yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000)
    ).strip()


def _entry(raw: dict[str, Any], zone: ZoneInfo) -> Entry:
    kpi_name = str(raw.get("kpi") or "")
    kpi = catalog.find(kpi_name)
    scope = raw.get("scope") or {}
    scope_pairs = tuple(sorted((str(k), str(v)) for k, v in scope.items()))
    if kpi_name:
        before = describe_target_dict(raw.get("before"))
        after = describe_target_dict(raw.get("after"))
        what = kpi.title if kpi else kpi_name
    elif raw.get("before") is None and raw.get("after") is None:
        before, after = ["(comments or layout only)"], ["(comments or layout only)"]
        what = "Targets files"
    else:
        before, after = describe_calendar_change(raw.get("before"), raw.get("after"))
        what = "Calendar (settings)"
    return Entry(
        at=display.format_instant(str(raw.get("at", "")), zone),
        user=str(raw.get("user", "")),
        action=ACTION_WORDS.get(str(raw.get("action")), str(raw.get("action"))),
        what=what,
        scope=display.scope_on_screen(scope_pairs) if kpi_name else "",
        reason=str(raw.get("reason", "")),
        before=before,
        after=after,
    )


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
