"""``kpi-targets replay SOURCE --at ISO-8601``: KPI values from a data file as of an instant.

The file is read alone (no other source, no targets), in the order it was written: the lines before
the first one stamped after ``--at`` go to the KPI engine (what a running exporter had read then,
and what backfill's sample at ``--at`` counts: ``exporter.backfill.feed``), and the engine's
samples at ``--at`` are printed as a JSON array sorted by KPI and labels. Lines or events refused
on the way are counted on stderr, each logged with its file:line, never fatal.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from exporter.commands.contact_data import SOURCE_HELP, add_data_arguments, counts, left_out

HELP = "compute KPI values from a queue_log or contact-records file as of an instant (JSON)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="SOURCE", help=SOURCE_HELP)
    parser.add_argument(
        "--at",
        required=True,
        metavar="ISO-8601",
        help="the instant, ISO-8601 (e.g. 2026-03-02T10:30:00+01:00; without an offset it is "
        "read in --timezone)",
    )
    add_data_arguments(parser, timezone_default="UTC")


def run(args: argparse.Namespace) -> int:
    from exporter.backfill.feed import Feed, feed_sources
    from exporter.backfill.progress import Progress
    from exporter.commands.contact_data import (
        DataOptionError,
        engine_config,
        instant,
        open_sources,
        time_zone,
    )
    from exporter.engine import KpiEngine
    from exporter.sources.base import IngestStats
    from exporter.sources.queue_log import QueueLogSource

    try:
        zone = time_zone(args.timezone or "UTC")
        at = instant(args.at, zone, "--at")
        config = engine_config(args, zone)
        (source,) = open_sources(args, [args.source], zone)
    except DataOptionError as error:
        print(f"replay: {error}", file=sys.stderr)
        return 2

    engine = KpiEngine(config)
    stats = IngestStats()
    progress = Progress(sys.stderr, "replay", at)
    feed = Feed.until(engine, at, progress)
    feed_sources([source], feed, stats)
    progress.finish()

    samples = sorted(engine.snapshot(at).kpis, key=lambda sample: (sample.kpi, sample.labels))
    print(
        json.dumps(
            [
                {
                    "kpi": sample.kpi,
                    "labels": dict(sample.labels),
                    "value": sample.value if math.isfinite(sample.value) else None,
                    "sample_size": sample.sample_size,
                }
                for sample in samples
            ],
            indent=2,
        )
    )

    summary = f"replay: {feed.counted:,} events counted, {feed.later:,} after --at left out"
    summary += left_out(stats, feed.refused)
    if isinstance(source, QueueLogSource) and source.skipped:
        summary += f"; skipped, not queue contacts: {counts(source.skipped)}"
    print(summary, file=sys.stderr)
    return 0
