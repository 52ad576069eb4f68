"""``kpi-targets serve``: sources feeding the KPI engine, ``/metrics`` and the admin app.

Threads: one per source (each calls ``engine.ingest`` through a sink that counts rejections and
when it last delivered), the target store's watcher (hand edits show within a second), and one
cheroot server per port (metrics, admin; see ``exporter.http_server``). The main thread waits for
signals: SIGHUP re-reads the settings and the web config (``exporter.reload``); SIGTERM or SIGINT
stop in an order that loses nothing: the admin server first (no more HTTP events accepted), then
the sources (the HTTP source finishes delivering what its journal holds), the journal, and last
the metrics server.

Here: prepare (targets, web config, clock, sources: every problem at once), start, stop. The
rest lives beside what it serves: the clock in ``exporter.simulator.clock``, building the sources
in ``exporter.sources.configured``, their threads and restarts in ``exporter.sources.supervisor``,
the rejection-log limiter in ``exporter.logs``, the signal queue in ``exporter.reload``.
"""

from __future__ import annotations

import logging
import signal
import ssl
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from prometheus_client import CollectorRegistry
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from exporter.admin import create_app
from exporter.admin.attainment import AttainmentReader
from exporter.admin.users import UserError, UserFile
from exporter.bundled import builtin_notice, targets_dir
from exporter.collector import (
    CatalogCollector,
    KpiCollector,
    SelfMetricsCollector,
    TargetVersionCollector,
    files_modified_at,
)
from exporter.config import Address, ServeSettings, SettingsSource, flag_of
from exporter.demo import demo_start, demo_start_note
from exporter.engine import EngineConfig, KpiEngine
from exporter.http_server import HttpServer, bind_error_reason, metrics_app
from exporter.logs import RejectionLogLimiter, configure_logging
from exporter.prometheus_http import PrometheusClient, PrometheusSetupError
from exporter.prometheus_http_config import (
    HttpClientConfig,
    HttpClientConfigError,
    load_http_client_config,
)
from exporter.reload import Signals, WebState, load_web, reload
from exporter.simulator.clock import SimulationClock, why_simulated
from exporter.sources.base import IngestStats, Source, SourceClock
from exporter.sources.configured import BuiltSources, SourcesError, build_sources
from exporter.sources.journal import EventJournal
from exporter.sources.supervisor import start_sources
from exporter.staffing_collector import StaffingCollector, StaffingPolicy
from exporter.targets.model import TargetSet
from exporter.targets.resolve import resolve
from exporter.targets.store import StoreError, TargetStore
from exporter.web_config import WebConfig, WebConfigError
from exporter.web_guard import WebGuard, WsgiApp
from exporter.web_tls import new_ssl_context

log = logging.getLogger(__name__)

_JOIN_TIMEOUT_SECONDS = 10.0


BUILTIN_READ_ONLY = (
    "these are the built-in example targets, which are read-only: run `kpi-targets init` for an "
    "editable copy in ./targets and start serve again there"
)


class StartupError(Exception):
    """Something that keeps ``serve`` from starting; one line per problem, each saying what and
    where."""


@dataclass
class _Runtime:
    """Everything ``serve`` started, so shutdown can stop it in order."""

    stop: threading.Event = field(default_factory=threading.Event)
    source_threads: list[threading.Thread] = field(default_factory=list)
    admin_server: HttpServer | None = None
    metrics_server: HttpServer | None = None
    journal: EventJournal | None = None  # the HTTP source's


def _configure_logging(settings: ServeSettings) -> None:
    configure_logging(
        settings.log_level,
        settings.log_format,
        {"exporter.sources.base": RejectionLogLimiter()},
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
    signals = Signals()
    try:
        prepared = _prepare(settings, runtime)
        if check_only:
            _say_ok(settings, prepared, out)
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
    prometheus: PrometheusClient | None = None  # for the admin UI's attainment


def _prepare(settings: ServeSettings, runtime: _Runtime) -> _Prepared:
    """Open the targets, the web config and the sources; StartupError listing every problem."""
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

    clock, demo_note = _clock(settings, store)
    built = BuiltSources([])
    try:
        on_duty = store.current().target_set.calendar if store is not None else None
        built = build_sources(settings, clock, on_duty)
        if built.http_source is not None:
            runtime.journal = built.http_source.journal
    except SourcesError as error:
        problems.extend(str(error).splitlines())
    prometheus = None
    try:
        prometheus = _prometheus_client(settings)
    except (HttpClientConfigError, PrometheusSetupError) as error:
        problems.extend(str(error).splitlines())
    if problems or store is None:
        raise StartupError("\n".join(problems))
    for problem in store.current().problems:
        log.warning("targets: %s", problem)
    return _Prepared(
        directory, builtin, store, web_config, web, clock, built, demo_note, prometheus
    )


def _prometheus_client(settings: ServeSettings) -> PrometheusClient | None:
    """The client of ``--prometheus-url`` (None without one), its HTTP config file read and every
    file it names loaded; HttpClientConfigError or PrometheusSetupError saying what is wrong."""
    file = settings.prometheus_http_config_file
    if settings.prometheus_url is None:
        if file is not None:
            raise HttpClientConfigError(
                f"{flag_of('prometheus_http_config_file')} {file} is set without "
                f"{flag_of('prometheus_url')}: set both, or neither"
            )
        return None
    config = load_http_client_config(file) if file is not None else HttpClientConfig()
    return PrometheusClient(settings.prometheus_url, config, settings.prometheus_timeout)


def _say_ok(settings: ServeSettings, prepared: _Prepared, out: TextIO) -> None:
    """``--check-only``'s answer when everything could be prepared."""
    version = prepared.store.current().version
    print(
        f"OK: targets in {prepared.directory} (version {version}), "
        f"sources {', '.join(settings.sources)}"
        + (f", web config {settings.web_config_file}" if settings.web_config_file else "")
        + (f", Prometheus {settings.prometheus_url}" if settings.prometheus_url else ""),
        file=out,
    )


def _clock(
    settings: ServeSettings, store: TargetStore | None
) -> tuple[SimulationClock, str | None]:
    """The exporter's clock, and why it starts in the past when the demo moves it there."""
    # The default run on the simulator alone starts where the calendar is on duty (exporter.demo).
    start, demo_note = settings.simulator_start, None
    if store is not None and settings.sources == ("simulator",) and start is None:
        calendar = store.current().target_set.calendar
        start = demo_start(calendar, time.time())
        if start is not None:
            demo_note = demo_start_note(calendar.timezone, start)
    clock = (
        SimulationClock(start=start, speed=settings.simulator_speed)
        if "simulator" in settings.sources
        else SimulationClock()
    )
    return clock, demo_note


def _start(settings: ServeSettings, prepared: _Prepared, runtime: _Runtime, out: TextIO) -> None:
    """Engine, collectors, both servers, the source threads and the targets watcher."""
    store, built, web = prepared.store, prepared.built, prepared.web
    loaded = store.current()
    engine = _engine(settings, loaded.target_set, built.sources)
    stats = IngestStats()
    source_clock = SourceClock()
    started = time.time()
    names = [item.name for item in built.sources]
    for name in names:
        # Until a source delivers, its "last event" is the start: a source that never delivers
        # during operating hours then shows as stalled.
        source_clock.touch(name, started)
    staffing = _staffing(settings, prepared, engine, runtime.stop)
    registry = _registry(engine, prepared, stats, source_clock, names, staffing)

    users = prepared.web_config.basic_auth_users
    metrics_guard, admin_guard = _apps(settings, prepared, registry, engine, staffing)
    web.guards = [metrics_guard, admin_guard]
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
    runtime.metrics_server = _start_server(settings.metrics_address, metrics_guard, "metrics", web)
    runtime.admin_server = _start_server(settings.admin_address, admin_guard, "admin", web)

    runtime.source_threads.extend(
        start_sources(
            built.sources, engine.ingest, stats, source_clock, prepared.clock.now, runtime.stop
        )
    )
    watcher = threading.Thread(
        target=store.watch, args=(runtime.stop,), name="targets-watch", daemon=True
    )
    watcher.start()
    _announce(settings, prepared, loaded.version, engine, web.ssl_context is not None, out)


def _engine(settings: ServeSettings, target_set: TargetSet, sources: list[Source]) -> KpiEngine:
    """The KPI engine the settings configure, with the scopes known before any event."""
    engine_options: dict[str, Any] = {"timezone": settings.timezone or target_set.calendar.timezone}
    if settings.service_level_variant is not None:
        engine_options["service_level_variant"] = settings.service_level_variant
    if settings.short_abandon_seconds is not None:
        engine_options["short_abandon_seconds"] = settings.short_abandon_seconds
    if settings.stale_waiting_seconds is not None:
        engine_options["stale_waiting_seconds"] = settings.stale_waiting_seconds
    engine = KpiEngine(EngineConfig(**engine_options))
    for scope in _known_scopes(sources, target_set):
        engine.declare(**scope)
    return engine


def _staffing(
    settings: ServeSettings, prepared: _Prepared, engine: KpiEngine, stop: threading.Event
) -> StaffingCollector:
    """The agents-needed collector, computing in its own thread, outside the scrape path."""
    store = prepared.store
    policy = StaffingPolicy(settings.staffing_max_occupancy, settings.staffing_patience_seconds)
    staffing = StaffingCollector(
        engine, lambda: store.current().target_set, resolve, policy, clock=prepared.clock.now
    )
    threading.Thread(target=staffing.run, args=(stop,), name="staffing", daemon=True).start()
    return staffing


def _registry(
    engine: KpiEngine,
    prepared: _Prepared,
    stats: IngestStats,
    source_clock: SourceClock,
    names: list[str],
    staffing: StaffingCollector,
) -> CollectorRegistry:
    """What ``/metrics`` exposes: KPIs and targets, the agents needed, the catalog, the targets'
    version, the exporter's own health, and the process and platform."""
    store = prepared.store
    # Our collectors have no describe(): without this, ?name[]= would filter them all out.
    registry = CollectorRegistry(support_collectors_without_names=True)
    registry.register(
        KpiCollector(engine, lambda: store.current().target_set, resolve, clock=prepared.clock.now)
    )
    registry.register(staffing)
    registry.register(CatalogCollector())
    target_files = (store.targets_path, store.calendar_path)
    registry.register(
        TargetVersionCollector(lambda: store.current().version, files_modified_at(*target_files))
    )
    registry.register(SelfMetricsCollector(stats, store, source_clock, names))
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    return registry


def _apps(
    settings: ServeSettings,
    prepared: _Prepared,
    registry: CollectorRegistry,
    engine: KpiEngine,
    staffing: StaffingCollector,
) -> tuple[WebGuard, WebGuard]:
    """The metrics app and the admin app, each behind its guard (the web config: rate limit,
    allowed SANs, basic auth, headers)."""
    store, built, clock = prepared.store, prepared.built, prepared.clock
    simulated = why_simulated(
        simulator="simulator" in settings.sources,
        demo_start=prepared.demo_note is not None,
        start_given=settings.simulator_start is not None,
        speed=settings.simulator_speed,
    )

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
            attainment=AttainmentReader(prepared.prometheus),
        )
    except OSError as error:
        message = f"cannot use the state directory {settings.state_dir}: {error}"
        raise StartupError(message) from None
    admin_app.config["SIMULATED_CLOCK"] = simulated
    admin_app.config["STAFFING_ROWS"] = staffing.rows  # the preview's agents needed
    admin_auth = WebGuard(
        admin_app,
        prepared.web_config,
        exempt=("/api/v1/events",),  # authenticated by its own bearer token
    )
    return metrics_auth, admin_auth


def _announce(
    settings: ServeSettings,
    prepared: _Prepared,
    version: str,
    engine: KpiEngine,
    tls: bool,
    out: TextIO,
) -> None:
    """Where to point a browser and Prometheus (on ``out``), and what serves what (logged)."""
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
        version,
        engine.config.timezone.key,
    )
    if prepared.demo_note:
        log.info("simulator: %s", prepared.demo_note)


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
