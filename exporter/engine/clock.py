"""Local clock hours as UTC instants: where an Hourly KPI's period starts and ends.

An hour is keyed by the UTC instant at which the local wall clock showed ``HH:00``. Keying by the
instant (not by the wall-clock label) keeps the repeated hour of a DST fall-back apart from the hour
before it, and works unchanged in zones with 30- or 45-minute offsets (Asia/Kolkata's hours start
at hh:30 UTC). When a DST jump skips ``HH:00`` itself (Australia/Lord_Howe's 30-minute shift), the
hour starts at the jump, so an hour may be shorter or longer than 3600 s.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

_RECENT_HOURS = 4


class LocalHours:
    """Maps instants to the local clock hour they fall in, for one time zone."""

    def __init__(self, timezone: ZoneInfo) -> None:
        self.timezone = timezone
        # The last few hours looked up, newest first: nearly every lookup falls in one of them.
        self._recent: list[tuple[float, float]] = []

    def start_of(self, at: float) -> float:
        """The UTC instant the local clock hour containing ``at`` started."""
        return self.bounds(at)[0]

    def bounds(self, at: float) -> tuple[float, float]:
        """``(start, end)`` of the local clock hour containing ``at``: start inclusive, end not."""
        for hour in self._recent:
            if hour[0] <= at < hour[1]:
                return hour
        start = self._floor(at)
        hour = (start, self._next_after(start))
        self._recent = [hour, *self._recent[: _RECENT_HOURS - 1]]
        return hour

    def _floor(self, at: float) -> float:
        # fromtimestamp sets ``fold`` for the repeated hour and replace() keeps it, so the second
        # 02:00 of a fall-back night maps to its own instant.
        local = datetime.fromtimestamp(at, self.timezone)
        return local.replace(minute=0, second=0, microsecond=0).timestamp()

    def _next_after(self, start: float) -> float:
        probe = start + 3600.0
        # An hour stretched by a 30-minute fall-back floors back onto itself: probe further.
        while self._floor(probe) <= start:
            probe += 1800.0
        return self._floor(probe)
