"""Round-trip YAML: a save rewrites only what it changes, so ``git diff`` shows one edit.

``targets.yaml`` and ``calendar.yaml`` are loaded with ruamel.yaml's round-trip mode, which keeps
comments, blank lines, quoting, number spelling (``0.90`` stays ``0.90``) and the order of
everything. ``replace_target`` changes one target in place: keys and schedules whose meaning did
not change keep their text (and the comments on them); a new target goes at the end; a deleted one
is removed with nothing else touched. Pure text in, text out.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from exporter.scope import Scope
from exporter.targets import daytime
from exporter.targets.daytime import DayTimeError
from exporter.targets.model import Target


def _yaml() -> YAML:
    yaml = YAML()  # round-trip
    yaml.indent(mapping=2, sequence=4, offset=2)  # "targets:\n  - kpi: ..." as the docs write it
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line the user wrote on one line
    return yaml


def load(text: str) -> Any:
    """The document as ruamel's commented maps and lists (None for an empty file)."""
    return _yaml().load(text)


def dump(document: Any) -> str:
    out = io.StringIO()
    _yaml().dump(document, out)
    return out.getvalue()


def number(value: float) -> int | float:
    """300.0 is written 300, 0.85 stays 0.85."""
    return int(value) if value.is_integer() else value


def block_list(document: CommentedMap, key: str) -> CommentedSeq:
    """``document[key]`` as a block-style list, created (or turned from ``[]``) when needed."""
    items = document.get(key)
    if not isinstance(items, CommentedSeq):
        items = CommentedSeq()
        document[key] = items
    if not items:
        items.fa.set_block_style()
    return items


def flow_map(mapping: dict[str, Any]) -> CommentedMap:
    """``{channel: voice}`` on one line, as the docs write scopes."""
    result = CommentedMap(mapping)
    result.fa.set_flow_style()
    return result


def target_entry(target: Target) -> CommentedMap:
    """One target in the documented shape (what ``parse.dump_targets`` writes, as a document)."""
    entry = CommentedMap()
    entry["kpi"] = target.kpi
    if target.scope:
        entry["scope"] = flow_map(dict(target.scope))
    entry["quantifier"] = str(target.quantifier)
    schedules = CommentedSeq()
    for schedule in target.schedules:
        item = CommentedMap()
        if schedule.days is not None:
            days = CommentedSeq(daytime.format_day_items(schedule.days))
            days.fa.set_flow_style()
            item["days"] = days
        if schedule.hours is not None:
            item["from"] = DoubleQuotedScalarString(daytime.format_time(schedule.hours.start))
            item["to"] = DoubleQuotedScalarString(
                daytime.format_time(schedule.hours.end, is_end=True)
            )
        item["value"] = number(schedule.value)
        schedules.append(item)
    entry["schedules"] = schedules
    return entry


def replace_target(text: str, kpi: str, scope: Scope, new: Target | None) -> str:
    """``text`` with the target for ``kpi`` and ``scope`` replaced by ``new`` (None deletes it)."""
    document = load(text)
    if not isinstance(document, CommentedMap):
        document = CommentedMap()
    targets = block_list(document, "targets")
    index = _find(targets, kpi, scope)
    if new is None:
        if index is not None:
            remove_item(targets, index)
    elif index is None:
        append_item(targets, target_entry(new))
    else:
        _update_entry(targets[index], target_entry(new))
    return dump(document)


# ruamel keeps the blank lines and comments that follow an item on that item's last scalar. An
# item appended after it must take them over (else they would sit between the two), and so must
# the previous item when the last one is removed.


def append_item(sequence: CommentedSeq, item: Any) -> None:
    following = _take_following_lines(sequence[-1]) if len(sequence) else None
    sequence.append(item)
    if following is not None:
        _give_following_lines(item, following)


def remove_item(sequence: CommentedSeq, index: int) -> None:
    following = _take_following_lines(sequence[index])
    del sequence[index]
    if following is not None and index > 0:
        _give_following_lines(sequence[index - 1], following)


def take_following_lines(node: Any) -> str | None:
    """The blank lines and comments after ``node`` (cut from it), to give to what replaces it."""
    return _take_following_lines(node)


def give_following_lines(node: Any, following: str | None) -> None:
    if following is not None:
        _give_following_lines(node, following)


def _last_slot(node: Any) -> list[Any] | None:
    """ruamel's comment slot after the last scalar of ``node`` (a block map or list of maps)."""
    if isinstance(node, CommentedMap) and len(node) and not node.fa.flow_style():
        key = list(node)[-1]
        value = node[key]
        nested = isinstance(value, (CommentedMap, CommentedSeq)) and len(value)
        if nested and not value.fa.flow_style():
            return _last_slot(value)
        slot: list[Any] = node.ca.items.setdefault(key, [None, None, None, None])
        return slot
    if isinstance(node, CommentedSeq) and len(node) and not node.fa.flow_style():
        return _last_slot(node[-1])
    return None


def _take_following_lines(node: Any) -> str | None:
    """Cut the lines after ``node``'s own last line (its end-of-line comment stays)."""
    slot = _last_slot(node)
    token = slot[2] if slot is not None else None
    if not isinstance(token, CommentToken) or "\n" not in token.value:
        return None
    own, _, following = token.value.partition("\n")
    if not following:
        return None
    assert slot is not None
    slot[2] = CommentToken(own + "\n", token.start_mark) if own.strip() else None
    return following


def _give_following_lines(node: Any, following: str) -> None:
    slot = _last_slot(node)
    if slot is None:
        return
    token = slot[2]
    own = token.value if isinstance(token, CommentToken) else "\n"
    mark = token.start_mark if isinstance(token, CommentToken) else CommentMark(0)
    slot[2] = CommentToken(own.rstrip("\n") + "\n" + following, mark)


def _find(targets: CommentedSeq, kpi: str, scope: Scope) -> int | None:
    wanted = dict(scope)
    for index, entry in enumerate(targets):
        if not isinstance(entry, dict) or entry.get("kpi") != kpi:
            continue
        raw_scope = entry.get("scope") or {}
        if isinstance(raw_scope, dict) and {str(k): str(v) for k, v in raw_scope.items()} == wanted:
            return index
    return None


def _update_entry(entry: CommentedMap, new: CommentedMap) -> None:
    for key in [key for key in entry if key not in new]:
        del entry[key]
    for key, value in new.items():
        if key == "schedules" and isinstance(entry.get(key), CommentedSeq):
            _update_schedules(entry[key], value)
        elif not _same(key, entry.get(key), value):
            entry[key] = value


def _update_schedules(old: CommentedSeq, new: CommentedSeq) -> None:
    for index, schedule in enumerate(new):
        if index >= len(old):
            append_item(old, schedule)
        elif not isinstance(old[index], CommentedMap) or list(old[index]) != list(schedule):
            old[index] = schedule  # a different shape: keys in the documented order
        else:
            for key, value in schedule.items():
                if not _same(key, old[index][key], value):
                    old[index][key] = value
    while len(old) > len(new):
        remove_item(old, len(old) - 1)


def _same(key: str, old: Any, new: Any) -> bool:
    """Whether ``old`` (as written) means ``new``, so its text can stay."""
    if key == "value":
        return isinstance(old, (int, float)) and not isinstance(old, bool) and old == new
    if key == "days":
        return _days(old) == _days(new)
    if isinstance(new, dict):
        return isinstance(old, dict) and {str(k): str(v) for k, v in old.items()} == new
    return bool(old == new)


def _days(items: Any) -> frozenset[int] | None:
    if not isinstance(items, list):
        return None
    try:
        return frozenset().union(*(daytime.parse_day_item(str(item)) for item in items))
    except DayTimeError:
        return None
