"""Counting by fields (``KpiEngine.count_contact``/``count_agent_state``, what replay and backfill
use through ``Feed``) counts exactly what ``ingest`` of the same events as objects counts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from exporter.backfill.feed import Feed
from exporter.engine import KpiEngine
from exporter.events import AgentState, ContactKind, Event, EventList, ExitReason
from exporter.sources.base import IngestStats
from exporter.sources.queue_log import QueueLogSource

CALLS = Path(__file__).parent / "fixtures" / "queue_log" / "calls.queue_log"
TEAMS = {"SIP/1001": "blue"}


def test_fields_count_what_event_objects_count() -> None:
    events: list[Event] = list(QueueLogSource(CALLS, agent_teams=TEAMS))
    last = events[-1].at
    # Two refusals: a negative wait, and an offer older than the out-of-order tolerance.
    extra = EventList()
    extra.contact(
        ContactKind.ABANDONED, last, "x", "support", "voice", "", "", -1.0, None, None, None
    )
    extra.contact(
        ContactKind.OFFERED, last - 3600, "y", "support", "voice", "", "", None, None, None, None
    )
    by_object = KpiEngine()
    reasons = Counter(reason for event in [*events, *extra] if (reason := by_object.ingest(event)))

    by_fields = KpiEngine()
    feed = Feed.until(by_fields, last)
    QueueLogSource(CALLS, agent_teams=TEAMS).feed(feed, IngestStats())
    feed.contact(
        ContactKind.ABANDONED, last, "x", "support", "voice", "", "", -1.0, None, None, None
    )
    feed.contact(
        ContactKind.OFFERED, last - 3600, "y", "support", "voice", "", "", None, None, None, None
    )

    assert feed.refused == reasons == Counter({"invalid_wait_seconds": 1, "too_old": 1})
    assert feed.counted == len(events)
    assert by_fields.snapshot(last) == by_object.snapshot(last)
    assert by_fields.snapshot(last).kpis  # something was counted


def test_each_refusal_by_fields_names_the_field_like_ingest() -> None:
    engine = KpiEngine()
    count = engine.count_contact
    assert count(ContactKind.ANSWERED, -1.0, "c", "q", "voice", "", "", 1.0, None, None, None) == (
        "invalid_at"
    )
    assert count(
        ContactKind.ANSWERED, float("inf"), "c", "q", "voice", "", "", 1.0, None, None, None
    )
    assert (
        count(ContactKind.ANSWERED, 10.0, "c", "q", "voice", "", "", 31 * 86400.0, None, None, None)
        == "invalid_wait_seconds"
    )
    assert (
        count(ContactKind.ENDED, 10.0, "c", "q", "voice", "", "", None, float("nan"), None, None)
        == "invalid_talk_seconds"
    )
    assert count(ContactKind.ANSWERED, 10.0, "c", "q", "voice", "", "", None, None, None, None) == (
        "missing_wait_seconds"
    )
    assert (
        count(
            ContactKind.ABANDONED, 10.0, "c", "q", "voice", "", "", 3.0, None, ExitReason.KEY, None
        )
        is None
    )
    assert engine.count_agent_state(10.0, "", AgentState.AVAILABLE, "t") == "missing_agent"
