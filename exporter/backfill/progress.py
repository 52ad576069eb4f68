"""A one-line progress display for long runs, on a terminal only (quiet in scripts and logs)::

    backfill: 1,204,000 events, reached 2026-03-14 09:00 UTC, 41,200 events/s, about 3 min left

``update`` is cheap enough to call per step: it redraws at most twice a second. The time left is
estimated from how far the data's time has come between the first instant read and ``end``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TextIO

_REDRAW_SECONDS = 0.5


class Progress:
    def __init__(self, stream: TextIO, what: str, end: float, *, enabled: bool | None = None):
        self._stream = stream
        self._what = what
        self._end = end
        self.enabled = stream.isatty() if enabled is None else enabled
        self._started = time.monotonic()
        self._next_draw = self._started + _REDRAW_SECONDS
        self._first: float | None = None
        self._drawn = False

    def update(self, events: int, reached: float) -> None:
        if not self.enabled:
            return
        if self._first is None:
            self._first = reached
        now = time.monotonic()
        if now < self._next_draw:
            return
        self._next_draw = now + _REDRAW_SECONDS
        self._stream.write("\r" + self.line(events, reached, now - self._started) + "\x1b[K")
        self._stream.flush()
        self._drawn = True

    def line(self, events: int, reached: float, elapsed: float) -> str:
        moment = datetime.fromtimestamp(reached, UTC).strftime("%Y-%m-%d %H:%M UTC")
        text = f"{self._what}: {events:,} events, reached {moment}"
        if elapsed > 0:
            text += f", {events / elapsed:,.0f} events/s"
        first = self._first if self._first is not None else reached
        done = (reached - first) / (self._end - first) if self._end > first else 0.0
        if 0 < done < 1:
            text += f", about {_duration(elapsed * (1 - done) / done)} left"
        return text

    def finish(self) -> None:
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
