"""JSON <-> events for the HTTP events API and its journal: validation with per-field errors.

An event in JSON mirrors ``exporter.events`` field names, plus ``type`` (``contact`` or
``agent_state``) and ``id`` (the client's unique event id, the idempotency key of the journal)::

    {"type": "contact", "id": "c1-offer", "kind": "offered", "at": "2026-03-02T09:00:00Z",
     "contact_id": "c1", "queue": "sales", "channel": "voice"}
    {"type": "agent_state", "id": "a7-1", "at": 1772442000, "agent": "a7", "state": "available"}

``at`` is ISO-8601 with a UTC offset, or Unix epoch seconds, not before 1970 and (given the
exporter's ``now``) not more than ``FUTURE_TOLERANCE_SECONDS`` after it; durations are at most
``MAX_DURATION_SECONDS``: an event the engine would refuse is refused here, so an accepted event is
a counted one. Validation is strict (no unknown fields, no type coercion) and reports every problem
of an event, not only the first. Pure: no I/O.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from exporter.events import (
    AgentState,
    AgentStateEvent,
    ContactEvent,
    ContactKind,
    Event,
    OutboundOutcome,
)
from exporter.limits import (
    FROM_THE_FUTURE,
    FUTURE_TOLERANCE_SECONDS,
    MAX_DURATION_SECONDS,
    SCORE_SCALES,
)

T = TypeVar("T")
D = TypeVar("D")
E = TypeVar("E", bound=enum.StrEnum)

MAX_ID_LENGTH = 200
MAX_LABEL_LENGTH = 200
# An event with thousands of unknown fields gets this many listed, then a count of the rest.
MAX_ERRORS_LISTED = 10
# Integers beyond this cannot all be told apart as floats (and far beyond, are no float at all).
MAX_INTEGER = 2**53

CONTACT_TYPE = "contact"
AGENT_STATE_TYPE = "agent_state"

# The reasons an event is refused; they become the ``reason`` label of the rejected-events counter,
# so the set is small and fixed.
NOT_AN_OBJECT = "not_an_object"
MISSING_FIELD = "missing_field"
UNKNOWN_FIELD = "unknown_field"
WRONG_TYPE = "wrong_type"
UNKNOWN_VALUE = "unknown_value"
OUT_OF_RANGE = "out_of_range"
INVALID_VALUE = "invalid_value"
# FROM_THE_FUTURE (exporter.limits): stamped too far after the exporter's clock.

_LABEL_FIELDS: dict[str, tuple[str, ...]] = {
    CONTACT_TYPE: ("queue", "channel", "team", "agent", "campaign"),
    AGENT_STATE_TYPE: ("team", "queue"),
}
_DURATION_FIELDS = ("wait_seconds", "talk_seconds", "hold_seconds", "after_contact_work_seconds")
_BOOL_FIELDS = ("resolved", "converted", "contained")
# A kind whose meaning is carried by one field needs that field.
_REQUIRED_FOR_KIND: dict[ContactKind, str] = {
    ContactKind.OUTBOUND: "outcome",
    ContactKind.BOT: "contained",
}

_CONTACT_FIELDS = frozenset(
    ("type", "id", "at", "kind", "contact_id", "outcome")
    + _LABEL_FIELDS[CONTACT_TYPE]
    + _DURATION_FIELDS
    + _BOOL_FIELDS
    + tuple(SCORE_SCALES)
)
_AGENT_STATE_FIELDS = frozenset(
    ("type", "id", "at", "agent", "state", *_LABEL_FIELDS["agent_state"])
)


@dataclass(frozen=True, slots=True)
class EventError:
    """One problem of one event of a batch."""

    index: int  # position in the batch, from 0
    event_id: str | None  # the event's id when it had a usable one
    field: str  # the offending field; "" when the event as a whole is wrong
    message: str
    code: str  # one of the reason constants above

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "id": self.event_id,
            "field": self.field,
            "message": self.message,
            "code": self.code,
        }


@dataclass(frozen=True, slots=True)
class IdentifiedEvent:
    """A valid event with the client's id for it."""

    event_id: str
    event: Event


@dataclass(frozen=True, slots=True)
class ParsedBatch:
    events: list[IdentifiedEvent]
    errors: list[EventError]
    rejected_indexes: list[int]  # the events refused, each once, in batch order


class BatchShapeError(ValueError):
    """The document is not a list of events nor ``{"events": [...]}``."""


def batch_items(document: object) -> list[object]:
    """The events of a request body: a list, or an object whose only key is ``events``."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        if "events" not in document:
            raise BatchShapeError('expected a list of events or an object {"events": [...]}')
        extra = sorted(set(document) - {"events"})
        if extra:
            raise BatchShapeError(f"unknown top-level field(s): {', '.join(extra)}")
        items = document["events"]
        if not isinstance(items, list):
            raise BatchShapeError(f'"events" must be a list, got {_json_type(items)}')
        return items
    raise BatchShapeError(
        f'expected a list of events or an object {{"events": [...]}}, got {_json_type(document)}'
    )


def parse_batch(items: list[object], now: float | None = None) -> ParsedBatch:
    """Validate every event of a batch; valid ones are kept even when others are refused.
    ``now`` (the exporter's clock) refuses events stamped too far after it."""
    events: list[IdentifiedEvent] = []
    errors: list[EventError] = []
    rejected: list[int] = []
    for index, item in enumerate(items):
        result = parse_event(item, index, now)
        if isinstance(result, IdentifiedEvent):
            events.append(result)
        else:
            errors.extend(result)
            rejected.append(index)
    return ParsedBatch(events=events, errors=errors, rejected_indexes=rejected)


def parse_event(
    item: object, index: int = 0, now: float | None = None
) -> IdentifiedEvent | list[EventError]:
    """One JSON event to an event, or every problem found in it (``now``: see ``parse_batch``)."""
    if not isinstance(item, dict):
        return [
            EventError(
                index, None, "", f"expected an object, got {_json_type(item)}", NOT_AN_OBJECT
            )
        ]
    reader = _FieldReader(item, index)
    event_type = reader.required("type", _one_of_strings((CONTACT_TYPE, AGENT_STATE_TYPE)))
    at = reader.required("at", _timestamp)
    if at is not None and now is not None and at > now + FUTURE_TOLERANCE_SECONDS:
        reader.error(
            "at",
            f"more than {FUTURE_TOLERANCE_SECONDS:g} s after the exporter's clock "
            "(is the sender's clock right?)",
            FROM_THE_FUTURE,
        )
    if event_type == CONTACT_TYPE:
        reader.refuse_unknown(_CONTACT_FIELDS, "a contact event")
        event: Event | None = _contact_event(reader, at)
    elif event_type == AGENT_STATE_TYPE:
        reader.refuse_unknown(_AGENT_STATE_FIELDS, "an agent_state event")
        event = _agent_state_event(reader, at)
    else:
        event = None
    if reader.errors or event is None or reader.event_id is None:
        return reader.errors
    return IdentifiedEvent(reader.event_id, event)


def event_to_json(identified: IdentifiedEvent) -> dict[str, Any]:
    """The canonical JSON of a valid event (epoch ``at``, defaults left out); parses back equal."""
    event = identified.event
    document: dict[str, Any] = {"id": identified.event_id}
    if isinstance(event, ContactEvent):
        document |= {"type": CONTACT_TYPE, "kind": event.kind.value, "at": event.at}
        document["contact_id"] = event.contact_id
        names: tuple[str, ...] = (
            _LABEL_FIELDS[CONTACT_TYPE] + _DURATION_FIELDS + _BOOL_FIELDS + tuple(SCORE_SCALES)
        )
        names += ("outcome",)
    else:
        document |= {"type": AGENT_STATE_TYPE, "at": event.at, "agent": event.agent}
        document["state"] = event.state.value
        names = _LABEL_FIELDS[AGENT_STATE_TYPE]
    for name in names:
        value = getattr(event, name)
        if value is None or value == "":
            continue
        document[name] = value.value if isinstance(value, enum.Enum) else value
    return document


def _contact_event(reader: _FieldReader, at: float | None) -> ContactEvent | None:
    kind = reader.required("kind", _enum_value(ContactKind, "kind"))
    contact_id = reader.required("contact_id", _non_empty_string(MAX_ID_LENGTH))
    labels = {name: reader.optional(name, _label, "") for name in _LABEL_FIELDS[CONTACT_TYPE]}
    durations = {name: reader.optional(name, _duration, None) for name in _DURATION_FIELDS}
    flags = {name: reader.optional(name, _boolean, None) for name in _BOOL_FIELDS}
    scores = {
        name: reader.optional(name, _score(low, high), None)
        for name, (low, high) in SCORE_SCALES.items()
    }
    outcome = reader.optional("outcome", _enum_value(OutboundOutcome, "outcome"), None)
    if kind in _REQUIRED_FOR_KIND:
        needed = _REQUIRED_FOR_KIND[kind]
        if reader.item.get(needed) is None:
            reader.error(needed, f"required for kind {kind.value!r}", MISSING_FIELD)
    if reader.errors or kind is None or contact_id is None or at is None:
        return None
    # Field name -> value, each typed by its table's reader: Any, as mypy cannot follow the tables.
    fields: dict[str, Any] = {**labels, **durations, **flags, **scores}
    return ContactEvent(kind=kind, at=at, contact_id=contact_id, outcome=outcome, **fields)


def _agent_state_event(reader: _FieldReader, at: float | None) -> AgentStateEvent | None:
    agent = reader.required("agent", _non_empty_string(MAX_LABEL_LENGTH))
    state = reader.required("state", _enum_value(AgentState, "state"))
    team = reader.optional("team", _label, "")
    queue = reader.optional("queue", _label, "")
    if reader.errors or agent is None or state is None or at is None:
        return None
    return AgentStateEvent(at=at, agent=agent, state=state, team=team, queue=queue)


class _Invalid(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class _FieldReader:
    """Reads the fields of one JSON event, collecting an error per bad field."""

    def __init__(self, item: dict[str, Any], index: int) -> None:
        self.item = item
        self.index = index
        self.errors: list[EventError] = []
        self.event_id: str | None = None
        self.event_id = self.required("id", _non_empty_string(MAX_ID_LENGTH))

    def error(self, field: str, message: str, code: str) -> None:
        self.errors.append(EventError(self.index, self.event_id, field, message, code))

    def required(self, name: str, convert: Callable[[object], T]) -> T | None:
        if self.item.get(name) is None:
            self.error(name, "required field is missing", MISSING_FIELD)
            return None
        return self._convert(name, convert)

    def optional(self, name: str, convert: Callable[[object], T], default: D) -> T | D:
        # null means absent: clients serialising optional fields as null are common.
        if self.item.get(name) is None:
            return default
        value = self._convert(name, convert)
        return default if value is None else value

    def refuse_unknown(self, known: frozenset[str], what: str) -> None:
        unknown = sorted(set(self.item) - known)
        for name in unknown[:MAX_ERRORS_LISTED]:
            self.error(_shorten(name), f"unknown field for {what}", UNKNOWN_FIELD)
        if len(unknown) > MAX_ERRORS_LISTED:
            more = len(unknown) - MAX_ERRORS_LISTED
            self.error("", f"and {more} more unknown fields", UNKNOWN_FIELD)

    def _convert(self, name: str, convert: Callable[[object], T]) -> T | None:
        try:
            return convert(self.item[name])
        except _Invalid as invalid:
            self.error(name, invalid.message, invalid.code)
            return None


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f"a string ({_shorten(value)!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _number(value: object) -> float:
    # bool is an int in Python but not a number in JSON.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid(f"expected a number, got {_json_type(value)}", WRONG_TYPE)
    if isinstance(value, int) and abs(value) > MAX_INTEGER:
        raise _Invalid(f"the number {_shorten(str(value))} is too large", OUT_OF_RANGE)
    if not math.isfinite(value):
        raise _Invalid(f"expected a finite number, got {value!r}", INVALID_VALUE)
    return float(value)


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"expected a string, got {_json_type(value)}", WRONG_TYPE)
    return value


def _non_empty_string(max_length: int) -> Callable[[object], str]:
    def convert(value: object) -> str:
        text = _string(value)
        if not text.strip():
            raise _Invalid("must not be empty", INVALID_VALUE)
        if len(text) > max_length:
            raise _Invalid(f"longer than {max_length} characters", INVALID_VALUE)
        return text

    return convert


def _label(value: object) -> str:
    text = _string(value)
    if len(text) > MAX_LABEL_LENGTH:
        raise _Invalid(f"longer than {MAX_LABEL_LENGTH} characters", INVALID_VALUE)
    return text


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"expected true or false, got {_json_type(value)}", WRONG_TYPE)
    return value


def _duration(value: object) -> float:
    seconds = _number(value)
    if seconds < 0:
        raise _Invalid(f"must be seconds >= 0, got {value!r}", OUT_OF_RANGE)
    if seconds > MAX_DURATION_SECONDS:
        raise _Invalid(
            f"must be at most {MAX_DURATION_SECONDS:.0f} seconds (30 days), got {value!r}",
            OUT_OF_RANGE,
        )
    return seconds


def _score(low: float, high: float) -> Callable[[object], float]:
    def convert(value: object) -> float:
        score = _number(value)
        if not low <= score <= high:
            raise _Invalid(f"must be between {low:g} and {high:g}, got {value!r}", OUT_OF_RANGE)
        return score

    return convert


def _one_of_strings(allowed: tuple[str, ...]) -> Callable[[object], str]:
    def convert(value: object) -> str:
        text = _string(value)
        if text not in allowed:
            expected = " or ".join(repr(name) for name in allowed)
            raise _Invalid(f"must be {expected}, got {_shorten(text)!r}", UNKNOWN_VALUE)
        return text

    return convert


def _enum_value(kind: type[E], what: str) -> Callable[[object], E]:
    def convert(value: object) -> E:
        text = _string(value)
        try:
            return kind(text)
        except ValueError:
            expected = ", ".join(member.value for member in kind)
            raise _Invalid(
                f"unknown {what} {_shorten(text)!r}; expected one of: {expected}", UNKNOWN_VALUE
            ) from None

    return convert


def _timestamp(value: object) -> float:
    """Epoch seconds, or ISO-8601 with a UTC offset (a local time without one is ambiguous)."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise _Invalid(
                f"not an ISO-8601 date-time: {_shorten(value)!r}", INVALID_VALUE
            ) from None
        if moment.tzinfo is None:
            raise _Invalid(
                f"ISO-8601 time {_shorten(value)!r} needs a UTC offset such as Z or +01:00",
                INVALID_VALUE,
            )
        seconds = moment.timestamp()
        if seconds < 0:
            raise _Invalid(f"{_shorten(value)!r} is before 1970", OUT_OF_RANGE)
        return seconds
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid(
            f"expected ISO-8601 text or epoch seconds, got {_json_type(value)}", WRONG_TYPE
        )
    seconds = _number(value)
    if seconds < 0:
        raise _Invalid(f"epoch seconds must be >= 0, got {value!r}", OUT_OF_RANGE)
    return seconds
