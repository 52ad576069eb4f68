"""``KpiEngine.ingest_many`` (replay, backfill) counts exactly what ``ingest`` per event counts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from exporter.engine import KpiEngine
from exporter.events import ContactEvent, ContactKind, Event
from exporter.sources.queue_log import QueueLogSource

CALLS = Path(__file__).parent / "fixtures" / "queue_log" / "calls.queue_log"


def test_a_batch_counts_what_events_one_by_one_count() -> None:
    events: list[Event] = list(QueueLogSource(CALLS, agent_teams={"SIP/1001": "blue"}))
    # Two refusals: a negative wait, and an offer older than the out-of-order tolerance.
    events.append(ContactEvent(ContactKind.ABANDONED, events[-1].at, "x", wait_seconds=-1.0))
    events.append(ContactEvent(ContactKind.OFFERED, events[0].at - 3600, "y"))
    one_by_one, batched = KpiEngine(), KpiEngine()
    reasons = Counter(reason for event in events if (reason := one_by_one.ingest(event)))
    refused: Counter[str] = Counter()
    accepted = batched.ingest_many(events[:7], refused) + batched.ingest_many(events[7:], refused)
    assert refused == reasons == Counter({"invalid_wait_seconds": 1, "too_old": 1})
    assert accepted == len(events) - 2
    at = events[-3].at
    assert batched.snapshot(at) == one_by_one.snapshot(at)
    assert batched.snapshot(at).kpis  # something was counted
