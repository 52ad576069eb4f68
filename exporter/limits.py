"""The bounds every event must keep, shared by the sources that read events and the KPI engine.

A source refuses an event outside them with a message naming the field (``exporter.sources``),
and the engine refuses it with a reason (``exporter.engine.validation``): both read the bounds
here, so an event one accepts the other counts.
"""

from __future__ import annotations

# The longest duration an event may carry (30 days): longer is a unit or data error, and summed
# into counters it would swamp them for their whole retention (1e308 would make them +Inf).
MAX_DURATION_SECONDS = 30 * 86400.0
# Inclusive scales of the survey and AI scores (``exporter.events``).
SCORE_SCALES: dict[str, tuple[float, float]] = {
    "csat": (1.0, 5.0),
    "nps": (0.0, 10.0),
    "ces": (1.0, 7.0),
    "ai_cx_score": (0.0, 100.0),
}
# An event stamped further ahead of the exporter's clock than this is refused (``from_the_future``):
# accepted, it would move the engine's out-of-order window, and every later event of every source
# would then be rejected as too old. Five minutes absorbs ordinary clock skew between PBX and host.
FUTURE_TOLERANCE_SECONDS = 300.0
FROM_THE_FUTURE = "from_the_future"
