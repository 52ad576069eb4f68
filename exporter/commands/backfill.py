"""``kpi-targets backfill SOURCE... --from ISO --to ISO --out FILE``: past contact data as the
series ``serve`` would have exposed, one sample per step, in OpenMetrics text for
``promtool tsdb create-blocks-from openmetrics``.

Each instant is judged against the targets and calendar in force then, rebuilt from the audit log
of ``--targets`` (see ``exporter.backfill.past_targets``); stderr says which periods used which. The
README's section "History: backfilling Prometheus from past contact data" gives the whole
procedure. Exit status: 0 written, 1 targets or output unusable, 2 usage error.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from exporter.commands.contact_data import SOURCE_HELP, add_data_arguments, left_out
from exporter.commands.options import add_targets_option

if TYPE_CHECKING:
    from exporter.backfill.past_targets import History

HELP = "turn past contact data into OpenMetrics samples for Prometheus blocks (promtool)"

DEFAULT_STEP = "60s"
DEFAULT_JOB = "kpi-targets"
DEFAULT_INSTANCE = "127.0.0.1:9491"
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)?")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sources", metavar="SOURCE", nargs="+", help=SOURCE_HELP)
    parser.add_argument(
        "--from",
        dest="start",
        metavar="ISO",
        required=True,
        help="first instant, ISO-8601 (without an offset: in --timezone)",
    )
    parser.add_argument(
        "--to", dest="end", metavar="ISO", required=True, help="last instant, ISO-8601"
    )
    parser.add_argument(
        "--out",
        metavar="FILE",
        required=True,
        type=Path,
        help="OpenMetrics file to write (replaced if present)",
    )
    parser.add_argument(
        "--step",
        metavar="DURATION",
        default=DEFAULT_STEP,
        help=f"time between samples, like Prometheus' scrape_interval (default: {DEFAULT_STEP})",
    )
    parser.add_argument(
        "--job",
        default=DEFAULT_JOB,
        help=f"the job label of the live series (default: {DEFAULT_JOB})",
    )
    parser.add_argument(
        "--instance",
        default=DEFAULT_INSTANCE,
        help=f"the instance label of the live series (default: {DEFAULT_INSTANCE})",
    )
    parser.add_argument(
        "--split",
        metavar="DURATION",
        help="one file per DURATION of history (e.g. 1d), named after --out and the period's "
        "start (history-20260302T0000.om): promtool reads a whole file into memory",
    )
    add_targets_option(parser)
    add_data_arguments(parser, timezone_default="the calendar's")


def parse_duration(text: str, option: str = "--step") -> float:
    """``60``, ``60s``, ``1m``, ``1h``, ``1d``, ``500ms``: seconds, more than 0."""
    match = _DURATION.fullmatch(text.strip())
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)] if match else 0.0
    if seconds <= 0:
        raise ValueError(f"{option}: {text!r} is not a duration like 15s, 1m, 1h or 1d")
    return seconds


def run(args: argparse.Namespace) -> int:
    from exporter.backfill.feed import Feed, feed_sources
    from exporter.backfill.openmetrics import SplitWriter
    from exporter.backfill.past_targets import rebuild
    from exporter.backfill.progress import Progress
    from exporter.backfill.scrape import PastScrape
    from exporter.commands.contact_data import (
        DataOptionError,
        engine_config,
        instant,
        open_sources,
        time_zone,
    )
    from exporter.engine import KpiEngine
    from exporter.sources.base import IngestStats
    from exporter.targets.store import StoreError, TargetStore

    try:
        store = TargetStore(args.targets)
        loaded = store.current()
        history = rebuild(
            loaded.target_set,
            store.calendar_path.read_text(encoding="utf-8"),
            store.audit.entries(),
            audit_name=store.audit.path.name,
        )
    except (StoreError, OSError, ValueError) as error:
        print(f"backfill: {error}", file=sys.stderr)
        return 1
    try:
        zone = time_zone(args.timezone) if args.timezone else loaded.target_set.calendar.timezone
        start = instant(args.start, zone, "--from")
        end = instant(args.end, zone, "--to")
        if end < start:
            raise DataOptionError(f"--to {args.end} is before --from {args.start}")
        step = parse_duration(args.step)
        split = parse_duration(args.split, "--split") if args.split else None
        config = engine_config(args, zone)
        sources = open_sources(args, args.sources, zone)
    except (DataOptionError, ValueError) as error:
        print(f"backfill: {error}", file=sys.stderr)
        return 2
    if not args.out.parent.is_dir():
        print(f"backfill: --out: no such directory {args.out.parent}", file=sys.stderr)
        return 2

    engine = KpiEngine(config)
    stats = IngestStats()
    scrape = PastScrape(engine, history)
    writer = SplitWriter(
        args.out, job=args.job, instance=args.instance, start=start, every=split, zone=zone
    )
    progress = Progress(sys.stderr, "backfill", end)

    feed = Feed(
        engine,
        start=start,
        end=end,
        step=step,
        sample=lambda at: writer.add(scrape.collect(at), at),
        progress=progress,
    )
    try:
        feed_sources(sources, feed, stats)
        writer.finish()
    except OSError as error:
        print(
            f"backfill: cannot write {args.out}: {error.strerror}; nothing written", file=sys.stderr
        )
        return 1
    finally:
        writer.close()
        progress.finish()

    print(
        f"backfill: wrote {writer.samples:,} samples at {feed.steps:,} steps of {step:g} s "
        f"to {_files(writer.paths)}; {feed.counted:,} events counted"
        + left_out(stats, feed.refused),
        file=sys.stderr,
    )
    print(_periods_text(history, start, end, zone), file=sys.stderr)
    return 0


def _files(paths: list[Path]) -> str:
    if len(paths) <= 2:
        return " and ".join(str(path) for path in paths)
    return f"{len(paths)} files, {paths[0]} to {paths[-1]}"


def _periods_text(history: History, start: float, end: float, zone: ZoneInfo) -> str:
    def when(instant: float) -> str:
        return datetime.fromtimestamp(instant, zone).isoformat()

    lines = ["backfill: targets and calendar used:"]
    for period in history.between(start, end):
        lines.append(
            f"  {when(max(period.start, start))} to {when(min(period.end, end))}: {period.origin}"
        )
    lines.extend(f"  note: {note}" for note in history.notes)
    return "\n".join(lines)
