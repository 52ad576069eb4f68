"""``kpi-targets serve``: sources feeding the KPI engine, ``/metrics`` and the admin app.

Threads: one per source (each calls ``engine.ingest`` through a sink that counts rejections and
when it last delivered), the target store's watcher (hand edits show within a second), and one
cheroot server per port (metrics, admin; see ``exporter.http_server``). The main thread waits for
signals: SIGHUP re-reads the settings and the web config (``exporter.reload``); SIGTERM or SIGINT
stop in an order that loses nothing: the admin server first (no more HTTP events accepted), then
the sources (the HTTP source finishes delivering what its journal holds), the journal, and last
the metrics server.
"""

from __future__ import annotations

import logging
import signal
import ssl
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from zoneinfo import ZoneInfo

from prometheus_client import CollectorRegistry
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from exporter.bundled import builtin_notice, targets_dir
from exporter.collector import (
    CatalogCollector,
    KpiCollector,
    SelfMetricsCollector,
    SourceClock,
    TargetVersionCollector,
    files_modified_at,
)
from exporter.config import Address, ServeSettings, SettingsSource
from exporter.engine import EngineConfig, KpiEngine
from exporter.engine.validation import FROM_THE_FUTURE, FUTURE_TOLERANCE_SECONDS
from exporter.events import Event
from exporter.http_server import HttpServer, bind_error_reason, metrics_app
from exporter.logs import configure_logging
from exporter.reload import WebState, load_web, reload
from exporter.sources.base import EventSink, IngestStats, Source
from exporter.targets.model import Calendar, TargetSet
from exporter.targets.store import TargetStore
from exporter.web_config import WebConfig, WebConfigError
from exporter.web_guard import WebGuard, WsgiApp
from exporter.web_tls import new_ssl_context

if TYPE_CHECKING:
    from exporter.simulator.config import SimulatorConfig

log = logging.getLogger(__name__)

# The simulator starts this far in the past (handed on at once) so Hourly KPIs have data from the
# first scrape.
SIMULATOR_BACKFILL_SECONDS = 3600.0
EVENTS_JOURNAL_FILE = "events.sqlite3"
_JOIN_TIMEOUT_SECONDS = 10.0


BUILTIN_READ_ONLY = (
    "these are the built-in example targets, which are read-only: run `kpi-targets init` for an "
    "editable copy in ./targets and start serve again there"
)


class StartupError(Exception):
    """Something that keeps ``serve`` from starting; one line per problem, each saying what and
    where."""


class SimulationClock:
    """The exporter's clock: the wall clock, or with the simulator shifted to ``start`` and run
    ``speed`` times faster, so scrapes look at the simulated present.

    ``shifted`` is handed to the simulator (which applies ``speed`` itself); its first call fixes
    the anchor from which ``now`` runs ``speed`` times faster, so both agree exactly.
    """

    def __init__(
        self,
        *,
        start: float | None = None,
        speed: float = 1.0,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._wall = wall
        self._offset = 0.0 if start is None else start - wall()
        self._speed = speed
        self._anchor: float | None = None

    def shifted(self) -> float:
        at = self._wall() + self._offset
        if self._anchor is None:
            self._anchor = at
        return at

    def now(self) -> float:
        at = self._wall() + self._offset
        anchor = self._anchor if self._anchor is not None else at
        return anchor + (at - anchor) * self._speed


@dataclass
class _Runtime:
    """Everything ``serve`` started, so shutdown can stop it in order."""

    stop: threading.Event = field(default_factory=threading.Event)
    source_threads: list[threading.Thread] = field(default_factory=list)
    admin_server: HttpServer | None = None
    metrics_server: HttpServer | None = None
    journal: Any = None  # the HTTP source's EventJournal


@dataclass
class BuiltSources:
    sources: list[Source]
    http_source: Any = None  # HttpEventSource, for the admin app's POST /api/v1/events
    events_token: str | None = None


def build_sources(
    settings: ServeSettings, clock: SimulationClock, calendar: Calendar | None = None
) -> BuiltSources:
    """The sources the settings name (each checked: spec, file, token). The embedded simulator
    (no ``simulator:`` section) has contacts in every hour ``calendar`` is on duty, in its zone.

    Raises StartupError listing every unusable spec, missing file, or HTTP source without a token.
    """
    from exporter.sources.spec import SourceSpecError, build_source, parse_source_spec

    built = BuiltSources([])
    problems: list[str] = []
    for spec_text in settings.sources:
        try:
            if spec_text == "simulator":
                from exporter.simulator import SimulatorSource

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
                    raise StartupError("source http is given twice")
                built.http_source, built.events_token = _http_source(settings, clock.now)
                built.sources.append(built.http_source)
            else:
                spec = parse_source_spec(spec_text)
                # queue_log follows the live file unless the spec says follow=no.
                follow = None if "follow" in spec.options or spec.kind != "queue_log" else True
                if not spec.path.exists():
                    raise StartupError(f"source {spec_text!r}: {spec.path} does not exist")
                built.sources.append(build_source(spec, follow=follow))
        except (StartupError, SourceSpecError) as error:
            problems.append(str(error))
    if problems:
        raise StartupError("\n".join(problems))
    return built


def _demo_config(calendar: Calendar | None, now: float) -> SimulatorConfig:
    """The embedded simulator, busy in every hour ``calendar`` is on duty (in its time zone)."""
    from exporter.demo import on_duty_hours
    from exporter.simulator import default_config

    if calendar is None:
        return default_config()
    hours = on_duty_hours(calendar, now)
    return default_config(on_duty_hours=hours, timezone=calendar.timezone.key)


def _http_source(settings: ServeSettings, now: Callable[[], float]) -> tuple[Any, str]:
    from exporter.sources.http_events import HttpEventSource, load_events_token
    from exporter.sources.journal import EventJournal

    try:
        token = load_events_token(settings.events_token_file)
    except ValueError as error:
        raise StartupError(str(error)) from None
    if token is None:
        raise StartupError(
            "source http needs a bearer token: --events-token-file FILE or the environment "
            "variable KPI_TARGETS_EVENTS_TOKEN"
        )
    try:
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        journal = EventJournal(settings.state_dir / EVENTS_JOURNAL_FILE)
    except Exception as error:
        raise StartupError(
            f"cannot open the event journal in {settings.state_dir}: {error}"
        ) from None
    return HttpEventSource(journal, clock=now), token


def _sink_for(
    name: str,
    engine: KpiEngine,
    stats: IngestStats,
    source_clock: SourceClock,
    now: Callable[[], float],
) -> EventSink:
    ingest = engine.ingest
    touch = source_clock.touch
    wall = time.time

    def sink(event: Event) -> None:
        if event.at > now() + FUTURE_TOLERANCE_SECONDS:
            reason: str | None = FROM_THE_FUTURE
        else:
            reason = ingest(event)
        touch(name, wall())
        if reason is not None:
            stats.rejected(name, reason, where=f"event at {event.at:.3f}")

    return sink


# A failed source is started again after a pause: 1 s, doubling up to a minute.
RETRY_FIRST_SECONDS = 1.0
RETRY_MAX_SECONDS = 60.0


def run_source(
    source: Source,
    sink: EventSink,
    stats: IngestStats,
    stop: threading.Event,
    *,
    first_delay: float = RETRY_FIRST_SECONDS,
    max_delay: float = RETRY_MAX_SECONDS,
) -> None:
    """Run ``source`` until ``stop``, starting it again whenever it fails (``stats`` shows it down
    and counts the failure meanwhile). The pause doubles after each failure up to ``max_delay``,
    and starts again from ``first_delay`` after a run that lasted longer than ``max_delay``."""
    delay = first_delay
    while not stop.is_set():
        stats.running(source.name)
        started = time.monotonic()
        try:
            source.run(sink, stats, stop)
        except Exception as error:
            stats.failed(source.name)
            if time.monotonic() - started > max_delay:
                delay = first_delay
            log.error(
                "source %s failed (%s: %s); starting it again in %g s",
                source.name,
                type(error).__name__,
                error,
                delay,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            stop.wait(delay)
            delay = min(delay * 2, max_delay)
            continue
        if not stop.is_set():
            log.info("source %s reached the end of its input", source.name)
        return


class _RejectionLogLimiter(logging.Filter):
    """At most ``limit`` rejection lines a minute: a flood of bad input summarises instead."""

    def __init__(self, limit: int = 20, window: float = 60.0) -> None:
        super().__init__()
        self._limit = limit
        self._window = window
        self._window_start = time.monotonic()
        self._logged = 0
        self.suppressed = 0

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        if now - self._window_start >= self._window:
            if self.suppressed:
                log.warning(
                    "%d more rejected events in the last minute were not logged one by one "
                    "(kpi_targets_events_rejected_total counts them all)",
                    self.suppressed,
                )
            self._window_start, self._logged, self.suppressed = now, 0, 0
        if self._logged < self._limit:
            self._logged += 1
            return True
        self.suppressed += 1
        return False


def _configure_logging(settings: ServeSettings) -> None:
    configure_logging(
        settings.log_level,
        settings.log_format,
        {"exporter.sources.base": _RejectionLogLimiter()},
    )


def serve(
    settings: ServeSettings,
    *,
    source: SettingsSource | None = None,
    check_only: bool = False,
    out: TextIO = sys.stdout,
) -> int:
    """Run until SIGTERM or SIGINT (exit 0); 1 when it cannot start, with every reason logged.

    ``source`` is where the settings came from, read again on SIGHUP. ``check_only``: prepare
    everything (targets, web config, sources), say OK on ``out`` and exit 0, or list every problem.
    """
    _configure_logging(settings)
    runtime = _Runtime()
    # Signals first: a SIGHUP during start-up must not end the process (its default action).
    signals = _Signals()
    try:
        prepared = _prepare(settings, runtime)
        if check_only:
            version = prepared.store.current().version
            print(
                f"OK: targets in {prepared.directory} (version {version}), "
                f"sources {', '.join(settings.sources)}"
                + (f", web config {settings.web_config_file}" if settings.web_config_file else ""),
                file=out,
            )
            _shutdown(runtime)
            return 0
        _start(settings, prepared, runtime, out)
        while True:
            received = signals.next()
            if received == signal.SIGHUP:
                settings = reload(
                    source or SettingsSource(),
                    settings,
                    prepared.web,
                    configure_logging=_configure_logging,
                    reload_targets=prepared.store.reload_if_changed,
                )
            else:
                log.info("received %s, shutting down", received.name)
                _shutdown(runtime)
                log.info("stopped")
                return 0
    except StartupError as error:
        for line in str(error).splitlines():
            log.error("%s", line)
        _shutdown(runtime)
        return 1
    finally:
        signals.restore()


class _Signals:
    """SIGTERM, SIGINT and SIGHUP, queued for the main thread to handle one by one."""

    HANDLED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

    def __init__(self) -> None:
        self._pending: list[signal.Signals] = []
        self._wake = threading.Event()
        self._previous = {sig: signal.signal(sig, self._on_signal) for sig in self.HANDLED}

    def _on_signal(self, number: int, _frame: object) -> None:
        self._pending.append(signal.Signals(number))
        self._wake.set()

    def next(self) -> signal.Signals:
        while not self._pending:
            self._wake.wait(1.0)
            self._wake.clear()
        return self._pending.pop(0)

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


@dataclass
class _Prepared:
    """What ``serve`` checked before listening: targets, web config, clock, sources."""

    directory: Path
    builtin: bool
    store: TargetStore
    web_config: WebConfig
    web: WebState
    clock: SimulationClock
    built: BuiltSources
    demo_note: str | None


def _prepare(settings: ServeSettings, runtime: _Runtime) -> _Prepared:
    """Open the targets, the web config and the sources; StartupError listing every problem."""
    from exporter.demo import demo_start
    from exporter.targets.store import StoreError

    problems: list[str] = []
    directory, builtin = targets_dir(settings.targets)
    store = None
    try:
        store = TargetStore(
            directory,
            record_outside_changes=not builtin,
            read_only=BUILTIN_READ_ONLY if builtin else None,
        )
    except StoreError as error:
        problems.append(f"targets: {error}")
    web = WebState()
    web_config = WebConfig()
    try:
        web_config = load_web(settings)
        if web_config.tls is not None:
            web.ssl_context = new_ssl_context(web_config.tls)
    except WebConfigError as error:
        problems.extend(str(error).splitlines())

    # The default run on the simulator alone starts where the calendar is on duty (exporter.demo).
    start, demo_note = settings.simulator_start, None
    if store is not None and settings.sources == ("simulator",) and start is None:
        calendar = store.current().target_set.calendar
        start = demo_start(calendar, time.time())
        if start is not None:
            demo_note = _demo_note(calendar.timezone, start)
    clock = (
        SimulationClock(start=start, speed=settings.simulator_speed)
        if "simulator" in settings.sources
        else SimulationClock()
    )
    built = BuiltSources([])
    try:
        on_duty = store.current().target_set.calendar if store is not None else None
        built = build_sources(settings, clock, on_duty)
        if built.http_source is not None:
            runtime.journal = built.http_source.journal
    except StartupError as error:
        problems.extend(str(error).splitlines())
    if problems or store is None:
        raise StartupError("\n".join(problems))
    for problem in store.current().problems:
        log.warning("targets: %s", problem)
    return _Prepared(directory, builtin, store, web_config, web, clock, built, demo_note)


def _start(settings: ServeSettings, prepared: _Prepared, runtime: _Runtime, out: TextIO) -> None:
    """Engine, collectors, both servers, the source threads and the targets watcher."""
    from exporter.admin import create_app
    from exporter.targets.resolve import resolve

    store, built, web = prepared.store, prepared.built, prepared.web
    loaded = store.current()
    engine_options: dict[str, Any] = {
        "timezone": settings.timezone or loaded.target_set.calendar.timezone
    }
    if settings.service_level_variant is not None:
        engine_options["service_level_variant"] = settings.service_level_variant
    if settings.short_abandon_seconds is not None:
        engine_options["short_abandon_seconds"] = settings.short_abandon_seconds
    if settings.stale_waiting_seconds is not None:
        engine_options["stale_waiting_seconds"] = settings.stale_waiting_seconds
    engine = KpiEngine(EngineConfig(**engine_options))

    for scope in _known_scopes(built.sources, loaded.target_set):
        engine.declare(**scope)

    stats = IngestStats()
    source_clock = SourceClock()
    started = time.time()
    names = [item.name for item in built.sources]
    for name in names:
        # Until a source delivers, its "last event" is the start: a source that never delivers
        # during operating hours then shows as stalled.
        source_clock.touch(name, started)
    # Our collectors have no describe(): without this, ?name[]= would filter them all out.
    registry = CollectorRegistry(support_collectors_without_names=True)
    registry.register(
        KpiCollector(engine, lambda: store.current().target_set, resolve, clock=prepared.clock.now)
    )
    registry.register(CatalogCollector())
    target_files = (prepared.store.targets_path, prepared.store.calendar_path)
    registry.register(
        TargetVersionCollector(lambda: store.current().version, files_modified_at(*target_files))
    )
    registry.register(SelfMetricsCollector(stats, store, source_clock, names))
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)

    users = prepared.web_config.basic_auth_users
    clock = prepared.clock
    simulated = _simulated_clock(settings, prepared.demo_note)

    def clock_note() -> str | None:
        if simulated is None:
            return None
        local = datetime.fromtimestamp(clock.now(), store.current().target_set.calendar.timezone)
        return f"simulated time: {local:%a %d %b %H:%M %Z} ({simulated})"

    metrics_auth = WebGuard(metrics_app(registry, clock_note), prepared.web_config)
    try:
        admin_app = create_app(
            http_events=built.http_source,
            events_token=built.events_token,
            store=store,
            state_dir=settings.state_dir,
            clock=clock.now,
            seen_labels=lambda: labels_seen(engine, clock.now()),
        )
    except OSError as error:
        message = f"cannot use the state directory {settings.state_dir}: {error}"
        raise StartupError(message) from None
    admin_app.config["SIMULATED_CLOCK"] = simulated
    admin_auth = WebGuard(
        admin_app,
        prepared.web_config,
        exempt=("/api/v1/events",),  # authenticated by its own bearer token
    )
    web.guards = [metrics_auth, admin_auth]
    for address, what in ((settings.metrics_address, "metrics"), (settings.admin_address, "admin")):
        if not address.is_loopback:
            log.warning(
                "%s listens on %s, beyond this machine: %s",
                what,
                address,
                "use a firewall"
                if web.ssl_context and users
                else "set TLS and basic auth with --web.config.file, and use a firewall",
            )
    runtime.metrics_server = _start_server(settings.metrics_address, metrics_auth, "metrics", web)
    runtime.admin_server = _start_server(settings.admin_address, admin_auth, "admin", web)

    for item in built.sources:
        sink = _sink_for(item.name, engine, stats, source_clock, prepared.clock.now)
        thread = threading.Thread(
            target=run_source, args=(item, sink, stats, runtime.stop), name=f"source-{item.name}"
        )
        thread.start()
        runtime.source_threads.append(thread)
    watcher = threading.Thread(
        target=store.watch, args=(runtime.stop,), name="targets-watch", daemon=True
    )
    watcher.start()

    tls = web.ssl_context is not None
    print(f"Admin UI: {settings.admin_address.url('/', tls=tls)}", file=out)
    print(f"Metrics: {settings.metrics_address.url('/metrics', tls=tls)}", file=out)
    print(f"Targets: {builtin_notice() if prepared.builtin else prepared.directory}", file=out)
    if prepared.demo_note:
        print(f"Simulator: {prepared.demo_note}", file=out)
    _say_how_to_add_the_first_admin(settings, out)
    out.flush()
    log.info(
        "serving metrics on %s and the admin UI on %s%s; sources: %s; targets: %s (version %s, "
        "time zone %s)",
        settings.metrics_address,
        settings.admin_address,
        " over TLS" if tls else "",
        ", ".join(settings.sources),
        prepared.directory,
        loaded.version,
        engine.config.timezone.key,
    )
    if prepared.demo_note:
        log.info("simulator: %s", prepared.demo_note)


def _simulated_clock(settings: ServeSettings, demo_note: str | None) -> str | None:
    """Why the exporter's clock is not the wall clock, in words; None when it is."""
    if "simulator" not in settings.sources:
        return None
    if demo_note is not None:
        return "the simulation started at the last on-duty moment"
    if settings.simulator_start is not None:
        return "the simulation started at --simulator-start"
    if settings.simulator_speed != 1.0:
        return f"the simulation runs {settings.simulator_speed:g} times real time"
    return None


def _demo_note(zone: ZoneInfo, start: float) -> str:
    local = datetime.fromtimestamp(start, zone)
    return (
        f"the calendar ({zone.key}) is off duty now, so the simulation starts at "
        f"{local:%a %Y-%m-%d %H:%M %z}, the last time it was on duty, and runs from there: KPIs "
        "and targets show at once (--simulator-start chooses another start)"
    )


def _start_server(address: Address, app: WsgiApp, what: str, web: WebState) -> HttpServer:
    def tls() -> ssl.SSLContext:
        assert web.ssl_context is not None  # TLS cannot be turned off without a restart
        return web.ssl_context

    server = HttpServer(
        address, app, name=f"http-{what}", tls=tls if web.ssl_context is not None else None
    )
    try:
        server.start()
    except OSError as error:
        raise StartupError(
            f"cannot listen on {address} for {what}: {bind_error_reason(error)}"
        ) from None
    return server


def labels_seen(engine: KpiEngine, now: float) -> dict[str, set[str]]:
    """Label -> the values in the KPI series now (the admin UI suggests them as scopes)."""
    found: dict[str, set[str]] = {}
    for sample in engine.snapshot(now).kpis:
        for label, value in sample.labels:
            found.setdefault(label, set()).add(value)
    return found


def _say_how_to_add_the_first_admin(settings: ServeSettings, out: TextIO) -> None:
    from exporter.admin.users import UserError, UserFile

    try:
        has_users = bool(UserFile(settings.state_dir).users())
    except UserError as error:
        log.error("%s", error)
        return
    if not has_users:
        print(
            "No users yet: create the first admin with "
            f"`kpi-targets users add NAME --role admin --state-dir {settings.state_dir}`",
            file=out,
            flush=True,
        )


def _known_scopes(sources: list[Source], target_set: TargetSet) -> list[dict[str, str]]:
    """Scopes known before any event, whose counters start at 0 so ``increase()`` sees their
    first contact: the simulator's queues and agents, and targets naming a queue and channel or a
    campaign."""
    scopes = [scope for source in sources for scope in getattr(source, "known_scopes", list)()]
    for target in target_set.targets:
        labels = dict(target.scope)
        if "queue" in labels and "channel" in labels:
            scopes.append({"queue": labels["queue"], "channel": labels["channel"]})
        if "campaign" in labels:
            scopes.append({"campaign": labels["campaign"]})
    return scopes


def _shutdown(runtime: _Runtime) -> None:
    """Admin server, then sources (set stop, join), then the journal, then the metrics server."""
    if runtime.admin_server is not None:
        runtime.admin_server.stop()  # first: no HTTP event is accepted any more
        runtime.admin_server = None
    runtime.stop.set()
    for thread in runtime.source_threads:
        thread.join(_JOIN_TIMEOUT_SECONDS)
        if thread.is_alive():
            log.warning("%s did not stop within %.0f s", thread.name, _JOIN_TIMEOUT_SECONDS)
    runtime.source_threads.clear()
    if runtime.journal is not None:
        runtime.journal.close()  # every accepted event is committed; replayed on the next start
        runtime.journal = None
    if runtime.metrics_server is not None:
        runtime.metrics_server.stop()
        runtime.metrics_server = None
