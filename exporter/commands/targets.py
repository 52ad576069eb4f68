"""`kpi-targets targets` (being built)."""

from __future__ import annotations

import argparse

HELP = "targets (not built yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    raise SystemExit("kpi-targets targets is not built yet")
