"""``kpi-targets dashboards``: write the Grafana dashboards (``exporter.dashboards.build``)."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "write the Grafana dashboards to grafana/dashboards/"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("grafana/dashboards"),
        metavar="DIR",
        help="directory to write the dashboard JSON files into (default: grafana/dashboards)",
    )


def run(args: argparse.Namespace) -> int:
    from exporter.dashboards.build import render_all

    args.output.mkdir(parents=True, exist_ok=True)
    for name, text in render_all().items():
        path = args.output / name
        path.write_text(text, encoding="utf-8")
        print(f"Wrote {path}")
    return 0
