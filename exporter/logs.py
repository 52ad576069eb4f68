"""Log lines on stderr as ``logfmt`` (the Prometheus exporters' default) or JSON (one object a line,
for log shippers)::

    time=2026-03-02T10:40:00.123+01:00 level=info logger=exporter.serve msg="stopped"
    {"time": "2026-03-02T10:40:00.123+01:00", "level": "info", "logger": "exporter.serve",
     "msg": "stopped"}   (on one line)

``RejectionLogLimiter`` keeps a flood of rejected input from flooding the log as well.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime

from exporter.config import log_level_number

# The limiter's summary line keeps the logger name it had in exporter.serve (log filters know it).
_serve_log = logging.getLogger("exporter.serve")


def _fields(record: logging.LogRecord) -> dict[str, str]:
    at = datetime.fromtimestamp(record.created).astimezone()
    fields = {
        "time": at.isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": record.getMessage(),
    }
    if record.exc_info:
        fields["error"] = logging.Formatter().formatException(record.exc_info)
    return fields


def _logfmt_value(value: str) -> str:
    if value and not any(c in value for c in ' ="\\\n\t'):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


class LogfmtFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{k}={_logfmt_value(v)}" for k, v in _fields(record).items())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record), ensure_ascii=False)


FORMATTERS: dict[str, type[logging.Formatter]] = {"logfmt": LogfmtFormatter, "json": JsonFormatter}


def configure_logging(level: str, log_format: str, filters: dict[str, logging.Filter]) -> None:
    """The root logger at ``level`` writing ``log_format`` to stderr; ``filters`` by logger."""
    handler = logging.StreamHandler()
    handler.setFormatter(FORMATTERS[log_format]())
    logging.basicConfig(level=log_level_number(level), handlers=[handler], force=True)
    # cheroot logs every connection error at INFO, werkzeug every request: noise.
    for noisy in ("cheroot", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for name, log_filter in filters.items():
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if type(f) is type(log_filter)]:
            logger.removeFilter(old)
        logger.addFilter(log_filter)


class RejectionLogLimiter(logging.Filter):
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
                _serve_log.warning(
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
