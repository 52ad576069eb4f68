"""``kpi-targets serve``: the exporter (``/metrics``) and the admin UI, on separate ports.

With no arguments: the built-in simulator and the targets in ``targets/``, metrics on
127.0.0.1:9491 and the admin UI on 127.0.0.1:9492. Flags win over ``--config FILE``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from exporter.config import DEFAULT_ADMIN_ADDRESS, DEFAULT_METRICS_ADDRESS, LOG_LEVELS

HELP = "run the exporter (/metrics) and the admin UI (default: the simulator and targets/)"

# Flag destinations that map onto ServeSettings; None (not given) leaves the config file's value.
_SETTING_FLAGS = (
    "metrics_address",
    "admin_address",
    "targets",
    "sources",
    "timezone",
    "service_level_variant",
    "short_abandon_seconds",
    "simulator_seed",
    "simulator_speed",
    "simulator_start",
    "events_token_file",
    "state_dir",
    "log_level",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="FILE", help="YAML file of settings")
    parser.add_argument(
        "--metrics-address",
        metavar="HOST:PORT",
        help=f"where /metrics listens (default {DEFAULT_METRICS_ADDRESS}; loopback unless you "
        "name another address)",
    )
    parser.add_argument(
        "--admin-address",
        metavar="HOST:PORT",
        help=f"where the admin UI listens (default {DEFAULT_ADMIN_ADDRESS})",
    )
    parser.add_argument(
        "--targets", metavar="DIR", help="targets.yaml and calendar.yaml (default targets)"
    )
    parser.add_argument(
        "--source",
        dest="sources",
        action="append",
        metavar="SPEC",
        help="simulator | queue_log:PATH (followed) | records:PATH | http; repeatable "
        "(default simulator)",
    )
    parser.add_argument("--timezone", help="time zone of Hourly KPIs (default: the calendar's)")
    parser.add_argument(
        "--service-level-variant",
        help="answered | answered_and_abandoned | abandoned_after_threshold | "
        "offered_minus_short_abandons (default) | within_threshold",
    )
    parser.add_argument(
        "--short-abandon-seconds",
        metavar="SECONDS",
        help="abandons within this wait are misdials (default 5)",
    )
    parser.add_argument("--simulator-seed", metavar="N", help="simulator random seed (default 1)")
    parser.add_argument(
        "--simulator-speed",
        metavar="X",
        help="simulated seconds per wall-clock second (default 1); above 1 the exporter's clock "
        "runs that fast too",
    )
    parser.add_argument(
        "--simulator-start",
        metavar="ISO-8601",
        help="simulated instant to start at, e.g. 2026-03-02T10:40:00+01:00 (default now)",
    )
    parser.add_argument(
        "--events-token-file",
        metavar="FILE",
        help="bearer token for POST /api/v1/events (or env KPI_TARGETS_EVENTS_TOKEN)",
    )
    parser.add_argument("--state-dir", metavar="DIR", help="event journal directory (default var)")
    parser.add_argument("--log-level", help=f"{' | '.join(LOG_LEVELS)} (default info)")
    parser.add_argument(
        "--check-only",
        action="store_true",
        help="validate config, targets and sources, then exit 0 (ok) or 1",
    )


def run(args: argparse.Namespace) -> int:
    from exporter.config import (
        ConfigError,
        build_settings,
        convert,
        load_config_file,
    )
    from exporter.serve import serve

    try:
        file_settings = load_config_file(args.config) if args.config else {}
        flag_settings = {}
        for name in _SETTING_FLAGS:
            value = getattr(args, name)
            if value is None:
                continue
            try:
                flag_settings[name] = convert(name, value)
            except ValueError as error:
                flag = "--source" if name == "sources" else "--" + name.replace("_", "-")
                raise ConfigError(f"{flag}: {error}") from None
    except ConfigError as error:
        print(f"kpi-targets serve: {error}", file=sys.stderr)
        return 1
    settings = build_settings(file_settings, flag_settings)
    if args.check_only:
        settings = build_settings({**file_settings, **flag_settings}, {"check_only": True})
    return serve(settings)
