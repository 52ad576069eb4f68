"""Asterisk queue_log entries to normalized events (pure, no I/O; keeps call and agent state).

What each Asterisk event becomes (data fields as ``app_queue.c`` writes them):

=====================================  ======================================================
ENTERQUEUE                             OFFERED
CONNECT (hold|bridged id|ring s)       ANSWERED, wait = hold; the agent is on the call
COMPLETECALLER / COMPLETEAGENT         ENDED, talk = data2; the call is over for the agent
  (hold|talk|original position)
ABANDON (position|orig. pos.|wait)     ABANDONED, wait = data3, exit reason ``abandoned``
EXITWITHTIMEOUT, EXITEMPTY, WITHDRAW   ABANDONED, wait = data3, exit reason ``timeout``,
  (position|orig. pos.|wait)           ``empty``, ``withdrawn``: the caller left the queue
                                       unanswered, which the abandonment and service-level
                                       KPIs count (the reason keeps them apart in counters)
EXITWITHKEY (key|pos.|orig. pos.|wait) ABANDONED, wait = data4, exit reason ``key``
TRANSFER, BLINDTRANSFER,               TRANSFERRED then ENDED, talk = the second-to-last field
ATTENDEDTRANSFER (...|hold|talk|pos.)  (the leading fields vary by version and method); the
                                       call is over for the agent
RINGNOANSWER / RINGCANCELED (ring ms)  nothing: one row per agent rung, never an outcome
ADDMEMBER, AGENTLOGIN,                 the agent logs in (to the queue, or queue-less)
AGENTCALLBACKLOGIN
REMOVEMEMBER, AGENTLOGOFF,             the agent logs off (from the queue, or from all)
AGENTCALLBACKLOGOFF
PAUSE / PAUSEALL, UNPAUSE / UNPAUSEALL the agent pauses / resumes
OUTDIAL (PBXware)                      the agent starts an outbound call
OUTANSWER, OUTCANCEL, OUTBUSY,         the agent's outbound call is over (PBXware writes
OUTNOANSWER, OUTCHANUNAVAIL,           OUTANSWER when the answered call ends)
OUTCONGESTION, OUTFAIL, OUTTRANSFER
=====================================  ======================================================

Agent state (BUSY, OUTBOUND, PAUSED, AVAILABLE, LOGGED_OUT) is derived from all of these in
``queue_log_agents.AgentTracker``, after the interface on the line is mapped to an agent id
(``queue_log_agents.AgentMap``): an agent who logs off during a call stays logged off when it ends,
and one person behind two interfaces is one agent. Asterisk has no after-contact-work state.
Queue housekeeping (QUEUESTART, CONFIGRELOAD, INFO, DID, JOINEMPTY, ...) is skipped silently;
Asterisk's OUTCALL is skipped and counted in ``skipped``.

A call that enters queues more than once (re-queued, or sent to a second queue) is one contact per
queue entry: the first keeps the call id, later ones get ``<callid>#2``, ``#3``, ...
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field

from exporter.events import (
    AgentState,
    AgentStateEvent,
    Channel,
    ContactEvent,
    ContactKind,
    Event,
    ExitReason,
)
from exporter.sources.queue_log_agents import AgentMap, AgentTracker
from exporter.sources.queue_log_parse import QueueLogEntry, QueueLogLineError

_ENDED_BY_CALL = frozenset({"COMPLETECALLER", "COMPLETEAGENT"})
# Exit event -> (why the caller left, the data field holding the wait)
_EXITS: dict[str, tuple[ExitReason, int]] = {
    "ABANDON": (ExitReason.ABANDONED, 3),
    "EXITWITHTIMEOUT": (ExitReason.TIMEOUT, 3),
    "EXITEMPTY": (ExitReason.EMPTY, 3),
    "WITHDRAW": (ExitReason.WITHDRAWN, 3),
    "EXITWITHKEY": (ExitReason.KEY, 4),
}
_TRANSFERS = frozenset({"TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER"})
_RINGS = frozenset({"RINGNOANSWER", "RINGCANCELED"})
_LOGINS = frozenset({"ADDMEMBER", "AGENTLOGIN", "AGENTCALLBACKLOGIN"})
_LOGOFFS = frozenset({"REMOVEMEMBER", "AGENTLOGOFF", "AGENTCALLBACKLOGOFF"})
_PAUSES = frozenset({"PAUSE", "PAUSEALL"})
_UNPAUSES = frozenset({"UNPAUSE", "UNPAUSEALL"})
_DIAL_OUT = "OUTDIAL"
_DIAL_ENDS = frozenset(
    {
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
_COUNTED_SKIPS = frozenset({"OUTCALL"})
# Enum members read once here: through their class they cost a lookup each (about 65 ns on
# Python 3.11), and these are read for most lines.
_VOICE = Channel.VOICE
_OFFERED, _ANSWERED, _ENDED = ContactKind.OFFERED, ContactKind.ANSWERED, ContactKind.ENDED


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

    agent_teams: Mapping[str, str] = field(default_factory=dict)  # agent id or interface
    agent_map: AgentMap = field(default_factory=AgentMap)
    skipped: Counter[str] = field(default_factory=Counter)
    rings: int = 0  # RINGNOANSWER / RINGCANCELED rows seen (one per agent rung)
    # How long a call id is remembered after its last line: long enough for any call to come
    # back into a queue (its next entry is then "callid#2"), short enough that following a
    # live log for months keeps memory flat.
    call_memory_seconds: float = 24 * 3600.0
    # callid -> its current contact, least recently seen first (evicted from the front)
    _calls: OrderedDict[str, _Call] = field(default_factory=OrderedDict)
    _agents: AgentTracker = field(default_factory=AgentTracker)

    def interpret(self, entry: QueueLogEntry) -> list[Event]:
        """The events an entry means (often none). Raises ``QueueLogLineError`` for bad data,
        leaving the state as it was."""
        event = entry.event
        if event == "ENTERQUEUE":
            contact_id = self._enter(entry.callid, entry.at)
            return [self._contact(_OFFERED, entry, "", "", contact_id)]
        agent = self.agent_map(entry.agent) if entry.agent else ""
        team = self._team(agent, entry.agent) if agent else ""
        found: list[Event]
        if event == "CONNECT":
            wait = _number(entry, 1, "hold time")
            found = [self._contact(_ANSWERED, entry, agent, team, wait_seconds=wait)]
            state = self._agents.connect(agent, entry.callid)
            return self._with_agent(found, entry, agent, team, state)
        if event in _ENDED_BY_CALL:
            talk = _number(entry, 2, "call time")
            found = [self._contact(_ENDED, entry, agent, team, talk_seconds=talk)]
            return self._call_ended(found, entry, agent, team)
        exit_reason = _EXITS.get(event)
        if exit_reason is not None:
            reason, wait_field = exit_reason
            wait = _number(entry, wait_field, "wait time")
            return [
                self._contact(
                    ContactKind.ABANDONED, entry, "", "", wait_seconds=wait, exit_reason=reason
                )
            ]
        if event in _TRANSFERS:
            talk = _transfer_talk_seconds(entry)
            found = [
                self._contact(ContactKind.TRANSFERRED, entry, agent, team),
                self._contact(_ENDED, entry, agent, team, talk_seconds=talk),
            ]
            return self._call_ended(found, entry, agent, team)
        if event in _RINGS:
            _number(entry, 1, "ring time in milliseconds")
            self.rings += 1
            return []
        if not agent:
            return []
        return self._with_agent([], entry, agent, team, self._agent_state(entry, agent))

    def _agent_state(self, entry: QueueLogEntry, agent: str) -> AgentState | None:
        """The agent's new state after an agent-only line, None when it did not change."""
        event = entry.event
        tracker = self._agents
        if event in _LOGINS:
            return tracker.login(agent, entry.queue)
        if event in _LOGOFFS:
            return tracker.logoff(agent, entry.queue)
        if event in _PAUSES or event in _UNPAUSES:
            return tracker.pause(agent, event in _PAUSES)
        if event == _DIAL_OUT:
            return tracker.dial_out(agent, entry.callid)
        if event in _DIAL_ENDS:
            return tracker.dial_ended(agent, entry.callid)
        if event in _COUNTED_SKIPS:
            self.skipped[event] += 1
        return None

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
        if at > call.last_seen:
            call.last_seen = at
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
        agent: str,
        team: str,
        contact_id: str | None = None,
        *,
        wait_seconds: float | None = None,
        talk_seconds: float | None = None,
        exit_reason: ExitReason | None = None,
    ) -> ContactEvent:
        # Fields by position (kind, at, contact_id, queue, channel, team, agent, campaign, wait,
        # talk): by keyword, building this 21-field record for most lines costs twice as much.
        event = ContactEvent(
            kind,
            entry.at,
            contact_id or self._contact_id(entry.callid, entry.at),
            entry.queue,
            _VOICE,
            team,
            agent,
            "",
            wait_seconds,
            talk_seconds,
        )
        if exit_reason is not None:
            event.exit_reason = exit_reason
        return event

    def _team(self, agent: str, interface: str) -> str:
        teams = self.agent_teams
        return teams.get(agent) or teams.get(interface, "")

    def _call_ended(
        self, found: list[Event], entry: QueueLogEntry, agent: str, team: str
    ) -> list[Event]:
        state = self._agents.call_ended(agent, entry.callid)
        return self._with_agent(found, entry, agent, team, state)

    @staticmethod
    def _with_agent(
        found: list[Event], entry: QueueLogEntry, agent: str, team: str, state: AgentState | None
    ) -> list[Event]:
        """``found`` and, when the state of ``entry``'s agent changed, its state event."""
        if state is not None and agent:
            found.append(AgentStateEvent(entry.at, agent, state, team, entry.queue))
        return found
