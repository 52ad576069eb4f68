"""Fuzzing what parses input (hypothesis): arbitrary text and bytes end in success or a located
error, never an escaping exception.

- the YAML loaders: targets + calendar (``parse_texts``, and ``load_dir`` on raw bytes), the
  ``serve.yaml`` config (``parse_config_text``), a records mapping file (``load_mapping``);
- the queue_log line parser and the queue_log and records sources over raw bytes;
- the event JSON (``parse_event`` on any JSON value) and ``POST /api/v1/events`` on raw bodies
  (never a 500).

Besides plain random text, documents are built from YAML fragments chosen to reach the corners:
anchors, aliases and merge keys, tags, flow brackets, huge numbers, control characters.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest.mock import patch

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.admin import create_app
from exporter.config import ConfigError, parse_config_text
from exporter.events import EventList
from exporter.sources.base import UNREADABLE, IngestStats
from exporter.sources.event_json import EventError, IdentifiedEvent, parse_event
from exporter.sources.http_events import HttpEventSource
from exporter.sources.journal import EventJournal
from exporter.sources.queue_log import QueueLogSource
from exporter.sources.queue_log_interpret import QueueLogInterpreter
from exporter.sources.queue_log_parse import QueueLogLineError, QueueLogLineParser
from exporter.sources.records import RecordsSource
from exporter.sources.spec import SourceSpecError, load_mapping
from exporter.targets.parse import load_dir, parse_texts

EXAMPLES = 400  # per test; the closing note of issue 11 counts them
# Files are written to pytest's tmp_path, shared by a test's examples: each rewrites them whole.
fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Characters that trip up line and CSV readers (newlines weighted: they make more lines).
AWKWARD = ["\r", "\x00", "é", "\n", "\n", "\n"]
YAML_FRAGMENTS = [
    "targets:",
    "timezone: ",
    "operating_hours:",
    "exceptions:",
    "default: ",
    "teams: ",
    "- ",
    "kpi: ",
    "service_level_ratio",
    "scope: ",
    "channel: voice",
    "quantifier: or_more",
    "schedules:",
    "value: ",
    "days: [mon-fri]",
    "from: ",
    "to: ",
    '"09:00"',
    "24:00",
    "17:00",
    "date: ",
    "2026-12-25",
    "2026-02-30",
    "closed: true",
    "hours: ",
    '"08:00-13:00"',
    "metrics_address: ",
    "127.0.0.1:9491",
    "sources: [simulator]",
    "log_level: info",
    "columns: ",
    "preset: ",
    "pwc_phonenow",
    "true_values: [Y]",
    "zero_is_missing: [csat]",
    "Europe",
    "Europe/Rome",
    "../../etc/passwd",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "<<: ",
    "<<: *a",
    "!!python/object:os.system ",
    "!!binary ",
    "!!set ",
    "!foo ",
    "!!str ",
    "!!int ",
    "[",
    "]",
    "{",
    "}",
    ", ",
    "? ",
    ": ",
    "'",
    '"',
    "#",
    "\t",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "\ufeff",
    "é",
    "\r",
    "\x07",
    "\x00",
    "\x85",
    "9" * 400,
    "1e400",
    "-.inf",
    ".nan",
    "0x1F",
    "0o17",
    "1_000",
    "~",
    "null",
    "yes",
    "=",
    "x" * 2000,
    "[" * 100,
    "{a: " * 100,
    "&a [*a]",
    "&b {<<: *b}",
    "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
    "\n",
    "\n",
    "\n",
    "  ",
    "  ",
    "    ",
]
yaml_like = st.lists(st.sampled_from(YAML_FRAGMENTS), max_size=40).map("".join)
texts = st.text(max_size=300) | yaml_like
LOCATED = re.compile(r"^\S.*?:\d+: ")  # file:line: ...


@fuzz
@given(targets=texts, calendar=texts)
def test_targets_and_calendar_texts_parse_or_give_located_problems(
    targets: str, calendar: str
) -> None:
    result = parse_texts(targets, calendar)
    assert (result.target_set is None) == bool(result.errors)
    for problem in result.problems:
        assert problem.file in ("targets.yaml", "calendar.yaml")
        assert problem.line >= 1
        assert LOCATED.match(str(problem)), problem
        assert len(problem.message) < 3000  # an excerpt at most, never the whole input


@fuzz
@given(raw=st.binary(max_size=300) | yaml_like.map(lambda text: text.encode("utf-8")))
def test_targets_files_of_any_bytes_load_or_give_located_problems(
    tmp_path: Path, raw: bytes
) -> None:
    (tmp_path / "targets.yaml").write_bytes(raw)
    (tmp_path / "calendar.yaml").write_bytes(b"timezone: UTC\n")
    result = load_dir(tmp_path)
    assert (result.target_set is None) == bool(result.errors)
    assert all(LOCATED.match(str(problem)) for problem in result.problems)


@fuzz
@given(text=texts)
def test_serve_yaml_parses_or_gives_located_errors(text: str) -> None:
    try:
        settings_read = parse_config_text(text, "serve.yaml")
    except ConfigError as error:
        lines = str(error).splitlines()
        assert lines and all(line.startswith("serve.yaml:") for line in lines), lines
        assert all(re.match(r"^serve\.yaml:\d+: ", line) for line in lines), lines
    else:
        assert isinstance(settings_read, dict)


@fuzz
@given(raw=st.binary(max_size=300) | yaml_like.map(lambda text: text.encode("utf-8")))
def test_mapping_files_load_or_give_an_error_naming_the_file(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "map.yaml"
    path.write_bytes(raw)
    try:
        load_mapping(str(path))
    except SourceSpecError as error:
        assert str(error).startswith(str(path)), error
        # never the file's own lines quoted back (the path may name any file)
        shown = str(error).replace(str(path), "")
        for line in raw.decode("utf-8", errors="replace").splitlines():
            if len(line) > 40:
                assert line not in shown


QUEUE_LOG_FRAGMENTS = [
    "1772442000",
    "1772442000.5",
    "-1",
    "nan",
    "1e400",
    "2026-03-02 10:00:00",
    "|",
    ",",
    '"',
    "call-1",
    "sales",
    "NONE",
    "SIP/1001",
    "ENTERQUEUE",
    "CONNECT",
    "COMPLETECALLER",
    "ABANDON",
    "RINGNOANSWER",
    "TRANSFER",
    "PAUSE",
    "ADDMEMBER",
    "EXITWITHKEY",
    "10",
    "20",
    "99999999999",
    "time,callid,queuename,agent,event,data1,data2,data3,data4,data5",
    "uid,date_time,callid,queue_name,type,event,param1,param2,param3,entpos,expos,htime,ttime,time",
    *AWKWARD,
]
queue_log_texts = st.lists(st.sampled_from(QUEUE_LOG_FRAGMENTS), max_size=60).map("".join)


@fuzz
@given(line=st.text(max_size=200) | queue_log_texts)
def test_queue_log_lines_parse_or_raise_a_line_error(line: str) -> None:
    parser = QueueLogLineParser()
    for part in line.split("\n"):
        try:
            parser.parse(part)
        except QueueLogLineError as error:
            assert error.reason and error.detail


def _file_with(raw: bytes, suffix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"input{suffix}"
        path.write_bytes(raw)
        yield path


def _read_all(source: QueueLogSource | RecordsSource) -> IngestStats:
    stats = IngestStats()
    for _ in source.events(stats):
        pass
    return stats


def _assert_located(stats: IngestStats, path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Every rejection is logged with the file and line, for a reason a check foresaw."""
    assert not [reason for _, reason in stats.rejected_counts() if reason == UNREADABLE]
    rejections = sum(stats.rejected_counts().values())
    located = [r for r in caplog.records if re.search(rf"at {re.escape(str(path))}:\d+", r.message)]
    assert len(located) == rejections


@fuzz
@given(raw=st.binary(max_size=400) | queue_log_texts.map(lambda text: text.encode("utf-8")))
def test_a_queue_log_of_any_bytes_is_read_to_its_end(
    raw: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.clear()
    for path in _file_with(raw, ""):
        _assert_located(_read_all(QueueLogSource(path)), path, caplog)


def _outcome(read: Callable[[str, EventList], object], line: str) -> object:
    """The events a line gives and what ``read`` returns, or the error it raises."""
    found = EventList()
    try:
        returned = read(line, found)
    except QueueLogLineError as error:
        return error.reason, error.detail
    return list(found), returned


# File-layout lines field by field, good and bad, without blanks: what a plain block holds.
_plain_fields = {
    "time": ["1772442000", "1772442000.5", "5", "-1", "nan", "inf", "1e400", "x", ""],
    "callid": ["call-1", "call-2", "NONE", ""],
    "queue": ["sales", "NONE", ""],
    "interface": ["SIP/1001", "Local/7@agents", "NONE", ""],
    "event": [
        "ENTERQUEUE",
        "CONNECT",
        "connect",
        "COMPLETECALLER",
        "ABANDON",
        "EXITWITHKEY",
        "TRANSFER",
        "RINGNOANSWER",
        "PAUSE",
        "ADDMEMBER",
        "REMOVEMEMBER",
        "OUTCALL",
        "",
    ],
}


@st.composite
def plain_lines(draw: st.DrawFn) -> str:
    """A line of those fields, then data fields, cut after any of them."""
    fields = [draw(st.sampled_from(values)) for values in _plain_fields.values()]
    fields += draw(st.lists(st.sampled_from(["", "0", "10", "20", "x", "-3", "NONE"]), max_size=6))
    return "|".join(fields[: draw(st.integers(1, len(fields)))])


@fuzz
@given(lines=st.lists(plain_lines(), max_size=12), watch=st.sampled_from([math.inf, 1e9]))
def test_the_interpreter_reads_a_plain_line_as_the_parser_and_feed_do(
    lines: list[str], watch: float
) -> None:
    """``feed_line``, the fast path for lines of a plain block (no blank, no \\r), gives the
    events and errors of ``parse`` then ``feed``, line after line; a line stamped after
    ``watch`` gives nothing but its time."""
    fast, slow = QueueLogInterpreter(), QueueLogInterpreter()
    parser = QueueLogLineParser("file")

    def parse_then_feed(line: str, found: EventList) -> float | None:
        return slow.feed_by_watch(parser.parse(line), found, watch)

    for line in lines:
        expected = _outcome(parse_then_feed, line)
        assert _outcome(lambda line, found: fast.feed_line(line, found, watch), line) == expected


@fuzz
@given(
    raw=st.binary(max_size=400) | queue_log_texts.map(lambda text: text.encode("utf-8")),
    block_bytes=st.integers(1, 64),
)
def test_feeding_a_queue_log_gives_the_events_and_rejections_of_reading_it(
    raw: bytes, block_bytes: int, caplog: pytest.LogCaptureFixture
) -> None:
    """``feed`` (replay, backfill) reads the file in blocks, ``events`` (live) line by line:
    the same events, and the same rejections at the same lines, wherever blocks end."""
    for path in _file_with(raw, ""):
        caplog.clear()
        read_stats = IngestStats()
        expected = list(QueueLogSource(path).events(read_stats))
        expected_messages = list(caplog.messages)
        caplog.clear()
        fed, fed_stats = EventList(), IngestStats()
        with patch("exporter.sources.follow._BLOCK_BYTES", block_bytes):
            QueueLogSource(path).feed(fed, fed_stats)
        assert fed == expected
        assert fed_stats.rejected_counts() == read_stats.rejected_counts()
        assert caplog.messages == expected_messages


RECORD_FRAGMENTS = [
    "contact_id,queued_at,channel,queue,team,agent,answered,wait_seconds,talk_seconds,csat",
    "c1",
    "1772442000",
    "2026-03-02T10:00:00+01:00",
    "1969-01-01",
    "voice",
    "sales",
    "blue",
    "ann",
    "true",
    "false",
    "maybe",
    "12",
    "-3",
    "1e400",
    "nan",
    "1:02:03",
    "99:99",
    "6",
    ",",
    '"',
    *AWKWARD,
    '{"contact_id": "c", "queued_at": 1, "answered": 1}',
    '{"answered": true, "wait_seconds": ',
    '{"answered": false, "queued_at": 1, "wait_seconds": ' + "9" * 400 + "}",
    '{"answered": false, "queued_at": ' + "9" * 400 + "}",
    "[" * 2000,
    "1" * 5000,
    "}",
]
record_texts = st.lists(st.sampled_from(RECORD_FRAGMENTS), max_size=40).map("".join)


@fuzz
@given(
    raw=st.binary(max_size=400) | record_texts.map(lambda text: text.encode("utf-8")),
    suffix=st.sampled_from([".csv", ".jsonl"]),
)
def test_a_records_file_of_any_bytes_is_read_to_its_end(
    raw: bytes, suffix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.clear()
    for path in _file_with(raw, suffix):
        _assert_located(_read_all(RecordsSource(path)), path, caplog)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**500), max_value=10**500)
    | st.floats()
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children)
    ),
    max_leaves=20,
)
EVENT_KEYS = ["type", "id", "at", "kind", "contact_id", "queue", "wait_seconds", "agent", "state"]
event_like = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["contact", "agent_state"]) | json_values,
        "id": st.text(min_size=1, max_size=10) | json_values,
        "at": st.integers() | st.floats() | st.text(max_size=30) | json_values,
        "kind": st.sampled_from(["offered", "answered", "abandoned", "outbound", "bot"]),
        "contact_id": st.text(max_size=10) | json_values,
        "wait_seconds": st.integers(min_value=-(10**400), max_value=10**400) | st.floats(),
        "agent": json_values,
        "state": st.sampled_from(["available", "busy"]) | json_values,
        "outcome": json_values,
    },
)


@fuzz
@given(item=json_values | event_like, now=st.none() | st.floats(0, 4e9))
def test_any_json_value_is_an_event_or_a_list_of_field_errors(
    item: object, now: float | None
) -> None:
    result = parse_event(item, 0, now)
    if isinstance(result, IdentifiedEvent):
        assert result.event.at >= 0
        if now is not None:
            assert result.event.at <= now + 300
    else:
        assert result and all(isinstance(error, EventError) and error.code for error in result)


@pytest.fixture(scope="module")
def events_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    journal = EventJournal(tmp_path_factory.mktemp("journal") / "events.sqlite3")
    app = create_app(
        http_events=HttpEventSource(journal), events_token="t", max_content_length=4096
    )
    yield app.test_client()
    journal.close()


@fuzz
@given(
    body=st.binary(max_size=600)
    | st.lists(json_values | event_like, max_size=5).map(lambda v: json.dumps(v).encode())
    | st.integers(1, 5000).map(lambda depth: b"[" * depth + b"]" * depth)
)
def test_the_events_api_never_answers_500(events_client: FlaskClient, body: bytes) -> None:
    response = events_client.post(
        "/api/v1/events",
        data=body,
        headers={"Authorization": "Bearer t", "Content-Type": "application/json"},
    )
    assert response.status_code in (200, 400, 413), response.get_data()
    answer = response.get_json()
    assert isinstance(answer, dict)
    if response.status_code != 200:
        assert answer["error"]
