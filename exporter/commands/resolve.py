"""``kpi-targets resolve``: the targets in force at an instant, as JSON.

Prints a JSON array (sorted by kpi, then scope) of ``{kpi, scope, value, quantifier, source}``, each
target at its own scope, leaving out targets outside operating hours. Exit status: 0 printed,
1 the targets are invalid (problems on stderr), 2 bad ``--at`` or a missing directory or file.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from exporter.commands.options import add_targets_option, chosen_targets

HELP = "print as JSON the targets in force at an instant, and where each value came from"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--at",
        required=True,
        metavar="ISO-8601",
        help=(
            "the instant, e.g. 2026-12-24T10:30:00+01:00 or 2026-12-24T09:30Z; without an offset "
            "it is wall-clock time in the calendar's time zone (a repeated DST hour then means its "
            "first occurrence, a skipped one is read with the offset before the change)"
        ),
    )
    add_targets_option(parser, read_only=True)


def run(args: argparse.Namespace) -> int:
    from exporter.targets.parse import load_dir
    from exporter.targets.resolve import resolve

    try:
        at = datetime.fromisoformat(args.at)
    except ValueError:
        print(
            f"kpi-targets resolve: bad --at {args.at!r}: expected ISO-8601 such as "
            "2026-12-24T10:30:00+01:00",
            file=sys.stderr,
        )
        return 2
    try:
        args.targets = chosen_targets(args.targets, "resolve")
        result = load_dir(args.targets)
    except FileNotFoundError as error:
        print(f"kpi-targets resolve: {error}", file=sys.stderr)
        return 2
    for problem in result.problems:
        print(problem, file=sys.stderr)
    if result.target_set is None:
        print(f"kpi-targets resolve: {args.targets} has errors; see above", file=sys.stderr)
        return 1
    if at.tzinfo is None:
        at = at.replace(tzinfo=result.target_set.calendar.timezone)
    resolution = resolve(result.target_set, at)
    print(json.dumps([target.as_dict() for target in resolution.all()], indent=2))
    return 0
