"""``kpi-targets replay SOURCE --at ISO-8601``: KPI values from a data file as of an instant.

The file is read alone (no other source, no targets); every event at or before ``--at`` goes to the
KPI engine, and the engine's samples at ``--at`` are printed as a JSON array sorted by KPI and
labels. Lines or events refused on the way are counted on stderr, never fatal.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from exporter.zones import load_zone

HELP = "compute KPI values from a queue_log or contact-records file as of an instant (JSON)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from exporter.config import SPECS, default_text
    from exporter.engine.types import DEFAULT_SERVICE_LEVEL_VARIANT, ServiceLevelVariant

    parser.add_argument(
        "source",
        metavar="SOURCE",
        help="queue_log:PATH or records:PATH, optionally with ?OPTION=VALUE&... "
        "(e.g. queue_log:queue_log.csv?layout=table, records:calls.csv?mapping=map.yaml)",
    )
    parser.add_argument(
        "--at",
        required=True,
        metavar="ISO-8601",
        help="the instant, ISO-8601 (e.g. 2026-03-02T10:30:00+01:00; without an offset it is "
        "read in --timezone)",
    )
    parser.add_argument(
        "--timezone",
        default="UTC",
        metavar="ZONE",
        help="IANA time zone of the hourly period, of --at without an offset and of local "
        "times in the data (default: UTC)",
    )
    parser.add_argument(
        "--service-level-variant",
        choices=[variant.value for variant in ServiceLevelVariant],
        default=DEFAULT_SERVICE_LEVEL_VARIANT.value,
        metavar="VARIANT",
        # The same words as serve's option (exporter.config declares them).
        help=f"{SPECS['service_level_variant'].help} "
        f"(default: {default_text('service_level_variant')})",
    )
    parser.add_argument(
        "--short-abandon-seconds",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"{SPECS['short_abandon_seconds'].help} "
        f"(default: {default_text('short_abandon_seconds')})",
    )
    parser.add_argument(
        "--mapping",
        metavar="FILE|PRESET",
        help="records: column mapping YAML file, or a preset name (pwc_phonenow)",
    )
    parser.add_argument(
        "--agent-teams",
        metavar="FILE",
        help="queue_log: YAML of agent: team (or team: [agents])",
    )


def _instant(text: str, zone: ZoneInfo) -> float:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.timestamp()


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{reason} {count}" for reason, count in sorted(counter.items()))


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from exporter.engine import EngineConfig, KpiEngine, ServiceLevelVariant
    from exporter.sources.base import IngestStats
    from exporter.sources.queue_log import QueueLogSource
    from exporter.sources.spec import (
        SourceSpecError,
        build_source,
        load_agent_teams,
        load_mapping,
        parse_source_spec,
    )

    try:
        zone = load_zone(args.timezone)
    except ValueError as error:
        print(f"replay: --timezone: {error}", file=sys.stderr)
        return 2
    try:
        at = _instant(args.at, zone)
    except ValueError:
        print(f"replay: --at: {args.at!r} is not an ISO-8601 date-time", file=sys.stderr)
        return 2
    if args.short_abandon_seconds is not None and not args.short_abandon_seconds >= 0:
        print("replay: --short-abandon-seconds must be 0 or more", file=sys.stderr)
        return 2
    try:
        spec = parse_source_spec(args.source)
        if args.mapping and spec.kind != "records":
            raise SourceSpecError("--mapping applies to records: sources only")
        if args.agent_teams and spec.kind != "queue_log":
            raise SourceSpecError("--agent-teams applies to queue_log: sources only")
        source = build_source(
            spec,
            follow=False,
            timezone=zone,
            mapping=load_mapping(args.mapping) if args.mapping else None,
            agent_teams=load_agent_teams(Path(args.agent_teams)) if args.agent_teams else None,
        )
    except SourceSpecError as error:
        print(f"replay: {error}", file=sys.stderr)
        return 2
    if not source.path.is_file():
        print(f"replay: {source.path}: no such file", file=sys.stderr)
        return 2

    config = EngineConfig(
        timezone=zone,
        service_level_variant=ServiceLevelVariant(args.service_level_variant),
        **(
            {"short_abandon_seconds": args.short_abandon_seconds}
            if args.short_abandon_seconds is not None
            else {}
        ),
    )
    engine = KpiEngine(config)
    stats = IngestStats()
    refused: Counter[str] = Counter()
    fed = later = 0
    for event in source.events(stats):
        if event.at > at:
            later += 1
            continue
        reason = engine.ingest(event)
        if reason is None:
            fed += 1
        else:
            refused[reason] += 1

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

    rejected = Counter({reason: n for (_, reason), n in stats.rejected_counts().items()})
    summary = f"replay: {fed} events counted, {later} after --at left out"
    if rejected:
        summary += f"; {sum(rejected.values())} lines rejected ({_counts(rejected)})"
    if refused:
        summary += f"; {sum(refused.values())} events refused by the engine ({_counts(refused)})"
    if isinstance(source, QueueLogSource) and source.skipped:
        summary += f"; skipped, not queue contacts: {_counts(source.skipped)}"
    print(summary, file=sys.stderr)
    return 0
