"""Refusing impossible events before they touch any tally.

``rejection_reason`` names the first bad field as ``invalid_<field>`` (a negative duration or one
over ``MAX_DURATION_SECONDS``, a score outside its scale, a time before 1970 or not finite) or
``missing_<field>`` (an outbound dial without an outcome). Sources count these reasons in their
self-metrics.
"""

from __future__ import annotations

import math

from exporter.events import AgentStateEvent, ContactEvent, ContactKind, Event

_DURATION_FIELDS = ("wait_seconds", "talk_seconds", "hold_seconds", "after_contact_work_seconds")
# Inclusive scales of the survey scores.
_SCORE_SCALES: dict[str, tuple[float, float]] = {
    "csat": (1.0, 5.0),
    "nps": (0.0, 10.0),
    "ces": (1.0, 7.0),
    "ai_cx_score": (0.0, 100.0),
}

_NONE_OF_FOUR = (None, None, None, None)

TOO_OLD = "too_old"
MISSING_WAIT = "missing_wait_seconds"
FROM_THE_FUTURE = "from_the_future"

# The longest duration an event may carry (30 days): longer is a unit or data error, and summed
# into counters it would swamp them for their whole retention (1e308 would make them +Inf).
MAX_DURATION_SECONDS = 30 * 86400.0
# An event stamped further ahead of the exporter's clock than this is refused (``from_the_future``):
# accepted, it would move the engine's out-of-order window, and every later event of every source
# would then be rejected as too old. Five minutes absorbs ordinary clock skew between PBX and host.
FUTURE_TOLERANCE_SECONDS = 300.0


_OUTBOUND = ContactKind.OUTBOUND  # read per event: a module constant, not a class lookup


def rejection_reason(event: Event) -> str | None:
    """Why ``event`` cannot be counted, or None when it is valid."""
    if not 0 <= event.at < math.inf:  # before 1970, infinite or NaN
        return "invalid_at"
    if isinstance(event, AgentStateEvent):
        return "missing_agent" if not event.agent else None
    return _contact_rejection(event)


def _contact_rejection(event: ContactEvent) -> str | None:
    # Most events carry no score and at most one duration: each group is tested whole first,
    # and field by field only when something is there (this runs for every event).
    durations = (
        event.wait_seconds,
        event.talk_seconds,
        event.hold_seconds,
        event.after_contact_work_seconds,
    )
    if durations != _NONE_OF_FOUR:
        for name, value in zip(_DURATION_FIELDS, durations, strict=True):
            if value is not None and not 0 <= value <= MAX_DURATION_SECONDS:  # NaN fails too
                return f"invalid_{name}"
    scores = (event.csat, event.nps, event.ces, event.ai_cx_score)
    if scores != _NONE_OF_FOUR:
        for (name, (low, high)), value in zip(_SCORE_SCALES.items(), scores, strict=True):
            if value is not None and not (low <= value <= high):  # NaN fails both comparisons
                return f"invalid_{name}"
    if event.kind is _OUTBOUND and event.outcome is None:
        return "missing_outcome"
    return None
