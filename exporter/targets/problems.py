"""Problems found in a targets or calendar file, and the small checks that find them.

A ``Problem`` names the file, the line and what is wrong; ``Report`` collects them for one file so
that a parser lists every problem instead of stopping at the first. ``expect_*`` and ``check_keys``
helpers report wrong types and unknown keys (suggesting the closest known key).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from exporter.targets import yamlload
from exporter.targets.yamlload import LineList, LineMap

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.severity}: {self.message}"


class Report:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, message, "error"))

    def warning(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, message, "warning"))

    @property
    def error_count(self) -> int:
        return sum(problem.severity == "error" for problem in self.problems)

    def sorted(self) -> list[Problem]:
        return sorted(self.problems, key=lambda problem: problem.line)  # stable: file order

    def load(self, text: str) -> Any:
        try:
            document = yamlload.load(text)
        except yamlload.YamlSyntaxError as error:
            self.error(error.line, error.message)
            return None
        for issue in document.issues:
            self.error(issue.line, issue.message)
        return document.data


def suggestion(word: object, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(word), options, n=3, cutoff=0.6)
    if close:
        return " (did you mean " + " or ".join(repr(option) for option in close) + "?)"
    return " (known: " + ", ".join(options) + ")"


def type_name(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def check_keys(
    mapping: LineMap,
    allowed: Sequence[str],
    required: Sequence[str],
    report: Report,
    what: str,
) -> None:
    for key in mapping:
        if key not in allowed:
            report.error(
                mapping.line_of(key), f"unknown key {key!r} in {what}{suggestion(key, allowed)}"
            )
    for key in required:
        if key not in mapping:
            report.error(mapping.line, f"{what} is missing {key!r}")


def expect_map(value: Any, line: int, report: Report, what: str) -> LineMap | None:
    if isinstance(value, LineMap):
        return value
    report.error(line, f"{what} must be a mapping, not {type_name(value)}")
    return None


def expect_list(value: Any, line: int, report: Report, what: str) -> LineList | None:
    if isinstance(value, LineList):
        return value
    report.error(line, f"{what} must be a list, not {type_name(value)}")
    return None


def text_items(value: Any, line: int, report: Report, what: str) -> list[tuple[str, int]]:
    """A text or a list of texts, each with its line."""
    if isinstance(value, str):
        return [(value, line)]
    if isinstance(value, LineList):
        items: list[tuple[str, int]] = []
        for index, item in enumerate(value):
            if isinstance(item, str):
                items.append((item, value.line_of(index)))
            else:
                report.error(value.line_of(index), f"{what} must be text, not {type_name(item)}")
        return items
    report.error(line, f"{what} must be text or a list, not {type_name(value)}")
    return []


def label_value(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int)):
        text = str(value)
        return text if text else None
    return None


def did_you_mean(word: object, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
