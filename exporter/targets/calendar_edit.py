"""Changes to ``calendar.yaml`` as the Settings page makes them: text in, text out, round-trip.

Each function changes one part (the time zone, the operating hours, one exception, a batch of
holidays) and leaves the rest of the file as written (see ``yamlsave``). The store validates the
result exactly as ``kpi-targets check`` does before anything is written. Pure logic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from exporter.scope import Scope
from exporter.targets import week_hours, yamlsave
from exporter.targets.daytime import DayTimeError
from exporter.targets.week_hours import WHO_DEFAULT, WHO_QUEUE, WHO_TEAM, WeekHours


def timezone_of(text: str) -> str:
    return str(_document(text).get("timezone", ""))


def set_timezone(text: str, timezone: str) -> str:
    document = _document(text)
    if document.get("timezone") == timezone:
        return text
    document["timezone"] = timezone
    return yamlsave.dump(document)


def _document(text: str) -> CommentedMap:
    document = yamlsave.load(text)
    return document if isinstance(document, CommentedMap) else CommentedMap()


def operating_weeks(text: str) -> list[WeekHours]:
    """The operating hours as weeks (everyone's, then each team's and queue's, in file order)."""
    return week_hours.weeks_of(_document(text).get("operating_hours"))


def set_operating_weeks(text: str, weeks: Sequence[WeekHours]) -> str:
    """Replace the operating hours with ``weeks``; none removes them (always on duty).

    A week whose days did not change keeps its text as written (day keys, quoting, comments); a
    changed one is written as compact day keys (``week_hours.day_keys``). Everyone's hours are a
    block, a team's or queue's one line, as the file's own comment shows them."""
    document = _document(text)
    old = document.get("operating_hours")
    if week_hours.weeks_of(old) == list(weeks):
        return text
    following = yamlsave.take_following_lines(old)  # the blank line and comment after the section
    if not weeks:
        _pop_keeping_following(document, "operating_hours", following)
        return yamlsave.dump(document)
    section = old if isinstance(old, CommentedMap) else CommentedMap()
    default = next((w for w in weeks if w.who == WHO_DEFAULT), None)
    if default is None:
        section.pop(WHO_DEFAULT, None)
    elif not _same_days(section.get(WHO_DEFAULT), default):
        section[WHO_DEFAULT] = _weekly(default, flow=False)
    for who in (WHO_TEAM, WHO_QUEUE):
        wanted = [w for w in weeks if w.who == who]
        named = section.get(who)
        if not wanted:
            section.pop(who, None)
            continue
        if not isinstance(named, CommentedMap):
            named = CommentedMap()
            section[who] = named
        names = {w.name for w in wanted}
        for name in [name for name in named if str(name) not in names]:
            del named[name]
        for hours in wanted:
            if not _same_days(named.get(hours.name), hours):
                named[hours.name] = _weekly(hours, flow=True)
    document["operating_hours"] = section
    yamlsave.give_following_lines(section, following)
    return yamlsave.dump(document)


def _pop_keeping_following(document: CommentedMap, key: str, following: str | None) -> None:
    """Remove ``key``; the comments after it go to the key before it (else they would go too)."""
    keys = list(document)
    document.pop(key, None)
    position = keys.index(key) if key in keys else 0
    if following is None or position == 0:
        return
    previous = keys[position - 1]
    if isinstance(document[previous], (CommentedMap, CommentedSeq)):
        yamlsave.give_following_lines(document[previous], following)
        return
    slot = document.ca.items.setdefault(previous, [None, None, None, None])
    own = slot[2].value.rstrip("\n") if slot[2] is not None else ""
    slot[2] = CommentToken(own + "\n" + following, CommentMark(0))


def _same_days(node: Any, hours: WeekHours) -> bool:
    if not isinstance(node, dict):
        return False
    try:
        return week_hours.days_of(node) == hours.days
    except DayTimeError:
        return False


def _weekly(hours: WeekHours, *, flow: bool) -> CommentedMap:
    weekly = CommentedMap()
    for key, ranges in week_hours.day_keys(hours.days).items():
        weekly[key] = _ranges_node(ranges)
    if flow or not weekly:
        weekly.fa.set_flow_style()
    return weekly


def _ranges_node(ranges: Sequence[str]) -> Any:
    """One range as ``"08:00-20:00"``, several as ``["08:00-12:00", "14:00-18:00"]``."""
    if len(ranges) == 1:
        return DoubleQuotedScalarString(ranges[0])
    return _flow_seq(DoubleQuotedScalarString(r) for r in ranges)


def _flow_seq(items: Iterable[Any]) -> CommentedSeq:
    sequence = CommentedSeq(items)
    sequence.fa.set_flow_style()
    return sequence


@dataclass(frozen=True, slots=True)
class ExceptionValueInput:
    kpi: str
    scope: Scope
    value: float


def add_exception(
    text: str,
    day: date,
    name: str,
    *,
    closed: bool,
    hours: str = "",
    values: Sequence[ExceptionValueInput] = (),
) -> str:
    """Add a date exception (a closed day, special hours, different target values) in date order;
    an exception already on that date is replaced (kept as written when it means the same)."""
    document = _document(text)
    exceptions = yamlsave.block_list(document, "exceptions")
    entry = CommentedMap()
    entry["date"] = day
    entry["name"] = name
    if closed:
        entry["closed"] = True
    if hours.strip():
        entry["hours"] = _ranges_node([part.strip() for part in hours.split(",") if part.strip()])
    if values:
        items = CommentedSeq()
        for special in values:
            item = CommentedMap()
            item["kpi"] = special.kpi
            if special.scope:
                item["scope"] = yamlsave.flow_map(dict(special.scope))
            item["value"] = yamlsave.number(special.value)
            item.fa.set_flow_style()
            items.append(item)
        entry["values"] = items
    elif len(entry) <= 3:
        entry.fa.set_flow_style()  # {date: 2026-12-25, name: Christmas, closed: true}
    index = _index_of(exceptions, day)
    if index is not None:
        if _meaning(exceptions[index]) == _meaning(entry):
            return text
        _replace_item(exceptions, index, entry)
    else:
        position = next(
            (i for i, item in enumerate(exceptions) if (other := _date_of(item)) and other > day),
            len(exceptions),
        )
        exceptions.insert(position, entry)
    return yamlsave.dump(document)


def _replace_item(items: CommentedSeq, index: int, entry: CommentedMap) -> None:
    """``items[index] = entry``: the old item's end-of-line comment goes with it (it spoke of the
    old entry), the blank lines and comments after it stay."""
    following = yamlsave.take_following_lines(items[index])  # after a block item
    slot = items.ca.items.get(index)  # after a one-line {flow} item
    token = slot[0] if slot else None
    if isinstance(token, CommentToken):
        rest = token.value.partition("\n")[2]
        following = following or rest or None
        del items.ca.items[index]
    items[index] = entry
    if following is not None:
        if entry.fa.flow_style():
            items.ca.items[index] = [
                CommentToken("\n" + following, CommentMark(0)),
                None,
                None,
                None,
            ]
        else:
            yamlsave.give_following_lines(entry, following)


def remove_exception(text: str, day: date) -> str:
    document = _document(text)
    exceptions = document.get("exceptions")
    if isinstance(exceptions, list):
        index = _index_of(exceptions, day)
        if index is not None:
            del exceptions[index]
    return yamlsave.dump(document)


def add_holidays(text: str, holidays: Iterable[tuple[date, str]]) -> tuple[str, int]:
    """Closed days for the holidays whose date has no exception yet; returns the text and how
    many were added (a date already listed keeps what the user wrote)."""
    document = _document(text)
    exceptions = yamlsave.block_list(document, "exceptions")
    known = {_date_of(item) for item in exceptions}
    added = 0
    updated = text
    for day, name in sorted(holidays):
        if day in known:
            continue
        updated = add_exception(updated, day, name, closed=True)
        known.add(day)
        added += 1
    return updated, added


def _meaning(item: Any) -> Any:
    """What an exception entry says, whatever its spelling: ``0.70`` is ``0.7``, a single range
    ``"08:00-13:00"`` is ``["08:00-13:00"]``."""
    if not isinstance(item, dict):
        return item
    hours = item.get("hours")
    values = item.get("values") or []
    return (
        _date_of(item),
        str(item.get("name", "")),
        bool(item.get("closed", False)),
        None
        if hours is None
        else [str(h) for h in (hours if isinstance(hours, list) else [hours])],
        [
            (
                str(v.get("kpi")),
                sorted((str(k), str(x)) for k, x in (v.get("scope") or {}).items()),
                float(v.get("value", 0)),
            )
            for v in values
            if isinstance(v, dict)
        ],
    )


def _date_of(item: Any) -> date | None:
    if not isinstance(item, dict):
        return None
    raw = item.get("date")
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        return None


def _index_of(exceptions: list[Any], day: date) -> int | None:
    return next((i for i, item in enumerate(exceptions) if _date_of(item) == day), None)
