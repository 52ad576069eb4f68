"""``kpi-targets whatif``: try a proposed target against past closed hours; nothing is saved.

The target is given with the options of ``kpi-targets targets set`` (``--kpi``, ``--scope``,
``--quantifier``, ``--value``, ``--schedule``) and judged on the closed hours of the last
``--window`` (7d, 28d or 90d) before ``--until`` (default: now) beside the target of the same
KPI and scope in force in ``--targets DIR`` (``exporter.whatif.score``). ``--proposed DIR`` scores
every target of a whole proposed targets directory (a pull request's) instead, target by target,
each with its own calendar, against the one in force.

The past comes from contact data files (``--from SOURCE...``, the sources ``replay`` and
``backfill`` read), through the same engine (``exporter.whatif.past_files``), or from the
Prometheus that scrapes the exporter or holds its backfilled blocks (``--prometheus-url``, with
serve's ``--prometheus-http-config-file``; ``exporter.whatif.past_prometheus``).

Exit status: 0 scored, 1 the computation failed (a bad directory, no judged hour in the window,
Prometheus down, slow or refusing the query), 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from exporter.commands.contact_data import SOURCE_HELP, add_data_arguments
from exporter.commands.options import add_targets_option
from exporter.commands.targets import add_kpi_scope_options, add_value_options
from exporter.config import SPECS

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from exporter.targets.model import Target, TargetSet
    from exporter.whatif.report import Window
    from exporter.whatif.score import History

HELP = "try a proposed target against past closed hours (nothing is saved)"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
WINDOWS = {"7d": 7, "28d": 28, "90d": 90}
DEFAULT_WINDOW = "28d"
PROMETHEUS_TIMEOUT = 10.0  # a command waits longer than a page (serve's --prometheus-timeout)


class Usage(ValueError):
    """A usage error, worded for stderr."""


class Failed(ValueError):
    """The computation failed, worded for stderr."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_targets_option(parser)
    add_kpi_scope_options(parser, required=False)
    add_value_options(parser)
    parser.add_argument(
        "--proposed",
        metavar="DIR",
        type=Path,
        default=None,
        help="score every target of this proposed targets directory instead of --kpi ...",
    )
    past = parser.add_mutually_exclusive_group(required=True)
    past.add_argument(
        "--from",
        dest="sources",
        metavar="SOURCE",
        nargs="+",
        help=f"the past from contact data files: {SOURCE_HELP}",
    )
    past.add_argument(
        "--prometheus-url",
        metavar="URL",
        default=None,
        help=f"the past from Prometheus: {SPECS['prometheus_url'].help}",
    )
    parser.add_argument(
        "--prometheus-http-config-file",
        metavar="FILE",
        type=Path,
        default=None,
        help=SPECS["prometheus_http_config_file"].help,
    )
    parser.add_argument(
        "--prometheus-timeout",
        metavar="SECONDS",
        default=f"{PROMETHEUS_TIMEOUT:g}",
        help=f"how long to wait for each of Prometheus's answers (default: {PROMETHEUS_TIMEOUT:g})",
    )
    parser.add_argument(
        "--window",
        choices=list(WINDOWS),
        default=DEFAULT_WINDOW,
        help=f"how many days of closed hours (default: {DEFAULT_WINDOW})",
    )
    parser.add_argument(
        "--until",
        metavar="ISO",
        default=None,
        help="the end of the window, ISO-8601 (default: now); the hour it falls in is left out",
    )
    parser.add_argument(
        "--share",
        default="80%",
        metavar="SHARE",
        help="suggest per schedule row the value met in this share of its hours (default: 80%%)",
    )
    parser.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help="text for people, json for scripts (default: text)",
    )
    add_data_arguments(parser, timezone_default="the calendar's")


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except Usage as error:
        print(f"kpi-targets whatif: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except Failed as error:
        print(f"kpi-targets whatif: {error}", file=sys.stderr)
        return EXIT_FAILED


def _run(args: argparse.Namespace) -> int:
    from exporter.whatif import report
    from exporter.whatif.score import compare_sets, hours_between

    share = parse_share(args.share)
    in_force = _load(args.targets, "--targets")
    if args.proposed is not None:
        if args.kpi or args.scope or args.value or args.schedule or args.quantifier:
            raise Usage("give either --proposed DIR or --kpi with its values, not both")
        proposed_set = _load(args.proposed, "--proposed")
        proposed = list(proposed_set.targets)
        if not proposed:
            raise Failed(f"{args.proposed}: no target to score")
    else:
        proposed_set = None
        proposed = [_proposed_target(args, in_force)]
    _check_judged(proposed)
    zone = _zone(args, in_force)
    window = _window(args, zone)
    from exporter.engine.clock import LocalHours

    periods = hours_between(window.start, window.end, LocalHours(in_force.calendar.timezone))
    kpis = {target.kpi for target in proposed}
    if args.sources:
        history = _history_from_files(args, zone, window, kpis)
    else:
        history = _history_from_prometheus(args, proposed, periods)
    comparisons = compare_sets(proposed, proposed_set, in_force, periods, history, share)
    if all(comparison.proposed.total.judged == 0 for comparison in comparisons):
        raise Failed(
            f"no judged hour in the last {window.days} days: the data has no value for the "
            "target's scope in its on-duty hours (check --scope, --until and the data's dates)"
        )
    if args.format == "json":
        documents = [report.as_dict(comparison, window) for comparison in comparisons]
        print(json.dumps(documents[0] if proposed_set is None else documents, indent=2))
    else:
        print("\n\n".join(report.text(comparison, window) for comparison in comparisons))
    return EXIT_OK


def parse_share(text: str) -> float:
    """``80%``, ``80 %`` or ``0.8``: more than 0, at most 1."""
    cleaned = text.strip()
    try:
        share = (
            float(cleaned.removesuffix("%").strip()) / 100
            if cleaned.endswith("%")
            else float(cleaned)
        )
    except ValueError:
        share = -1.0
    if not 0 < share <= 1:
        raise Usage(f"--share {text!r} is not a share like 80% or 0.8 (more than 0, at most 1)")
    return share


def _load(directory: Path, option: str) -> TargetSet:
    from exporter.targets.parse import load_dir

    try:
        result = load_dir(directory)
    except FileNotFoundError as error:
        raise Failed(f"{option}: {error}") from None
    if result.target_set is None or result.errors:
        problems = "\n".join(f"  {problem}" for problem in result.errors)
        raise Failed(f"{option} {directory} is not valid:\n{problems}")
    return result.target_set


def _proposed_target(args: argparse.Namespace, in_force: TargetSet) -> Target:
    from exporter import catalog
    from exporter.targets.edit_input import (
        InputError,
        assemble,
        default_quantifier,
        parse_file_value,
        parse_schedule_spec,
        parse_scope_items,
    )
    from exporter.targets.model import Quantifier
    from exporter.targets.parse import dump_targets, parse_texts
    from exporter.whatif.score import find_target

    if not args.kpi:
        raise Usage("give --kpi KPI (with --value and/or --schedule), or --proposed DIR")
    kpi = catalog.find(args.kpi)
    if kpi is None:
        raise Usage(f"--kpi {args.kpi!r} is not in the KPI catalog (`kpi-targets catalog`)")
    try:
        scope = parse_scope_items(args.scope)
        timed = [parse_schedule_spec(spec, kpi=kpi) for spec in args.schedule]
        value = None if args.value is None else parse_file_value(args.value, "--value", kpi)
        if value is None and not timed:
            raise InputError(
                "--value", 'give --value X and/or --schedule "DAYS[ HH:MM-HH:MM]=VALUE"'
            )
        if args.quantifier is not None:
            quantifier: Quantifier | None = Quantifier(args.quantifier)
        else:
            quantifier = default_quantifier(kpi, find_target(in_force, args.kpi, scope))
        if quantifier is None:
            raise InputError("--quantifier", f"{args.kpi} can be too high or too low: give it")
        target = assemble(args.kpi, quantifier, scope, value, timed)
    except InputError as error:
        raise Usage(f"{error.field}: {error.message}") from None
    # The same checks as `kpi-targets check` (values in range, rows that overlap, ...).
    checked = parse_texts(
        dump_targets([target]), _calendar_text(args.targets), targets_file="proposed target"
    )
    errors = [problem for problem in checked.errors if problem.file == "proposed target"]
    if errors:
        raise Usage("; ".join(problem.message for problem in errors))
    return target


def _calendar_text(directory: Path) -> str:
    return (directory / "calendar.yaml").read_text(encoding="utf-8")


def _check_judged(targets: list[Target]) -> None:
    from exporter.targets.periods import periods_judged

    judged = {kpi.name for kpi in periods_judged()}
    for target in targets:
        if target.kpi not in judged:
            raise Usage(
                f"{target.kpi} has no closed hours to score (only Hourly KPIs are judged hour "
                "by hour)"
            )


def _zone(args: argparse.Namespace, in_force: TargetSet) -> ZoneInfo:
    from exporter.commands.contact_data import DataOptionError, time_zone

    if not args.timezone:
        return in_force.calendar.timezone
    try:
        return time_zone(args.timezone)
    except DataOptionError as error:
        raise Usage(str(error)) from None


def _window(args: argparse.Namespace, zone: ZoneInfo) -> Window:
    from exporter.commands.contact_data import DataOptionError, instant
    from exporter.engine.clock import LocalHours
    from exporter.whatif.report import Window

    try:
        until = time.time() if args.until is None else instant(args.until, zone, "--until")
    except DataOptionError as error:
        raise Usage(str(error)) from None
    days = WINDOWS[args.window]
    end = LocalHours(zone).start_of(until)
    start = (datetime.fromtimestamp(end, zone) - timedelta(days=days)).timestamp()
    return Window(start=start, end=end, days=days, zone=zone)


def _history_from_files(
    args: argparse.Namespace, zone: ZoneInfo, window: Window, kpis: set[str]
) -> dict[str, History]:
    from exporter.commands.contact_data import DataOptionError, engine_config, open_sources
    from exporter.engine import KpiEngine
    from exporter.whatif.past_files import closed_hours

    try:
        sources = open_sources(args, args.sources, zone)
        config = engine_config(args, zone)
    except DataOptionError as error:
        raise Usage(str(error)) from None
    try:
        found = closed_hours(KpiEngine(config), sources, kpis, start=window.start, end=window.end)
    except OSError as error:
        raise Failed(f"cannot read the contact data: {error}") from None
    rejected = sum(found.stats.rejected_counts().values())
    if rejected:
        print(
            f"kpi-targets whatif: {rejected:,} line{'s' if rejected > 1 else ''} of the contact "
            "data rejected (see the log)",
            file=sys.stderr,
        )
    return dict(found.by_kpi)


def _history_from_prometheus(
    args: argparse.Namespace, targets: list[Target], periods: list[tuple[float, float]]
) -> dict[str, History]:
    from exporter.config import convert, flag_of
    from exporter.prometheus_http import PrometheusClient, PrometheusError, PrometheusSetupError
    from exporter.prometheus_http_config import (
        HttpClientConfig,
        HttpClientConfigError,
        load_http_client_config,
    )
    from exporter.whatif.past_prometheus import closed_hours

    found: dict[str, object] = {}
    for name in ("prometheus_url", "prometheus_timeout"):
        try:
            found[name] = convert(name, getattr(args, name))
        except ValueError as error:
            raise Usage(f"{flag_of(name)}: {error}") from None
    url, timeout = str(found["prometheus_url"]), float(str(found["prometheus_timeout"]))
    file = args.prometheus_http_config_file
    try:
        config = load_http_client_config(file) if file is not None else HttpClientConfig()
        client = PrometheusClient(url, config, timeout)
    except (HttpClientConfigError, PrometheusSetupError) as error:
        raise Usage(f"{flag_of('prometheus_http_config_file')}: {error}") from None
    try:
        return closed_hours(client, targets, periods)
    except PrometheusError as error:
        raise Failed(str(error)) from None
