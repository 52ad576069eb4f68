"""``targets.yaml`` -> ``Target`` values, reporting every problem with its line.

Also checks the parts exception values in ``calendar.yaml`` share with targets (``parse_kpi``,
``parse_scope``, ``parse_value``) so both files say the same thing about the same mistake.
"""

from __future__ import annotations

import math
from datetime import time
from typing import Any

from exporter import catalog
from exporter.catalog import Direction, Kpi
from exporter.scope import Scope, scope_of
from exporter.targets import daytime
from exporter.targets.daytime import DayTimeError
from exporter.targets.model import DAY_NAMES, Quantifier, Schedule, Target, TimeRange
from exporter.targets.problems import (
    Report,
    check_keys,
    did_you_mean,
    expect_list,
    expect_map,
    label_value,
    suggestion,
    text_items,
    type_name,
)
from exporter.targets.wording import scope_in_message
from exporter.targets.yamlload import LineList, LineMap

_TARGETS_KEYS = ("targets",)
_TARGET_KEYS = ("kpi", "scope", "quantifier", "schedules")
_SCHEDULE_KEYS = ("days", "from", "to", "value")

# (kpi, scope) -> line of a target in targets.yaml
KnownTargets = dict[tuple[str, Scope], int]


class TargetsParser:
    """Reads one targets.yaml text into its valid targets, reporting every problem in ``report``."""

    def __init__(self, report: Report) -> None:
        self._report = report
        # every target whose KPI and scope are valid, even when something else in it is wrong, so
        # that calendar exceptions are checked against what the user meant
        self.known: KnownTargets = {}

    def parse(self, text: str) -> tuple[list[Target], KnownTargets]:
        report = self._report
        data = report.load(text)
        if data is None:
            if not report.problems:
                report.error(1, "empty file: expected 'targets:' with a list of targets")
            return [], self.known
        root = expect_map(data, 1, report, "the file")
        if root is None:
            return [], self.known
        check_keys(root, _TARGETS_KEYS, _TARGETS_KEYS, report, "the file")
        items = root.get("targets")
        if items is None:  # missing (reported above) or "targets:" with nothing under it
            return [], self.known
        target_list = expect_list(items, root.line_of("targets"), report, "'targets'")
        if target_list is None:
            return [], self.known
        targets: list[Target] = []
        for index, item in enumerate(target_list):
            target = self._target(item, target_list.line_of(index))
            if target is not None:
                targets.append(target)
        return targets, self.known

    def _target(self, item: Any, line: int) -> Target | None:
        report = self._report
        errors_before = report.error_count
        mapping = expect_map(item, line, report, "a target")
        if mapping is None:
            return None
        check_keys(mapping, _TARGET_KEYS, ("kpi", "quantifier", "schedules"), report, "a target")
        kpi = parse_kpi(mapping, report)
        scope = parse_scope(mapping, kpi, report)
        quantifier = self._quantifier(mapping, kpi)
        schedules = self._schedules(mapping, kpi)
        if kpi is not None and scope is not None:
            key = (kpi.name, scope)
            if key in self.known:
                report.error(
                    mapping.line,
                    f"a second target for {kpi.name} with {scope_in_message(scope)} "
                    f"(the first is at line {self.known[key]}); merge their schedules",
                )
            else:
                self.known[key] = mapping.line
        if report.error_count > errors_before or kpi is None or scope is None:
            return None
        assert quantifier is not None
        return Target(kpi.name, quantifier, tuple(schedules), scope, mapping.line)

    def _quantifier(self, mapping: LineMap, kpi: Kpi | None) -> Quantifier | None:
        report = self._report
        raw = mapping.get("quantifier")
        if "quantifier" not in mapping:
            return None
        line = mapping.line_of("quantifier")
        options = [str(quantifier) for quantifier in Quantifier]
        if not isinstance(raw, str) or raw not in options:
            report.error(line, f"bad quantifier {raw!r}: expected or_more or or_less")
            return None
        quantifier = Quantifier(raw)
        if kpi is not None:
            if kpi.direction is Direction.HIGHER and quantifier is Quantifier.OR_LESS:
                report.warning(
                    line, f"or_less on {kpi.name}, where higher is better: is this intended?"
                )
            if kpi.direction is Direction.LOWER and quantifier is Quantifier.OR_MORE:
                report.warning(
                    line, f"or_more on {kpi.name}, where lower is better: is this intended?"
                )
        return quantifier

    def _schedules(self, mapping: LineMap, kpi: Kpi | None) -> list[Schedule]:
        report = self._report
        if "schedules" not in mapping:
            return []
        line = mapping.line_of("schedules")
        items = expect_list(mapping["schedules"], line, report, "'schedules'")
        if items is None:
            return []
        if not items:
            report.error(line, "'schedules' is empty: give at least one value")
            return []
        schedules: list[Schedule] = []
        for index, item in enumerate(items):
            schedule = self._schedule(item, items.line_of(index), kpi)
            if schedule is not None:
                schedules.append(schedule)
        self._check_schedules_together(schedules)
        return schedules

    def _schedule(self, item: Any, line: int, kpi: Kpi | None) -> Schedule | None:
        report = self._report
        errors_before = report.error_count
        mapping = expect_map(item, line, report, "a schedule")
        if mapping is None:
            return None
        check_keys(mapping, _SCHEDULE_KEYS, ("value",), report, "a schedule")
        value = parse_value(mapping, kpi, report)
        days = _parse_days(mapping, report) if "days" in mapping else None
        hours: TimeRange | None = None
        if ("from" in mapping) != ("to" in mapping):
            given, missing = ("from", "to") if "from" in mapping else ("to", "from")
            report.error(
                mapping.line_of(given), f"a schedule with {given!r} also needs {missing!r}"
            )
        elif "from" in mapping:
            start = _parse_time_key(mapping, "from", report, allow_end_of_day=False)
            end = _parse_time_key(mapping, "to", report, allow_end_of_day=True)
            if start is not None and end is not None:
                hours = TimeRange(start, end)
        if report.error_count > errors_before or value is None:
            return None
        return Schedule(value, days, hours, mapping.line)

    def _check_schedules_together(self, schedules: list[Schedule]) -> None:
        report = self._report
        first_at_all_times: Schedule | None = None
        for schedule in schedules:
            if not schedule.at_all_times:
                continue
            if first_at_all_times is None:
                first_at_all_times = schedule
            else:
                report.error(
                    schedule.line,
                    f"a second at-all-times schedule (the first is at line "
                    f"{first_at_all_times.line}): give the other one days or hours",
                )
        timed = [schedule for schedule in schedules if not schedule.at_all_times]
        intervals = [daytime.week_intervals(schedule.days, schedule.hours) for schedule in timed]
        for later in range(len(timed)):
            for earlier in range(later):
                minute = daytime.first_common_minute(intervals[earlier], intervals[later])
                if minute is not None:
                    report.error(
                        timed[later].line,
                        f"schedule overlaps the schedule at line {timed[earlier].line} "
                        f"(both apply on {daytime.format_week_minute(minute)})",
                    )


def parse_kpi(mapping: LineMap, report: Report) -> Kpi | None:
    if "kpi" not in mapping:
        return None
    raw = mapping["kpi"]
    line = mapping.line_of("kpi")
    if not isinstance(raw, str):
        report.error(line, f"'kpi' must be a KPI name, not {type_name(raw)}")
        return None
    kpi = catalog.find(raw)
    if kpi is None:
        report.error(line, f"unknown KPI {raw!r}{suggestion(raw, catalog.names())}")
        return None
    if not kpi.eligible:
        report.error(
            line,
            f"{kpi.name} is an AI-scored customer-experience score and is not eligible for "
            "targets: use it for insight and investigation",
        )
        return None
    return kpi


def parse_scope(mapping: LineMap, kpi: Kpi | None, report: Report) -> Scope | None:
    """The scope, () when absent, None when invalid."""
    if "scope" not in mapping or mapping["scope"] is None:
        return ()
    line = mapping.line_of("scope")
    scope_map = expect_map(mapping["scope"], line, report, "'scope'")
    if scope_map is None:
        return None
    allowed = kpi.scope_labels if kpi is not None else catalog.SCOPE_LABELS
    labels: dict[str, str] = {}
    valid = True
    for label, raw in scope_map.items():
        label_line = scope_map.line_of(label)
        if label not in allowed:
            whose = f"{kpi.name} is published by" if kpi is not None else "scope labels are"
            report.error(
                label_line,
                f"scope label {label!r} is not one {whose}: use {', '.join(allowed)}"
                + did_you_mean(label, allowed),
            )
            valid = False
            continue
        value = label_value(raw)
        if value is None:
            report.error(label_line, f"scope {label} must be a non-empty name, not {raw!r}")
            valid = False
            continue
        labels[label] = value
    return scope_of(labels) if valid else None


def parse_value(mapping: LineMap, kpi: Kpi | None, report: Report) -> float | None:
    if "value" not in mapping:
        return None
    raw = mapping["value"]
    line = mapping.line_of("value")
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        hint = ""
        if isinstance(raw, str) and raw.strip().endswith("%"):
            hint = ": write ratios between 0 and 1, e.g. 0.8 for 80%"
        report.error(line, f"value must be a number, not {raw!r}{hint}")
        return None
    value = float(raw)
    if not math.isfinite(value):
        report.error(line, f"value must be a finite number, not {raw!r}")
        return None
    if kpi is not None:
        low, high = kpi.minimum, kpi.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            report.error(line, f"value {raw!r} is out of range for {kpi.name}: {_bounds(kpi)}")
            return None
    return value


def _bounds(kpi: Kpi) -> str:
    low, high = kpi.minimum, kpi.maximum
    if low is not None and high is not None:
        return f"it must be within {_plain(low)}..{_plain(high)} ({kpi.unit})"
    if low is not None:
        return f"it must be at least {_plain(low)} ({kpi.unit})"
    return f"it must be at most {_plain(high)} ({kpi.unit})"


def _plain(number: float | None) -> str:
    assert number is not None
    return str(int(number)) if float(number).is_integer() else str(number)


def _parse_days(mapping: LineMap, report: Report) -> frozenset[int] | None:
    line = mapping.line_of("days")
    items = text_items(mapping["days"], line, report, "a day")
    if isinstance(mapping["days"], LineList) and not mapping["days"]:
        report.error(line, "'days' is empty: leave it out for every day")
        return None
    days: set[int] = set()
    valid = bool(items)
    for text, item_line in items:
        try:
            days |= daytime.parse_day_item(text)
        except DayTimeError as error:
            report.error(item_line, str(error) + did_you_mean(text, DAY_NAMES))
            valid = False
    return frozenset(days) if valid else None


def _parse_time_key(
    mapping: LineMap, key: str, report: Report, *, allow_end_of_day: bool
) -> time | None:
    raw = mapping[key]
    line = mapping.line_of(key)
    if not isinstance(raw, str):
        report.error(line, f'{key!r} must be a time "HH:MM", not {raw!r}')
        return None
    try:
        return daytime.parse_time(raw, allow_end_of_day=allow_end_of_day)
    except DayTimeError as error:
        report.error(line, f"{key!r}: {error}")
        return None
