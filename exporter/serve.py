"""``kpi-targets serve``: sources feeding the KPI engine, ``/metrics`` and the admin app.

Threads: one per source (each calls ``engine.ingest`` through a sink that counts rejections and
when it last delivered), the target store's watcher (hand edits show within a second), and one
threaded WSGI server per port (metrics, admin). The main thread waits for SIGTERM or SIGINT, then
stops in an order that loses nothing: the admin server first (no more HTTP events accepted), then
the sources (the HTTP source finishes delivering what its journal holds), the journal, and last
the metrics server.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from werkzeug.serving import BaseWSGIServer, make_server

from exporter.collector import (
    CatalogCollector,
    KpiCollector,
    SelfMetricsCollector,
    SourceClock,
    TargetVersionCollector,
    files_modified_at,
)
from exporter.config import Address, ServeSettings, log_level_number
from exporter.engine import EngineConfig, KpiEngine
from exporter.events import Event
from exporter.sources.base import EventSink, IngestStats, Source
from exporter.targets.model import TargetSet

log = logging.getLogger(__name__)

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The simulator starts this far in the past (handed on at once) so Hourly KPIs have data from the
# first scrape.
SIMULATOR_BACKFILL_SECONDS = 3600.0
EVENTS_JOURNAL_FILE = "events.sqlite3"
_JOIN_TIMEOUT_SECONDS = 10.0


class StartupError(Exception):
    """Something that keeps ``serve`` from starting; the message says what and where."""


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
    admin_server: BaseWSGIServer | None = None
    metrics_server: BaseWSGIServer | None = None
    journal: Any = None  # the HTTP source's EventJournal


@dataclass
class BuiltSources:
    sources: list[Source]
    http_source: Any = None  # HttpEventSource, for the admin app's POST /api/v1/events
    events_token: str | None = None


def build_sources(settings: ServeSettings, clock: SimulationClock) -> BuiltSources:
    """The sources the settings name (each checked: spec, file, token).

    Raises StartupError for an unusable spec, a missing file, or an HTTP source without a token.
    """
    from exporter.sources.spec import SourceSpecError, build_source, parse_source_spec

    built = BuiltSources([])
    for spec_text in settings.sources:
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
            try:
                spec = parse_source_spec(spec_text)
                # queue_log follows the live file unless the spec says follow=no.
                follow = None if "follow" in spec.options or spec.kind != "queue_log" else True
                if not spec.path.exists():
                    raise StartupError(f"source {spec_text!r}: {spec.path} does not exist")
                built.sources.append(build_source(spec, follow=follow))
            except SourceSpecError as error:
                raise StartupError(str(error)) from None
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


def _listen(address: Address, what: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in address.host else socket.AF_INET
    try:
        return socket.create_server((address.host, address.port), family=family, backlog=64)
    except OSError as error:
        reason = error.strerror or str(error)
        raise StartupError(
            f"cannot listen on {address} for {what}: {reason}"
            + (" (another program uses that port; pick another)" if "in use" in reason else "")
        ) from None


def _serve_in_thread(
    listener: socket.socket, address: Address, app: Any, name: str
) -> BaseWSGIServer:
    server = make_server(address.host, address.port, app, threaded=True, fd=listener.fileno())
    listener.close()  # the server holds its own duplicate of the socket
    threading.Thread(target=server.serve_forever, name=name, daemon=True).start()
    return server


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


def configure_logging(level: str) -> None:
    logging.basicConfig(level=log_level_number(level), format=LOG_FORMAT, force=True)
    # werkzeug logs every request at INFO: one line per scrape is noise.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("exporter.sources.base").addFilter(_RejectionLogLimiter())


def serve(settings: ServeSettings, *, out: TextIO = sys.stdout) -> int:
    """Run until SIGTERM or SIGINT (exit 0); 1 when it cannot start, with the reason logged."""
    configure_logging(settings.log_level)
    runtime = _Runtime()
    try:
        return _serve(settings, out, runtime)
    except StartupError as error:
        log.error("%s", error)
        _shutdown(runtime)
        return 1


def _serve(settings: ServeSettings, out: TextIO, runtime: _Runtime) -> int:
    from exporter.admin import create_app
    from exporter.targets.resolve import resolve
    from exporter.targets.store import StoreError, TargetStore

    try:
        store = TargetStore(settings.targets)
    except StoreError as error:
        raise StartupError(f"targets: {error}") from None
    loaded = store.current()
    for problem in loaded.problems:
        log.warning("targets: %s", problem)
    calendar_zone = loaded.target_set.calendar.timezone
    engine_options: dict[str, Any] = {"timezone": settings.timezone or calendar_zone}
    if settings.service_level_variant is not None:
        engine_options["service_level_variant"] = settings.service_level_variant
    if settings.short_abandon_seconds is not None:
        engine_options["short_abandon_seconds"] = settings.short_abandon_seconds
    engine = KpiEngine(EngineConfig(**engine_options))

    uses_simulator = "simulator" in settings.sources
    clock = (
        SimulationClock(start=settings.simulator_start, speed=settings.simulator_speed)
        if uses_simulator
        else SimulationClock()
    )
    built = build_sources(settings, clock)
    sources = built.sources
    for scope in _known_scopes(sources, loaded.target_set):
        engine.declare(**scope)
    if built.http_source is not None:
        runtime.journal = built.http_source.journal

    if settings.check_only:
        print(
            f"OK: targets in {settings.targets} (version {loaded.version}), "
            f"sources {', '.join(settings.sources)}",
            file=out,
        )
        _shutdown(runtime)
        return 0

    for address, what in ((settings.metrics_address, "metrics"), (settings.admin_address, "admin")):
        if not address.is_loopback:
            log.warning(
                "%s listens on %s, beyond this machine: put it behind a firewall", what, address
            )
    metrics_listener = _listen(settings.metrics_address, "metrics")
    try:
        admin_listener = _listen(settings.admin_address, "the admin UI")
    except StartupError:
        metrics_listener.close()
        raise

    stats = IngestStats()
    source_clock = SourceClock()
    started = time.time()
    names = [source.name for source in sources]
    for name in names:
        # Until a source delivers, its "last event" is the start: a source that never delivers
        # during operating hours then shows as stalled.
        source_clock.touch(name, started)

    registry = CollectorRegistry()
    registry.register(
        KpiCollector(engine, lambda: store.current().target_set, resolve, clock=clock.now)
    )
    registry.register(CatalogCollector())
    target_files = (settings.targets / "targets.yaml", settings.targets / "calendar.yaml")
    registry.register(
        TargetVersionCollector(lambda: store.current().version, files_modified_at(*target_files))
    )
    registry.register(SelfMetricsCollector(stats, store, source_clock, names))
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)

    admin_app = create_app(http_events=built.http_source, events_token=built.events_token)
    runtime.admin_server = _serve_in_thread(
        admin_listener, settings.admin_address, admin_app, "admin-http"
    )
    runtime.metrics_server = _serve_in_thread(
        metrics_listener, settings.metrics_address, make_wsgi_app(registry), "metrics-http"
    )

    stop = runtime.stop
    for source in sources:
        sink = _sink_for(source.name, engine, stats, source_clock, clock.now)
        thread = threading.Thread(
            target=_run_source, args=(source, sink, stats, stop), name=f"source-{source.name}"
        )
        thread.start()
        runtime.source_threads.append(thread)
    watcher = threading.Thread(target=store.watch, args=(stop,), name="targets-watch", daemon=True)
    watcher.start()

    received = threading.Event()

    def on_signal(number: int, _frame: object) -> None:
        log.info("received %s, shutting down", signal.Signals(number).name)
        received.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}

    print(f"Admin UI: {settings.admin_address.url('/')}", file=out, flush=True)
    print(f"Metrics: {settings.metrics_address.url('/metrics')}", file=out, flush=True)
    log.info(
        "serving metrics on %s and the admin UI on %s; sources: %s; targets: %s (version %s, "
        "time zone %s)",
        settings.metrics_address,
        settings.admin_address,
        ", ".join(settings.sources),
        settings.targets,
        loaded.version,
        engine.config.timezone.key,
    )
    try:
        while not received.wait(1.0):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _shutdown(runtime)
    log.info("stopped")
    return 0


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
        runtime.admin_server.shutdown()  # first: no HTTP event is accepted any more
        runtime.admin_server.server_close()
    runtime.stop.set()
    for thread in runtime.source_threads:
        thread.join(_JOIN_TIMEOUT_SECONDS)
        if thread.is_alive():
            log.warning("%s did not stop within %.0f s", thread.name, _JOIN_TIMEOUT_SECONDS)
    if runtime.journal is not None:
        runtime.journal.close()  # every accepted event is committed; replayed on the next start
    if runtime.metrics_server is not None:
        runtime.metrics_server.shutdown()
        runtime.metrics_server.server_close()
