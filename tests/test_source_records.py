"""The contact-records source on hand-made files: default columns, a PhoneNow-like mapping, JSON
Lines, bad rows. T = 1767607200 = 2026-01-05 10:00:00 UTC."""

from __future__ import annotations

import logging
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from exporter.events import ContactEvent, ContactKind, Event
from exporter.sources.base import IngestStats
from exporter.sources.records import RecordsSource
from exporter.sources.records_parse import (
    PWC_PHONENOW_MAPPING,
    RecordError,
    RecordMapping,
    RecordReader,
    mapping_from_dict,
)
from exporter.sources.spec import SourceSpecError, load_mapping

FIXTURES = Path(__file__).parent / "fixtures" / "records"
T = 1767607200.0
OFFERED, ANSWERED, ENDED = ContactKind.OFFERED, ContactKind.ANSWERED, ContactKind.ENDED
ABANDONED, SURVEY = ContactKind.ABANDONED, ContactKind.SURVEY


def read(path: Path, **options: object) -> tuple[list[Event], IngestStats]:
    stats = IngestStats()
    events = list(RecordsSource(path, **options).events(stats))  # type: ignore[arg-type]
    return events, stats


def test_default_columns_give_coherent_events_in_time_order() -> None:
    events, stats = read(FIXTURES / "contacts.csv")
    assert stats.rejected_counts() == {}
    assert stats.read_counts() == {"records": 11}

    def ev(kind: ContactKind, offset: float, cid: str, **fields: object) -> ContactEvent:
        return ContactEvent(kind=kind, at=T + offset, contact_id=cid, **fields)  # type: ignore[arg-type]

    r1 = {"queue": "support", "channel": "voice", "team": "blue"}
    r2 = {"queue": "support", "channel": "voice", "team": "blue"}
    r3 = {"queue": "web", "channel": "chat", "team": "red"}
    r4 = {"queue": "mail", "channel": "email", "team": ""}
    assert events == [
        ev(OFFERED, 0, "r1", **r1),
        ev(ANSWERED, 15, "r1", agent="ann", wait_seconds=15.0, **r1),
        ev(OFFERED, 60, "r2", **r2),
        ev(ABANDONED, 100, "r2", wait_seconds=40.0, **r2),  # 10:01:00 + 40 s
        ev(OFFERED, 120, "r3", **r3),  # epoch 1767607320
        ev(ANSWERED, 145, "r3", agent="bob", wait_seconds=25.0, **r3),
        ev(OFFERED, 180, "r4", **r4),  # naive 10:03:00 read as UTC
        ev(ABANDONED, 180, "r4", **r4),  # no wait given: left at entry, wait unknown
        # r1 ends at 15 + talk 200 + hold 20 + acw 30 = 265
        ev(
            ENDED,
            265,
            "r1",
            agent="ann",
            talk_seconds=200.0,
            hold_seconds=20.0,
            after_contact_work_seconds=30.0,
            resolved=True,
            **r1,
        ),
        ev(SURVEY, 265, "r1", agent="ann", csat=5.0, nps=9.0, ces=2.0, **r1),
        # r3 ends at 145 + 0:03:00 = 325
        ev(ENDED, 325, "r3", agent="bob", talk_seconds=180.0, resolved=False, **r3),
    ]


def test_local_times_are_read_in_the_given_zone() -> None:
    events, _ = read(FIXTURES / "contacts.csv", timezone=ZoneInfo("Europe/Rome"))
    r4 = [event.at for event in events if event.contact_id == "r4"]
    # 10:03:00 in Rome (UTC+1 in January) is 09:03:00 UTC: T + 180 - 3600.
    assert r4 == [T - 3420, T - 3420]
    # Times with an offset or epoch are not moved.
    assert [e.at for e in events if e.contact_id == "r1" and e.kind is OFFERED] == [T]


PHONENOW_EXPECTED = [
    (OFFERED, T, "P1", "", None, None, None, None),
    (ANSWERED, T + 30, "P1", "Alice", 30.0, None, None, None),
    # ends at 10:00 + 30 s + 2:30 = T + 180
    (ENDED, T + 180, "P1", "Alice", None, 150.0, True, None),
    (SURVEY, T + 180, "P1", "Alice", None, None, None, 4.0),
    # P2 unanswered: its 0 speed of answer and 0 satisfaction are blanks, not data.
    (OFFERED, T + 300, "P2", "", None, None, None, None),
    (ABANDONED, T + 300, "P2", "", None, None, None, None),
    (OFFERED, T + 600, "P3", "", None, None, None, None),
    (ANSWERED, T + 612, "P3", "Alice", 12.0, None, None, None),
    (ENDED, T + 672, "P3", "Alice", None, 60.0, False, None),
    (SURVEY, T + 672, "P3", "Alice", None, None, None, 2.0),
]


def summary(events: list[Event]) -> list[tuple[object, ...]]:
    return [
        (e.kind, e.at, e.contact_id, e.agent, e.wait_seconds, e.talk_seconds, e.resolved, e.csat)
        for e in events
        if isinstance(e, ContactEvent)
    ]


@pytest.mark.parametrize(
    "mapping",
    [
        PWC_PHONENOW_MAPPING,
        load_mapping("pwc_phonenow"),
        load_mapping(str(FIXTURES / "phonenow_mapping.yaml")),
    ],
    ids=["preset", "preset-by-name", "yaml-file"],
)
def test_phonenow_layout_through_a_mapping(mapping: RecordMapping) -> None:
    events, stats = read(FIXTURES / "phonenow_like.csv", mapping=mapping)
    assert stats.rejected_counts() == {}
    assert summary(events) == PHONENOW_EXPECTED
    offered = [e for e in events if isinstance(e, ContactEvent) and e.kind is OFFERED]
    assert [(e.queue, e.channel) for e in offered] == [
        ("Billing", "voice"),
        ("Billing", "voice"),
        ("Network", "voice"),
    ]


def test_json_lines() -> None:
    events, stats = read(FIXTURES / "contacts.jsonl")
    assert stats.rejected_counts() == {}
    assert [(e.kind, e.at, e.contact_id) for e in events] == [
        (OFFERED, T, "j1"),
        (ANSWERED, T + 10, "j1"),
        (OFFERED, T + 60, "j2"),
        (ABANDONED, T + 67, "j2"),  # 1767607260 + wait 7
        (ENDED, T + 100.5, "j1"),  # 10 + talk 90.5
        (SURVEY, T + 100.5, "j1"),
    ]


def test_bad_rows_are_rejected_with_file_line_and_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    events, stats = read(FIXTURES / "bad_rows.csv")
    assert stats.rejected_counts() == {
        ("records", "bad_timestamp"): 1,  # line 3
        ("records", "bad_boolean"): 1,  # line 4: "maybe"
        ("records", "out_of_range"): 1,  # line 5: csat 9
        ("records", "missing_field"): 2,  # line 6: answered, no wait; line 9: no answered
        ("records", "bad_field_count"): 1,  # line 7
        ("records", "bad_number"): 1,  # line 8: wait "ten"
    }
    lines = sorted(
        int(message.split("bad_rows.csv:")[1].split(":")[0])
        for message in caplog.messages
        if "bad_rows.csv:" in message
    )
    assert lines == [3, 4, 5, 6, 7, 8, 9]
    assert {e.contact_id for e in events} == {"b1"}  # the good row still counts


def test_bad_json_lines_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        "not json\n"
        "[1, 2]\n"
        '{"queued_at": 1767607200, "answered": false, "queue": {"nested": 1}}\n'
        '{"queued_at": 1767607200, "answered": "no"}\n'
    )
    events, stats = read(path)
    assert stats.rejected_counts() == {("records", "bad_json"): 3}
    # The good row has no contact_id: it is named after its file and line.
    assert [(e.kind, e.contact_id) for e in events] == [
        (OFFERED, "bad.jsonl:4"),
        (ABANDONED, "bad.jsonl:4"),
    ]


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [("90", 90.0), ("1:30", 90.0), ("0:02:23", 143.0), ("1:00:00", 3600.0), ("2.5", 2.5)],
)
def test_duration_formats(duration: str, seconds: float) -> None:
    record = {
        "queued_at": "1767607200",
        "answered": "y",
        "wait_seconds": "0",
        "talk_seconds": duration,
    }
    events = RecordReader().events(record, "x")
    assert [e.talk_seconds for e in events if isinstance(e, ContactEvent) and e.kind is ENDED] == [
        seconds
    ]


@pytest.mark.parametrize("duration", ["1:2:3:4", "-5", "1:-2", "abc", "inf"])
def test_bad_durations(duration: str) -> None:
    record = {
        "queued_at": "1767607200",
        "answered": "y",
        "wait_seconds": "0",
        "talk_seconds": duration,
    }
    with pytest.raises(RecordError) as raised:
        RecordReader().events(record, "x")
    assert raised.value.reason == "bad_number"


def test_zero_is_data_unless_the_mapping_says_otherwise() -> None:
    record = {"queued_at": "1767607200", "answered": "y", "wait_seconds": "0"}
    plain = RecordReader().events(record, "x")
    assert [
        e.wait_seconds for e in plain if isinstance(e, ContactEvent) and e.kind is ANSWERED
    ] == [0.0]
    zero_missing = RecordReader(RecordMapping(zero_is_missing=frozenset({"wait_seconds"})))
    with pytest.raises(RecordError) as raised:
        zero_missing.events(record, "x")
    assert raised.value.reason == "missing_field"  # an answered contact needs its wait


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"colums": {}}, "unknown key(s) colums"),
        ({"preset": "genesys"}, "unknown preset 'genesys'"),
        ({"columns": {"speed": "x"}}, "unknown field(s) speed"),
        ({"zero_is_missing": ["queue"]}, "not numeric field(s) queue"),
        ({"timezone": "Mars/Olympus"}, "'Mars/Olympus' is not an IANA time zone"),
        ({"true_values": []}, "true_values: expected a non-empty list"),
    ],
)
def test_invalid_mappings_say_what_is_wrong(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=None) as raised:
        mapping_from_dict(data, "map.yaml")
    assert str(raised.value).startswith("map.yaml: ")
    assert message in str(raised.value)


def test_a_mapping_file_can_start_from_a_preset(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "preset: pwc_phonenow\ncolumns:\n  queue: Department\ntimezone: Europe/London\n"
    )
    mapping = load_mapping(str(path))
    assert mapping.column("queue") == "Department"
    assert mapping.column("agent") == "Agent"  # from the preset
    assert mapping.timezone == "Europe/London"


def test_mapping_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("columns: [a, b\n")
    with pytest.raises(SourceSpecError, match=r"m\.yaml:2: malformed YAML"):
        load_mapping(str(path))
    with pytest.raises(SourceSpecError, match="cannot read the mapping file"):
        load_mapping(str(tmp_path / "missing.yaml"))
