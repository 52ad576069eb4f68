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
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from exporter.scope import Scope
from exporter.targets import yamlsave

WHO_DEFAULT = "default"
WHO_TEAM = "teams"
WHO_QUEUE = "queues"


@dataclass(frozen=True, slots=True)
class HoursRow:
    """One line of operating hours: whose (default, a team, a queue), which days, which hours."""

    who: str  # WHO_DEFAULT, WHO_TEAM or WHO_QUEUE
    name: str  # the team or queue; "" for the default
    days: str  # as written: "mon-fri", "sat,sun"
    hours: str  # "08:00-20:00", several joined by ", "


def _document(text: str) -> CommentedMap:
    document = yamlsave.load(text)
    return document if isinstance(document, CommentedMap) else CommentedMap()


def timezone_of(text: str) -> str:
    return str(_document(text).get("timezone", ""))


def set_timezone(text: str, timezone: str) -> str:
    document = _document(text)
    if document.get("timezone") != timezone:
        document["timezone"] = timezone
    return yamlsave.dump(document)


def hours_rows(text: str) -> list[HoursRow]:
    """The operating hours as rows, in file order."""
    section = _document(text).get("operating_hours")
    if not isinstance(section, dict):
        return []
    rows = []
    for days, hours in _pairs(section.get(WHO_DEFAULT)):
        rows.append(HoursRow(WHO_DEFAULT, "", days, hours))
    for who in (WHO_TEAM, WHO_QUEUE):
        named = section.get(who)
        for name, weekly in named.items() if isinstance(named, dict) else ():
            rows.extend(HoursRow(who, str(name), days, hours) for days, hours in _pairs(weekly))
    return rows


def _pairs(weekly: Any) -> list[tuple[str, str]]:
    if not isinstance(weekly, dict):
        return []
    return [
        (str(days), ", ".join(map(str, hours)) if isinstance(hours, list) else str(hours))
        for days, hours in weekly.items()
    ]


def set_operating_hours(text: str, rows: Sequence[HoursRow]) -> str:
    """Replace the operating hours with ``rows``; no rows removes them (always on duty)."""
    document = _document(text)
    section = CommentedMap()
    for row in rows:
        if row.who == WHO_DEFAULT:
            weekly = section.setdefault(WHO_DEFAULT, CommentedMap())
        else:
            named = section.setdefault(row.who, CommentedMap())
            weekly = named.setdefault(row.name, CommentedMap())
            weekly.fa.set_flow_style()
        ranges = [part.strip() for part in row.hours.split(",") if part.strip()]
        weekly[row.days] = (
            DoubleQuotedScalarString(ranges[0])
            if len(ranges) == 1
            else _flow_seq(DoubleQuotedScalarString(r) for r in ranges)
        )
    if _plain(document.get("operating_hours")) == _plain(section):
        return text
    if not rows:
        document.pop("operating_hours", None)
    else:
        document["operating_hours"] = section
    return yamlsave.dump(document)


def _flow_seq(items: Iterable[Any]) -> CommentedSeq:
    sequence = CommentedSeq(items)
    sequence.fa.set_flow_style()
    return sequence


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value if value is None else str(value)


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
    an exception already on that date is replaced."""
    document = _document(text)
    exceptions = yamlsave.block_list(document, "exceptions")
    entry = CommentedMap()
    entry["date"] = day
    entry["name"] = name
    if closed:
        entry["closed"] = True
    if hours.strip():
        ranges = [part.strip() for part in hours.split(",") if part.strip()]
        entry["hours"] = (
            DoubleQuotedScalarString(ranges[0]) if len(ranges) == 1 else _flow_seq(ranges)
        )
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
        exceptions[index] = entry
    else:
        position = next(
            (i for i, item in enumerate(exceptions) if (other := _date_of(item)) and other > day),
            len(exceptions),
        )
        exceptions.insert(position, entry)
    return yamlsave.dump(document)


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
