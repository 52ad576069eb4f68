"""JSON events: each validation error with its field, message and code; the canonical round trip."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exporter.events import (
    AgentState,
    AgentStateEvent,
    ContactEvent,
    ContactKind,
    OutboundOutcome,
)
from exporter.limits import MAX_DURATION_SECONDS
from exporter.sources.event_json import (
    BatchShapeError,
    EventError,
    IdentifiedEvent,
    batch_items,
    event_to_json,
    parse_batch,
    parse_event,
)

OFFERED = {
    "type": "contact",
    "id": "e1",
    "kind": "offered",
    "at": "2026-03-02T09:00:00Z",
    "contact_id": "c1",
    "queue": "sales",
    "channel": "voice",
}


def errors_of(item: object) -> list[tuple[str, str, str]]:
    result = parse_event(item, 3)
    assert isinstance(result, list), f"expected errors, got {result}"
    assert all(error.index == 3 for error in result)
    return [(error.field, error.message, error.code) for error in result]


def test_a_valid_contact_event_parses_with_iso_time() -> None:
    # 2026-03-02T09:00:00Z = 1772442000 epoch seconds (date -u -d ... +%s).
    assert parse_event(OFFERED) == IdentifiedEvent(
        "e1",
        ContactEvent(
            kind=ContactKind.OFFERED,
            at=1772442000.0,
            contact_id="c1",
            queue="sales",
            channel="voice",
        ),
    )


def test_iso_time_with_an_offset_and_epoch_seconds_give_the_same_instant() -> None:
    with_offset = parse_event(OFFERED | {"at": "2026-03-02T10:00:00+01:00"})
    epoch = parse_event(OFFERED | {"at": 1772442000})
    assert isinstance(with_offset, IdentifiedEvent) and isinstance(epoch, IdentifiedEvent)
    assert with_offset.event.at == epoch.event.at == 1772442000.0


def test_a_valid_agent_state_event_parses() -> None:
    item = {"type": "agent_state", "id": "a1", "at": 100.5, "agent": "ann", "state": "paused"}
    assert parse_event(item | {"team": "blue"}) == IdentifiedEvent(
        "a1", AgentStateEvent(at=100.5, agent="ann", state=AgentState.PAUSED, team="blue")
    )


def test_null_optional_fields_count_as_absent() -> None:
    result = parse_event(OFFERED | {"team": None, "wait_seconds": None})
    assert isinstance(result, IdentifiedEvent)
    assert result.event == parse_event(OFFERED).event  # type: ignore[union-attr]


def test_not_an_object() -> None:
    assert errors_of(["x"]) == [("", "expected an object, got a list", "not_an_object")]


def test_missing_required_fields_of_a_contact_event() -> None:
    assert errors_of({"type": "contact"}) == [
        ("id", "required field is missing", "missing_field"),
        ("at", "required field is missing", "missing_field"),
        ("kind", "required field is missing", "missing_field"),
        ("contact_id", "required field is missing", "missing_field"),
    ]


def test_missing_required_fields_of_an_agent_state_event() -> None:
    assert errors_of({"type": "agent_state", "id": "a", "at": 1}) == [
        ("agent", "required field is missing", "missing_field"),
        ("state", "required field is missing", "missing_field"),
    ]


def test_unknown_type() -> None:
    assert errors_of({"type": "call", "id": "x", "at": 1}) == [
        ("type", "must be 'contact' or 'agent_state', got 'call'", "unknown_value"),
    ]


def test_unknown_kind_lists_the_known_ones() -> None:
    assert errors_of(OFFERED | {"kind": "ringing"}) == [
        (
            "kind",
            "unknown kind 'ringing'; expected one of: offered, answered, abandoned, ended, "
            "transferred, survey, outbound, bot, cleared",
            "unknown_value",
        )
    ]


def test_unknown_state_and_outcome() -> None:
    agent = {"type": "agent_state", "id": "a", "at": 1, "agent": "ann", "state": "lunch"}
    assert errors_of(agent)[0][:2] == (
        "state",
        "unknown state 'lunch'; expected one of: logged_in, available, busy, "
        "after_contact_work, paused, outbound, logged_out",
    )
    outbound = OFFERED | {"kind": "outbound", "outcome": "voicemail"}
    assert errors_of(outbound) == [
        (
            "outcome",
            "unknown outcome 'voicemail'; expected one of: no_answer, machine, live, dropped",
            "unknown_value",
        )
    ]


def test_unknown_fields_are_each_reported() -> None:
    assert errors_of(OFFERED | {"colour": "red", "Queue": "x"}) == [
        ("Queue", "unknown field for a contact event", "unknown_field"),
        ("colour", "unknown field for a contact event", "unknown_field"),
    ]
    agent = {"type": "agent_state", "id": "a", "at": 1, "agent": "ann", "state": "busy"}
    assert errors_of(agent | {"csat": 5}) == [
        ("csat", "unknown field for an agent_state event", "unknown_field")
    ]


def test_wrong_types_without_coercion() -> None:
    assert errors_of(
        OFFERED
        | {
            "id": 7,
            "queue": 3,
            "wait_seconds": "12",
            "resolved": 1,
            "csat": True,
        }
    ) == [
        ("id", "expected a string, got a number (7)", "wrong_type"),
        ("queue", "expected a string, got a number (3)", "wrong_type"),
        ("wait_seconds", "expected a number, got a string ('12')", "wrong_type"),
        ("resolved", "expected true or false, got a number (1)", "wrong_type"),
        ("csat", "expected a number, got a boolean", "wrong_type"),
    ]


def test_negative_durations_are_out_of_range() -> None:
    assert errors_of(OFFERED | {"talk_seconds": -0.5, "hold_seconds": -3}) == [
        ("talk_seconds", "must be seconds >= 0, got -0.5", "out_of_range"),
        ("hold_seconds", "must be seconds >= 0, got -3", "out_of_range"),
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("csat", 0.9, "must be between 1 and 5, got 0.9"),
        ("csat", 5.5, "must be between 1 and 5, got 5.5"),
        ("nps", 11, "must be between 0 and 10, got 11"),
        ("ces", 0, "must be between 1 and 7, got 0"),
        ("ai_cx_score", 100.1, "must be between 0 and 100, got 100.1"),
    ],
)
def test_scores_out_of_range(field: str, value: float, message: str) -> None:
    survey = OFFERED | {"kind": "survey", field: value}
    assert errors_of(survey) == [(field, message, "out_of_range")]


def test_scores_at_their_bounds_are_valid() -> None:
    survey = OFFERED | {"kind": "survey", "csat": 5, "nps": 0, "ces": 7, "ai_cx_score": 100}
    result = parse_event(survey)
    assert isinstance(result, IdentifiedEvent)
    assert isinstance(result.event, ContactEvent)
    assert (result.event.csat, result.event.nps, result.event.ces) == (5.0, 0.0, 7.0)


def test_kinds_that_need_their_defining_field() -> None:
    assert errors_of(OFFERED | {"kind": "outbound"}) == [
        ("outcome", "required for kind 'outbound'", "missing_field")
    ]
    assert errors_of(OFFERED | {"kind": "bot"}) == [
        ("contained", "required for kind 'bot'", "missing_field")
    ]


@pytest.mark.parametrize(
    ("at", "message", "code"),
    [
        (
            "2026-03-02T09:00:00",
            "ISO-8601 time '2026-03-02T09:00:00' needs a UTC offset",
            "invalid_value",
        ),
        ("yesterday", "not an ISO-8601 date-time: 'yesterday'", "invalid_value"),
        (-1, "epoch seconds must be >= 0, got -1", "out_of_range"),
        (True, "expected ISO-8601 text or epoch seconds, got a boolean", "wrong_type"),
        ([1], "expected ISO-8601 text or epoch seconds, got a list", "wrong_type"),
        (float("inf"), "expected a finite number, got inf", "invalid_value"),
    ],
)
def test_bad_times(at: object, message: str, code: str) -> None:
    [(field, actual_message, actual_code)] = errors_of(OFFERED | {"at": at})
    assert field == "at"
    assert actual_message.startswith(message)
    assert actual_code == code


def test_empty_and_overlong_ids() -> None:
    assert errors_of(OFFERED | {"id": "  "}) == [("id", "must not be empty", "invalid_value")]
    assert errors_of(OFFERED | {"id": "x" * 201}) == [
        ("id", "longer than 200 characters", "invalid_value")
    ]


def test_errors_carry_the_event_id_when_it_is_usable() -> None:
    result = parse_event(OFFERED | {"kind": "nope"}, 5)
    assert isinstance(result, list)
    assert result[0].to_json() == {
        "index": 5,
        "id": "e1",
        "field": "kind",
        "message": result[0].message,
        "code": "unknown_value",
    }


def test_a_batch_keeps_the_valid_events_and_lists_errors_by_index() -> None:
    items: list[object] = [OFFERED, {"type": "contact", "id": "e2"}, OFFERED | {"id": "e3"}, 4]
    batch = parse_batch(items)
    assert [event.event_id for event in batch.events] == ["e1", "e3"]
    assert batch.rejected_indexes == [1, 3]
    assert [(error.index, error.field) for error in batch.errors] == [
        (1, "at"),
        (1, "kind"),
        (1, "contact_id"),
        (3, ""),
    ]
    assert batch.errors[0] == EventError(
        1, "e2", "at", "required field is missing", "missing_field"
    )


def test_batch_shapes() -> None:
    assert batch_items([1, 2]) == [1, 2]
    assert batch_items({"events": [3]}) == [3]
    with pytest.raises(BatchShapeError, match=r"expected a list of events or an object"):
        batch_items({"event": []})
    with pytest.raises(BatchShapeError, match=r"unknown top-level field\(s\): source"):
        batch_items({"events": [], "source": "crm"})
    with pytest.raises(BatchShapeError, match=r'"events" must be a list, got an object'):
        batch_items({"events": {}})
    with pytest.raises(BatchShapeError, match=r"got a string \('hi'\)"):
        batch_items("hi")


def test_canonical_json_leaves_defaults_out() -> None:
    parsed = parse_event(OFFERED | {"resolved": False, "team": ""})
    assert isinstance(parsed, IdentifiedEvent)
    assert event_to_json(parsed) == {
        "id": "e1",
        "type": "contact",
        "kind": "offered",
        "at": 1772442000.0,
        "contact_id": "c1",
        "queue": "sales",
        "channel": "voice",
        "resolved": False,
    }


texts = st.text(min_size=1, max_size=12).filter(lambda text: text.strip() != "")
labels = st.text(max_size=12)
seconds = st.floats(min_value=0, max_value=1e9, allow_nan=False)
durations = st.floats(min_value=0, max_value=MAX_DURATION_SECONDS, allow_nan=False)


def optional(strategy: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.none() | strategy


contact_events = st.builds(
    ContactEvent,
    kind=st.sampled_from(ContactKind),
    at=seconds,
    contact_id=texts,
    queue=labels,
    channel=labels,
    team=labels,
    agent=labels,
    campaign=labels,
    wait_seconds=optional(durations),
    talk_seconds=optional(durations),
    hold_seconds=optional(durations),
    after_contact_work_seconds=optional(durations),
    resolved=optional(st.booleans()),
    csat=optional(st.floats(1, 5)),
    nps=optional(st.floats(0, 10)),
    ces=optional(st.floats(1, 7)),
    ai_cx_score=optional(st.floats(0, 100)),
    outcome=st.sampled_from(OutboundOutcome),  # outbound needs one; others may carry one
    converted=optional(st.booleans()),
    contained=st.booleans(),  # bot needs it
)
agent_events = st.builds(
    AgentStateEvent,
    at=seconds,
    agent=texts,
    state=st.sampled_from(AgentState),
    team=labels,
    queue=labels,
)


@given(event_id=texts, event=contact_events | agent_events)
def test_round_trip(event_id: str, event: ContactEvent | AgentStateEvent) -> None:
    identified = IdentifiedEvent(event_id, event)
    assert parse_event(event_to_json(identified)) == identified


def test_thousands_of_unknown_fields_are_listed_ten_then_counted() -> None:
    item = {"type": "agent_state", "id": "a", "at": 1, "agent": "ann", "state": "busy"}
    item |= {f"extra{n:04d}": n for n in range(5000)}
    errors = parse_event(item)
    assert isinstance(errors, list)
    assert [error.field for error in errors] == [f"extra{n:04d}" for n in range(10)] + [""]
    assert errors[-1].message == "and 4990 more unknown fields"
