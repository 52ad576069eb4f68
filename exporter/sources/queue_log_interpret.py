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

from collections import Counter, OrderedDict
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


@dataclass(slots=True)
class _Call:
    contact_id: str
    entries: int  # how many times this call id entered a queue
    last_seen: float


@dataclass
class QueueLogInterpreter:
    """Turns entries, in file order, into events. One interpreter per input stream."""

    agent_teams: Mapping[str, str] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)
    rings: int = 0  # RINGNOANSWER / RINGCANCELED rows seen (one per agent rung)
    # How long a call id is remembered after its last line: long enough for any call to come
    # back into a queue (its next entry is then "callid#2"), short enough that following a
    # live log for months keeps memory flat.
    call_memory_seconds: float = 24 * 3600.0
    # callid -> its current contact, least recently seen first (evicted from the front)
    _calls: OrderedDict[str, _Call] = field(default_factory=OrderedDict)
    _paused: set[str] = field(default_factory=set)
    _on_call: set[str] = field(default_factory=set)

    def interpret(self, entry: QueueLogEntry) -> list[Event]:
        """The events an entry means (often none). Raises ``QueueLogLineError`` for bad data,
        leaving the state as it was."""
        event = entry.event
        if event == "ENTERQUEUE":
            contact_id = self._enter(entry.callid, entry.at)
            return [self._contact(ContactKind.OFFERED, entry, contact_id)]
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

    def _enter(self, callid: str, at: float) -> str:
        call = self._calls.get(callid)
        entries = 1 if call is None else call.entries + 1
        contact_id = callid if entries == 1 else f"{callid}#{entries}"
        self._calls[callid] = _Call(contact_id, entries, at)
        self._calls.move_to_end(callid)
        self._forget_calls_before(at - self.call_memory_seconds)
        return contact_id

    def _contact_id(self, callid: str, at: float) -> str:
        call = self._calls.get(callid)
        if call is None:
            return callid
        call.last_seen = max(call.last_seen, at)
        self._calls.move_to_end(callid)
        return call.contact_id

    def _forget_calls_before(self, cutoff: float) -> None:
        while self._calls:
            oldest = next(iter(self._calls.values()))
            if oldest.last_seen >= cutoff:
                return
            self._calls.popitem(last=False)

    @property
    def remembered_calls(self) -> int:
        return len(self._calls)

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
            contact_id=contact_id or self._contact_id(entry.callid, entry.at),
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
