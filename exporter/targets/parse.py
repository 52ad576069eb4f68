"""``targets.yaml`` + ``calendar.yaml`` -> a validated ``TargetSet``, or every problem and its line.

The parser never stops at the first problem: it checks everything it can and lists each problem as
``file:line: error|warning: message``. Any error means no ``TargetSet`` (the caller keeps the last
good one); warnings (a quantifier against the KPI's natural direction, values on a closed date) do
not. ``dump_targets`` writes targets back in the documented shape.

The file shapes are documented in the README ("Targets and calendar files"); the checks live in
``parse_targets`` and ``parse_calendar``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from exporter.targets import daytime
from exporter.targets.model import Target, TargetSet
from exporter.targets.parse_calendar import CalendarParser
from exporter.targets.parse_targets import TargetsParser
from exporter.targets.problems import Problem, Report, Severity

__all__ = [
    "CALENDAR_FILE",
    "TARGETS_FILE",
    "ParseResult",
    "Problem",
    "Severity",
    "dump_targets",
    "load_dir",
    "parse_texts",
]

TARGETS_FILE = "targets.yaml"
CALENDAR_FILE = "calendar.yaml"


@dataclass(slots=True)
class ParseResult:
    target_set: TargetSet | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors


def load_dir(directory: Path) -> ParseResult:
    """Parse ``targets.yaml`` and ``calendar.yaml`` in ``directory``.

    Raises FileNotFoundError (saying which) when the directory or either file is missing; every
    other problem, unreadable text included, is a ``Problem`` in the result.
    """
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: no such targets directory")
    paths = (directory / TARGETS_FILE, directory / CALENDAR_FILE)
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
    texts: list[str] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            texts.append(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as error:
            problems.append(Problem(str(path), 1, f"not UTF-8 text ({error.reason})"))
            texts.append("")
    if problems:
        return ParseResult(None, problems)
    return parse_texts(texts[0], texts[1], targets_file=str(paths[0]), calendar_file=str(paths[1]))


def parse_texts(
    targets_text: str,
    calendar_text: str,
    *,
    targets_file: str = TARGETS_FILE,
    calendar_file: str = CALENDAR_FILE,
) -> ParseResult:
    """Validate both files; ``target_set`` is None when there is any error."""
    targets_report = Report(targets_file)
    calendar_report = Report(calendar_file)
    targets, known = TargetsParser(targets_report).parse(targets_text)
    calendar = CalendarParser(calendar_report, known).parse(calendar_text)
    problems = targets_report.sorted() + calendar_report.sorted()
    if any(problem.severity == "error" for problem in problems) or calendar is None:
        return ParseResult(None, problems)
    return ParseResult(TargetSet(tuple(targets), calendar), problems)


def dump_targets(targets: Iterable[Target]) -> str:
    """YAML text in the documented shape; ``parse_texts`` reads it back to equal targets."""
    lines = ["targets:"]
    for target in targets:
        lines.append(f"  - kpi: {target.kpi}")
        if target.scope:
            pairs = ", ".join(f"{label}: {_yaml_text(value)}" for label, value in target.scope)
            lines.append(f"    scope: {{{pairs}}}")
        lines.append(f"    quantifier: {target.quantifier}")
        lines.append("    schedules:")
        for schedule in target.schedules:
            entries: list[str] = []
            if schedule.days is not None:
                entries.append(f"days: [{', '.join(daytime.format_day_items(schedule.days))}]")
            if schedule.hours is not None:
                entries.append(f'from: "{daytime.format_time(schedule.hours.start)}"')
                entries.append(f'to: "{daytime.format_time(schedule.hours.end, is_end=True)}"')
            entries.append(f"value: {_yaml_number(schedule.value)}")
            lines.append(f"      - {entries[0]}")
            lines.extend(f"        {entry}" for entry in entries[1:])
    if len(lines) == 1:
        lines[0] = "targets: []"
    return "\n".join(lines) + "\n"


def _yaml_text(text: str) -> str:
    """Plain when YAML reads it back as the same text, else double-quoted (JSON is valid YAML)."""

    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", text) is not None
    reserved = text.lower() in {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}
    return text if plain and not reserved else json.dumps(text)


def _yaml_number(value: float) -> str:
    if value.is_integer():
        return str(int(value))
    text = repr(value)
    if "." not in text and "e" in text:  # YAML 1.1 floats need a dot: 1e-05 -> 1.0e-05
        text = text.replace("e", ".0e", 1)
    return text
