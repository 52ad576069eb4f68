"""``kpi-targets serve``: the exporter (``/metrics``) and the admin UI, on separate ports.

With no arguments: the built-in simulator and the targets in ``./targets`` (else the built-in
example), metrics on 127.0.0.1:9491 and the admin UI on 127.0.0.1:9492. The flags come from the
settings table in ``exporter.config``: defaults, then ``--config FILE``, then ``KPI_TARGETS_*``
variables, then flags.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from exporter.config import ENV_PREFIX, default_text, flag_of, settings_specs

HELP = "run the exporter (/metrics) and the admin UI (default: the simulator and targets/)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        f"Every setting can also be set in the --config file (its name with underscores, e.g. "
        f"metrics_address) or in the environment ({ENV_PREFIX}METRICS_ADDRESS); flags win over "
        f"the environment, which wins over the file. SIGHUP re-reads the config file."
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="YAML file of settings (see `kpi-targets init` for an example)",
    )
    for name, _default, spec in settings_specs(sections=False):
        parser.add_argument(
            flag_of(name),
            dest=name,
            metavar=spec.metavar,
            action="append" if spec.is_list else "store",
            help=f"{spec.help} (default: {default_text(name)})",
        )
    parser.add_argument(
        "--check-only",
        action="store_true",
        help="validate config, targets and sources, list every problem, then exit 0 (ok) or 1",
    )


def run(args: argparse.Namespace) -> int:
    from exporter.config import ConfigError, SettingsSource, parse_flags
    from exporter.serve import serve

    given = {
        name: getattr(args, name)
        for name, _default, _spec in settings_specs(sections=False)
        if getattr(args, name) is not None
    }
    source = SettingsSource(config_file=args.config, flags=given, environ=dict(os.environ))
    try:
        parse_flags(given)  # a bad flag is a usage error: exit 2, like argparse's own
    except ConfigError as error:
        return _refused(error, 2)
    try:
        settings = source.load()
    except ConfigError as error:
        return _refused(error, 1)
    return serve(settings, source=source, check_only=args.check_only)


def _refused(error: Exception, status: int) -> int:
    for line in str(error).splitlines():
        print(f"kpi-targets serve: {line}", file=sys.stderr)
    return status
