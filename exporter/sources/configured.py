"""The sources ``serve``'s settings name, built and checked before anything listens: each spec
parsed, each file present, the HTTP source with its bearer token and event journal, and the
embedded simulator busy in the hours the calendar is on duty."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from exporter.config import ServeSettings
from exporter.demo import on_duty_hours
from exporter.simulator import SimulatorConfig, default_config
from exporter.simulator.clock import SimulationClock
from exporter.sources.base import Source
from exporter.sources.http_events import HttpEventSource, load_events_token
from exporter.sources.journal import EventJournal
from exporter.sources.simulator import SimulatorSource
from exporter.sources.spec import SourceSpecError, build_source, parse_source_spec
from exporter.targets.model import Calendar

# The simulator starts this far in the past (handed on at once) so Hourly KPIs have data from the
# first scrape.
SIMULATOR_BACKFILL_SECONDS = 3600.0
EVENTS_JOURNAL_FILE = "events.sqlite3"


class SourcesError(Exception):
    """Sources the settings name that cannot be used; one line per problem, each saying what and
    where."""


@dataclass
class BuiltSources:
    sources: list[Source]
    http_source: HttpEventSource | None = None  # for the admin app's POST /api/v1/events
    events_token: str | None = None


def build_sources(
    settings: ServeSettings, clock: SimulationClock, calendar: Calendar | None = None
) -> BuiltSources:
    """The sources the settings name (each checked: spec, file, token). The embedded simulator
    (no ``simulator:`` section) has contacts in every hour ``calendar`` is on duty, in its zone.

    Raises SourcesError listing every unusable spec, missing file, or HTTP source without a token.
    """
    built = BuiltSources([])
    problems: list[str] = []
    for spec_text in settings.sources:
        try:
            if spec_text == "simulator":
                simulated = settings.simulator or _demo_config(calendar, clock.now())
                built.sources.append(
                    SimulatorSource(
                        replace(simulated, seed=settings.simulator_seed),
                        realtime=True,
                        speed=settings.simulator_speed,
                        backfill_seconds=SIMULATOR_BACKFILL_SECONDS,
                        clock=clock.shifted,
                    )
                )
            elif spec_text == "http":
                if built.http_source is not None:
                    raise SourcesError("source http is given twice")
                built.http_source, built.events_token = _http_source(settings, clock.now)
                built.sources.append(built.http_source)
            else:
                spec = parse_source_spec(spec_text)
                # queue_log follows the live file unless the spec says follow=no.
                follow = None if "follow" in spec.options or spec.kind != "queue_log" else True
                if not spec.path.exists():
                    raise SourcesError(f"source {spec_text!r}: {spec.path} does not exist")
                built.sources.append(build_source(spec, follow=follow))
        except (SourcesError, SourceSpecError) as error:
            problems.append(str(error))
    if problems:
        raise SourcesError("\n".join(problems))
    return built


def _demo_config(calendar: Calendar | None, now: float) -> SimulatorConfig:
    """The embedded simulator, busy in every hour ``calendar`` is on duty (in its time zone)."""
    if calendar is None:
        return default_config()
    hours = on_duty_hours(calendar, now)
    return default_config(on_duty_hours=hours, timezone=calendar.timezone.key)


def _http_source(settings: ServeSettings, now: Callable[[], float]) -> tuple[HttpEventSource, str]:
    try:
        token = load_events_token(settings.events_token_file)
    except ValueError as error:
        raise SourcesError(str(error)) from None
    if token is None:
        raise SourcesError(
            "source http needs a bearer token: --events-token-file FILE or the environment "
            "variable KPI_TARGETS_EVENTS_TOKEN"
        )
    try:
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        journal = EventJournal(settings.state_dir / EVENTS_JOURNAL_FILE)
    except Exception as error:
        raise SourcesError(
            f"cannot open the event journal in {settings.state_dir}: {error}"
        ) from None
    return HttpEventSource(journal, clock=now), token
