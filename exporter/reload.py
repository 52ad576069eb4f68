"""SIGHUP: read the settings and the web config again and apply what can change in a running
``serve``: the log level and format, the web config (TLS certificate and
settings, basic auth users, headers, allowed SANs, rate limit). Any other
changed setting is named as needing a restart; an invalid config is logged and changes nothing.

``Signals`` queues SIGHUP, SIGTERM and SIGINT for ``serve``'s main thread, one by one.
"""

from __future__ import annotations

import logging
import signal
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from exporter.config import SPECS, ConfigError, ServeSettings, SettingsSource
from exporter.web_config import WebConfig, WebConfigError, load_web_config
from exporter.web_guard import WebGuard
from exporter.web_tls import new_ssl_context

log = logging.getLogger(__name__)

# Settings a SIGHUP applies to the running process; the others need a restart (and say so).
LIVE_SETTINGS = ("log_level", "log_format", "web_config_file")


@dataclass
class WebState:
    """The web config in force: the TLS context both ports share (each new connection takes the
    one here) and their guards (rate limit, allowed SANs, basic auth, headers)."""

    ssl_context: ssl.SSLContext | None = None
    guards: list[WebGuard] = field(default_factory=list)


def load_web(settings: ServeSettings) -> WebConfig:
    """The web config the settings name (none: plain HTTP, no users); WebConfigError if bad."""
    if settings.web_config_file is None:
        return WebConfig()
    return load_web_config(settings.web_config_file)


def reload(
    source: SettingsSource,
    settings: ServeSettings,
    web: WebState,
    *,
    configure_logging: Callable[[ServeSettings], None],
    reload_targets: Callable[[], object],
) -> ServeSettings:
    """Apply ``source``'s settings as far as a running process can; the settings now in force."""
    where = str(source.config_file or "the settings")
    try:
        new = source.load()
        new_web = load_web(new)
        # Every file read before anything changes; a new context, as CAs cannot be removed.
        new_context = new_ssl_context(new_web.tls) if new_web.tls is not None else None
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
    elif new_context is not None:
        web.ssl_context = new_context
    for guard in web.guards:
        guard.set_config(new_web)
    configure_logging(new)
    reload_targets()
    log.info("reloaded %s (on SIGHUP)", where)
    if restart:
        log.warning("changed, but applied only after a restart: %s", ", ".join(restart))
    return replace(settings, **{name: getattr(new, name) for name in LIVE_SETTINGS})


class Signals:
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
