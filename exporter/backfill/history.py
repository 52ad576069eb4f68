"""The targets as they were in force at past instants, rebuilt from the audit log (pure, no I/O).

Every change saved through the store is one audit line with the target before and after it. Going
back from the current files, each change is undone in reverse order: the state before the newest
change is the current targets with that change undone, and so on. A change is undone only if the
state still holds what it wrote (its ``after``); when it does not, the targets were also edited
by hand (or by git) in between, at an unknown time, and nothing older can be rebuilt: instants
before that change are judged with the current files, and ``History.notes`` says so. A log
whose times go backwards (a clock set back) is read as if each change happened no later than the
next one.

The calendar is always the current ``calendar.yaml``: the audit log records target changes only.

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

from exporter.targets.model import Scope, TargetSet, scope_of
from exporter.targets.parse import parse_texts
from exporter.targets.store import target_as_dict
from exporter.targets.wording import describe_scope

CURRENT_FILES = "the current targets.yaml"


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
    """The history of the targets from the audit log's ``entries`` (oldest first, as read)."""
    state = [_normalized(target_as_dict(target)) for target in current.targets]
    periods: list[Period] = []
    end = math.inf
    target_set, origin = current, CURRENT_FILES
    notes: list[str] = []
    for number in range(len(entries), 0, -1):
        entry = entries[number - 1]
        where = f"{audit_name}:{number}"
        at = end
        try:
            at = min(_instant(entry), end)
            state = _undo(state, entry)
            earlier = _target_set(state, calendar_text)
        except _CannotUndo as error:
            notes.append(
                f"{where} cannot be undone ({error}): the targets were also edited outside "
                f"kpi-targets; instants before {_words(entry.get('at'))} use {CURRENT_FILES}"
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


def _undo(state: list[dict[str, Any]], entry: Mapping[str, Any]) -> list[dict[str, Any]]:
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


def _key(target: Mapping[str, Any]) -> tuple[str, Scope]:
    scope = target.get("scope") or {}
    return str(target.get("kpi")), scope_of({str(k): str(v) for k, v in scope.items()})


def _normalized(target: Mapping[str, Any]) -> dict[str, Any]:
    """As the audit log stores it (JSON, dates and times as text), so both compare equal."""
    result: dict[str, Any] = json.loads(json.dumps(target, default=str))
    return result


def _target_set(state: list[dict[str, Any]], calendar_text: str) -> TargetSet:
    text = yaml.safe_dump({"targets": state}, sort_keys=False, allow_unicode=True)
    result = parse_texts(text, calendar_text, targets_file="targets.yaml (rebuilt)")
    if result.target_set is None:
        first = result.errors[0] if result.errors else "invalid"
        raise _CannotUndo(f"the targets before it are not valid today: {first}")
    return result.target_set


def _describe(entry: Mapping[str, Any]) -> str:
    scope = scope_of({str(k): str(v) for k, v in (entry.get("scope") or {}).items()})
    return (
        f"{entry.get('action')} {entry.get('kpi')} {describe_scope(scope)} at "
        f"{entry.get('at')} by {entry.get('user')}: {entry.get('reason')}"
    )


def _words(at: object) -> str:
    return str(at) if at else "it"
