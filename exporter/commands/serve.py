"""`kpi-targets serve` (being built)."""

from __future__ import annotations

import argparse

HELP = "serve (not built yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    raise SystemExit("kpi-targets serve is not built yet")
