"""Who the agents of a queue_log are, and what state each one is in (pure, no I/O).

**Agent mapping.** Asterisk writes a queue member's interface (or member name) on each line, and
one person often has several: PBXware logs ``Local/1127@callback-agent`` for the queue membership
and ``Agent/1127`` for the agent's calls and logins. ``AgentMap`` turns an interface into the
agent id every KPI uses: a table entry if there is one, else the pattern's ``agent`` group (or
its first group), else the interface as written. The default pattern takes the part after the
technology and before any ``@context`` or ``/option``, so ``Agent/1127``,
``Local/1127@callback-agent``, ``SIP/1127``, ``PJSIP/1127`` and ``Local/1127@from-queue/n`` are all
agent ``1127``; a member name without a slash (``Ann Smith``) stays as written.

**Agent state.** ``AgentTracker`` keeps, per agent, what the log has said so far and derives one
state from it, most telling first:

==========================================  =================================================
on a queue call (CONNECT, not yet ended)    BUSY
on an outbound call (OUTDIAL, not ended)    OUTBOUND
logged off (last login/logoff was a logoff) LOGGED_OUT
paused                                      PAUSED
otherwise                                   AVAILABLE (LOGGED_IN right at a login)
==========================================  =================================================

So an agent who logs off or pauses during a call stays BUSY until the call ends and is then
LOGGED_OUT or PAUSED, never AVAILABLE again. An agent first seen making an outbound call, never
seen logging in or taking a queue call, is not assumed to be a queue member: after the call it
is LOGGED_OUT. An agent is on one call at a time: a new queue call replaces one whose end was
never written (and an outbound one), a new OUTDIAL an earlier one, so a lost line cannot keep an
agent busy past their next call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from exporter.events import AgentState

DEFAULT_AGENT_PATTERN = r"^[A-Za-z0-9_]+/(?P<agent>[^@/]+)"

# Enum members read through their class cost a lookup each (about 65 ns on Python 3.11), and a
# state is derived for most lines: read from module constants instead.
_BUSY, _OUTBOUND, _LOGGED_OUT = AgentState.BUSY, AgentState.OUTBOUND, AgentState.LOGGED_OUT
_PAUSED, _AVAILABLE, _LOGGED_IN = AgentState.PAUSED, AgentState.AVAILABLE, AgentState.LOGGED_IN


class AgentMapError(ValueError):
    """An agent mapping that cannot be used; the message says what and where."""


class AgentMap:
    """Interface -> agent id: the table first, then the pattern, then the interface itself."""

    def __init__(
        self, pattern: str | None = DEFAULT_AGENT_PATTERN, table: dict[str, str] | None = None
    ) -> None:
        self.pattern = re.compile(pattern) if pattern else None
        if self.pattern is not None and self.pattern.groups == 0:
            raise AgentMapError(f"agent pattern {pattern!r} needs a group, e.g. (?P<agent>...)")
        self.table = dict(table or {})
        self._cache: dict[str, str] = {}

    def __call__(self, interface: str) -> str:
        agent = self._cache.get(interface)
        if agent is None:
            agent = self._resolve(interface)
            if len(self._cache) < 100_000:  # interfaces are few; bound it against odd input
                self._cache[interface] = agent
        return agent

    def _resolve(self, interface: str) -> str:
        if not interface:
            return ""
        mapped = self.table.get(interface)
        if mapped is not None:
            return mapped
        if self.pattern is not None:
            match = self.pattern.search(interface)
            if match is not None:
                groups = match.groupdict()
                found = groups["agent"] if "agent" in groups else match.group(1)
                if found:
                    return found
        return interface


def agent_map_from_dict(data: object, where: str) -> AgentMap:
    """An ``AgentMap`` from the YAML of an agent-map file::

    pattern: '^Agent/(?P<agent>\\d+)'   # optional; "none" keeps interfaces as written
    agents:                              # optional; wins over the pattern
      Local/1127@callback-agent: ann
      Agent/1127: ann
    """
    if not isinstance(data, dict):
        raise AgentMapError(f"{where}: expected a mapping with pattern: and/or agents:")
    unknown = sorted(str(key) for key in data if key not in ("pattern", "agents"))
    if unknown:
        raise AgentMapError(f"{where}: unknown key(s) {', '.join(unknown)}; known: pattern, agents")
    pattern = data.get("pattern", DEFAULT_AGENT_PATTERN)
    if pattern is None or str(pattern).lower() == "none":
        pattern = None
    elif not isinstance(pattern, str):
        raise AgentMapError(f"{where}: pattern: expected a regular expression, got {pattern!r}")
    agents = data.get("agents") or {}
    if not isinstance(agents, dict) or not all(
        isinstance(value, str | int) and not isinstance(value, bool) for value in agents.values()
    ):
        raise AgentMapError(f"{where}: agents: expected interface: agent id entries")
    try:
        return AgentMap(pattern, {str(key): str(value) for key, value in agents.items()})
    except (re.error, OverflowError) as error:
        raise AgentMapError(f"{where}: pattern: not a regular expression: {error}") from None
    except AgentMapError as error:
        raise AgentMapError(f"{where}: {error}") from None


@dataclass(slots=True)
class _Agent:
    logged_in: bool | None = None  # None: never seen logging in or out, nor taking a queue call
    queues: set[str] = field(default_factory=set)  # memberships logged in ("" = queue-less)
    paused: bool = False
    call: str | None = None  # the queue call in progress (call id)
    outbound: str | None = None  # the outbound call in progress (call id)
    state: AgentState | None = None  # the state last reported


class AgentTracker:
    """Per-agent state from queue_log facts. Each method returns the agent's new state when it
    changed (to be reported as an ``AgentStateEvent``), else None."""

    def __init__(self) -> None:
        self._agents: dict[str, _Agent] = {}

    # Each method below finds the agent with ``self._agents.get(agent) or self._add(agent)``:
    # one call fewer than a ``_get`` method for most lines of a queue_log.
    def _add(self, agent: str) -> _Agent:
        added = self._agents[agent] = _Agent()
        return added

    def login(self, agent: str, queue: str) -> AgentState | None:
        status = self._agents.get(agent) or self._add(agent)
        status.logged_in = True
        status.queues.add(queue)
        status.paused = False
        return self._report(status, login=True)

    def logoff(self, agent: str, queue: str) -> AgentState | None:
        """A logoff from ``queue`` ("" = from everything). The agent is logged out once no
        membership is left."""
        status = self._agents.get(agent) or self._add(agent)
        if queue:
            status.queues.discard(queue)
        else:
            status.queues.clear()
        if not status.queues:
            status.logged_in = False
            status.paused = False
        return self._report(status)

    def pause(self, agent: str, paused: bool) -> AgentState | None:
        status = self._agents.get(agent) or self._add(agent)
        status.paused = paused
        return self._report(status)

    def connect(self, agent: str, callid: str) -> AgentState | None:
        status = self._agents.get(agent) or self._add(agent)
        if status.logged_in is None:
            status.logged_in = True  # a queue call proves membership (a static member)
        status.call = callid
        status.outbound = None
        # On a queue call: busy, the most telling state (what _report finds), inline as a call
        # is connected on a third of the lines.
        if status.state is _BUSY:
            return None
        status.state = _BUSY
        return _BUSY

    def call_ended(self, agent: str, callid: str) -> AgentState | None:
        status = self._agents.get(agent) or self._add(agent)
        if status.call == callid:
            status.call = None
        return self._report(status)

    def dial_out(self, agent: str, callid: str) -> AgentState | None:
        status = self._agents.get(agent) or self._add(agent)
        status.outbound = callid
        return self._report(status)

    def dial_ended(self, agent: str, callid: str) -> AgentState | None:
        status = self._agents.get(agent) or self._add(agent)
        if status.outbound == callid:
            status.outbound = None
        return self._report(status)

    def restart(self) -> list[tuple[str, AgentState]]:
        """Asterisk (re)started: no call goes on. The agents who were on one, with their new
        state (memberships are kept: Asterisk's persistentmembers restores them)."""
        changed = []
        for agent, status in self._agents.items():
            if status.call is None and status.outbound is None:
                continue
            status.call = status.outbound = None
            state = self._report(status)
            if state is not None:
                changed.append((agent, state))
        return changed

    def _report(self, status: _Agent, *, login: bool = False) -> AgentState | None:
        # The state, most telling first (see the module docstring); one function, as a state
        # is derived for most lines of a queue_log.
        if status.call is not None:
            state = _BUSY
        elif status.outbound is not None:
            state = _OUTBOUND
        elif not status.logged_in:
            state = _LOGGED_OUT
        elif status.paused:
            state = _PAUSED
        else:
            state = _LOGGED_IN if login else _AVAILABLE
        before = status.state
        # AVAILABLE and LOGGED_IN are the same state for a change (a login is reported as such)
        if before is state or (
            (before is _AVAILABLE or before is _LOGGED_IN)
            and (state is _AVAILABLE or state is _LOGGED_IN)
        ):
            return None
        status.state = state
        return state
