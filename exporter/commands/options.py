"""Options several commands share, declared once so they read the same everywhere."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from exporter.bundled import LOCAL_TARGETS, builtin_notice, targets_dir
from exporter.config import SPECS

TARGETS_HELP = SPECS["targets"].help  # the same words as serve's --targets


def add_targets_option(parser: argparse.ArgumentParser, *, read_only: bool = False) -> None:
    """``--targets DIR``. A command that only reads (``read_only``) falls back to the built-in
    example when ``./targets`` does not exist (see ``chosen_targets``)."""
    if read_only:
        default, default_text = None, "./targets if it exists, else the built-in example"
    else:
        default, default_text = LOCAL_TARGETS, str(LOCAL_TARGETS)
    parser.add_argument(
        "--targets",
        metavar="DIR",
        type=Path,
        default=default,
        help=f"{TARGETS_HELP} (default: {default_text})",
    )


def chosen_targets(given: Path | None, command: str) -> Path:
    """The directory a read-only command uses; says so on stderr when it is the built-in one."""
    directory, builtin = targets_dir(given)
    if builtin:
        print(f"kpi-targets {command}: {builtin_notice()}", file=sys.stderr)
    return directory
