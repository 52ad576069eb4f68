"""`kpi-targets replay` (being built)."""

from __future__ import annotations

import argparse

HELP = "replay (not built yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    raise SystemExit("kpi-targets replay is not built yet")
