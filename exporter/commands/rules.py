"""`kpi-targets rules` (being built)."""

from __future__ import annotations

import argparse

HELP = "rules (not built yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    raise SystemExit("kpi-targets rules is not built yet")
