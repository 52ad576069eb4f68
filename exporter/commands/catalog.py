"""``kpi-targets catalog``: the KPI catalog with its metadata."""

from __future__ import annotations

import argparse
import json

HELP = "print the KPI catalog (name, title, tab, period, unit, direction, scope labels, eligible)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table for people, json for scripts (default: table)",
    )


def run(args: argparse.Namespace) -> int:
    from exporter.catalog import CATALOG

    if args.format == "json":
        print(json.dumps([kpi.as_dict() for kpi in CATALOG], indent=2))
        return 0
    rows = [("KPI", "TAB", "PERIOD", "UNIT", "BETTER", "SCOPE LABELS", "TARGETS")]
    rows += [
        (
            kpi.name,
            str(kpi.tab),
            str(kpi.period),
            str(kpi.unit),
            str(kpi.direction),
            ",".join(kpi.scope_labels) or "-",
            "yes" if kpi.eligible else "no (AI-scored)",
        )
        for kpi in CATALOG
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())
    return 0
