"""``kpi-targets check``: validate the targets and calendar in a directory, listing every problem.

Exit status: 0 valid (warnings are printed but allowed), 1 any error, 2 the directory or a file is
missing.
"""

from __future__ import annotations

import argparse
import sys

from exporter.commands.options import add_targets_option, chosen_targets

HELP = "validate targets.yaml and calendar.yaml, listing every problem with its file and line"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_targets_option(parser, read_only=True)


def run(args: argparse.Namespace) -> int:
    from exporter.targets.parse import load_dir

    try:
        args.targets = chosen_targets(args.targets, "check")
        result = load_dir(args.targets)
    except FileNotFoundError as error:
        print(f"kpi-targets check: {error}", file=sys.stderr)
        return 2
    for problem in result.problems:
        print(problem)
    errors, warnings = len(result.errors), len(result.warnings)
    if result.target_set is not None:
        calendar = result.target_set.calendar
        print(
            f"{args.targets}: OK, {_count(len(result.target_set.targets), 'target')} and "
            f"{_count(len(calendar.exceptions), 'date exception')} in {calendar.timezone.key}"
            + (f", {_count(warnings, 'warning')}" if warnings else "")
        )
        return 0
    print(f"{args.targets}: {_count(errors, 'error')}, {_count(warnings, 'warning')}")
    return 1


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
