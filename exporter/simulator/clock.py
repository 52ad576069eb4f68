"""The exporter's clock: the wall clock, or with the simulator the simulated present, so that
scrapes, the admin UI and the sources all look at the same instant."""

from __future__ import annotations

import time
from collections.abc import Callable


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


def why_simulated(
    *, simulator: bool, demo_start: bool, start_given: bool, speed: float
) -> str | None:
    """Why the exporter's clock is not the wall clock, in words; None when it is. ``simulator``:
    the simulator is a source; ``demo_start``: the demo moved its start to the last on-duty moment;
    ``start_given``: ``--simulator-start`` was; ``speed``: ``--simulator-speed``."""
    if not simulator:
        return None
    if demo_start:
        return "the simulation started at the last on-duty moment"
    if start_given:
        return "the simulation started at --simulator-start"
    if speed != 1.0:
        return f"the simulation runs {speed:g} times real time"
    return None
