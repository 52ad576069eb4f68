"""The targets and calendar as they were in force at past instants, rebuilt from the audit log
(pure, no I/O).

Every change is one audit line with what it changed before and after: a target (``set``,
``delete``, or ``outside``: a change the running exporter found on disk that no kpi-targets save
made), or the whole calendar (``kpi`` "": a Settings save, action ``calendar``, or an outside
change to ``calendar.yaml``). Going back from the current files, each change is undone in reverse
order: the state before the newest change is the current targets and calendar with that change
undone, and so on. An outside line with nothing before or after (only comments or layout changed)
has nothing to undo. The lines of one outside change (same versions before and after) are undone
together: the states between them never existed.

A change is undone only if the state still holds what it wrote (its ``after``); when it does not,
the files were also edited while no exporter watched them, at an unknown time, and nothing older
can be rebuilt: instants before that change are judged with the current files, and
``History.notes`` says so. A log whose times go backwards (a clock set back) is read as if each
change happened no later than the next one.

    history = rebuild(current_targets, calendar_text, audit_entries)
    history.at(instant)        # the TargetSet in force then
    history.periods            # (start, end, target set, where it came from), oldest first
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import yaml

from exporter.scope import Scope, scope_of
from exporter.targets.changes import calendar_as_dict, target_as_dict
from exporter.targets.model import TargetSet
from exporter.targets.parse import parse_texts
from exporter.targets.wording import scope_in_message

CURRENT_FILES = "the current targets.yaml and calendar.yaml"


@dataclass(frozen=True, slots=True)
class Period:
    """From ``start`` (inclusive, Unix seconds; -inf) to ``end`` (exclusive; inf)."""

    start: float
    end: float
    target_set: TargetSet
    origin: str  # e.g. "the current targets.yaml", "as before audit.jsonl:3 (...)"


class History:
    """The periods (oldest first, contiguous, covering all time) and what could not be rebuilt."""

    def __init__(self, periods: Sequence[Period], notes: Sequence[str] = ()) -> None:
        self.periods = tuple(periods)
        self.notes = tuple(notes)
        self._starts = [period.start for period in self.periods]

    def at(self, instant: float) -> TargetSet:
        index = bisect.bisect_right(self._starts, instant) - 1
        return self.periods[max(index, 0)].target_set

    def between(self, start: float, end: float) -> list[Period]:
        """The periods that overlap [start, end]."""
        return [p for p in self.periods if p.start <= end and p.end > start]


class _CannotUndo(Exception):
    """An audited change that the state it should be undone from does not hold."""


def rebuild(
    current: TargetSet,
    calendar_text: str,
    entries: Sequence[Mapping[str, Any]],
    *,
    audit_name: str = "audit.jsonl",
) -> History:
    """The history of the targets and calendar from the audit log's ``entries`` (oldest first)."""
    # Both as the audit log keeps them, so a change's ``after`` compares equal to what it wrote.
    targets = [_normalized(target_as_dict(target)) for target in current.targets]
    calendar = calendar_as_dict(calendar_text)
    periods: list[Period] = []
    end = math.inf
    target_set, origin = current, CURRENT_FILES
    notes: list[str] = []
    for number in range(len(entries), 0, -1):
        entry = entries[number - 1]
        if entry.get("kpi") == "" and entry.get("before") is None and entry.get("after") is None:
            continue  # an outside change of comments or layout only: nothing to undo
        where = f"{audit_name}:{number}"
        at = end
        try:
            at = min(_instant(entry), end)
            if entry.get("kpi") == "":
                calendar = _undo_calendar(calendar, entry)
            else:
                targets = _undo_target(targets, entry)
            if number > 1 and _one_outside_change(entries[number - 2], entry):
                continue  # the next line is of the same change: no period between them
            earlier = _target_set(targets, calendar)
        except _CannotUndo as error:
            notes.append(
                f"{where} cannot be undone ({error}): the files were also edited while no "
                f"exporter watched them; instants before {_words(entry.get('at'))} use "
                f"{CURRENT_FILES}"
            )
            periods.append(Period(at, end, target_set, origin))
            periods.append(Period(-math.inf, at, current, CURRENT_FILES))
            return _history(periods, notes, current)
        periods.append(Period(at, end, target_set, origin))
        end = at
        target_set, origin = earlier, f"as before {where} ({_describe(entry)})"
    periods.append(Period(-math.inf, end, target_set, origin))
    return _history(periods, notes, current)


def _history(periods: list[Period], notes: list[str], current: TargetSet) -> History:
    # Clock changes or a log appended out of order could leave an empty or reversed period.
    ordered = [p for p in reversed(periods) if p.start < p.end]
    if not ordered:
        ordered = [Period(-math.inf, math.inf, current, CURRENT_FILES)]
    return History(tuple(ordered), tuple(notes))


def _instant(entry: Mapping[str, Any]) -> float:
    text = entry.get("at")
    if not isinstance(text, str):
        raise _CannotUndo("it has no time")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _CannotUndo(f"its time {text!r} is not ISO-8601") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _undo_target(state: list[dict[str, Any]], entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    kpi, scope = entry.get("kpi"), entry.get("scope")
    if not isinstance(kpi, str) or not isinstance(scope, dict):
        raise _CannotUndo("it names no KPI and scope")
    key = (kpi, scope_of({str(k): str(v) for k, v in scope.items()}))
    index = next((i for i, target in enumerate(state) if _key(target) == key), None)
    after, before = entry.get("after"), entry.get("before")
    if after is None:
        if index is not None:
            raise _CannotUndo(f"it deleted {kpi}, which is in the targets again")
    elif index is None or state[index] != _normalized(after):
        raise _CannotUndo(f"the targets do not hold the {kpi} target it saved")
    undone = [target for i, target in enumerate(state) if i != index]
    if before is not None:
        if not isinstance(before, dict):
            raise _CannotUndo("its 'before' is not a target")
        position = index if index is not None else len(undone)
        undone.insert(position, _normalized(before))
    return undone


def _undo_calendar(calendar: dict[str, Any], entry: Mapping[str, Any]) -> dict[str, Any]:
    before = entry.get("before")
    if entry.get("after") != calendar:
        raise _CannotUndo("calendar.yaml does not hold the calendar it saved")
    if not isinstance(before, dict):
        raise _CannotUndo("its 'before' is not a calendar")
    return before


def _one_outside_change(older: Mapping[str, Any], newer: Mapping[str, Any]) -> bool:
    """Two lines of the same change found on disk (one per target, and one for the calendar)."""
    return older.get("action") == newer.get("action") == "outside" and all(
        older.get(key) == newer.get(key) for key in ("version_before", "version_after")
    )


def _key(target: Mapping[str, Any]) -> tuple[str, Scope]:
    scope = target.get("scope") or {}
    return str(target.get("kpi")), scope_of({str(k): str(v) for k, v in scope.items()})


def _normalized(target: Mapping[str, Any]) -> dict[str, Any]:
    """As the audit log stores it (JSON, dates and times as text), so both compare equal."""
    result: dict[str, Any] = json.loads(json.dumps(target, default=str))
    return result


def _target_set(targets: list[dict[str, Any]], calendar: dict[str, Any]) -> TargetSet:
    result = parse_texts(
        _yaml({"targets": targets}),
        _yaml(calendar),
        targets_file="targets.yaml (rebuilt)",
        calendar_file="calendar.yaml (rebuilt)",
    )
    if result.target_set is None:
        first = result.errors[0] if result.errors else "invalid"
        raise _CannotUndo(f"the targets and calendar before it are not valid today: {first}")
    return result.target_set


def _yaml(document: dict[str, Any]) -> str:
    """The text of plain data as the audit log keeps it (dates and times as their text)."""
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def _describe(entry: Mapping[str, Any]) -> str:
    scope = scope_of({str(k): str(v) for k, v in (entry.get("scope") or {}).items()})
    action, kpi = entry.get("action"), entry.get("kpi")
    what = f"{kpi} {scope_in_message(scope)}" if kpi else "calendar.yaml"
    verb = "edit" if action == "calendar" else action
    return f"{verb} {what} at {entry.get('at')} by {entry.get('user')}: {entry.get('reason')}"


def _words(at: object) -> str:
    return str(at) if at else "it"
