"""Impossible events are refused with a specific reason, and nothing of them is counted."""

from __future__ import annotations

import math

import pytest
from engine_fixtures import T0, answered, counter, dial, ended, engine_with, kpi_values, survey

from exporter.engine import KpiEngine
from exporter.events import AgentState, AgentStateEvent, ContactEvent, ContactKind, Event


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (answered(T0, "a", -1.0), "invalid_wait_seconds"),
        (answered(T0, "a", math.inf), "invalid_wait_seconds"),
        (ended(T0, "a", talk_seconds=-0.5), "invalid_talk_seconds"),
        (ended(T0, "a", hold_seconds=math.nan), "invalid_hold_seconds"),
        (ended(T0, "a", after_contact_work_seconds=-3.0), "invalid_after_contact_work_seconds"),
        (survey(T0, "a", csat=0.0), "invalid_csat"),
        (survey(T0, "a", csat=5.5), "invalid_csat"),
        (survey(T0, "a", nps=-1.0), "invalid_nps"),
        (survey(T0, "a", nps=11.0), "invalid_nps"),
        (survey(T0, "a", nps=math.nan), "invalid_nps"),
        (survey(T0, "a", ces=0.5), "invalid_ces"),
        (survey(T0, "a", ces=8.0), "invalid_ces"),
        (survey(T0, "a", ai_cx_score=101.0), "invalid_ai_cx_score"),
        (ContactEvent(ContactKind.OUTBOUND, T0, "", campaign="x"), "missing_outcome"),
        (ContactEvent(ContactKind.OFFERED, math.nan, "a"), "invalid_at"),
        (ContactEvent(ContactKind.OFFERED, -1.0, "a"), "invalid_at"),  # before 1970
        (AgentStateEvent(T0, "", AgentState.BUSY, team="blue"), "missing_agent"),
    ],
)
def test_an_impossible_event_is_rejected_with_its_reason(event: Event, reason: str) -> None:
    engine = KpiEngine()
    assert engine.ingest(event) == reason
    snapshot = engine.snapshot(T0 + 60)
    assert snapshot.kpis == []
    assert all(family.samples == {} for family in snapshot.counters)
    assert engine.memory_stats()["remembered_contacts"] == 0


def test_a_survey_with_one_bad_score_is_refused_whole() -> None:
    engine = KpiEngine()
    assert engine.ingest(survey(T0, "a", csat=4.0, nps=12.0)) == "invalid_nps"
    assert engine.snapshot(T0 + 60).kpis == []


def test_the_ends_of_every_scale_are_accepted() -> None:
    engine = engine_with(
        [
            survey(T0, "a", csat=1.0, nps=0.0, ces=1.0, ai_cx_score=0.0),
            survey(T0 + 1, "b", csat=5.0, nps=10.0, ces=7.0, ai_cx_score=100.0),
            answered(T0 + 2, "c", 0.0),
            ended(T0 + 3, "c", talk_seconds=0.0),
        ]
    )
    values = kpi_values(engine.snapshot(T0 + 60))
    assert values[("customer_satisfaction_score", ())] == (3.0, 2.0)  # (1 + 5) / 2
    assert values[("net_promoter_score", ())] == (0.0, 2.0)  # 100 * (1 - 1) / 2
    assert values[("customer_effort_score", ())] == (4.0, 2.0)  # (1 + 7) / 2
    assert values[("ai_customer_experience_score", ())] == (50.0, 2.0)


def test_a_rejected_event_does_not_move_the_out_of_order_window() -> None:
    engine = KpiEngine()
    assert engine.ingest(dial(T0 + 10_000, "x", None)) == "missing_outcome"  # type: ignore[arg-type]
    assert engine.ingest(answered(T0, "a", 1.0)) is None  # not too_old
    assert counter(engine.snapshot(T0), "contact_center_contacts_answered") == {
        ("sales", "voice"): 1.0
    }
