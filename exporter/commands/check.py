"""`kpi-targets check` (being built)."""

from __future__ import annotations

import argparse

HELP = "check (not built yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    raise SystemExit("kpi-targets check is not built yet")
