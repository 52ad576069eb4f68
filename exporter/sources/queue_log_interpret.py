"""Asterisk queue_log entries to normalized events (pure, no I/O; keeps call and agent state).

What each Asterisk event becomes (data fields as ``app_queue.c`` writes them):

=====================================  ======================================================
ENTERQUEUE                             OFFERED
CONNECT (hold|bridged id|ring s)       ANSWERED, wait = hold; the agent becomes BUSY
COMPLETECALLER / COMPLETEAGENT         ENDED, talk = data2; the agent becomes AVAILABLE
  (hold|talk|original position)
ABANDON, EXITWITHTIMEOUT, EXITEMPTY,   ABANDONED, wait = data3. Timeout, empty queue and
WITHDRAW (position|orig. pos.|wait)    withdrawal are counted as abandons too: the caller
                                       left the queue unanswered, which is what the
                                       abandonment and service-level KPIs count
EXITWITHKEY (key|pos.|orig. pos.|wait) ABANDONED, wait = data4 (the caller pressed a key to
                                       leave the queue)
TRANSFER, BLINDTRANSFER,               TRANSFERRED then ENDED, talk = the second-to-last field
ATTENDEDTRANSFER (...|hold|talk|pos.)  (the leading fields vary by version and method); the
                                       agent becomes AVAILABLE
RINGNOANSWER / RINGCANCELED (ring ms)  nothing: one row per agent rung, never an outcome
ADDMEMBER, AGENTLOGIN,                 agent LOGGED_IN
AGENTCALLBACKLOGIN
REMOVEMEMBER, AGENTLOGOFF,             agent LOGGED_OUT
AGENTCALLBACKLOGOFF
PAUSE / PAUSEALL                       agent PAUSED
UNPAUSE / UNPAUSEALL                   agent AVAILABLE (BUSY while still on a call)
=====================================  ======================================================

Asterisk has no after-contact-work state: an agent is available as soon as the call ends (or paused,
if they paused during the call). Agent names are kept as written (``SIP/1001``, ``Local/...``).
Queue housekeeping (QUEUESTART, CONFIGRELOAD, INFO, DID, JOINEMPTY, ...) is skipped silently;
PBXware's agent outbound events (OUTDIAL, OUTANSWER, ...) and Asterisk's OUTCALL are skipped and
counted in ``skipped``: they are not queue contacts.

A call that enters queues more than once (re-queued, or sent to a second queue) is one contact per
queue entry: the first keeps the call id, later ones get ``<callid>#2``, ``#3``, ...
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from exporter.events import AgentState, AgentStateEvent, Channel, ContactEvent, ContactKind, Event
from exporter.sources.queue_log_parse import QueueLogEntry, QueueLogLineError

_ENDED_BY_CALL = frozenset({"COMPLETECALLER", "COMPLETEAGENT"})
_ABANDON_WAIT_FIELD = {"ABANDON": 3, "EXITWITHTIMEOUT": 3, "EXITEMPTY": 3, "WITHDRAW": 3}
_TRANSFERS = frozenset({"TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER"})
_RINGS = frozenset({"RINGNOANSWER", "RINGCANCELED"})
_LOGINS = frozenset({"ADDMEMBER", "AGENTLOGIN", "AGENTCALLBACKLOGIN"})
_LOGOFFS = frozenset({"REMOVEMEMBER", "AGENTLOGOFF", "AGENTCALLBACKLOGOFF"})
_PAUSES = frozenset({"PAUSE", "PAUSEALL"})
_UNPAUSES = frozenset({"UNPAUSE", "UNPAUSEALL"})
_COUNTED_SKIPS = frozenset(
    {
        "OUTCALL",
        "OUTDIAL",
        "OUTANSWER",
        "OUTCANCEL",
        "OUTBUSY",
        "OUTCHANUNAVAIL",
        "OUTCONGESTION",
        "OUTNOANSWER",
        "OUTTRANSFER",
        "OUTFAIL",
    }
)


def _number(entry: QueueLogEntry, position: int, what: str) -> float:
    """data<position> (1-based) as a non-negative number."""
    if len(entry.data) < position or not entry.data[position - 1]:
        raise QueueLogLineError(
            "bad_field_count", f"{entry.event} needs data{position} ({what}), it is missing"
        )
    text = entry.data[position - 1]
    try:
        value = float(text)
    except ValueError:
        raise QueueLogLineError(
            "bad_number", f"{entry.event} data{position} ({what}) is not a number: {text!r}"
        ) from None
    if not value >= 0:  # negative or NaN
        raise QueueLogLineError(
            "bad_number", f"{entry.event} data{position} ({what}) is negative: {text!r}"
        )
    return value


def _transfer_talk_seconds(entry: QueueLogEntry) -> float:
    # Asterisk 1.4 wrote TRANSFER as exten|context|hold|talk; later versions append the original
    # position, and ATTENDEDTRANSFER's leading method fields vary (BRIDGE|id, APP|name, LINK|a|b).
    if entry.event == "TRANSFER" and len(entry.data) == 4:
        return _number(entry, 4, "call time")
    if len(entry.data) < 3:
        raise QueueLogLineError(
            "bad_field_count", f"{entry.event} needs ...|hold|talk|position, got {entry.data}"
        )
    return _number(entry, len(entry.data) - 1, "call time")


@dataclass
class QueueLogInterpreter:
    """Turns entries, in file order, into events. One interpreter per input stream."""

    agent_teams: Mapping[str, str] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)
    rings: int = 0  # RINGNOANSWER / RINGCANCELED rows seen (one per agent rung)
    _contact_ids: dict[str, str] = field(default_factory=dict)  # callid -> current contact id
    _entries: Counter[str] = field(default_factory=Counter)  # callid -> queue entries so far
    _paused: set[str] = field(default_factory=set)
    _on_call: set[str] = field(default_factory=set)

    def interpret(self, entry: QueueLogEntry) -> list[Event]:
        """The events an entry means (often none). Raises ``QueueLogLineError`` for bad data,
        leaving the state as it was."""
        event = entry.event
        if event == "ENTERQUEUE":
            return [self._contact(ContactKind.OFFERED, entry, self._enter(entry.callid))]
        if event == "CONNECT":
            wait = _number(entry, 1, "hold time")
            answered = self._contact(ContactKind.ANSWERED, entry, wait_seconds=wait)
            return [answered, *self._agent(entry, AgentState.BUSY, on_call=True)]
        if event in _ENDED_BY_CALL:
            talk = _number(entry, 2, "call time")
            ended = self._contact(ContactKind.ENDED, entry, talk_seconds=talk)
            return [ended, *self._after_call(entry)]
        if event in _ABANDON_WAIT_FIELD or event == "EXITWITHKEY":
            wait = _number(entry, 4 if event == "EXITWITHKEY" else 3, "wait time")
            return [self._contact(ContactKind.ABANDONED, entry, wait_seconds=wait, agent="")]
        if event in _TRANSFERS:
            talk = _transfer_talk_seconds(entry)
            transferred = self._contact(ContactKind.TRANSFERRED, entry)
            ended = self._contact(ContactKind.ENDED, entry, talk_seconds=talk)
            return [transferred, ended, *self._after_call(entry)]
        if event in _RINGS:
            _number(entry, 1, "ring time in milliseconds")
            self.rings += 1
            return []
        return self._agent_event(entry)

    def _agent_event(self, entry: QueueLogEntry) -> list[Event]:
        event = entry.event
        if event in _LOGINS:
            self._paused.discard(entry.agent)
            return self._agent(entry, AgentState.LOGGED_IN)
        if event in _LOGOFFS:
            self._paused.discard(entry.agent)
            self._on_call.discard(entry.agent)
            return self._agent(entry, AgentState.LOGGED_OUT)
        if event in _PAUSES:
            self._paused.add(entry.agent)
            return self._agent(entry, AgentState.PAUSED)
        if event in _UNPAUSES:
            self._paused.discard(entry.agent)
            busy = entry.agent in self._on_call
            return self._agent(entry, AgentState.BUSY if busy else AgentState.AVAILABLE)
        if event in _COUNTED_SKIPS:
            self.skipped[event] += 1
        return []

    def _enter(self, callid: str) -> str:
        self._entries[callid] += 1
        count = self._entries[callid]
        contact_id = callid if count == 1 else f"{callid}#{count}"
        self._contact_ids[callid] = contact_id
        return contact_id

    def _contact(
        self,
        kind: ContactKind,
        entry: QueueLogEntry,
        contact_id: str | None = None,
        *,
        wait_seconds: float | None = None,
        talk_seconds: float | None = None,
        agent: str | None = None,
    ) -> ContactEvent:
        agent = entry.agent if agent is None else agent
        return ContactEvent(
            kind=kind,
            at=entry.at,
            contact_id=contact_id or self._contact_ids.get(entry.callid, entry.callid),
            queue=entry.queue,
            channel=Channel.VOICE,
            team=self.agent_teams.get(agent, "") if agent else "",
            agent=agent,
            wait_seconds=wait_seconds,
            talk_seconds=talk_seconds,
        )

    def _after_call(self, entry: QueueLogEntry) -> list[Event]:
        self._on_call.discard(entry.agent)
        paused = entry.agent in self._paused
        return self._agent(entry, AgentState.PAUSED if paused else AgentState.AVAILABLE)

    def _agent(
        self, entry: QueueLogEntry, state: AgentState, *, on_call: bool = False
    ) -> list[Event]:
        if not entry.agent:
            return []
        if on_call:
            self._on_call.add(entry.agent)
        return [
            AgentStateEvent(
                at=entry.at,
                agent=entry.agent,
                state=state,
                team=self.agent_teams.get(entry.agent, ""),
                queue=entry.queue,
            )
        ]
