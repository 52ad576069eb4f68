"""The normalized event model every source produces and the KPI engine consumes.

A source (Asterisk queue_log, contact records, HTTP events, the simulator) turns its input into
``ContactEvent`` and ``AgentStateEvent`` values; nothing downstream knows where an event came from.
Times are Unix epoch seconds (float, UTC); durations are seconds.

A contact's life, as events (each a ``ContactEvent`` with the same ``contact_id``)::

    OFFERED ──► ANSWERED ──► ENDED (talk/hold/acw seconds, resolved) ──► SURVEY (scores)
        └─────► ABANDONED (wait seconds)
    TRANSFERRED may follow ANSWERED; OUTBOUND is a single event per dial with its outcome;
    BOT is a single event per self-service session, contained or handed to a human.
    CLEARED ends the wait of a contact whose outcome will never be known (the PBX restarted).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NamedTuple, Protocol

EMAIL_SERVICE_LEVEL_THRESHOLD_SECONDS = 4 * 3600.0


class Channel(enum.StrEnum):
    VOICE = "voice"
    CHAT = "chat"
    EMAIL = "email"


class ContactKind(enum.StrEnum):
    OFFERED = "offered"  # entered a queue (wait starts)
    ANSWERED = "answered"  # an agent picked it up; wait_seconds = queue entry -> answer
    ABANDONED = "abandoned"  # left the queue unanswered; wait_seconds = queue entry -> leave
    ENDED = "ended"  # handling finished; talk/hold/acw seconds, resolved
    TRANSFERRED = "transferred"  # handed to another queue or agent
    SURVEY = "survey"  # post-contact survey answer(s)
    OUTBOUND = "outbound"  # one outbound dial with its outcome
    BOT = "bot"  # one self-service (bot/IVR) session; contained or not
    CLEARED = "cleared"  # no longer waiting, outcome unknown (the PBX restarted): counts nothing


class OutboundOutcome(enum.StrEnum):
    NO_ANSWER = "no_answer"  # not answered, busy or failed
    MACHINE = "machine"  # answered by a machine or fax
    LIVE = "live"  # answered by a person and connected to an agent
    DROPPED = "dropped"  # answered by a person, no agent was free


class ExitReason(enum.StrEnum):
    """Why an ABANDONED contact left the queue (Asterisk tells them apart; others do not)."""

    ABANDONED = "abandoned"  # the caller hung up while waiting (and every source that won't say)
    TIMEOUT = "timeout"  # the queue's maximum wait passed (EXITWITHTIMEOUT)
    EMPTY = "empty"  # no agent left to serve the queue (EXITEMPTY)
    KEY = "key"  # the caller pressed a key to leave (EXITWITHKEY)
    WITHDRAWN = "withdrawn"  # taken out of the queue by the system (WITHDRAW)


class AgentState(enum.StrEnum):
    LOGGED_IN = "logged_in"  # logged in, state not yet known: counts as available
    AVAILABLE = "available"
    BUSY = "busy"  # on a queue contact
    AFTER_CONTACT_WORK = "after_contact_work"
    PAUSED = "paused"
    OUTBOUND = "outbound"  # on an outbound call (dialled by the agent, or a dialer's live answer)
    LOGGED_OUT = "logged_out"


# Events are plain slotted records, not frozen: sources build one or two per input line (tens of
# millions for a year of history), and a frozen dataclass pays an object.__setattr__ call per field
# to build, about six times the cost of plain assignment for these twenty fields. Nothing changes an
# event once built, and nothing hashes one (they are not dictionary keys or set members).
@dataclass(slots=True)
class ContactEvent:
    kind: ContactKind
    at: float
    contact_id: str
    queue: str = ""
    channel: str = ""
    team: str = ""
    agent: str = ""
    campaign: str = ""
    wait_seconds: float | None = None
    talk_seconds: float | None = None
    hold_seconds: float | None = None
    after_contact_work_seconds: float | None = None
    resolved: bool | None = None  # resolved on first contact (ENDED)
    csat: float | None = None  # 1-5 (SURVEY)
    nps: float | None = None  # 0-10 likelihood to recommend (SURVEY)
    ces: float | None = None  # 1-7 (SURVEY)
    ai_cx_score: float | None = None  # 0-100, AI-assessed (SURVEY or ENDED)
    outcome: OutboundOutcome | None = None  # OUTBOUND
    converted: bool | None = None  # OUTBOUND with outcome LIVE
    contained: bool | None = None  # BOT
    exit_reason: ExitReason | None = None  # ABANDONED; None = the caller abandoned


@dataclass(slots=True)
class AgentStateEvent:
    at: float
    agent: str
    state: AgentState
    team: str = ""
    queue: str = ""


Event = ContactEvent | AgentStateEvent


class ContactFields(NamedTuple):
    """A contact event by its fields, in the order sources hand them: the one list of them.

    A source that reads past data in bulk (queue_log) hands these to an ``EventReceiver`` as
    positional arguments, without building a ``ContactEvent`` (a tuple of these is never built
    either): receivers take them as ``*fields: *ContactFields``, so mypy checks every call
    and every receiver against this list."""

    kind: ContactKind
    at: float
    contact_id: str
    queue: str
    channel: str
    team: str
    agent: str
    wait_seconds: float | None
    talk_seconds: float | None
    exit_reason: ExitReason | None
    # The agent's state after this contact event, at the same instant, or None: a call answered
    # or ended changes its agent's state, and one call hands both events.
    new_agent_state: AgentState | None


class EventReceiver(Protocol):
    """Takes the events of a source given by their fields, without an Event object per event:
    ``EventList`` builds the objects (the live path), ``exporter.backfill.feed.Feed`` counts
    them straight into the KPI engine (replay and backfill, tens of millions of events). A
    receiver may raise ``StopFeeding``."""

    def contact(self, *fields: *ContactFields) -> object:
        """A ``ContactEvent`` with these fields (and no others); with ``new_agent_state``, then
        the ``AgentStateEvent`` of the agent's change to it at the same instant. What it returns
        is ignored."""

    def agent_state(
        self, at: float, agent: str, state: AgentState, team: str, queue: str
    ) -> object:
        """An ``AgentStateEvent``; what it returns is ignored."""


class Stepper(Protocol):
    """Steps through time as a source reads past data (``exporter.backfill.feed.Feed``): the
    source calls ``reach(at)`` before the events of a line stamped after ``watch``, and hands the
    events of a line still after the new watch to ``past_end`` instead of its receiver."""

    watch: float
    # The reasons the receiver refused events for, not yet reported: the source reports each
    # with the place of the line it came from, and empties the list.
    refusals: list[str]

    @property
    def past_end(self) -> EventReceiver:
        """Where the events after the end go."""
        ...

    def reach(self, at: float) -> float:
        """Take the steps up to ``at``; the new watch. May raise ``StopFeeding``."""
        ...


class StopFeeding(Exception):
    """Raised by an ``EventReceiver`` that wants no more events: the source stops reading."""


class EventList(list[Event]):
    """An ``EventReceiver`` that keeps each event as an object, in order."""

    def contact(self, *fields: *ContactFields) -> None:
        kind, at, contact_id, queue, channel, team, agent, wait, talk, exit_reason, state = fields
        # Fields by position: by keyword, building this 21-field record costs twice as much.
        event = ContactEvent(kind, at, contact_id, queue, channel, team, agent, "", wait, talk)
        if exit_reason is not None:
            event.exit_reason = exit_reason
        self.append(event)
        if state is not None:
            self.append(AgentStateEvent(at, agent, state, team, queue))

    def agent_state(self, at: float, agent: str, state: AgentState, team: str, queue: str) -> None:
        self.append(AgentStateEvent(at, agent, state, team, queue))
