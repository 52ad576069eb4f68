"""``kpi-targets``: the command line. Each subcommand lives in ``exporter.commands.<name>``.

A command module has ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``
(the exit status); it imports what it needs inside ``run`` so that ``kpi-targets --help`` is fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from exporter import __version__

COMMANDS: tuple[str, ...] = (
    "serve",
    "check",
    "catalog",
    "resolve",
    "targets",
    "replay",
    "backfill",
    "rules",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kpi-targets",
        description="Contact-center KPIs next to their scheduled targets, for Prometheus.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"exporter.commands.{name}")
        sub = subparsers.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(handler=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `kpi-targets catalog | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
