"""``kpi-targets``: the command line. Each subcommand lives in ``exporter.commands.<name>``.

A command module has ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``
(the exit status); it imports what it needs inside ``run`` so that ``kpi-targets --help`` is fast.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import re
import sys
from collections.abc import Sequence
from typing import NoReturn

from exporter import __version__

COMMANDS: tuple[str, ...] = (
    "serve",
    "check",
    "catalog",
    "resolve",
    "targets",
    "replay",
    "backfill",
    "whatif",
    "rules",
    "users",
    "init",
    "dashboards",
    "grafana",
)


class ArgumentParser(argparse.ArgumentParser):
    """argparse with a "did you mean" on an unknown command or option; usage errors exit 2 with
    ``kpi-targets <command>: error: ...`` (argparse's own prog and status)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}{self._suggestion(message)}\n")

    def _suggestion(self, message: str) -> str:
        choice = re.search(r"invalid choice: '([^']*)'", message)
        if choice and self._subparsers is not None:
            words, options = [choice.group(1)], list(COMMANDS)
        elif message.startswith("unrecognized arguments: "):
            words = [w.split("=")[0] for w in message.split(": ", 1)[1].split() if w[:1] == "-"]
            options = [o for action in self._actions for o in action.option_strings]
        else:
            return ""
        for word in words:
            close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
            if close:
                return f" (did you mean {close[0]}?)"
        return ""


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="kpi-targets",
        description="Contact-center KPIs next to their scheduled targets, for Prometheus.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"exporter.commands.{name}")
        sub = subparsers.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(handler=module.run, command_parser=sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args, unknown = build_parser().parse_known_args(argv)
    if unknown:  # reported by the command's parser: its name and options, not the top level's
        args.command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `kpi-targets catalog | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
