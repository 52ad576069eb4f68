"""Refusing impossible events before they touch any tally: the rules, and only here.

``rejection_reason`` names the first bad field of an event as ``invalid_<field>`` (a negative
duration or one over ``MAX_DURATION_SECONDS``, a score outside its scale, a time before 1970 or not
finite) or ``missing_<field>`` (an outbound dial without an outcome, an agent's state without the
agent). ``contact_rejection`` and ``agent_state_rejection`` are the same rules for the fields that
an event handed by its fields carries (``KpiEngine.count_contact``), checked in the same order.
The engine adds its own two reasons, ``TOO_OLD`` and ``MISSING_WAIT``, which depend on what it has
seen. Sources count these reasons in their self-metrics. The bounds are ``exporter.limits``.
"""

from __future__ import annotations

import math

from exporter.events import AgentStateEvent, ContactEvent, ContactKind, Event

# exporter.serve reads these two here.
from exporter.limits import MAX_DURATION_SECONDS, SCORE_SCALES

TOO_OLD = "too_old"
MISSING_WAIT = "missing_wait_seconds"

_NONE_OF_FOUR = (None, None, None, None)
_OUTBOUND = ContactKind.OUTBOUND  # read per event: a module constant, not a class lookup


def contact_rejection(
    at: float, wait_seconds: float | None, talk_seconds: float | None
) -> str | None:
    """Why a contact event stamped ``at`` with these durations cannot be counted, or None: the
    fields every contact event has, checked first (this runs for every event of a replay)."""
    if not 0 <= at < math.inf:  # before 1970, infinite or NaN
        return "invalid_at"
    if wait_seconds is not None and not 0 <= wait_seconds <= MAX_DURATION_SECONDS:  # NaN too
        return "invalid_wait_seconds"
    if talk_seconds is not None and not 0 <= talk_seconds <= MAX_DURATION_SECONDS:
        return "invalid_talk_seconds"
    return None


def agent_state_rejection(at: float, agent: str) -> str | None:
    """Why an agent's change of state at ``at`` cannot be counted, or None."""
    if not 0 <= at < math.inf:
        return "invalid_at"
    return "missing_agent" if not agent else None


def rejection_reason(event: Event) -> str | None:
    """Why ``event`` cannot be counted, or None when it is valid."""
    if isinstance(event, AgentStateEvent):
        return agent_state_rejection(event.at, event.agent)
    return contact_rejection(event.at, event.wait_seconds, event.talk_seconds) or (
        _details_rejection(event)
    )


def _details_rejection(event: ContactEvent) -> str | None:
    """The fields only some kinds carry. Most events carry no score: the scores are tested whole
    first, and one by one only when some are there."""
    hold, after_work = event.hold_seconds, event.after_contact_work_seconds
    if hold is not None and not 0 <= hold <= MAX_DURATION_SECONDS:
        return "invalid_hold_seconds"
    if after_work is not None and not 0 <= after_work <= MAX_DURATION_SECONDS:
        return "invalid_after_contact_work_seconds"
    scores = (event.csat, event.nps, event.ces, event.ai_cx_score)
    if scores != _NONE_OF_FOUR:
        for (name, (low, high)), value in zip(SCORE_SCALES.items(), scores, strict=True):
            if value is not None and not (low <= value <= high):  # NaN fails both comparisons
                return f"invalid_{name}"
    if event.kind is _OUTBOUND and event.outcome is None:
        return "missing_outcome"
    return None
