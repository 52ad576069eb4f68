"""Asterisk queue_log entries (plain file-layout lines too) to normalized events (pure, no I/O;
keeps call and agent state).

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
Queue housekeeping (CONFIGRELOAD, INFO, DID, JOINEMPTY, ...) is skipped silently; Asterisk's
OUTCALL is skipped and counted in ``skipped``. QUEUESTART means Asterisk (re)started: nobody can
still be waiting nor on a call, so every caller still waiting gets a CLEARED event (the wait ends,
no outcome is counted) and every agent still on a call (queue or outbound) is reported off it.

The same line written twice (same time, call id, queue, agent, event and data) is counted once:
a later copy of a line of a call still remembered is refused as ``duplicate`` (QueueLogLineError).

A call that enters queues more than once (re-queued, or sent to a second queue) is one contact per
queue entry: the first keeps the call id, later ones get ``<callid>#2``, ``#3``, ...
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from exporter.events import (
    AgentState,
    Channel,
    ContactKind,
    Event,
    EventList,
    EventReceiver,
    ExitReason,
)
from exporter.sources.queue_log_agents import AgentMap, AgentTracker
from exporter.sources.queue_log_parse import (
    FILE_LAYOUT_MIN_FIELDS,
    NONE_VALUE,
    Entry,
    QueueLogLineError,
    parse_file_line,
    trim_data,
)

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
_ABANDONED, _TRANSFERRED = ContactKind.ABANDONED, ContactKind.TRANSFERRED
_CLEARED = ContactKind.CLEARED
_RESTART = "QUEUESTART"
# What a line of a call is known by, to spot its copies: the hash of the text of a plain line
# (feed_line) or of its entry (feed). A hash, not the line: keeping every line of a day's calls
# costs memory and time (about 100 ns a line). Two different lines of one call share a 64-bit hash
# once in about 10^19 pairs.
LineKey = int


# Numbers already read, by their text: float() costs about 150 ns, and the same few hold and
# talk times ("0", "12", ...) come back on most lines. Bounded: when full, it starts again.
_NUMBERS: dict[str, float] = {}
_NUMBERS_KEPT = 10_000


def _number(event: str, data: Sequence[str], position: int, what: str) -> float:
    """data<position> (1-based) of an ``event`` line as a non-negative number."""
    if len(data) >= position:
        known = _NUMBERS.get(data[position - 1])
        if known is not None:
            return known
    if len(data) < position or not data[position - 1]:
        raise QueueLogLineError(
            "bad_field_count", f"{event} needs data{position} ({what}), it is missing"
        )
    text = data[position - 1]
    try:
        value = float(text)
    except ValueError:
        raise QueueLogLineError(
            "bad_number", f"{event} data{position} ({what}) is not a number: {text!r}"
        ) from None
    if not value >= 0:  # negative or NaN
        raise QueueLogLineError(
            "bad_number", f"{event} data{position} ({what}) is negative: {text!r}"
        )
    if len(_NUMBERS) >= _NUMBERS_KEPT:
        _NUMBERS.clear()  # start again with the numbers in use now
    _NUMBERS[text] = value
    return value


def _transfer_talk_seconds(event: str, data: Sequence[str]) -> float:
    # Asterisk 1.4 wrote TRANSFER as exten|context|hold|talk; later versions append the original
    # position, and ATTENDEDTRANSFER's leading method fields vary (BRIDGE|id, APP|name, LINK|a|b).
    if event == "TRANSFER" and len(data) == 4:
        return _number(event, data, 4, "call time")
    if len(data) < 3:
        raise QueueLogLineError(
            "bad_field_count", f"{event} needs ...|hold|talk|position, got {'|'.join(data)!r}"
        )
    return _number(event, data, len(data) - 1, "call time")


@dataclass
class QueueLogInterpreter:
    """Turns entries, in file order, into events. One interpreter per input stream."""

    agent_teams: Mapping[str, str] = field(default_factory=dict)  # agent id or interface
    agent_map: AgentMap = field(default_factory=AgentMap)
    skipped: Counter[str] = field(default_factory=Counter)
    rings: int = 0  # RINGNOANSWER / RINGCANCELED rows seen (one per agent rung)
    # How long a call id is remembered after its last queue entry: long enough for any call to
    # come back into a queue (its next entry is then "callid#2"), short enough that following a
    # live log for months keeps memory flat.
    call_memory_seconds: float = 24 * 3600.0
    # callid -> (its queue entries so far, the time of the last one, its lines read so far). A
    # call last entered before ``_cutoff`` is forgotten: unknown when met again, and dropped in
    # its turn.
    _calls: dict[str, tuple[int, float, list[LineKey]]] = field(default_factory=dict)
    # callid -> the contact id of its last queue entry, until a CONNECT or an exit (QUEUESTART
    # clears those left).
    _waiting: dict[str, str] = field(default_factory=dict)
    _cutoff: float = -math.inf  # call_memory_seconds before the latest queue entry
    _next_drop: float = -math.inf  # the cutoff at which forgotten calls are dropped next
    # (time, callid) of every queue entry, in file order: the calls to drop are at the front.
    _entries: deque[tuple[float, str]] = field(default_factory=deque)
    _agents: AgentTracker = field(default_factory=AgentTracker)
    # interface -> (agent, team), as ``_identify`` finds them: one dict lookup per line instead
    # of a call to the agent map and two to the team mapping.
    _who: dict[str, tuple[str, str]] = field(default_factory=lambda: {"": ("", "")})

    def interpret(self, entry: Entry) -> list[Event]:
        """The events an entry means (often none), as objects (see ``feed``)."""
        found = EventList()
        self.feed(entry, found)
        return found

    def feed(self, entry: Entry, receiver: EventReceiver) -> None:
        """Hand the events an entry means (often none) to ``receiver``, in order. Raises
        ``QueueLogLineError`` for bad data (or a line read before: ``duplicate``) before handing
        anything, leaving the state as it was."""
        self._interpret(*entry, receiver, hash(entry))

    def feed_line(
        self, line: str, receiver: EventReceiver, watch: float = math.inf
    ) -> float | None:
        """``feed`` of a *plain* file-layout line (no blank, no \\r: ``follow.text_blocks``),
        read here rather than by ``parse_file_line``: replay's path, for files of tens of millions
        of lines. A line stamped after ``watch`` is not handed over: its time is returned, for
        the caller to step to it first (``Stepper``) and feed it again."""
        fields = line.split("|")
        try:
            at = float(fields[0])
        except ValueError:
            at = math.nan
        if not (at >= 0 and len(fields) >= FILE_LAYOUT_MIN_FIELDS and fields[4]):
            # A line parse_file_line refuses (it says why) or finds empty.
            return self.feed_by_watch(parse_file_line(line, strip=False), receiver, watch)
        if at > watch:
            return at
        callid, queue, interface = fields[1], fields[2], fields[3]
        data = tuple(fields[FILE_LAYOUT_MIN_FIELDS:])
        entry: Entry = (
            at,
            "" if callid == NONE_VALUE else callid,
            "" if queue == NONE_VALUE else queue,
            "" if interface == NONE_VALUE else interface,
            fields[4].upper(),
            data if not data or data[-1] else trim_data(data),
        )
        # Keyed by the entry, as feed is, not by the text: "NONE" and "", "5" and "5.0" are the
        # same fact written twice, and a copy is a duplicate whichever path read it.
        self._interpret(*entry, receiver, hash(entry))
        return None

    def feed_by_watch(
        self, entry: Entry | None, receiver: EventReceiver, watch: float
    ) -> float | None:
        """``feed`` of the entry of a line (None: the line has none) unless it is stamped after
        ``watch``: then its time, as ``feed_line`` returns it."""
        if entry is None:
            return None
        if entry[0] > watch:
            return entry[0]
        self.feed(entry, receiver)
        return None

    def _interpret(
        self,
        at: float,
        callid: str,
        queue: str,
        interface: str,
        event: str,
        data: Sequence[str],
        receiver: EventReceiver,
        key: LineKey,
    ) -> None:
        calls = self._calls
        if event == "ENTERQUEUE":
            self._advance(at)
            known = calls.get(callid)
            if known is not None and known[1] < self._cutoff:
                known = None  # forgotten: a new call
            if known is None:
                entries, lines = 1, [key] if callid else []
            else:
                lines = known[2]
                if callid:  # (NONE: no call to tell copies apart by)
                    if key in lines:
                        raise QueueLogLineError(
                            "duplicate", f"the same line as before, call {callid}"
                        )
                    lines.append(key)
                entries = known[0] + 1
            contact_id = callid if entries == 1 else f"{callid}#{entries}"
            calls[callid] = (entries, at, lines)
            self._waiting[callid] = contact_id
            self._entries.append((at, callid))
            receiver.contact(
                _OFFERED, at, contact_id, queue, _VOICE, "", "", None, None, None, None
            )
            return
        known = calls.get(callid) if callid else None
        taken: list[LineKey] | None = None  # the call's lines, when this one joined them
        if known is None or known[1] < self._cutoff:  # not entered, or forgotten
            contact_id = callid
        else:
            lines = known[2]
            if key in lines:
                raise QueueLogLineError("duplicate", f"the same line as before, call {callid}")
            lines.append(key)  # (taken back if the line is refused below)
            taken = lines
            contact_id = callid if known[0] == 1 else f"{callid}#{known[0]}"
        # What follows may refuse the line (a bad number): the call is then left as it was.
        try:
            if event == _RESTART:
                self._restart(at, receiver)
                return
            agent, team = self._who.get(interface) or self._identify(interface)
            if event == "CONNECT":
                # _number's cache, looked up here first: a call fewer on most lines. (By get: a
                # KeyError raised and caught costs more than the call it saves.)
                cached = _NUMBERS.get(data[0]) if data else None
                wait = cached if cached is not None else _number(event, data, 1, "hold time")
                self._waiting.pop(callid, None)  # (an ended call left the queue too: no matter)
                # The agent's new state comes with the contact (ContactFields.new_agent_state).
                state = self._agents.connect(agent, callid) if agent else None
                receiver.contact(
                    _ANSWERED, at, contact_id, queue, _VOICE, team, agent, wait, None, None, state
                )
                return
            if event in _EXITS:
                reason, wait_field = _EXITS[event]
                wait = _number(event, data, wait_field, "wait time")
                self._waiting.pop(callid, None)
                receiver.contact(
                    _ABANDONED, at, contact_id, queue, _VOICE, "", "", wait, None, reason, None
                )
                return
            if event in _ENDED_BY_CALL or event in _TRANSFERS:
                if event in _TRANSFERS:
                    talk = _transfer_talk_seconds(event, data)
                    receiver.contact(
                        _TRANSFERRED,
                        at,
                        contact_id,
                        queue,
                        _VOICE,
                        team,
                        agent,
                        None,
                        None,
                        None,
                        None,
                    )
                else:
                    cached = _NUMBERS.get(data[1]) if len(data) > 1 else None
                    talk = cached if cached is not None else _number(event, data, 2, "call time")
                state = self._agents.call_ended(agent, callid) if agent else None
                receiver.contact(
                    _ENDED, at, contact_id, queue, _VOICE, team, agent, None, talk, None, state
                )
                return
            if event in _RINGS:
                _number(event, data, 1, "ring time in milliseconds")
                self.rings += 1
                return
            if agent:
                state = self._agent_state(event, queue, callid, agent)
                if state is not None:
                    receiver.agent_state(at, agent, state, team, queue)
        except QueueLogLineError:
            if taken is not None:
                taken.pop()
            raise

    def _identify(self, interface: str) -> tuple[str, str]:
        """The agent behind an interface, and their team ("" when none)."""
        agent = self.agent_map(interface)
        team = (self.agent_teams.get(agent) or self.agent_teams.get(interface, "")) if agent else ""
        if len(self._who) < 100_000:  # interfaces are few; bound it against odd input
            self._who[interface] = (agent, team)
        return agent, team

    def _agent_state(self, event: str, queue: str, callid: str, agent: str) -> AgentState | None:
        """The agent's new state after an agent-only line, None when it did not change."""
        tracker = self._agents
        if event in _LOGINS:
            return tracker.login(agent, queue)
        if event in _LOGOFFS:
            return tracker.logoff(agent, queue)
        if event in _PAUSES or event in _UNPAUSES:
            return tracker.pause(agent, event in _PAUSES)
        if event == _DIAL_OUT:
            return tracker.dial_out(agent, callid)
        if event in _DIAL_ENDS:
            return tracker.dial_ended(agent, callid)
        if event in _COUNTED_SKIPS:
            self.skipped[event] += 1
        return None

    def _advance(self, at: float) -> None:
        """The cutoff after a queue entry at ``at``; forgotten calls dropped once a minute."""
        cutoff = at - self.call_memory_seconds
        if cutoff > self._cutoff:
            self._cutoff = cutoff
            if cutoff >= self._next_drop:  # once a minute of entries, not at each one
                self._next_drop = cutoff + 60.0
                self._drop_forgotten_calls()

    def _restart(self, at: float, receiver: EventReceiver) -> None:
        """Asterisk (re)started: the callers still waiting are gone (CLEARED), the agents still
        on a call are off it."""
        calls, waiting = self._calls, self._waiting
        for callid, contact_id in list(waiting.items()):
            known = calls.get(callid)
            if known is not None and known[1] >= self._cutoff:  # not forgotten
                receiver.contact(
                    _CLEARED, at, contact_id, "", _VOICE, "", "", None, None, None, None
                )
        waiting.clear()
        teams = {agent: team for agent, team in self._who.values()}
        for agent, state in self._agents.restart():
            receiver.agent_state(at, agent, state, teams.get(agent, ""), "")

    def _drop_forgotten_calls(self) -> None:
        """Drop the calls last entered before the cutoff, going through the entries from the
        oldest up to the first since the cutoff."""
        entries, calls, cutoff = self._entries, self._calls, self._cutoff
        while entries and entries[0][0] < cutoff:
            callid = entries.popleft()[1]
            known = calls.get(callid)
            if known is not None and known[1] < cutoff:  # not entered again since
                del calls[callid]
                self._waiting.pop(callid, None)

    @property
    def remembered_calls(self) -> int:
        """Calls kept in memory: the forgotten ones not dropped yet included."""
        return len(self._calls)
