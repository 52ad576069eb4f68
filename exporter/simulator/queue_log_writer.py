"""Normalized events to Asterisk queue_log lines (file layout), for benchmarks and fixtures.

Only voice contacts become lines (Asterisk's queue_log knows calls, not chats or emails). Each line
is ``epoch|callid|queue|agent|EVENT|data...`` with the data fields ``app_queue.c`` writes:

=============================  ===============================================================
OFFERED                        ENTERQUEUE (url, caller id, position)
ANSWERED                       CONNECT (hold time s, bridged uniqueid, ring time s), sometimes
                               after a RINGNOANSWER (ring ms) of another member of the queue
talk ends (the agent enters    COMPLETECALLER or COMPLETEAGENT (hold time, call time, original
after-contact work, or ENDED)  position); call time = answer to end of talk, hold included
TRANSFERRED                    BLINDTRANSFER (extension, context, hold time, call time, position)
ABANDONED                      ABANDON (position, original position, wait time)
agent logged in / out          ADDMEMBER / REMOVEMEMBER for each of the agent's voice queues
agent paused / back            PAUSE (reason) / UNPAUSE for each of the agent's voice queues
=============================  ===============================================================

Without ``agent_queues`` the agent lines are queue-less (``NONE``): AGENTLOGIN, AGENTLOGOFF,
PAUSEALL, UNPAUSEALL. Times are whole epoch seconds, as Asterisk writes them; the input must be
in time order (as ``simulate`` yields it), and so is the output.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from exporter.events import AgentState, AgentStateEvent, Channel, ContactEvent, ContactKind, Event

NONE = "NONE"
RING_NO_ANSWER_PROBABILITY = 0.08
COMPLETED_BY_CALLER_PROBABILITY = 0.6
TRANSFER_EXTENSION = "2000"
TRANSFER_CONTEXT = "from-queue"
PAUSE_REASON = "break"


@dataclass
class _Call:
    callid: str
    queue: str
    position: int  # original position in the queue
    wait: float = 0.0
    answered_at: float = 0.0


class QueueLogWriter:
    """Stateful translation, one event at a time (``lines(event)``); see the module docstring."""

    def __init__(
        self,
        agent_queues: Mapping[str, Sequence[str]] | None = None,
        *,
        seed: int = 0,
        ring_no_answer_probability: float = RING_NO_ANSWER_PROBABILITY,
    ) -> None:
        if not 0.0 <= ring_no_answer_probability <= 1.0:
            raise ValueError(
                f"ring_no_answer_probability must be in [0, 1], got {ring_no_answer_probability}"
            )
        self._agent_queues = agent_queues
        self._random = random.Random(seed)
        self._ring_no_answer_probability = ring_no_answer_probability
        self._bridges = itertools.count(1)
        self._calls: dict[str, _Call] = {}  # contact id -> call, until it leaves the queue log
        self._waiting: dict[str, dict[str, None]] = {}  # queue -> callids waiting, entry order
        self._on_call: dict[str, _Call] = {}  # agent -> call being talked
        self._members: dict[str, dict[str, None]] = {}  # queue -> agents logged in
        self._paused: set[str] = set()

    def lines(self, event: Event) -> list[str]:
        if isinstance(event, AgentStateEvent):
            return self._agent_lines(event)
        if event.channel != Channel.VOICE or not event.queue:
            return []
        kind = event.kind
        if kind is ContactKind.OFFERED:
            return self._enter(event)
        if kind is ContactKind.ANSWERED:
            return self._connect(event)
        if kind is ContactKind.ABANDONED:
            return self._abandon(event)
        if kind is ContactKind.TRANSFERRED:
            return self._transfer(event)
        if kind is ContactKind.ENDED:
            call = self._on_call.get(event.agent)
            if call is not None and call.callid == event.contact_id:
                return [self._complete(event.at, event.agent)]
        return []

    # ---- calls ---------------------------------------------------------------------------------

    def _enter(self, event: ContactEvent) -> list[str]:
        waiting = self._waiting.setdefault(event.queue, {})
        waiting[event.contact_id] = None
        call = _Call(event.contact_id, event.queue, position=len(waiting))
        self._calls[event.contact_id] = call
        caller = f"39{self._random.randrange(10**8, 10**9)}"
        return [
            _line(event.at, call.callid, call.queue, NONE, "ENTERQUEUE", "", caller, call.position)
        ]

    def _leave_queue(self, event: ContactEvent) -> tuple[_Call, int] | None:
        """The call and its position when it left the queue (None when it never entered)."""
        call = self._calls.pop(event.contact_id, None)
        if call is None:
            return None
        waiting = self._waiting[call.queue]
        position = list(waiting).index(call.callid) + 1
        del waiting[call.callid]
        return call, position

    def _connect(self, event: ContactEvent) -> list[str]:
        left = self._leave_queue(event)
        if left is None or not event.agent:
            return []
        call, _ = left
        call.wait = event.wait_seconds if event.wait_seconds is not None else 0.0
        call.answered_at = event.at
        self._on_call[event.agent] = call
        lines = []
        others = [a for a in self._members.get(call.queue, {}) if a != event.agent]
        if others and call.wait >= 2.0 and self._random.random() < self._ring_no_answer_probability:
            ring_ms = self._random.randrange(1000, int(min(call.wait, 15.0) * 1000) + 1)
            other = others[self._random.randrange(len(others))]
            lines.append(_line(event.at, call.callid, call.queue, other, "RINGNOANSWER", ring_ms))
        ring = min(round(call.wait), self._random.randint(1, 4))
        bridged = f"{int(event.at)}.{next(self._bridges)}"
        lines.append(
            _line(
                event.at,
                call.callid,
                call.queue,
                event.agent,
                "CONNECT",
                round(call.wait),
                bridged,
                ring,
            )
        )
        return lines

    def _abandon(self, event: ContactEvent) -> list[str]:
        left = self._leave_queue(event)
        if left is None:
            return []
        call, position = left
        wait = round(event.wait_seconds) if event.wait_seconds is not None else 0
        return [
            _line(event.at, call.callid, call.queue, NONE, "ABANDON", position, call.position, wait)
        ]

    def _complete(self, at: float, agent: str) -> str:
        call = self._on_call.pop(agent)
        by_caller = self._random.random() < COMPLETED_BY_CALLER_PROBABILITY
        kind = "COMPLETECALLER" if by_caller else "COMPLETEAGENT"
        talk = round(at - call.answered_at)
        return _line(
            at, call.callid, call.queue, agent, kind, round(call.wait), talk, call.position
        )

    def _transfer(self, event: ContactEvent) -> list[str]:
        call = self._on_call.get(event.agent)
        if call is None or call.callid != event.contact_id:
            return []
        del self._on_call[event.agent]
        talk = round(event.at - call.answered_at)
        return [
            _line(
                event.at,
                call.callid,
                call.queue,
                event.agent,
                "BLINDTRANSFER",
                TRANSFER_EXTENSION,
                TRANSFER_CONTEXT,
                round(call.wait),
                talk,
                call.position,
            )
        ]

    # ---- agents ----------------------------------------------------------------------------------

    def _agent_lines(self, event: AgentStateEvent) -> list[str]:
        agent, state = event.agent, event.state
        lines: list[str] = []
        if state is AgentState.AFTER_CONTACT_WORK and agent in self._on_call:
            lines.append(self._complete(event.at, agent))
        if state is AgentState.LOGGED_IN:
            lines += self._each_queue(event, "ADDMEMBER", "AGENTLOGIN")
            for queue in self._queues_of(agent) or ():
                self._members.setdefault(queue, {})[agent] = None
        elif state is AgentState.LOGGED_OUT:
            self._paused.discard(agent)
            lines += self._each_queue(event, "REMOVEMEMBER", "AGENTLOGOFF")
            for queue in self._queues_of(agent) or ():
                self._members.get(queue, {}).pop(agent, None)
        elif state is AgentState.PAUSED:
            self._paused.add(agent)
            lines += self._each_queue(event, "PAUSE", "PAUSEALL", PAUSE_REASON)
        elif agent in self._paused:
            self._paused.discard(agent)
            lines += self._each_queue(event, "UNPAUSE", "UNPAUSEALL")
        return lines

    def _queues_of(self, agent: str) -> Sequence[str] | None:
        """The agent's voice queues; None when no mapping was given (queue-less lines)."""
        if self._agent_queues is None:
            return None
        return self._agent_queues.get(agent, ())

    def _each_queue(
        self, event: AgentStateEvent, per_queue: str, queue_less: str, *data: object
    ) -> list[str]:
        queues = self._queues_of(event.agent)
        if queues is None:
            return [_line(event.at, NONE, NONE, event.agent, queue_less, *data)]
        return [_line(event.at, NONE, queue, event.agent, per_queue, *data) for queue in queues]


def format_queue_log(
    events: Iterable[Event],
    *,
    agent_queues: Mapping[str, Sequence[str]] | None = None,
    seed: int = 0,
    ring_no_answer_probability: float = RING_NO_ANSWER_PROBABILITY,
) -> Iterator[str]:
    """queue_log lines (without the newline) for ``events``, lazily: streams any length.

    ``agent_queues`` maps each agent to its voice queues (``SimulatorConfig.agent_queues(
    Channel.VOICE)``); ``seed`` drives the cosmetic fields (caller ids, ring times, RINGNOANSWER
    rows, who hung up), so one seed gives one file."""
    writer = QueueLogWriter(
        agent_queues, seed=seed, ring_no_answer_probability=ring_no_answer_probability
    )
    for event in events:
        yield from writer.lines(event)


def _line(at: float, callid: str, queue: str, agent: str, event: str, *data: object) -> str:
    # Asterisk always writes at least one data field, empty when the event has none.
    fields = [str(field) for field in data] or [""]
    return "|".join((str(int(at)), callid, queue, agent, event, *fields))
