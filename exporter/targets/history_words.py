"""A change of the history in words, with what changed marked: a target's schedules or the
calendar's time zone, operating hours and exceptions, before and after, line by line.

A target change compares the schedules ("At all times: 80 % or more -> 82 % or more"); a settings
change compares the calendar's parts and lists only those that differ ("Exception 2026-12-24
Christmas Eve: hours 08:00-13:00 -> 08:00-12:00; service level (channel voice) 70 % -> 65 %").
Each change also gives its line before and after as parts, those that changed flagged, for the
page to show side by side. Pure logic: the audit log's data in, words out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from exporter import catalog
from exporter.catalog import Kpi
from exporter.scope import scope_of
from exporter.targets import daytime, display
from exporter.targets.model import Target

Kind = Literal["same", "changed", "added", "removed"]
NOT_SET = "not set"
CLOSED = "closed"
WEEKLY = "weekly hours"  # an exception that changes only values keeps the week's hours


@dataclass(frozen=True)
class Part:
    text: str
    changed: bool = False


@dataclass(frozen=True)
class Change:
    """One line of a change: what it says in words, and the line before and after (empty when
    added or removed), in parts with those that changed flagged."""

    kind: Kind
    words: str
    before: tuple[Part, ...]
    after: tuple[Part, ...]


@dataclass(frozen=True)
class _Item:
    """A thing compared by ``key``: its subject ("Exception 2026-12-24 Christmas Eve") and facets
    (name, text): ("hours", "08:00-13:00"); name "" for the item's one value."""

    key: str
    subject: str
    facets: tuple[tuple[str, str], ...]
    value_first: bool = False  # a target's schedule: "85 % or more, Mon-Fri 09:00-17:00"
    group_days: bool = False  # facets are weekdays: consecutive equal ones are said once


def summary(changes: Iterable[Change]) -> str:
    """The words of every line that changed, joined: what the history entry says happened."""
    return "; ".join(change.words for change in changes if change.kind != "same")


# --- targets -------------------------------------------------------------------------------------


def target_changes(before: Target | None, after: Target | None, kpi: Kpi | None) -> list[Change]:
    """Schedule by schedule, unchanged ones included (the whole target before and after)."""
    return _compare(_target_items(before, kpi), _target_items(after, kpi), keep_same=True)


def text_changes(before: str, after: str) -> list[Change]:
    """Two texts that could not be read as targets (an odd audit line), compared as a whole."""
    return _compare([_Item("", "", (("", before),))], [_Item("", "", (("", after),))], True)


def _target_items(target: Target | None, kpi: Kpi | None) -> list[_Item]:
    if target is None:
        return []
    words = display.QUANTIFIER_WORDS[target.quantifier].lower()
    return [
        _Item(
            display.schedule_on_screen(schedule),
            display.schedule_on_screen(schedule),
            (("", f"{display.format_value(schedule.value, kpi)} {words}"),),
            value_first=True,
        )
        for schedule in target.schedules
    ]


# --- the calendar --------------------------------------------------------------------------------


def calendar_changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> list[Change]:
    """Only the parts of the calendar that differ, in the order the calendar gives them."""
    return _compare(_calendar_items(before or {}), _calendar_items(after or {}), keep_same=False)


def _calendar_items(calendar: Mapping[str, Any]) -> list[_Item]:
    items: list[_Item] = []
    for key, value in calendar.items():
        if key == "timezone":
            items.append(_Item("timezone", "Time zone", (("", str(value)),)))
        elif key == "operating_hours" and value is not None:
            items += _hours_items(value)
        elif key == "exceptions" and isinstance(value, list):
            items += [_exception_item(entry, index) for index, entry in enumerate(value)]
        else:
            items.append(_Item(f"other:{key}", str(key), (("", _flat(value)),)))
    if calendar.get("operating_hours") is None:
        items.append(_Item("hours", "Operating hours", (("", "around the clock"),)))
    return items


def _hours_items(value: Any) -> list[_Item]:
    if not isinstance(value, Mapping):
        return [_Item("hours", "Operating hours", (("", _flat(value)),))]
    items = []
    if value.get("default") is not None:
        items.append(_week_item("hours:default", "Operating hours (everyone)", value["default"]))
    for group, label in (("teams", "team"), ("queues", "queue")):
        for name, week in (value.get(group) or {}).items():
            items.append(
                _week_item(f"hours:{label}:{name}", f"Operating hours ({label} {name})", week)
            )
    return items


def _week_item(key: str, subject: str, week: Any) -> _Item:
    """A week as seven facets, Mon..Sun: its ranges, or "closed" on a day not listed."""
    if not isinstance(week, Mapping):
        return _Item(key, subject, (("", _flat(week)),))
    days = dict.fromkeys(range(7), CLOSED)
    try:
        for day_text, ranges in week.items():
            for day in daytime.parse_day_item(str(day_text)):
                days[day] = _ranges(ranges)
    except daytime.DayTimeError:
        return _Item(key, subject, (("", _flat(week)),))
    facets = tuple((display.DAY_TITLES[day], text) for day, text in days.items())
    return _Item(key, subject, facets, group_days=True)


def _exception_item(entry: Any, index: int) -> _Item:
    if not isinstance(entry, Mapping):
        return _Item(f"exception:#{index}", "Exception", (("", _flat(entry)),))
    date = str(entry.get("date", ""))
    name = str(entry.get("name", "")).strip()
    if entry.get("closed") is True:
        day = CLOSED
    elif entry.get("hours") is not None:
        day = _ranges(entry["hours"])
    else:
        day = WEEKLY
    facets = [("hours", day)]
    for value in entry.get("values") or []:
        facets.append(_exception_value(value))
    return _Item(f"exception:{date}", f"Exception {date} {name}".strip(), tuple(facets))


def _exception_value(value: Any) -> tuple[str, str]:
    """("service level (channel voice)", "70 %")."""
    if not isinstance(value, Mapping):
        return ("value", _flat(value))
    kpi = catalog.find(str(value.get("kpi", "")))
    title = kpi.title if kpi is not None else str(value.get("kpi", ""))
    scope_map = value.get("scope") or {}
    scope = (
        scope_of({str(k): str(v) for k, v in scope_map.items()})
        if isinstance(scope_map, Mapping)
        else ()
    )
    number = value.get("value")
    shown = (
        display.format_value(float(number), kpi)
        if isinstance(number, (int, float)) and not isinstance(number, bool)
        else _flat(number)
    )
    scope_words = display.scope_on_screen(scope, kpi)
    return (f"{title[:1].lower()}{title[1:]} ({scope_words[:1].lower()}{scope_words[1:]})", shown)


def _ranges(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item).strip() for item in value) or CLOSED
    return str(value).strip()


def _flat(value: Any) -> str:
    if value is None:
        return "none"
    return str(
        yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000)
    ).strip()


# --- comparing -----------------------------------------------------------------------------------


def _compare(before: Sequence[_Item], after: Sequence[_Item], keep_same: bool) -> list[Change]:
    old = {item.key: item for item in before}
    new = {item.key: item for item in after}
    keys = [*old, *(key for key in new if key not in old)]
    changes = []
    for key in keys:
        if key not in new:
            line = _line(old[key], None)
            changes.append(Change("removed", f"{_plain(line)} removed", line, ()))
        elif key not in old:
            line = _line(new[key], None)
            changes.append(Change("added", f"{_plain(line)} added", (), line))
        elif old[key] != new[key]:
            words = f"{new[key].subject}: " if new[key].subject else ""
            if old[key].subject != new[key].subject:
                words = f"{old[key].subject} -> {words}"
            words += "; ".join(_facet_words(old[key], new[key]))
            changes.append(
                Change("changed", words, _line(old[key], new[key]), _line(new[key], old[key]))
            )
        elif keep_same:
            changes.append(Change("same", "", _line(old[key], new[key]), _line(new[key], old[key])))
    return changes


def _facet_say(name: str, text: str) -> str:
    """ "hours 08:00-13:00", "Sun closed", "service level (channel voice) 70 %"; an exception's
    day is just "closed" or "weekly hours"."""
    if not name or (name == "hours" and text in (CLOSED, WEEKLY)):
        return text
    return f"{name} {text}"


def _facet_words(old: _Item, new: _Item) -> list[str]:
    if old.group_days != new.group_days:  # a week one side, unreadable text the other
        return [f"{_facets_text(old)} -> {_facets_text(new)}"]
    old_facets, new_facets = dict(old.facets), dict(new.facets)
    names = [*old_facets, *(name for name in new_facets if name not in old_facets)]
    pairs = [
        (name, old_facets.get(name, NOT_SET), new_facets.get(name, NOT_SET))
        for name in names
        if old_facets.get(name) != new_facets.get(name)
    ]
    if old.group_days:
        pairs = _group_pairs(pairs)
    words = []
    for name, before, after in pairs:
        left, right = _facet_say(name, before), _facet_say(name, after)
        if name and left.startswith(f"{name} ") and right.startswith(f"{name} "):
            right = after  # "hours 08:00-13:00 -> 08:00-12:00"
        words.append(f"{left} -> {right}")
    return words


def _facets_text(item: _Item) -> str:
    facets = [(name, text, False) for name, text in item.facets]
    if item.group_days:
        facets = _group_facets(facets)
    return "; ".join(_facet_say(name, text) for name, text, _ in facets)


def _group_pairs(pairs: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Consecutive weekdays changed the same way, said once: ("Mon-Fri", old, new)."""
    runs: list[tuple[list[str], str, str]] = []
    for name, before, after in pairs:
        day = display.DAY_TITLES.index(name)
        last = runs[-1] if runs else None
        if (
            last
            and last[1:] == (before, after)
            and display.DAY_TITLES.index(last[0][-1]) == day - 1
        ):
            last[0].append(name)
        else:
            runs.append(([name], before, after))
    return [(_day_span(names), before, after) for names, before, after in runs]


def _day_span(names: list[str]) -> str:
    if len(names) >= 3:
        return f"{names[0]}-{names[-1]}"
    return ", ".join(names)


def _line(item: _Item, other: _Item | None) -> tuple[Part, ...]:
    """``item`` as parts, each marked changed when ``other`` (the other side) differs there, or
    all marked when there is no other side."""
    if other is None:
        whole = _plain(_line(item, item))
        return (Part(whole, True),)
    theirs = dict(other.facets)
    facets: list[tuple[str, str, bool]] = [
        (name, text, theirs.get(name) != text) for name, text in item.facets
    ]
    if item.group_days:
        facets = _group_facets(facets)
    subject_changed = other.subject != item.subject
    values = [Part(_facet_say(name, text), changed) for name, text, changed in facets]
    parts: list[Part] = []
    if item.value_first:
        parts += _joined(values, ", ")
        if item.subject:
            parts += [Part(", "), Part(item.subject, subject_changed)]
        return tuple(parts)
    if item.subject:
        parts += [Part(item.subject, subject_changed), Part(": ")]
    parts += _joined(values, "; ")
    return tuple(parts)


def _group_facets(facets: list[tuple[str, str, bool]]) -> list[tuple[str, str, bool]]:
    """Consecutive weekdays with the same hours said once: ("Mon-Fri", "08:00-20:00")."""
    runs: list[tuple[list[str], str, bool]] = []
    for name, text, changed in facets:
        if runs and runs[-1][1] == text:
            runs[-1][0].append(name)
            runs[-1] = (runs[-1][0], text, runs[-1][2] or changed)
        else:
            runs.append(([name], text, changed))
    return [(_day_span(names), text, changed) for names, text, changed in runs]


def _joined(parts: list[Part], separator: str) -> list[Part]:
    joined: list[Part] = []
    for index, part in enumerate(parts):
        if index:
            joined.append(Part(separator))
        joined.append(part)
    return joined


def _plain(parts: Iterable[Part]) -> str:
    return "".join(part.text for part in parts)
