"""The simulator's discrete-event core: a contact center as a heap of timed actions.

Pure and deterministic: every random draw comes from one ``random.Random(config.seed)`` and time
is the simulated clock only, so one seed and one configuration give one event sequence.

Routing: each queue is FIFO; an arriving contact goes to the longest-idle available agent serving
its queue; a freed agent takes, from the queues it serves, the highest priority one and in it the
contact waiting longest. Events come out in time order (ties in the order they happened).
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import deque
from collections.abc import Callable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from exporter.events import (
    AgentState,
    AgentStateEvent,
    ContactEvent,
    ContactKind,
    Event,
    OutboundOutcome,
)
from exporter.simulator.center import (
    CampaignConfig,
    HandlingConfig,
    QueueConfig,
    SimulatorConfig,
    TeamConfig,
)

_SECONDS_PER_HOUR = 3600.0
_FREE_STATES = (AgentState.LOGGED_IN, AgentState.AVAILABLE)


class _Contact:
    __slots__ = (
        "acw",
        "agent",
        "campaign",
        "contact_id",
        "done",
        "entered_at",
        "hold",
        "queue",
        "resolved",
        "satisfaction",
        "talk",
        "transferred",
        "wait",
    )

    def __init__(self, contact_id: str, queue: _Queue | None, entered_at: float) -> None:
        self.contact_id = contact_id
        self.queue = queue
        self.entered_at = entered_at
        self.done = False  # answered or abandoned: no longer waiting
        self.agent: _Agent | None = None
        self.campaign: _Campaign | None = None
        self.talk = self.hold = self.acw = self.wait = 0.0
        self.resolved = True
        self.transferred = False
        self.satisfaction = 0.0


class _Queue:
    __slots__ = ("agents", "config", "rate", "waiting", "waiting_count")

    def __init__(self, config: QueueConfig) -> None:
        self.config = config
        self.waiting: deque[_Contact] = deque()  # entry order; answered/abandoned ones lazily
        self.waiting_count = 0
        self.agents: list[_Agent] = []
        self.rate = 0.0  # arrivals per second in the current hour


class _Agent:
    __slots__ = (
        "break_due",
        "campaign",
        "contact",
        "idle_since",
        "index",
        "name",
        "on_duty",
        "queue_groups",
        "session",
        "state",
        "team",
    )

    def __init__(self, name: str, team: TeamConfig, index: int) -> None:
        self.name = name
        self.team = team.name
        self.index = index
        self.state = AgentState.LOGGED_OUT
        self.on_duty = False
        self.break_due = False
        self.session = 0  # bumped at each login, so actions of an earlier shift are ignored
        self.idle_since = 0.0
        self.contact: _Contact | None = None
        self.queue_groups: list[
            list[_Queue]
        ] = []  # queues served, grouped by priority, highest first
        self.campaign: _Campaign | None = None


class _Campaign:
    __slots__ = ("agents", "config", "ringing")

    def __init__(self, config: CampaignConfig) -> None:
        self.config = config
        self.agents: list[_Agent] = []
        self.ringing = 0


class Simulation:
    """One run of a configuration. ``run(until)`` yields the events up to ``until`` (exclusive)."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self._random = random.Random(config.seed)
        self._zone = ZoneInfo(config.timezone)
        self._now = config.start
        self._heap: list[tuple[float, int, Callable[..., None], tuple[object, ...]]] = []
        self._sequence = itertools.count()
        self._contact_numbers = itertools.count(1)
        self._out: list[Event] = []
        self._queues = {queue.name: _Queue(queue) for queue in config.queues}
        self._teams: dict[str, list[_Agent]] = {}
        for team in config.teams:
            agents = [_Agent(name, team, i) for i, name in enumerate(team.agent_names)]
            self._teams[team.name] = agents
            served = [self._queues[name] for name in team.queues]
            priorities = sorted({queue.config.priority for queue in served}, reverse=True)
            groups = [[q for q in served if q.config.priority == p] for p in priorities]
            for agent in agents:
                agent.queue_groups = groups
                for queue in served:
                    queue.agents.append(agent)
        self._campaigns = [_Campaign(campaign) for campaign in config.campaigns]
        for campaign in self._campaigns:
            for agent in self._teams[campaign.config.team]:
                agent.campaign = campaign
                campaign.agents.append(agent)
        self._team_configs = {team.name: team for team in config.teams}

    def waiting(self, queue: str) -> int:
        """Contacts in ``queue`` now (offered, neither answered nor abandoned)."""
        return self._queues[queue].waiting_count

    def run(self, until: float) -> Iterator[Event]:
        self._schedule(self._now, self._hour_starts, ())
        for queue in self._queues.values():
            self._schedule_candidate(queue)
        heap = self._heap
        out = self._out
        while heap and heap[0][0] < until:
            at, _, action, args = heapq.heappop(heap)
            self._now = at
            action(*args)
            if out:
                yield from out
                out.clear()

    # ---- scheduling and emitting -------------------------------------------------------------

    def _schedule(self, at: float, action: Callable[..., None], args: tuple[object, ...]) -> None:
        heapq.heappush(self._heap, (at, next(self._sequence), action, args))

    def _new_contact_id(self) -> str:
        # Shaped like an Asterisk uniqueid (epoch.sequence), unique within the run.
        return f"{int(self._now)}.{next(self._contact_numbers)}"

    def _emit_contact(self, kind: ContactKind, contact: _Contact, **fields: object) -> None:
        queue = contact.queue.config if contact.queue else None
        self._out.append(
            ContactEvent(
                kind=kind,
                at=self._now,
                contact_id=contact.contact_id,
                queue=queue.name if queue else "",
                channel=str(queue.channel) if queue else "",
                **fields,  # type: ignore[arg-type]
            )
        )

    def _set_state(self, agent: _Agent, state: AgentState) -> None:
        if agent.state is not state:
            agent.state = state
            self._out.append(
                AgentStateEvent(at=self._now, agent=agent.name, state=state, team=agent.team)
            )

    # ---- the clock: arrival rates and staffing change on local hours -------------------------

    def _hour_starts(self) -> None:
        local = datetime.fromtimestamp(self._now, self._zone)
        hour = local.hour
        for queue in self._queues.values():
            queue.rate = queue.config.arrivals.per_hour[hour] / _SECONDS_PER_HOUR
        for team_name, agents in self._teams.items():
            on_duty = self._team_configs[team_name].staffing[hour]
            for agent in agents:
                if agent.index < on_duty:
                    agent.on_duty = True
                    if agent.state is AgentState.LOGGED_OUT:
                        self._log_in(agent)
                else:
                    agent.on_duty = False
                    if agent.state in _FREE_STATES:
                        self._log_out(agent)
        into_hour = local.minute * 60 + local.second + local.microsecond / 1e6
        self._schedule(self._now + _SECONDS_PER_HOUR - into_hour, self._hour_starts, ())

    # ---- inbound contacts --------------------------------------------------------------------

    def _schedule_candidate(self, queue: _Queue) -> None:
        """Thinning: candidates come at the queue's peak rate, each kept with rate(now) / peak."""
        peak = max(queue.config.arrivals.per_hour) / _SECONDS_PER_HOUR
        if peak > 0:
            at = self._now + self._random.expovariate(peak)
            self._schedule(at, self._arrival_candidate, (queue, peak))

    def _arrival_candidate(self, queue: _Queue, peak: float) -> None:
        if self._random.random() * peak < queue.rate:
            self._arrive(queue)
        self._schedule_candidate(queue)

    def _arrive(self, queue: _Queue) -> None:
        contact = _Contact(self._new_contact_id(), queue, self._now)
        bot = queue.config.bot
        if bot is None:
            self._enter_queue(contact)
        else:
            session = self._random.expovariate(1.0 / bot.session_mean_seconds)
            self._schedule(self._now + session, self._bot_session_ends, (contact,))

    def _bot_session_ends(self, contact: _Contact) -> None:
        assert contact.queue is not None and contact.queue.config.bot is not None
        contained = self._random.random() < contact.queue.config.bot.containment_probability
        self._emit_contact(ContactKind.BOT, contact, contained=contained)
        if not contained:
            contact.entered_at = self._now
            self._enter_queue(contact)

    def _enter_queue(self, contact: _Contact) -> None:
        queue = contact.queue
        assert queue is not None
        self._emit_contact(ContactKind.OFFERED, contact)
        agent = self._longest_idle(queue.agents)
        if agent is not None:
            self._answer(contact, agent)
            return
        queue.waiting.append(contact)
        queue.waiting_count += 1
        patience = queue.config.patience_mean_seconds
        if patience is not None:
            shape = queue.config.patience_shape
            leaves_at = self._now + (
                self._random.expovariate(1.0 / patience)
                if shape == 1
                else self._random.gammavariate(shape, patience / shape)
            )
            self._schedule(leaves_at, self._patience_ends, (contact,))

    def _patience_ends(self, contact: _Contact) -> None:
        if contact.done:
            return
        contact.done = True
        assert contact.queue is not None
        contact.queue.waiting_count -= 1
        self._emit_contact(
            ContactKind.ABANDONED, contact, wait_seconds=self._now - contact.entered_at
        )

    def _longest_idle(self, agents: list[_Agent]) -> _Agent | None:
        chosen = None
        for agent in agents:
            if agent.state in _FREE_STATES and (
                chosen is None or agent.idle_since < chosen.idle_since
            ):
                chosen = agent
        return chosen

    def _answer(self, contact: _Contact, agent: _Agent) -> None:
        queue = contact.queue
        assert queue is not None
        contact.done = True
        contact.agent = agent
        contact.wait = self._now - contact.entered_at
        agent.contact = contact
        self._emit_contact(
            ContactKind.ANSWERED,
            contact,
            wait_seconds=contact.wait,
            team=agent.team,
            agent=agent.name,
        )
        self._set_state(agent, AgentState.BUSY)
        self._start_handling(contact, queue.config.handling)

    def _start_handling(self, contact: _Contact, handling: HandlingConfig) -> None:
        draw = self._random
        contact.talk = draw.gammavariate(
            handling.talk_shape, handling.talk_mean_seconds / handling.talk_shape
        )
        contact.hold = (
            draw.expovariate(1.0 / handling.hold_mean_seconds)
            if handling.hold_mean_seconds > 0 and draw.random() < handling.hold_probability
            else 0.0
        )
        contact.acw = (
            draw.gammavariate(handling.acw_shape, handling.acw_mean_seconds / handling.acw_shape)
            if handling.acw_mean_seconds > 0
            else 0.0
        )
        self._schedule(self._now + contact.talk + contact.hold, self._talk_ends, (contact,))

    def _talk_ends(self, contact: _Contact) -> None:
        agent = contact.agent
        assert agent is not None
        queue = contact.queue
        if (
            queue is not None
            and queue.config.transfer_to is not None
            and self._random.random() < queue.config.transfer_probability
        ):
            self._transfer(contact, agent, self._queues[queue.config.transfer_to])
        if contact.acw > 0:
            self._set_state(agent, AgentState.AFTER_CONTACT_WORK)
            self._schedule(self._now + contact.acw, self._handling_ends, (contact,))
        else:
            self._handling_ends(contact)

    def _transfer(self, contact: _Contact, agent: _Agent, target: _Queue) -> None:
        contact.transferred = True
        self._emit_contact(ContactKind.TRANSFERRED, contact, team=agent.team, agent=agent.name)
        self._enter_queue(_Contact(self._new_contact_id(), target, self._now))

    def _handling_ends(self, contact: _Contact) -> None:
        agent = contact.agent
        assert agent is not None
        agent.contact = None
        if contact.queue is not None:
            self._contact_ended(contact, agent)
        self._agent_free(agent)

    def _contact_ended(self, contact: _Contact, agent: _Agent) -> None:
        assert contact.queue is not None
        config = contact.queue.config
        draw = self._random
        contact.resolved = (
            not contact.transferred and draw.random() < config.first_contact_resolution_probability
        )
        survey = config.survey
        contact.satisfaction = draw.gauss(0.0, 1.0)
        if survey is not None:
            contact.satisfaction -= survey.wait_penalty_per_minute * contact.wait / 60.0
            if not contact.resolved:
                contact.satisfaction -= survey.unresolved_penalty
        ai_score = None
        if config.ai_cx_score:
            ai_score = round(_clip(draw.gauss(78.0 + 9.0 * contact.satisfaction, 6.0), 0, 100), 1)
        self._emit_contact(
            ContactKind.ENDED,
            contact,
            team=agent.team,
            agent=agent.name,
            talk_seconds=contact.talk,
            hold_seconds=contact.hold,
            after_contact_work_seconds=contact.acw,
            resolved=contact.resolved,
            ai_cx_score=ai_score,
        )
        if survey is not None and draw.random() < survey.response_probability:
            delay = draw.uniform(survey.min_delay_seconds, survey.max_delay_seconds)
            self._schedule(self._now + delay, self._survey_answered, (contact, agent))

    def _survey_answered(self, contact: _Contact, agent: _Agent) -> None:
        assert contact.queue is not None and contact.queue.config.survey is not None
        survey = contact.queue.config.survey
        draw = self._random
        mood = contact.satisfaction
        self._emit_contact(
            ContactKind.SURVEY,
            contact,
            team=agent.team,
            agent=agent.name,
            csat=float(round(_clip(survey.csat_base + 0.9 * mood + draw.gauss(0, 0.4), 1, 5))),
            nps=float(round(_clip(survey.nps_base + 1.6 * mood + draw.gauss(0, 0.8), 0, 10))),
            ces=float(round(_clip(survey.ces_base - 0.9 * mood + draw.gauss(0, 0.5), 1, 7))),
        )

    # ---- agents: free, breaks, shifts ----------------------------------------------------------

    def _agent_free(self, agent: _Agent) -> None:
        """The agent finished something: log out, pause, take the next contact, or wait."""
        if not agent.on_duty:
            self._log_out(agent)
            return
        if agent.break_due:
            self._start_break(agent)
            return
        for group in agent.queue_groups:
            oldest: _Contact | None = None
            for queue in group:
                waiting = queue.waiting
                while waiting and waiting[0].done:
                    waiting.popleft()
                if waiting and (oldest is None or waiting[0].entered_at < oldest.entered_at):
                    oldest = waiting[0]
            if oldest is not None:
                assert oldest.queue is not None
                oldest.queue.waiting.popleft()
                oldest.queue.waiting_count -= 1
                self._answer(oldest, agent)
                return
        if agent.state not in _FREE_STATES:
            agent.idle_since = self._now
        self._set_state(agent, AgentState.AVAILABLE)
        if agent.campaign is not None:
            self._pace(agent.campaign)

    def _log_in(self, agent: _Agent) -> None:
        agent.session += 1
        agent.break_due = False
        self._set_state(agent, AgentState.LOGGED_IN)
        agent.idle_since = self._now
        self._schedule_break(agent)
        self._agent_free(agent)

    def _log_out(self, agent: _Agent) -> None:
        self._set_state(agent, AgentState.LOGGED_OUT)

    def _schedule_break(self, agent: _Agent) -> None:
        breaks = self.config.breaks
        if breaks is not None:
            due = self._now + breaks.interval_seconds * self._random.uniform(0.8, 1.2)
            self._schedule(due, self._break_due, (agent, agent.session))

    def _break_due(self, agent: _Agent, session: int) -> None:
        if session != agent.session or agent.state is AgentState.LOGGED_OUT:
            return
        if agent.state in _FREE_STATES:
            self._start_break(agent)
        else:
            agent.break_due = True

    def _start_break(self, agent: _Agent) -> None:
        breaks = self.config.breaks
        assert breaks is not None
        agent.break_due = False
        self._set_state(agent, AgentState.PAUSED)
        length = self._random.gammavariate(4, breaks.duration_mean_seconds / 4)
        self._schedule(self._now + length, self._break_ends, (agent,))

    def _break_ends(self, agent: _Agent) -> None:
        self._schedule_break(agent)
        self._agent_free(agent)

    # ---- outbound ------------------------------------------------------------------------------

    def _pace(self, campaign: _Campaign) -> None:
        """Keep about pacing_ratio dials ringing per available agent of the campaign's team."""
        available = sum(1 for agent in campaign.agents if agent.state in _FREE_STATES)
        # A fractional ratio is met on average: round the allowance up with its fractional part
        # as the probability, so small teams do not pace in whole-dial steps.
        allowance = campaign.config.pacing_ratio * available
        whole = math.floor(allowance)
        if self._random.random() < allowance - whole:
            whole += 1
        while campaign.ringing < whole:
            campaign.ringing += 1
            self._dial(campaign)

    def _dial(self, campaign: _Campaign) -> None:
        config = campaign.config
        draw = self._random.random()
        if draw < config.no_answer_probability:
            outcome, ring = OutboundOutcome.NO_ANSWER, config.ring_max_seconds
        else:
            outcome = (
                OutboundOutcome.MACHINE
                if draw < config.no_answer_probability + config.machine_probability
                else OutboundOutcome.LIVE
            )
            ring = self._random.uniform(config.ring_min_seconds, config.ring_max_seconds)
        self._schedule(self._now + ring, self._dial_result, (campaign, outcome))

    def _dial_result(self, campaign: _Campaign, outcome: OutboundOutcome) -> None:
        campaign.ringing -= 1
        contact = _Contact(self._new_contact_id(), None, self._now)
        contact.campaign = campaign
        name = campaign.config.name
        if outcome is not OutboundOutcome.LIVE:
            self._out.append(self._outbound(contact, outcome))
        else:
            agent = self._longest_idle(campaign.agents)
            if agent is None:
                self._out.append(self._outbound(contact, OutboundOutcome.DROPPED))
            else:
                converted = self._random.random() < campaign.config.conversion_probability
                self._out.append(
                    ContactEvent(
                        kind=ContactKind.OUTBOUND,
                        at=self._now,
                        contact_id=contact.contact_id,
                        campaign=name,
                        team=agent.team,
                        agent=agent.name,
                        outcome=OutboundOutcome.LIVE,
                        converted=converted,
                    )
                )
                contact.agent = agent
                agent.contact = contact
                self._set_state(agent, AgentState.OUTBOUND)
                self._start_handling(contact, campaign.config.handling)
        self._pace(campaign)

    def _outbound(self, contact: _Contact, outcome: OutboundOutcome) -> ContactEvent:
        assert contact.campaign is not None
        return ContactEvent(
            kind=ContactKind.OUTBOUND,
            at=self._now,
            contact_id=contact.contact_id,
            campaign=contact.campaign.config.name,
            outcome=outcome,
        )


def simulate(config: SimulatorConfig, until: float) -> Iterator[Event]:
    """The events of ``config`` from ``config.start`` up to ``until`` (epoch seconds), in time
    order, as fast as the machine goes. ``until`` may be ``math.inf`` (never ends)."""
    if math.isnan(until):
        raise ValueError("until must be a time, got NaN")
    return Simulation(config).run(until)


def _clip(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))
