"""``calendar.yaml`` -> a ``Calendar`` (time zone, operating hours, date exceptions).

Exception values must name a target that exists in ``targets.yaml``; the caller passes the
(kpi, scope) pairs it found there.
"""

from __future__ import annotations

import difflib
import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from exporter.scope import Scope
from exporter.targets import daytime
from exporter.targets.daytime import DayTimeError
from exporter.targets.model import (
    Calendar,
    DateException,
    ExceptionValue,
    OperatingHours,
    TimeRange,
    WeeklyHours,
)
from exporter.targets.parse_targets import (
    KnownTargets,
    parse_kpi,
    parse_scope,
    parse_value,
)
from exporter.targets.problems import (
    Report,
    check_keys,
    expect_list,
    expect_map,
    label_value,
    text_items,
)
from exporter.targets.wording import scope_in_message
from exporter.targets.yamlload import LineList, LineMap, excerpt
from exporter.zones import MAX_NAME as MAX_ZONE_NAME
from exporter.zones import load_zone

_CALENDAR_KEYS = ("timezone", "operating_hours", "exceptions")
_OPERATING_HOURS_KEYS = ("default", "teams", "queues")
_EXCEPTION_KEYS = ("date", "name", "closed", "hours", "values")
_EXCEPTION_VALUE_KEYS = ("kpi", "scope", "value")
_DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")


class CalendarParser:
    """Reads one calendar.yaml text; ``known`` are the targets exception values may change."""

    def __init__(self, report: Report, known: KnownTargets) -> None:
        self._report = report
        self._known = known

    def parse(self, text: str) -> Calendar | None:
        report = self._report
        data = report.load(text)
        if data is None:
            if not report.problems:
                report.error(1, "empty file: expected at least 'timezone:'")
            return None
        root = expect_map(data, 1, report, "the file")
        if root is None:
            return None
        check_keys(root, _CALENDAR_KEYS, ("timezone",), report, "the calendar")
        timezone = self._timezone(root)
        operating_hours = self._operating_hours(root)
        exceptions = self._exceptions(root)
        if timezone is None or operating_hours is None or exceptions is None:
            return None
        return Calendar(timezone, operating_hours, exceptions)

    def _timezone(self, root: LineMap) -> ZoneInfo | None:
        if "timezone" not in root:
            return None
        raw = root["timezone"]
        line = root.line_of("timezone")
        if not isinstance(raw, str):
            self._report.error(line, f"'timezone' must be an IANA name, not {raw!r}")
            return None
        try:
            return load_zone(raw)
        except ValueError:
            known = sorted(available_timezones()) if len(raw) <= MAX_ZONE_NAME else []
            close = difflib.get_close_matches(raw, known, n=1)
            hint = (" (did you mean " + " or ".join(map(repr, close)) + "?)") if close else ""
            self._report.error(
                line,
                f"unknown time zone {excerpt(raw)}: use an IANA name like Europe/Rome{hint}",
            )
            return None

    def _operating_hours(self, root: LineMap) -> OperatingHours | None:
        report = self._report
        if root.get("operating_hours") is None:
            return OperatingHours()
        mapping = expect_map(
            root["operating_hours"], root.line_of("operating_hours"), report, "'operating_hours'"
        )
        if mapping is None:
            return None
        errors_before = report.error_count
        check_keys(mapping, _OPERATING_HOURS_KEYS, (), report, "'operating_hours'")
        default = None
        if mapping.get("default") is not None:
            default = self._weekly(mapping["default"], mapping.line_of("default"), "default")
        groups: dict[str, dict[str, WeeklyHours]] = {"teams": {}, "queues": {}}
        for group, found in groups.items():
            if mapping.get(group) is None:
                continue
            members = expect_map(mapping[group], mapping.line_of(group), report, repr(group))
            if members is None:
                continue
            for name, hours in members.items():
                label = label_value(name)
                line = members.line_of(name)
                if label is None:
                    report.error(line, f"bad {group[:-1]} name {name!r}")
                    continue
                weekly = self._weekly(hours, line, f"{group[:-1]} {label}")
                if weekly is not None:
                    found[label] = weekly
        if report.error_count > errors_before:
            return None
        return OperatingHours(default, groups["teams"], groups["queues"])

    def _weekly(self, value: Any, line: int, what: str) -> WeeklyHours | None:
        """``{mon-fri: "08:00-20:00", sat: ["09:00-13:00", "14:00-18:00"]}``."""
        report = self._report
        mapping = expect_map(value, line, report, f"operating hours of {what}")
        if mapping is None:
            return None
        weekly: dict[int, tuple[TimeRange, ...]] = {}
        first_line: dict[int, int] = {}
        valid = True
        for days_text, ranges_value in mapping.items():
            key_line = mapping.line_of(days_text)
            try:
                days = daytime.parse_day_item(str(days_text))
            except DayTimeError as error:
                report.error(key_line, f"operating hours of {what}: {error}")
                valid = False
                continue
            ranges = self._ranges(ranges_value, key_line, f"operating hours of {what}")
            if ranges is None:
                valid = False
                continue
            for day in sorted(days):
                if day in weekly:
                    report.error(
                        key_line,
                        f"operating hours of {what}: {daytime.format_days([day])} is already "
                        f"given at line {first_line[day]}",
                    )
                    valid = False
                    continue
                weekly[day] = ranges
                first_line[day] = key_line
        return weekly if valid else None

    def _ranges(self, value: Any, line: int, what: str) -> tuple[TimeRange, ...] | None:
        report = self._report
        ranges: list[TimeRange] = []
        valid = isinstance(value, (str, LineList))  # anything else is reported by text_items
        for text, item_line in text_items(value, line, report, f"{what}: a time range"):
            try:
                ranges.append(daytime.parse_range(text))
            except DayTimeError as error:
                report.error(item_line, f"{what}: {error}")
                valid = False
        return tuple(ranges) if valid else None

    def _exceptions(self, root: LineMap) -> dict[date, DateException] | None:
        report = self._report
        if root.get("exceptions") is None:
            return {}
        items = expect_list(root["exceptions"], root.line_of("exceptions"), report, "'exceptions'")
        if items is None:
            return None
        errors_before = report.error_count
        exceptions: dict[date, DateException] = {}
        first_lines: dict[date, int] = {}  # also of exceptions with errors: report every repeat
        for index, item in enumerate(items):
            exception = self._exception(item, items.line_of(index), first_lines)
            if exception is not None:
                exceptions[exception.date] = exception
        if report.error_count > errors_before:
            return None
        return dict(sorted(exceptions.items()))

    def _exception(
        self, item: Any, line: int, first_lines: dict[date, int]
    ) -> DateException | None:
        report = self._report
        errors_before = report.error_count
        mapping = expect_map(item, line, report, "an exception")
        if mapping is None:
            return None
        check_keys(mapping, _EXCEPTION_KEYS, ("date", "name"), report, "an exception")
        day = _parse_date(mapping, report)
        if day is not None and day in first_lines:
            report.error(
                mapping.line_of("date"),
                f"a second exception on {day.isoformat()} (the first is at line "
                f"{first_lines[day]}): give each date one exception",
            )
        elif day is not None:
            first_lines[day] = mapping.line_of("date")
        name = mapping.get("name")
        if "name" in mapping and (not isinstance(name, str) or not name.strip()):
            report.error(mapping.line_of("name"), f"'name' must be text, not {name!r}")
        closed = mapping.get("closed", False)
        if not isinstance(closed, bool):
            report.error(mapping.line_of("closed"), f"'closed' must be true or false: {closed!r}")
            closed = False
        hours: tuple[TimeRange, ...] | None = None
        if "hours" in mapping:
            hours = self._ranges(mapping["hours"], mapping.line_of("hours"), "exception hours")
            if closed:
                report.error(
                    mapping.line_of("hours"),
                    "an exception is either closed or has special hours, not both",
                )
        values = self._values(mapping, closed)
        if not closed and "hours" not in mapping and "values" not in mapping:
            report.error(
                mapping.line, "an exception needs 'closed: true', special 'hours' or 'values'"
            )
        if report.error_count > errors_before or day is None:
            return None
        assert isinstance(name, str)
        return DateException(day, name, closed, hours, values, mapping.line)

    def _values(self, mapping: LineMap, closed: bool) -> tuple[ExceptionValue, ...]:
        report = self._report
        if "values" not in mapping:
            return ()
        items = expect_list(mapping["values"], mapping.line_of("values"), report, "'values'")
        if items is None:
            return ()
        if closed and items:
            report.warning(
                mapping.line_of("values"),
                "values on a closed date never apply: no target is in force when closed",
            )
        values: list[ExceptionValue] = []
        seen: dict[tuple[str, Scope], int] = {}
        for index, item in enumerate(items):
            line = items.line_of(index)
            entry = expect_map(item, line, report, "an exception value")
            if entry is None:
                continue
            check_keys(entry, _EXCEPTION_VALUE_KEYS, ("kpi", "value"), report, "an exception value")
            kpi = parse_kpi(entry, report)
            scope = parse_scope(entry, kpi, report)
            value = parse_value(entry, kpi, report)
            if kpi is None or scope is None:
                continue
            key = (kpi.name, scope)
            if key not in self._known:
                report.error(
                    entry.line,
                    f"no target for {kpi.name} with {scope_in_message(scope)} in targets.yaml: "
                    "an exception value changes an existing target",
                )
                continue
            if key in seen:
                report.error(
                    entry.line,
                    f"a second value for {kpi.name} with {scope_in_message(scope)} on this date "
                    f"(the first is at line {seen[key]})",
                )
                continue
            seen[key] = entry.line
            if value is not None:
                values.append(ExceptionValue(kpi.name, value, scope, entry.line))
        return tuple(values)


def _parse_date(mapping: LineMap, report: Report) -> date | None:
    if "date" not in mapping:
        return None
    raw = mapping["date"]
    line = mapping.line_of("date")
    if isinstance(raw, datetime):
        report.error(line, f"'date' must be a date YYYY-MM-DD, not a date and time ({raw})")
        return None
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str) and _DATE_PATTERN.fullmatch(raw.strip()):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError as error:
            report.error(line, f"bad date {raw!r}: {error}")
            return None
    report.error(line, f"bad date {raw!r}: expected YYYY-MM-DD, e.g. 2026-12-25")
    return None
