"""Contact records (one row per contact) to normalized events (pure, no I/O).

A record names its columns after the fields below unless a ``RecordMapping`` says otherwise:

==================  ============================================================================
contact_id          unique per contact (default: the file and line)
queued_at           when the contact entered the queue: ISO-8601, epoch seconds, or
                    ``date_format`` (with an optional separate ``queued_time`` column)
channel             voice, chat, email (lower-cased); or the mapping's fixed ``channel``
queue, team, agent  labels (optional)
answered            boolean (``true_values`` / ``false_values``), required
wait_seconds        queue entry to answer (answered) or to hang-up (unanswered); required when
                    answered
talk_seconds,       durations: seconds, or ``[H:]MM:SS``
hold_seconds,
acw_seconds
resolved            boolean, resolved on first contact (optional)
csat, nps, ces      survey scores: 1-5, 0-10, 1-7 (optional)
==================  ============================================================================

An answered record becomes OFFERED (at queued_at), ANSWERED (queued_at + wait), ENDED (answer +
talk + hold + acw) and, with any score, SURVEY (at the end). An unanswered one becomes OFFERED and
ABANDONED (queued_at + wait); its talk, resolution and scores mean nothing and are ignored.
Fields listed in ``zero_is_missing`` treat 0 as "no data" (exports that write 0 for blanks).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from exporter.events import ContactEvent, ContactKind, Event
from exporter.zones import load_zone

FIELDS: tuple[str, ...] = (
    "contact_id",
    "queued_at",
    "queued_time",
    "channel",
    "queue",
    "team",
    "agent",
    "answered",
    "wait_seconds",
    "talk_seconds",
    "hold_seconds",
    "acw_seconds",
    "resolved",
    "csat",
    "nps",
    "ces",
)
NUMERIC_FIELDS: tuple[str, ...] = (
    "wait_seconds",
    "talk_seconds",
    "hold_seconds",
    "acw_seconds",
    "csat",
    "nps",
    "ces",
)
SCORE_RANGES: dict[str, tuple[float, float]] = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}

DEFAULT_TRUE_VALUES = frozenset({"true", "yes", "y", "1", "t"})
DEFAULT_FALSE_VALUES = frozenset({"false", "no", "n", "0", "f"})

RecordValue = str | int | float | bool | None


class RecordError(ValueError):
    """A record that cannot be read; ``reason`` is a short stable tag for counting."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class RecordMapping:
    """How a platform's export names and writes the record fields."""

    columns: Mapping[str, str] = field(default_factory=dict)  # field -> column (default: field)
    true_values: frozenset[str] = DEFAULT_TRUE_VALUES  # compared lower-cased
    false_values: frozenset[str] = DEFAULT_FALSE_VALUES
    date_format: str | None = None  # strptime format of queued_at; None: ISO-8601 or epoch
    time_format: str | None = None  # strptime format of queued_time, when that column exists
    timezone: str | None = None  # zone of local times; None: the source's default zone
    channel: str | None = None  # one channel for every record, instead of a column
    zero_is_missing: frozenset[str] = frozenset()

    def column(self, field_name: str) -> str:
        return self.columns.get(field_name, field_name)


DEFAULT_MAPPING = RecordMapping()

# The PwC "PhoneNow" call-center teaching dataset: one inbound voice queue per topic, local date
# and time in separate columns, Y/N booleans, and 0 written for the blanks of unanswered calls.
PWC_PHONENOW_MAPPING = RecordMapping(
    columns={
        "contact_id": "Call Id",
        "agent": "Agent",
        "queued_at": "Date",
        "queued_time": "Time",
        "queue": "Topic",
        "answered": "Answered (Y/N)",
        "resolved": "Resolved",
        "wait_seconds": "Speed of answer in seconds",
        "talk_seconds": "AvgTalkDuration",
        "csat": "Satisfaction rating",
    },
    true_values=frozenset({"y"}),
    false_values=frozenset({"n"}),
    date_format="%d-%b-%y",
    time_format="%H:%M",
    channel="voice",
    zero_is_missing=frozenset({"wait_seconds", "csat"}),
)

PRESETS: dict[str, RecordMapping] = {
    "default": DEFAULT_MAPPING,
    "pwc_phonenow": PWC_PHONENOW_MAPPING,
}


def mapping_from_dict(data: Mapping[str, object], where: str = "mapping") -> RecordMapping:
    """A mapping from its YAML shape (see the README); raises ``ValueError`` naming the key."""
    known = {
        "preset",
        "columns",
        "true_values",
        "false_values",
        "date_format",
        "time_format",
        "timezone",
        "channel",
        "zero_is_missing",
    }
    unknown = sorted(str(key) for key in set(data) - known)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {sorted(known)}")
    preset_name = data.get("preset", "default")
    if not isinstance(preset_name, str) or preset_name not in PRESETS:
        raise ValueError(
            f"{where}: preset: unknown preset {str(preset_name)[:40]!r}; known: {sorted(PRESETS)}"
        )
    mapping = PRESETS[str(preset_name)]
    changes: dict[str, object] = {}
    if "columns" in data:
        columns = data["columns"]
        if not isinstance(columns, dict) or not all(
            isinstance(value, str | int) for value in columns.values()
        ):
            raise ValueError(f"{where}: columns: expected field: column name pairs")
        bad_fields = sorted(str(name) for name in set(columns) - set(FIELDS))
        if bad_fields:
            raise ValueError(
                f"{where}: columns: unknown field(s) {', '.join(bad_fields)}; "
                f"fields: {', '.join(FIELDS)}"
            )
        changes["columns"] = {**mapping.columns, **{k: str(v) for k, v in columns.items()}}
    for key in ("true_values", "false_values"):
        if key in data:
            changes[key] = frozenset(_string_list(data[key], f"{where}: {key}", lower=True))
    if "zero_is_missing" in data:
        fields = _string_list(data["zero_is_missing"], f"{where}: zero_is_missing")
        bad = sorted(set(fields) - set(NUMERIC_FIELDS))
        if bad:
            raise ValueError(
                f"{where}: zero_is_missing: not numeric field(s) {', '.join(bad)}; "
                f"numeric fields: {', '.join(NUMERIC_FIELDS)}"
            )
        changes["zero_is_missing"] = frozenset(fields)
    for key in ("date_format", "time_format", "timezone", "channel"):
        if key in data:
            value = data[key]
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{where}: {key}: expected a string")
            changes[key] = value
    if isinstance(changes.get("timezone"), str):
        _zone(str(changes["timezone"]), f"{where}: timezone")
    return replace(mapping, **changes)  # type: ignore[arg-type]


def _string_list(value: object, where: str, *, lower: bool = False) -> list[str]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{where}: expected a non-empty list")
    return [str(item).lower() if lower else str(item) for item in value]


def _zone(name: str, where: str) -> ZoneInfo:
    try:
        return load_zone(name)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


class _Common(TypedDict):
    """The labels every event of one record carries."""

    contact_id: str
    queue: str
    channel: str
    team: str


class RecordReader:
    """Turns records (column -> value) into events under one mapping."""

    def __init__(self, mapping: RecordMapping | None = None, timezone: ZoneInfo | None = None):
        self.mapping = mapping or DEFAULT_MAPPING
        zone_name = self.mapping.timezone
        self.timezone = _zone(zone_name, "timezone") if zone_name else timezone or ZoneInfo("UTC")

    def _raw(self, record: Mapping[str, RecordValue], field_name: str) -> RecordValue:
        value = record.get(self.mapping.column(field_name))
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    def _text(self, record: Mapping[str, RecordValue], field_name: str) -> str:
        value = self._raw(record, field_name)
        return "" if value is None else str(value)

    def _boolean(self, record: Mapping[str, RecordValue], field_name: str) -> bool | None:
        value = self._raw(record, field_name)
        if value is None or isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in self.mapping.true_values:
            return True
        if text in self.mapping.false_values:
            return False
        raise RecordError(
            "bad_boolean",
            f"{self.mapping.column(field_name)}: {value!r} is neither "
            f"{sorted(self.mapping.true_values)} nor {sorted(self.mapping.false_values)}",
        )

    def _number(self, record: Mapping[str, RecordValue], field_name: str) -> float | None:
        value = self._raw(record, field_name)
        if value is None:
            return None
        column = self.mapping.column(field_name)
        if isinstance(value, bool):
            raise RecordError("bad_number", f"{column}: {value!r} is not a number")
        number = (
            _finite_float(value, "bad_number", column)
            if isinstance(value, int | float)
            else _parse_duration(value, column)
        )
        if math.isnan(number) or math.isinf(number) or number < 0:
            raise RecordError("bad_number", f"{column}: {value!r} is not a non-negative number")
        if number == 0 and field_name in self.mapping.zero_is_missing:
            return None
        if field_name in SCORE_RANGES:
            low, high = SCORE_RANGES[field_name]
            if not low <= number <= high:
                raise RecordError(
                    "out_of_range", f"{column}: {value!r} is outside {low:g}-{high:g}"
                )
        return number

    def _queued_at(self, record: Mapping[str, RecordValue]) -> float:
        column = self.mapping.column("queued_at")
        value = self._raw(record, "queued_at")
        if value is None:
            raise RecordError("missing_field", f"{column}: no queue entry time")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _finite_float(value, "bad_timestamp", column)
        text = str(value)
        time_text = self._text(record, "queued_time")
        try:
            if self.mapping.date_format:
                moment = datetime.strptime(text, self.mapping.date_format)
                if time_text:
                    clock = datetime.strptime(time_text, self.mapping.time_format or "%H:%M:%S")
                    moment = datetime.combine(moment.date(), clock.time())
            else:
                try:
                    return float(text)
                except ValueError:
                    moment = datetime.fromisoformat(f"{text} {time_text}" if time_text else text)
        except ValueError:
            shown = f"{text} {time_text}" if time_text else text
            raise RecordError(
                "bad_timestamp",
                f"{column}: {shown!r} does not match "
                f"{self.mapping.date_format or 'ISO-8601 or epoch seconds'}",
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.timezone)
        return moment.timestamp()

    def events(self, record: Mapping[str, RecordValue], fallback_id: str) -> list[Event]:
        """The events of one record, in time order; raises ``RecordError``."""
        queued_at = self._queued_at(record)
        answered = self._boolean(record, "answered")
        if answered is None:
            column = self.mapping.column("answered")
            raise RecordError("missing_field", f"{column}: answered or not is required")
        wait = self._number(record, "wait_seconds")
        channel = self.mapping.channel or self._text(record, "channel").lower()
        common: _Common = {
            "contact_id": self._text(record, "contact_id") or fallback_id,
            "queue": self._text(record, "queue"),
            "channel": channel,
            "team": self._text(record, "team"),
        }
        offered = ContactEvent(kind=ContactKind.OFFERED, at=queued_at, **common)
        if not answered:
            left_at = queued_at + (wait or 0.0)
            abandoned = ContactEvent(
                kind=ContactKind.ABANDONED, at=left_at, wait_seconds=wait, **common
            )
            return [offered, abandoned]
        if wait is None:
            column = self.mapping.column("wait_seconds")
            raise RecordError("missing_field", f"{column}: an answered contact needs its wait")
        talk = self._number(record, "talk_seconds")
        hold = self._number(record, "hold_seconds")
        acw = self._number(record, "acw_seconds")
        resolved = self._boolean(record, "resolved")
        # Any: mypy cannot tie the catalog's score names to ContactEvent's fields.
        scores: dict[str, Any] = {name: self._number(record, name) for name in SCORE_RANGES}
        agent = self._text(record, "agent")
        answered_at = queued_at + wait
        ended_at = answered_at + sum(part or 0.0 for part in (talk, hold, acw))
        events: list[Event] = [
            offered,
            ContactEvent(
                kind=ContactKind.ANSWERED, at=answered_at, agent=agent, wait_seconds=wait, **common
            ),
            ContactEvent(
                kind=ContactKind.ENDED,
                at=ended_at,
                agent=agent,
                talk_seconds=talk,
                hold_seconds=hold,
                after_contact_work_seconds=acw,
                resolved=resolved,
                **common,
            ),
        ]
        if any(score is not None for score in scores.values()):
            events.append(
                ContactEvent(kind=ContactKind.SURVEY, at=ended_at, agent=agent, **common, **scores)
            )
        return events


def _finite_float(value: float, reason: str, column: str) -> float:
    """A JSON number as a float; ``RecordError`` for an integer too large for one."""
    try:
        return float(value)
    except OverflowError:
        raise RecordError(reason, f"{column}: the number is too large") from None


def _parse_duration(text: str, column: str) -> float:
    """Seconds as a number, or ``[H:]MM:SS``."""
    try:
        if ":" not in text:
            return float(text)
        parts = [float(part) for part in text.split(":")]
    except ValueError:
        raise RecordError(
            "bad_number", f"{column}: {text!r} is not a number or [H:]MM:SS"
        ) from None
    if len(parts) > 3 or any(part < 0 for part in parts):
        raise RecordError("bad_number", f"{column}: {text!r} is not a number or [H:]MM:SS")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds
