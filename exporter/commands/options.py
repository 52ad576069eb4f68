"""Options several commands share, declared once so they read the same everywhere."""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_TARGETS_DIR = Path("targets")


def add_targets_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--targets",
        metavar="DIR",
        type=Path,
        default=DEFAULT_TARGETS_DIR,
        help="directory holding targets.yaml and calendar.yaml (default: targets)",
    )
