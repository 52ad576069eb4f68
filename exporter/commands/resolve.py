"""`kpi-targets resolve` (being built)."""

from __future__ import annotations

import argparse

HELP = "resolve (not built yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    raise SystemExit("kpi-targets resolve is not built yet")
