"""``kpi-targets serve``: sources feeding the KPI engine, ``/metrics`` and the admin app.

Threads: one per source (each calls ``engine.ingest`` through a sink that counts rejections and
when it last delivered), the target store's watcher (hand edits show within a second), and one
cheroot server per port (metrics, admin; see ``exporter.http_server``). The main thread waits for
signals: SIGHUP re-reads the settings and the web config (``reload``); SIGTERM or SIGINT stop in an
order that loses nothing: the admin server first (no more HTTP events accepted), then the sources
(the HTTP source finishes delivering what its journal holds), the journal, and last the metrics
server.
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
from typing import Any, TextIO

from prometheus_client import CollectorRegistry
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from exporter.bundled import builtin_notice, targets_dir
from exporter.collector import CatalogCollector, KpiCollector, SelfMetricsCollector, SourceClock
from exporter.config import SPECS, ConfigError, ServeSettings, SettingsSource
from exporter.engine import EngineConfig, KpiEngine
from exporter.events import Event
from exporter.http_server import HttpServer, bind_error_reason, metrics_app
from exporter.logs import configure_logging
from exporter.sources.base import EventSink, IngestStats, Source
from exporter.web_config import (
    BasicAuth,
    WebConfig,
    WebConfigError,
    configure_ssl_context,
    load_web_config,
    new_ssl_context,
)

log = logging.getLogger(__name__)

# The simulator starts this far in the past (handed on at once) so Hourly KPIs have data from the
# first scrape.
SIMULATOR_BACKFILL_SECONDS = 3600.0
EVENTS_JOURNAL_FILE = "events.sqlite3"
_JOIN_TIMEOUT_SECONDS = 10.0


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


def build_sources(settings: ServeSettings, clock: SimulationClock) -> BuiltSources:
    """The sources the settings name (each checked: spec, file, token).

    Raises StartupError listing every unusable spec, missing file, or HTTP source without a token.
    """
    from exporter.sources.spec import SourceSpecError, build_source, parse_source_spec

    built = BuiltSources([])
    problems: list[str] = []
    for spec_text in settings.sources:
        try:
            if spec_text == "simulator":
                from exporter.sources.simulator import SimulatorSource, default_config

                built.sources.append(
                    SimulatorSource(
                        default_config(seed=settings.simulator_seed),
                        realtime=True,
                        speed=settings.simulator_speed,
                        backfill_seconds=SIMULATOR_BACKFILL_SECONDS,
                        clock=clock.shifted,
                    )
                )
            elif spec_text == "http":
                if built.http_source is not None:
                    raise StartupError("source http is given twice")
                built.http_source, built.events_token = _http_source(settings)
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


def _http_source(settings: ServeSettings) -> tuple[Any, str]:
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
    return HttpEventSource(journal), token


# An event stamped further ahead of the exporter's clock than this is refused ("from_the_future"):
# accepted, it would move the engine's out-of-order window, and every later event of every source
# would then be rejected as too old. Five minutes absorbs ordinary clock skew between PBX and host.
FUTURE_TOLERANCE_SECONDS = 300.0


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
            reason: str | None = "from_the_future"
        else:
            reason = ingest(event)
        touch(name, wall())
        if reason is not None:
            stats.rejected(name, reason, where=f"event at {event.at:.3f}")

    return sink


def _run_source(source: Source, sink: EventSink, stats: IngestStats, stop: threading.Event) -> None:
    try:
        source.run(sink, stats, stop)
    except Exception:
        log.exception("source %s failed and stopped", source.name)
        return
    if not stop.is_set():
        log.info("source %s reached the end of its input", source.name)


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


# Settings a SIGHUP applies to the running process; the others need a restart (and say so).
LIVE_SETTINGS = ("log_level", "log_format", "web_config_file")


def _log_filters() -> dict[str, logging.Filter]:
    return {"exporter.sources.base": _RejectionLogLimiter()}


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
    configure_logging(settings.log_level, settings.log_format, _log_filters())
    runtime = _Runtime()
    try:
        return _serve(settings, source or SettingsSource(), check_only, out, runtime)
    except StartupError as error:
        for line in str(error).splitlines():
            log.error("%s", line)
        _shutdown(runtime)
        return 1


@dataclass
class _Web:
    """The web config in force: the TLS context both ports share and their basic auth."""

    ssl_context: ssl.SSLContext | None = None
    auths: list[BasicAuth] = field(default_factory=list)


def _load_web(settings: ServeSettings) -> WebConfig:
    if settings.web_config_file is None:
        return WebConfig()
    return load_web_config(settings.web_config_file)


def _serve(
    settings: ServeSettings,
    source: SettingsSource,
    check_only: bool,
    out: TextIO,
    runtime: _Runtime,
) -> int:
    from exporter.admin import create_app
    from exporter.demo import demo_start
    from exporter.targets.resolve import resolve
    from exporter.targets.store import StoreError, TargetStore

    # Signals first: a SIGHUP during start-up must not end the process (its default action).
    pending: list[signal.Signals] = []
    wake = threading.Event()

    def on_signal(number: int, _frame: object) -> None:
        pending.append(signal.Signals(number))
        wake.set()

    previous = {
        sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    }
    try:
        problems: list[str] = []
        directory, builtin = targets_dir(settings.targets)
        store = None
        try:
            store = TargetStore(directory)
        except StoreError as error:
            problems.append(f"targets: {error}")
        web = _Web()
        web_config = WebConfig()
        try:
            web_config = _load_web(settings)
            if web_config.tls is not None:
                web.ssl_context = new_ssl_context(web_config.tls)
        except WebConfigError as error:
            problems.extend(str(error).splitlines())

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
        try:
            built = build_sources(settings, clock)
            if built.http_source is not None:
                runtime.journal = built.http_source.journal
        except StartupError as error:
            problems.extend(str(error).splitlines())
        if problems or store is None:
            raise StartupError("\n".join(problems))
        loaded = store.current()
        for problem in loaded.problems:
            log.warning("targets: %s", problem)

        if check_only:
            print(
                f"OK: targets in {directory} (version {loaded.version}), "
                f"sources {', '.join(settings.sources)}"
                + (f", web config {settings.web_config_file}" if settings.web_config_file else ""),
                file=out,
            )
            _shutdown(runtime)
            return 0

        engine_options: dict[str, Any] = {
            "timezone": settings.timezone or loaded.target_set.calendar.timezone
        }
        if settings.service_level_variant is not None:
            engine_options["service_level_variant"] = settings.service_level_variant
        if settings.short_abandon_seconds is not None:
            engine_options["short_abandon_seconds"] = settings.short_abandon_seconds
        engine = KpiEngine(EngineConfig(**engine_options))

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
            KpiCollector(engine, lambda: store.current().target_set, resolve, clock=clock.now)
        )
        registry.register(CatalogCollector())
        registry.register(SelfMetricsCollector(stats, store, source_clock, names))
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)

        users = web_config.basic_auth_users
        metrics_auth = BasicAuth(metrics_app(registry), users)
        admin_auth = BasicAuth(
            create_app(http_events=built.http_source, events_token=built.events_token),
            users,
            exempt=("/api/v1/events",),  # authenticated by its own bearer token
        )
        web.auths = [metrics_auth, admin_auth]
        for address, what in (
            (settings.metrics_address, "metrics"),
            (settings.admin_address, "the admin UI"),
        ):
            if not address.is_loopback:
                log.warning(
                    "%s listens on %s, beyond this machine: %s",
                    what,
                    address,
                    "use a firewall"
                    if web.ssl_context and users
                    else "set TLS and basic auth with --web.config.file, and use a firewall",
                )
        runtime.metrics_server = _start_server(
            settings.metrics_address, metrics_auth, "metrics", web.ssl_context
        )
        runtime.admin_server = _start_server(
            settings.admin_address, admin_auth, "the admin UI", web.ssl_context
        )

        stop = runtime.stop
        for item in built.sources:
            sink = _sink_for(item.name, engine, stats, source_clock, clock.now)
            thread = threading.Thread(
                target=_run_source, args=(item, sink, stats, stop), name=f"source-{item.name}"
            )
            thread.start()
            runtime.source_threads.append(thread)
        watcher = threading.Thread(
            target=store.watch, args=(stop,), name="targets-watch", daemon=True
        )
        watcher.start()

        tls = web.ssl_context is not None
        print(f"Admin UI: {settings.admin_address.url('/', tls=tls)}", file=out, flush=True)
        print(f"Metrics: {settings.metrics_address.url('/metrics', tls=tls)}", file=out)
        print(f"Targets: {builtin_notice() if builtin else directory}", file=out)
        if demo_note:
            print(f"Simulator: {demo_note}", file=out)
        out.flush()
        log.info(
            "serving metrics on %s and the admin UI on %s%s; sources: %s; targets: %s (version %s, "
            "time zone %s)",
            settings.metrics_address,
            settings.admin_address,
            " over TLS" if tls else "",
            ", ".join(settings.sources),
            directory,
            loaded.version,
            engine.config.timezone.key,
        )
        if demo_note:
            log.info("simulator: %s", demo_note)

        while True:
            wake.wait(1.0)
            wake.clear()
            while pending:
                received = pending.pop(0)
                if received == signal.SIGHUP:
                    settings = reload(source, settings, web, store.reload_if_changed)
                else:
                    log.info("received %s, shutting down", received.name)
                    _shutdown(runtime)
                    log.info("stopped")
                    return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _demo_note(zone: Any, start: float) -> str:
    local = datetime.fromtimestamp(start, zone)
    return (
        f"the calendar ({zone.key}) is off duty now, so the simulation starts at "
        f"{local:%a %Y-%m-%d %H:%M %z}, the last time it was on duty, and runs from there: KPIs "
        "and targets show at once (--simulator-start chooses another start)"
    )


def _start_server(
    address: Any, app: Any, what: str, ssl_context: ssl.SSLContext | None
) -> HttpServer:
    server = HttpServer(
        address, app, name=f"http-{what.split()[-1].lower()}", ssl_context=ssl_context
    )
    try:
        server.start()
    except OSError as error:
        raise StartupError(
            f"cannot listen on {address} for {what}: {bind_error_reason(error)}"
        ) from None
    return server


def reload(
    source: SettingsSource,
    settings: ServeSettings,
    web: _Web,
    reload_targets: Callable[[], bool],
) -> ServeSettings:
    """SIGHUP: read the settings and the web config again and apply what can change live (log
    level and format, basic auth users, TLS certificate); log what needs a restart. An invalid
    config is logged and changes nothing. The targets are re-read too. The settings in force."""
    where = str(source.config_file or "the settings")
    try:
        new = source.load()
        new_web = _load_web(new)
        if new_web.tls is not None:
            new_ssl_context(new_web.tls)  # every file readable, before touching the live one
    except (ConfigError, WebConfigError) as error:
        log.error(
            "reload of %s failed, the running config stays in force: %s",
            where,
            "; ".join(str(error).splitlines()),
        )
        return settings
    restart = [
        name
        for name in SPECS
        if name not in LIVE_SETTINGS and getattr(new, name) != getattr(settings, name)
    ]
    if (new_web.tls is None) != (web.ssl_context is None):
        restart.append("TLS on or off")
    elif new_web.tls is not None and web.ssl_context is not None:
        configure_ssl_context(web.ssl_context, new_web.tls)
    for auth in web.auths:
        auth.set_users(new_web.basic_auth_users)
    configure_logging(new.log_level, new.log_format, _log_filters())
    reload_targets()
    log.info("reloaded %s (on SIGHUP)", where)
    if restart:
        log.warning("changed, but applied only after a restart: %s", ", ".join(restart))
    return replace(settings, **{name: getattr(new, name) for name in LIVE_SETTINGS})


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
