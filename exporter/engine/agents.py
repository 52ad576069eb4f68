"""Agent state timelines: time per state (occupancy, agent-state counters) and who is available
now.

Each agent has a timeline of state segments, sorted by start; the last one is open (the state
now). A state change that arrives out of order is inserted where it belongs. Recording a change in
order is thus an append: nothing is credited then.

- **Occupancy** of an hour is read from the segments themselves when a snapshot asks
  (``time_in``): a timeline keeps every segment that ends after ``keep_from``, the start of the
  hour holding the out-of-order cut, so the segments of any hour still published are there.
- **Counters** per team, agent and state (monotonic, ``add``) are brought up to ``now`` at each
  snapshot (``count_until``) and credited with the segments ``trim`` drops. A change recorded
  before the counters' watermark (an event that arrives late, after a scrape already counted the
  time) rewrites time already counted: the difference is added to the states that gained, and owed
  by those that lost (``debt``, paid from their next seconds), so no counter ever goes down and
  every total is exact once the debt is paid.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from operator import itemgetter

from exporter.events import AgentState
from exporter.scope import Scope

# add(labels (team, agent, state), seconds): a monotonic counter's add.
AddFunction = Callable[[tuple[str, str, str], float], None]
# ``record`` trims a timeline grown longer than this (``trim`` at the engine's housekeeping does
# the rest).
_LONGEST_TIMELINE = 64

AVAILABLE_STATES = frozenset({AgentState.AVAILABLE, AgentState.LOGGED_IN})


# (start, state, team): the state from ``start`` until the next segment's start (the last one is
# open). A tuple, not a dataclass: one is made per change of state, and it costs a fifth as much.
Segment = tuple[float, AgentState, str]
_start_of = itemgetter(0)


class AgentTimelines:
    def __init__(self, add: AddFunction) -> None:
        self._add = add
        self._timelines: dict[str, list[Segment]] = {}
        self._counted_until: dict[str, float] = {}  # the counters' watermark, per agent
        self._debt: dict[tuple[str, str, str], float] = {}

    def record(self, at: float, agent: str, state: AgentState, team: str, keep_from: float) -> None:
        """Apply ``agent``'s change to ``state`` at ``at`` (``team`` "" = the team known so far);
        segments that ended by ``keep_from`` may go (``trim``)."""
        timeline = self._timelines.get(agent)
        if not timeline:
            self._timelines[agent] = [(at, state, team)]
            self._counted_until[agent] = at
            return
        current_start, _, current_team = timeline[-1]
        change = (at, state, team or current_team)
        until = self._counted_until[agent]
        if at >= current_start and at >= until:  # in order, the usual case
            if at > current_start:
                timeline.append(change)
                if len(timeline) > _LONGEST_TIMELINE and timeline[1][0] <= keep_from:
                    self._trim(agent, timeline, keep_from)
            else:
                timeline[-1] = change  # two changes at one instant: the later-reported one wins
            return
        if at >= until:  # out of order, in time nobody counted yet: only the timeline changes
            self._insert(timeline, change)
            return
        # Before the watermark: the change rewrites time the counters already counted.
        before = self.seconds_by_state(agent, at, until)
        self._insert(timeline, change)
        after = self.seconds_by_state(agent, at, until)
        for key in before.keys() | after.keys():
            self._credit_counter(key, after.get(key, 0.0) - before.get(key, 0.0))

    @staticmethod
    def _insert(timeline: list[Segment], change: Segment) -> None:
        """Put a change into its place in the timeline (the later-reported one wins at one
        instant); it lasts until the next change."""
        at = change[0]
        index = len(timeline) - 1
        while index >= 0 and timeline[index][0] > at:
            index -= 1
        if index >= 0 and timeline[index][0] == at:
            timeline[index] = change
        else:
            timeline.insert(index + 1, change)

    def trim(self, keep_from: float) -> None:
        """Drop, for every agent, the segments that ended at or before ``keep_from``, crediting
        the counters with their time."""
        for agent, timeline in self._timelines.items():
            # Most timelines have nothing to drop: test that here, without a call per agent.
            if len(timeline) > 1 and timeline[1][0] <= keep_from:
                self._trim(agent, timeline, keep_from)

    def _trim(self, agent: str, timeline: list[Segment], keep_from: float) -> None:
        # The segments that ended by keep_from: those whose next one starts by then.
        drop = bisect_right(timeline, keep_from, 1, len(timeline), key=_start_of) - 1
        until = self._counted_until[agent]
        credits: dict[tuple[str, str, str], float] = {}  # one add per key, not per segment
        start, state, team = timeline[0]
        for end, next_state, next_team in islice(timeline, 1, drop + 1):
            if end > until:  # from the counters' watermark on
                label = STATE_LABELS.get(state)
                if label is not None:
                    key = (team, agent, label)
                    credits[key] = credits.get(key, 0.0) + end - (start if start > until else until)
                until = end
            start, state, team = end, next_state, next_team
        self._counted_until[agent] = until
        del timeline[:drop]
        for key, seconds in credits.items():
            self._credit_counter(key, seconds)

    def count_until(self, now: float) -> None:
        """Bring every agent's counters up to ``now`` (at a snapshot)."""
        for agent, until in self._counted_until.items():
            if now > until:
                for key, seconds in self.seconds_by_state(agent, until, now).items():
                    self._credit_counter(key, seconds)
                self._counted_until[agent] = now

    def time_in(
        self, start: float, end: float, now: float
    ) -> dict[tuple[str, str], dict[AgentState, float]]:
        """Seconds per state that each (team, agent) spent in [start, end), the open segment
        counted up to ``now`` (occupancy of an hour so far)."""
        found: dict[tuple[str, str], dict[AgentState, float]] = {}
        for agent, timeline in self._timelines.items():
            for seconds, state, team in _pieces(timeline, start, end, now):
                states = found.get((team, agent))
                if states is None:
                    states = found[(team, agent)] = {}
                states[state] = states.get(state, 0.0) + seconds
        return found

    def _credit_counter(self, key: tuple[str, str, str], seconds: float) -> None:
        if seconds > 0 and not self._debt:  # nothing owed at all, the usual case
            self._add(key, seconds)
            return
        owed = self._debt.get(key, 0.0)
        if seconds < 0 or owed:
            seconds -= owed
            if seconds < 0:
                self._debt[key] = -seconds
                return
            self._debt.pop(key, None)
        if seconds > 0:
            self._add(key, seconds)

    def team_of(self, agent: str) -> str:
        timeline = self._timelines.get(agent)
        return timeline[-1][2] if timeline else ""

    def current(self) -> Iterator[tuple[str, AgentState, str]]:
        """Every agent with its state now and team."""
        for agent, timeline in self._timelines.items():
            _, state, team = timeline[-1]
            yield agent, state, team

    def available_counts(self, label_sets: Iterable[tuple[str, ...]]) -> dict[Scope, int]:
        """Agents whose state now is available or logged_in, per scope; 0 for scopes seen idle."""
        label_sets = tuple(label_sets)
        counts: dict[Scope, int] = {}
        for _agent, state, team in self.current():
            available = 1 if state in AVAILABLE_STATES else 0
            for label_set in label_sets:
                if label_set == ():
                    key: Scope = ()
                elif label_set == ("team",) and team:
                    key = (("team", team),)
                else:
                    continue
                counts[key] = counts.get(key, 0) + available
        return counts

    def seconds_by_state(
        self, agent: str, start: float, end: float
    ) -> dict[tuple[str, str, str], float]:
        """Seconds of [start, end) the agent's timeline spends in each counted state, keyed by
        (team, agent, state label). Time before the first known change counts nowhere."""
        found: dict[tuple[str, str, str], float] = {}
        for seconds, state, team in _pieces(self._timelines.get(agent) or [], start, end, end):
            label = STATE_LABELS.get(state)
            if label is not None:
                key = (team, agent, label)
                found[key] = found.get(key, 0.0) + seconds
        return found

    def segment_count(self) -> int:
        return sum(len(timeline) for timeline in self._timelines.values())

    def agent_count(self) -> int:
        return len(self._timelines)


# The ``state`` label of ``contact_center_agent_state_seconds_total`` (logged-out time is not
# counted).
STATE_LABELS: dict[AgentState, str] = {
    AgentState.AVAILABLE: "available",
    AgentState.LOGGED_IN: "available",
    AgentState.BUSY: "on_contact",
    AgentState.AFTER_CONTACT_WORK: "after_contact_work",
    AgentState.PAUSED: "paused",
    AgentState.OUTBOUND: "outbound",
}


def _pieces(
    timeline: list[Segment], start: float, end: float, open_until: float
) -> Iterator[tuple[float, AgentState, str]]:
    """(seconds, state, team) of each segment's part in [start, end), the open (last) one lasting
    until ``open_until``; only parts of more than 0 seconds."""
    last = len(timeline) - 1
    first = last
    while first > 0 and timeline[first][0] > start:
        first -= 1  # the first segment that may overlap; usually the last one already does
    for position in range(first, last + 1):
        segment_start, state, team = timeline[position]
        until = timeline[position + 1][0] if position < last else open_until
        seconds = (until if until < end else end) - (
            segment_start if segment_start > start else start
        )
        if seconds > 0:
            yield seconds, state, team
        if until >= end:
            return
