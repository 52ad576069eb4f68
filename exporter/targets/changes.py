"""What changed between two versions of the targets files, per target and for the calendar.

Used to audit a change nobody made through kpi-targets (a hand edit, a ``git pull``): one entry
per target added, changed or removed, one for the calendar, or one saying that only comments or
layout changed. Pure logic; targets are given in the ``targets.yaml`` shape the audit log keeps.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from exporter.scope import Scope
from exporter.targets import yamlload
from exporter.targets.model import Target
from exporter.targets.parse import dump_targets

# (kpi, scope, before, after); kpi "" is the calendar (or nothing, when both sides are None)
Change = tuple[str, Scope, dict[str, Any] | None, dict[str, Any] | None]


def target_as_dict(target: Target) -> dict[str, Any]:
    """A target in the ``targets.yaml`` shape (what the audit log records and ``list`` prints)."""
    document = yaml.safe_load(dump_targets([target]))
    entry: dict[str, Any] = document["targets"][0]
    return entry


def calendar_as_dict(text: str) -> dict[str, Any]:
    """The calendar as plain data, for the audit log (dates and times as their text).

    Read as ``kpi-targets check`` reads it (an unquoted ``10:30`` stays text, not YAML 1.1's
    base-60 integer), so that this data dumped as YAML parses to the same calendar again.
    """
    document = yamlload.load(text).data or {}
    plain: dict[str, Any] = json.loads(json.dumps(document, default=str))
    return plain


def changes_between(
    before: tuple[Target, ...],
    before_calendar: str,
    after: tuple[Target, ...],
    after_calendar: str,
) -> list[Change]:
    old = {(t.kpi, t.scope): target_as_dict(t) for t in before}
    new = {(t.kpi, t.scope): target_as_dict(t) for t in after}
    found: list[Change] = [
        (kpi, scope, old.get((kpi, scope)), new.get((kpi, scope)))
        for kpi, scope in [*old, *(key for key in new if key not in old)]
        if old.get((kpi, scope)) != new.get((kpi, scope))
    ]
    old_calendar = calendar_as_dict(before_calendar)
    new_calendar = calendar_as_dict(after_calendar)
    if old_calendar != new_calendar:
        found.append(("", (), old_calendar, new_calendar))
    return found or [("", (), None, None)]
