"""Options of the commands that read past contact data (``replay``, ``backfill``), declared once:
the source specs, how to read them (time zone, records mapping, agent teams) and the KPI engine's
formula settings. ``open_sources`` and ``engine_config`` turn the parsed options into parts.
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from exporter.engine import EngineConfig
    from exporter.sources.base import IngestStats
    from exporter.sources.queue_log import QueueLogSource
    from exporter.sources.records import RecordsSource

SOURCE_HELP = (
    "queue_log:PATH or records:PATH, optionally with ?OPTION=VALUE&... "
    "(e.g. queue_log:queue_log.csv?layout=table, records:calls.csv?mapping=map.yaml)"
)


class DataOptionError(ValueError):
    """An option or source that cannot be used; the message says which and why."""


def add_data_arguments(parser: argparse.ArgumentParser, *, timezone_default: str) -> None:
    """``--timezone``, ``--service-level-variant``, ``--short-abandon-seconds``,
    ``--stale-waiting-seconds``, ``--mapping``, ``--agent-teams``; ``timezone_default`` words
    what an absent ``--timezone`` means."""
    from exporter.config import SPECS, default_text
    from exporter.engine.types import DEFAULT_SERVICE_LEVEL_VARIANT, ServiceLevelVariant

    parser.add_argument(
        "--timezone",
        default=None,
        metavar="ZONE",
        help="IANA time zone of the hourly period, of instants without an offset and of local "
        f"times in the data (default: {timezone_default})",
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
        "--stale-waiting-seconds",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"{SPECS['stale_waiting_seconds'].help} "
        f"(default: {default_text('stale_waiting_seconds')})",
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


def time_zone(name: str) -> ZoneInfo:
    from exporter.zones import load_zone

    try:
        return load_zone(name)
    except ValueError as error:
        raise DataOptionError(f"--timezone: {error}") from None


def instant(text: str, zone: ZoneInfo, option: str) -> float:
    """An ISO-8601 date-time as Unix seconds; without an offset it is read in ``zone``."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise DataOptionError(f"{option}: {text!r} is not an ISO-8601 date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.timestamp()


def open_sources(
    args: argparse.Namespace, specs: list[str], zone: ZoneInfo
) -> list[QueueLogSource | RecordsSource]:
    """The file sources ``specs`` name, read once (never followed); each file must exist."""
    from exporter.sources.spec import (
        SourceSpecError,
        build_source,
        load_agent_teams,
        load_mapping,
        parse_source_spec,
    )

    sources = []
    try:
        parsed = [parse_source_spec(text) for text in specs]
        kinds = {spec.kind for spec in parsed}
        if args.mapping and "records" not in kinds:
            raise SourceSpecError("--mapping applies to records: sources only")
        if args.agent_teams and "queue_log" not in kinds:
            raise SourceSpecError("--agent-teams applies to queue_log: sources only")
        mapping = load_mapping(args.mapping) if args.mapping else None
        teams = load_agent_teams(Path(args.agent_teams)) if args.agent_teams else None
        for spec in parsed:
            sources.append(
                build_source(
                    spec,
                    follow=False,
                    timezone=zone,
                    mapping=mapping if spec.kind == "records" else None,
                    agent_teams=teams if spec.kind == "queue_log" else None,
                )
            )
    except SourceSpecError as error:
        raise DataOptionError(str(error)) from None
    for source in sources:
        if not source.path.is_file():
            raise DataOptionError(f"{source.path}: no such file")
    return sources


def engine_config(args: argparse.Namespace, zone: ZoneInfo) -> EngineConfig:
    from exporter.engine import EngineConfig, ServiceLevelVariant

    short, stale = args.short_abandon_seconds, args.stale_waiting_seconds
    if short is not None and not short >= 0:
        raise DataOptionError("--short-abandon-seconds must be 0 or more")
    if stale is not None and not 0 < stale < math.inf:
        raise DataOptionError("--stale-waiting-seconds must be more than 0")
    return EngineConfig(
        timezone=zone,
        service_level_variant=ServiceLevelVariant(args.service_level_variant),
        recent_traffic=False,  # no agents-needed estimate from past data
        **({"short_abandon_seconds": short} if short is not None else {}),
        **({"stale_waiting_seconds": stale} if stale is not None else {}),
    )


def counts(counter: Counter[str]) -> str:
    """``reason count, ...`` in the order of the reasons."""
    return ", ".join(f"{reason} {count:,}" for reason, count in sorted(counter.items()))


def left_out(stats: IngestStats, refused: Counter[str]) -> str:
    """What a summary adds about the lines the sources rejected and the events the engine
    refused, by reason: "" when there were none."""
    rejected = Counter({reason: n for (_, reason), n in stats.rejected_counts().items()})
    text = ""
    if rejected:
        text += f"; {sum(rejected.values()):,} lines rejected ({counts(rejected)})"
    if refused:
        text += f"; {sum(refused.values()):,} events refused by the engine ({counts(refused)})"
    return text
