"""Agent state timelines: occupancy time per state and who is available now.

Each agent has a short timeline of state segments, sorted by start; the last one is open (the state
now). A segment's time is credited, through the ``credit`` callback, when the segment closes, i.e.
when the next state change is known. A state change that arrives out of order lands inside an
already closed segment: the time from the change to the segment's end is taken back from the old
state (``sign = -1``) and credited to the new one. Segments that ended before the out-of-order cut
can no longer change and are dropped, so a timeline holds only the last few minutes of changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from exporter.events import AgentState
from exporter.targets.model import Scope

# credit(team, agent, state, start, end, sign): add sign * (end - start) seconds of ``state``.
CreditFunction = Callable[[str, str, AgentState, float, float, float], None]

AVAILABLE_STATES = frozenset({AgentState.AVAILABLE, AgentState.LOGGED_IN})


@dataclass(slots=True)
class Segment:
    start: float
    state: AgentState
    team: str


class AgentTimelines:
    def __init__(self, credit: CreditFunction) -> None:
        self._credit = credit
        self._timelines: dict[str, list[Segment]] = {}

    def record(
        self, at: float, agent: str, state: AgentState, team: str, cut: float
    ) -> Segment | None:
        """Apply ``agent``'s change to ``state`` at ``at`` (``team`` "" = the team known so far);
        ``cut`` = the oldest instant an accepted event may still have. In order (the usual case),
        the segment the change closes, else None."""
        timeline = self._timelines.get(agent)
        if not timeline:
            self._timelines[agent] = [Segment(at, state, team)]
            return None
        current = timeline[-1]
        if at >= current.start:  # in order, the usual case: the open segment closes
            change = Segment(at, state, team or current.team)
            if at > current.start:
                self._credit(current.team, agent, current.state, current.start, at, 1.0)
                timeline.append(change)
            else:
                timeline[-1] = change  # two changes at one instant: the later-reported one wins
            if len(timeline) > 1 and timeline[1].start <= cut:  # something to drop: see _trim
                self._trim(timeline, cut)
            return current
        change = Segment(at, state, team or current.team)
        if at < timeline[0].start:
            # The earliest change known for this agent: it lasts until the next one.
            self._credit_segment(agent, change, at, timeline[0].start, 1.0)
            timeline.insert(0, change)
            return None
        # Out of order: the change lands inside a closed segment, which gives it the time up to
        # the next change.
        index = len(timeline) - 2
        while timeline[index].start > at:
            index -= 1
        current = timeline[index]
        end = timeline[index + 1].start
        self._credit_segment(agent, current, at, end, -1.0)
        self._credit_segment(agent, change, at, end, 1.0)
        if current.start == at:
            timeline[index] = change  # two changes at one instant: the later-reported one wins
        else:
            timeline.insert(index + 1, change)
        if len(timeline) > 1 and timeline[1].start <= cut:  # something to drop: see _trim
            self._trim(timeline, cut)
        return None

    def trim_all(self, cut: float) -> None:
        for timeline in self._timelines.values():
            # Most timelines have nothing to drop: test that here, without a call per agent.
            if len(timeline) > 1 and timeline[1].start <= cut:
                self._trim(timeline, cut)

    def team_of(self, agent: str) -> str:
        timeline = self._timelines.get(agent)
        return timeline[-1].team if timeline else ""

    def current(self) -> Iterable[tuple[str, Segment]]:
        """Every agent with its open segment (its state now)."""
        for agent, timeline in self._timelines.items():
            yield agent, timeline[-1]

    def available_counts(self, label_sets: Iterable[tuple[str, ...]]) -> dict[Scope, int]:
        """Agents whose state now is available or logged_in, per scope; 0 for scopes seen idle."""
        label_sets = tuple(label_sets)
        counts: dict[Scope, int] = {}
        for _agent, segment in self.current():
            available = 1 if segment.state in AVAILABLE_STATES else 0
            for label_set in label_sets:
                if label_set == ():
                    key: Scope = ()
                elif label_set == ("team",) and segment.team:
                    key = (("team", segment.team),)
                else:
                    continue
                counts[key] = counts.get(key, 0) + available
        return counts

    def seconds_by_state(
        self, agent: str, start: float, end: float
    ) -> dict[tuple[str, str, str], float]:
        """Seconds of [start, end) the agent's timeline spends in each counted state, keyed by
        (team, agent, state label). Time before the first known change counts nowhere."""
        timeline = self._timelines.get(agent)
        found: dict[tuple[str, str, str], float] = {}
        if not timeline:
            return found
        last = timeline[-1]
        if last.start <= start:  # the usual case: the state now has lasted the whole time
            label = STATE_LABELS.get(last.state)
            if end > start and label is not None:
                found[(last.team, agent, label)] = end - start
            return found
        index = len(timeline) - 1
        while index > 0 and timeline[index].start > start:
            index -= 1  # usually the last segment already holds ``start``
        for position in range(index, len(timeline)):
            segment = timeline[position]
            piece_end = timeline[position + 1].start if position + 1 < len(timeline) else end
            seconds = min(piece_end, end) - max(segment.start, start)
            label = STATE_LABELS.get(segment.state)
            if seconds > 0 and label is not None:
                key = (segment.team, agent, label)
                found[key] = found.get(key, 0.0) + seconds
            if piece_end >= end:
                break
        return found

    def segment_count(self) -> int:
        return sum(len(timeline) for timeline in self._timelines.values())

    def agent_count(self) -> int:
        return len(self._timelines)

    def _credit_segment(
        self, agent: str, segment: Segment, start: float, end: float, sign: float
    ) -> None:
        if end > start:
            self._credit(segment.team, agent, segment.state, start, end, sign)

    @staticmethod
    def _trim(timeline: list[Segment], cut: float) -> None:
        # A segment that ended at or before the cut can no longer receive an out-of-order change.
        drop = 0
        while drop < len(timeline) - 1 and timeline[drop + 1].start <= cut:
            drop += 1
        if drop:
            del timeline[:drop]


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

# add(labels (team, agent, state), seconds): a monotonic counter's add.
AddFunction = Callable[[tuple[str, str, str], float], None]


class AgentTimeCounters:
    """Seconds per agent, team and state, as monotonic counters that keep up with ``now``.

    Each agent's time is counted up to a watermark: up to each state change as it is recorded,
    and up to ``now`` at each snapshot, so a counter grows while an agent stays in one state.
    A change recorded before the watermark (an event that arrives late, or after a scrape
    already counted the time) rewrites time already counted: the difference is added to the
    states that gained, and owed by those that lost (``debt``, paid from their next seconds),
    so no counter ever goes down and every total is exact once the debt is paid.
    """

    def __init__(self, timelines: AgentTimelines, add: AddFunction) -> None:
        self._timelines = timelines
        self._add = add
        self._counted_until: dict[str, float] = {}
        self._debt: dict[tuple[str, str, str], float] = {}

    def record(self, at: float, agent: str, state: AgentState, team: str, cut: float) -> None:
        """Record a state change in the timelines, counting the time it closes or rewrites."""
        until = self._counted_until.get(agent)
        if until is None or at >= until:
            closed = self._timelines.record(at, agent, state, team, cut)
            if until is not None and at > until:
                if closed is not None and closed.start <= until:
                    # One state since ``until``, the usual case: what ``_count`` would find.
                    label = STATE_LABELS.get(closed.state)
                    if label is not None and not self._debt:  # nothing owed: see _credit
                        self._add((closed.team, agent, label), at - until)
                    elif label is not None:
                        self._credit((closed.team, agent, label), at - until)
                else:
                    # Not reached in practice: ``until`` is the time of the agent's last change
                    # in order, or of a later snapshot, so the open segment started by then.
                    self._count(agent, until, at)
            self._counted_until[agent] = at
            return
        before = self._timelines.seconds_by_state(agent, at, until)
        self._timelines.record(at, agent, state, team, cut)
        after = self._timelines.seconds_by_state(agent, at, until)
        for key in before.keys() | after.keys():
            self._credit(key, after.get(key, 0.0) - before.get(key, 0.0))

    def count_until(self, now: float) -> None:
        """Count every agent's time up to ``now`` (at a snapshot)."""
        for agent, until in self._counted_until.items():
            if now > until:
                self._count(agent, until, now)
                self._counted_until[agent] = now

    def _count(self, agent: str, start: float, end: float) -> None:
        for key, seconds in self._timelines.seconds_by_state(agent, start, end).items():
            self._credit(key, seconds)

    def _credit(self, key: tuple[str, str, str], seconds: float) -> None:
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
