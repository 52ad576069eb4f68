"""The recent traffic of each queue and who serves it: the inputs of the agents-needed estimate
(``exporter.staffing``, published by ``exporter.staffing_collector``).

- **Traffic** per queue scope (queue + channel) in one-minute bins of event time, the last
  ``window_seconds`` (30 minutes) kept: contacts offered, abandoned, handled with their handle
  seconds, and the seconds every contact that left the queue (answered or abandoned) waited, for
  the patience estimate. Contacts count in the minute their event happened, so an out-of-order
  event lands in its own minute.
- **Membership**: the queues each agent serves: declared before any event (a source's
  configuration), named by the agent's state events (queue_log's ADDMEMBER, an HTTP event with a
  queue), or learned from the contacts the agent answers. What events taught is forgotten when
  the agent logs out. An agent who serves several queues counts on each of them (an
  approximation: the same person cannot answer two queues at once).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from exporter.events import AgentState
from exporter.scope import Scope

WINDOW_SECONDS = 1800.0
_BIN_SECONDS = 60.0
# Logged in and not paused: busy with a contact, wrapping one up, or free.
ON_DUTY_STATES = frozenset(
    {AgentState.AVAILABLE, AgentState.LOGGED_IN, AgentState.BUSY, AgentState.AFTER_CONTACT_WORK}
)

# A bin: [offered, abandoned, waited seconds, handled, handle seconds].
_OFFERED, _ABANDONED, _WAITED, _HANDLED, _HANDLE = range(5)


@dataclass(frozen=True, slots=True)
class QueueTraffic:
    """One queue's traffic over the last ``seconds`` (at most the window; less when the exporter
    has seen events for less long) and the agents on duty serving it now."""

    scope: Scope  # (("channel", ...), ("queue", ...))
    seconds: float
    offered: int
    abandoned: int
    waited_seconds: float  # total wait of the contacts that left the queue in the window
    handled: int
    handle_seconds: float
    on_duty: int


@dataclass(frozen=True, slots=True)
class StaffingInputs:
    queues: list[QueueTraffic]
    teams: dict[str, int]  # agents on duty per team (every queue they serve, once)


class RecentTraffic:
    """Not thread-safe: the engine calls it under its lock."""

    def __init__(self, window_seconds: float = WINDOW_SECONDS) -> None:
        self._window_bins = int(window_seconds // _BIN_SECONDS)
        self._bins: dict[tuple[str, str], dict[int, list[float]]] = {}
        self._first_at: float | None = None
        self._channels: dict[str, set[str]] = {}  # the channels each queue was seen with
        self._declared: dict[str, set[str]] = {}
        self._joined: dict[str, set[str]] = {}

    def _bin(self, queue: str, channel: str, at: float) -> list[float]:
        if self._first_at is None or at < self._first_at:
            self._first_at = at
        key = (queue, channel)
        bins = self._bins.get(key)
        if bins is None:
            bins = self._bins[key] = {}
            self._channels.setdefault(queue, set()).add(channel)
        minute = int(at // _BIN_SECONDS)
        found = bins.get(minute)
        if found is None:
            found = bins[minute] = [0.0, 0.0, 0.0, 0.0, 0.0]
            if len(bins) > self._window_bins + 10:  # bounded without a snapshot (replay)
                oldest = minute - self._window_bins - 1
                for old in [old for old in bins if old < oldest]:
                    del bins[old]
        return found

    def offered(self, queue: str, channel: str, at: float) -> None:
        self._bin(queue, channel, at)[_OFFERED] += 1

    def left_queue(
        self, queue: str, channel: str, at: float, wait: float | None, abandoned: bool
    ) -> None:
        found = self._bin(queue, channel, at)
        if abandoned:
            found[_ABANDONED] += 1
        if wait is not None:
            found[_WAITED] += wait

    def handled(self, queue: str, channel: str, at: float, seconds: float) -> None:
        found = self._bin(queue, channel, at)
        found[_HANDLED] += 1
        found[_HANDLE] += seconds

    # --- membership -----------------------------------------------------------------------------

    def declare(self, agent: str, queue: str, channel: str) -> None:
        self._declared.setdefault(agent, set()).add(queue)
        self._channels.setdefault(queue, set()).add(channel)

    def agent_state(self, agent: str, state: AgentState, queue: str) -> None:
        if state is AgentState.LOGGED_OUT:
            if queue:
                self._joined.get(agent, set()).discard(queue)
            else:
                self._joined.pop(agent, None)
        elif queue:
            self.serves(agent, queue)

    def serves(self, agent: str, queue: str) -> None:
        """``agent`` serves ``queue`` (a state event named it, or the agent answered it)."""
        joined = self._joined.get(agent)
        if joined is None:
            joined = self._joined[agent] = set()
        joined.add(queue)

    # --- the inputs -----------------------------------------------------------------------------

    def inputs(self, now: float, agents: Iterable[tuple[str, AgentState, str]]) -> StaffingInputs:
        """Traffic of the window ending at ``now`` per queue scope seen (in the window, or
        declared), with the agents on duty serving each; ``agents`` gives (agent, state, team)."""
        by_queue: dict[str, int] = {}
        teams: dict[str, int] = {}
        empty: set[str] = set()
        for agent, state, team in agents:
            if state not in ON_DUTY_STATES:
                continue
            if team:
                teams[team] = teams.get(team, 0) + 1
            for queue in self._declared.get(agent, empty) | self._joined.get(agent, empty):
                by_queue[queue] = by_queue.get(queue, 0) + 1
        # The window's bins: from the one holding ``now - window`` (its start at or before it) to
        # the one holding now; they cover from the first one's start (or the first event) to now.
        first = int((now - self._window_bins * _BIN_SECONDS) // _BIN_SECONDS)
        start = max(first * _BIN_SECONDS, self._first_at or now)
        seconds = max(0.0, now - start)
        found = []
        for queue, channels in self._channels.items():
            for channel in channels:
                bins = self._bins.get((queue, channel), {})
                for old in [old for old in bins if old < first]:
                    del bins[old]
                totals = [0.0, 0.0, 0.0, 0.0, 0.0]
                for minute, counts in bins.items():
                    if minute * _BIN_SECONDS <= now:
                        for index, count in enumerate(counts):
                            totals[index] += count
                scope = (("channel", channel), ("queue", queue))
                found.append(
                    QueueTraffic(
                        scope,
                        seconds,
                        int(totals[_OFFERED]),
                        int(totals[_ABANDONED]),
                        totals[_WAITED],
                        int(totals[_HANDLED]),
                        totals[_HANDLE],
                        by_queue.get(queue, 0),
                    )
                )
        found.sort(key=lambda traffic: traffic.scope)
        return StaffingInputs(found, teams)
