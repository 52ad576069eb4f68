"""The Asterisk queue_log source on hand-made files: every event kind, three layouts, bad lines.

The fixtures hold the same ten calls in the file layout (``calls.queue_log``), Asterisk's realtime
table (``calls_realtime.csv``, local date-times read as UTC) and PBXware's table
(``calls_pbxware.csv``). T = 1767607200 = 2026-01-05 10:00:00 UTC.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.events import (
    AgentState,
    AgentStateEvent,
    ContactEvent,
    ContactKind,
    Event,
    ExitReason,
)
from exporter.sources.base import IngestStats
from exporter.sources.queue_log import QueueLogSource
from exporter.sources.queue_log_interpret import _NUMBERS, _NUMBERS_KEPT, QueueLogInterpreter
from exporter.sources.queue_log_parse import (
    QueueLogEntry,
    QueueLogLineError,
    QueueLogLineParser,
    parse_file_line,
)

FIXTURES = Path(__file__).parent / "fixtures" / "queue_log"
T = 1767607200.0
TEAMS = {"SIP/1001": "blue", "SIP/1002": "red"}  # by interface; the agents are 1001 and 1002
TEAM_OF = {"1001": "blue", "1002": "red"}
CALLER, TIMEOUT = ExitReason.ABANDONED, ExitReason.TIMEOUT
KEY, EMPTY = ExitReason.KEY, ExitReason.EMPTY
OFFERED, ANSWERED, ENDED = ContactKind.OFFERED, ContactKind.ANSWERED, ContactKind.ENDED
ABANDONED, TRANSFERRED = ContactKind.ABANDONED, ContactKind.TRANSFERRED


def contact(
    kind: ContactKind, offset: float, call: str, queue: str, agent: str = "", **fields: object
) -> ContactEvent:
    return ContactEvent(
        kind=kind,
        at=T + offset,
        contact_id=call,
        queue=queue,
        channel="voice",
        team=TEAM_OF.get(agent, ""),
        agent=agent,
        **fields,  # type: ignore[arg-type]
    )


def agent(offset: float, name: str, state: AgentState, queue: str = "support") -> AgentStateEvent:
    return AgentStateEvent(at=T + offset, agent=name, state=state, team=TEAM_OF[name], queue=queue)


EXPECTED_CALLS: list[Event] = [
    agent(0, "1001", AgentState.LOGGED_IN),
    agent(0, "1002", AgentState.LOGGED_IN),
    # call-a: three RINGNOANSWER rows to SIP/1002, then answered by SIP/1001 (agent 1001): one
    # offer, one answer.
    contact(OFFERED, 10, "call-a", "support"),
    contact(ANSWERED, 60, "call-a", "support", "1001", wait_seconds=50),
    agent(60, "1001", AgentState.BUSY),
    contact(ENDED, 180, "call-a", "support", "1001", talk_seconds=120),
    agent(180, "1001", AgentState.AVAILABLE),
    # call-b: abandoned while ringing (RINGCANCELED then ABANDON with wait 12).
    contact(OFFERED, 200, "call-b", "support"),
    contact(ABANDONED, 212, "call-b", "support", wait_seconds=12, exit_reason=CALLER),
    contact(OFFERED, 300, "call-c", "sales"),
    # call-j: answered and ended by the agent (COMPLETEAGENT).
    contact(OFFERED, 500, "call-j", "support"),
    contact(ANSWERED, 505, "call-j", "support", "1002", wait_seconds=5),
    agent(505, "1002", AgentState.BUSY),
    contact(ENDED, 545, "call-j", "support", "1002", talk_seconds=40),
    agent(545, "1002", AgentState.AVAILABLE),
    # call-c: EXITWITHTIMEOUT after 300 s; call-d: EXITWITHKEY, wait in data4 = 30.
    contact(ABANDONED, 600, "call-c", "sales", wait_seconds=300, exit_reason=TIMEOUT),
    contact(OFFERED, 700, "call-d", "sales"),
    contact(ABANDONED, 730, "call-d", "sales", wait_seconds=30, exit_reason=KEY),
    agent(800, "1002", AgentState.PAUSED),
    # call-e: blind transfer, talk = second-to-last field 92; call-f: attended, talk 70.
    contact(OFFERED, 900, "call-e", "support"),
    contact(ANSWERED, 908, "call-e", "support", "1001", wait_seconds=8),
    agent(908, "1001", AgentState.BUSY),
    contact(TRANSFERRED, 1000, "call-e", "support", "1001"),
    contact(ENDED, 1000, "call-e", "support", "1001", talk_seconds=92),
    agent(1000, "1001", AgentState.AVAILABLE),
    contact(OFFERED, 1100, "call-f", "sales"),
    contact(ANSWERED, 1130, "call-f", "sales", "1001", wait_seconds=30),
    agent(1130, "1001", AgentState.BUSY, "sales"),
    contact(TRANSFERRED, 1200, "call-f", "sales", "1001"),
    contact(ENDED, 1200, "call-f", "sales", "1001", talk_seconds=70),
    agent(1200, "1001", AgentState.AVAILABLE, "sales"),
    agent(1300, "1002", AgentState.AVAILABLE),
    # Still open when the file ends: call-g waiting, call-h in conversation.
    contact(OFFERED, 1400, "call-g", "support"),
    contact(OFFERED, 1410, "call-h", "support"),
    contact(ANSWERED, 1420, "call-h", "support", "1002", wait_seconds=10),
    agent(1420, "1002", AgentState.BUSY),
    # call-k: EXITEMPTY after 5 s.
    contact(OFFERED, 1450, "call-k", "sales"),
    contact(ABANDONED, 1455, "call-k", "sales", wait_seconds=5, exit_reason=EMPTY),
    agent(1500, "1001", AgentState.LOGGED_OUT),
]


def read(path: Path, **options: object) -> tuple[list[Event], IngestStats, QueueLogSource]:
    source = QueueLogSource(path, agent_teams=TEAMS, **options)  # type: ignore[arg-type]
    stats = IngestStats()
    return list(source.events(stats)), stats, source


def test_file_layout_gives_every_event_of_the_hand_made_calls() -> None:
    events, stats, source = read(FIXTURES / "calls.queue_log")
    assert events == EXPECTED_CALLS
    assert stats.read_counts() == {"queue_log": len(EXPECTED_CALLS)}
    assert stats.rejected_counts() == {}
    # 3 RINGNOANSWER for call-a + 1 RINGCANCELED for call-b; QUEUESTART/CONFIGRELOAD not counted.
    assert source.rings == 4
    assert source.skipped == Counter()


def test_outcome_counts_of_the_hand_made_calls() -> None:
    events, _, _ = read(FIXTURES / "calls.queue_log")
    kinds = Counter(event.kind for event in events if isinstance(event, ContactEvent))
    # 10 calls offered (a b c d e f g h j k); answered a j e f h; abandoned b c d k;
    # ended a j e f; g is still waiting and h still talking: 10 = 5 answered + 4 abandoned + 1.
    assert kinds == {OFFERED: 10, ANSWERED: 5, ABANDONED: 4, ENDED: 4, TRANSFERRED: 2}


@pytest.mark.parametrize("name", ["calls_realtime.csv", "calls_pbxware.csv"])
def test_table_layouts_of_the_same_calls_give_the_same_events(name: str) -> None:
    events, stats, source = read(FIXTURES / name)
    assert events == EXPECTED_CALLS
    assert stats.rejected_counts() == {}
    assert source.rings == 4


def test_forced_layout_matches_auto_detection() -> None:
    assert read(FIXTURES / "calls_pbxware.csv", layout="table")[0] == EXPECTED_CALLS
    assert read(FIXTURES / "calls.queue_log", layout="file")[0] == EXPECTED_CALLS


def test_malformed_lines_are_counted_with_their_line_numbers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    events, stats, _ = read(FIXTURES / "malformed.queue_log")
    assert stats.rejected_counts() == {
        ("queue_log", "bad_field_count"): 3,  # lines 2 (3 fields), 7 (no talk), 8 (no ring time)
        ("queue_log", "bad_timestamp"): 1,  # line 3
        ("queue_log", "bad_number"): 1,  # line 4 (hold time "fifty")
    }
    places = sorted(
        message.split(" at ")[1].split(":")[1]
        for message in caplog.messages
        if "malformed.queue_log" in message
    )
    assert places == ["2", "3", "4", "7", "8"]
    # The good lines 1, 5 and 9 still give their events.
    assert [(e.kind, e.at) for e in events if isinstance(e, ContactEvent)] == [
        (OFFERED, 1767607210.0),
        (ANSWERED, 1767607260.0),
        (ENDED, 1767607380.0),
    ]


def test_a_table_row_with_the_wrong_column_count_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "time,callid,queuename,agent,event,data1,data2,data3,data4,data5\n"
        "1767607210,c1,support,NONE,ENTERQUEUE,,555,1\n"
        "1767607212,c1,support,NONE,ABANDON,1,1,2,,\n"
    )
    events, stats, _ = read(path)
    assert stats.rejected_counts() == {("queue_log", "bad_field_count"): 1}
    assert [(e.kind, e.wait_seconds) for e in events if isinstance(e, ContactEvent)] == [
        (ABANDONED, 2.0)
    ]


def test_lines_before_any_recognisable_layout_are_rejected_then_reading_goes_on(
    tmp_path: Path,
) -> None:
    path = tmp_path / "queue_log"
    path.write_text("garbage\n1767607210|c1|support|NONE|ENTERQUEUE||555|1\n")
    events, stats, _ = read(path)
    assert stats.rejected_counts() == {("queue_log", "unknown_layout"): 1}
    assert len(events) == 1


def entry(event: str, *data: str, callid: str = "c1", agent: str = "SIP/1") -> QueueLogEntry:
    return QueueLogEntry(at=100.0, callid=callid, queue="q", agent=agent, event=event, data=data)


def test_asterisk_1_4_transfer_with_four_fields_takes_the_last_as_talk() -> None:
    interpreter = QueueLogInterpreter()
    events = interpreter.interpret(entry("TRANSFER", "2000", "internal", "8", "61"))
    ended = [e for e in events if isinstance(e, ContactEvent) and e.kind is ENDED]
    assert [e.talk_seconds for e in ended] == [61.0]


def test_attended_transfer_link_method_with_six_fields() -> None:
    # LINK|channel1|channel2|hold|talk|position: talk is the second-to-last field.
    interpreter = QueueLogInterpreter()
    data = ("LINK", "SIP/a-1", "SIP/b-2", "4", "33", "1")
    events = interpreter.interpret(entry("ATTENDEDTRANSFER", *data))
    assert [e.kind for e in events if isinstance(e, ContactEvent)] == [TRANSFERRED, ENDED]
    assert [e.talk_seconds for e in events if isinstance(e, ContactEvent)] == [None, 33.0]


def test_a_call_entering_a_second_queue_is_a_second_contact() -> None:
    interpreter = QueueLogInterpreter()
    first = interpreter.interpret(entry("ENTERQUEUE", "", "555", "1", agent=""))
    abandon = interpreter.interpret(entry("EXITWITHTIMEOUT", "1", "1", "60", agent=""))
    # Back in queue a minute later (the same line at the same time would be a copy).
    back = entry("ENTERQUEUE", "", "555", "1", agent="")._replace(at=160.0)
    second = interpreter.interpret(back)
    answer = interpreter.interpret(entry("CONNECT", "3", "b", "2")._replace(at=163.0))
    ids = [e.contact_id for e in first + abandon + second + answer if isinstance(e, ContactEvent)]
    assert ids == ["c1", "c1", "c1#2", "c1#2"]


def test_call_ids_are_forgotten_a_day_after_their_last_entry() -> None:
    # Following a live log for weeks must not remember every call ever seen.
    interpreter = QueueLogInterpreter(call_memory_seconds=3600.0)
    hour_of_calls = 60  # one call a minute, each with an entry, an answer and an end
    for minute in range(3 * hour_of_calls):
        at = minute * 60.0
        for event, data in (("ENTERQUEUE", ("", "555", "1")), ("CONNECT", ("3", "b", "2"))):
            line = QueueLogEntry(at, f"call-{minute}", "q", "SIP/1", event, data)
            interpreter.interpret(line)
    # Calls entered within the last hour (minutes 120..179) are remembered, older ones are not.
    assert interpreter.remembered_calls == hour_of_calls + 1
    # A remembered call coming back is a second contact; a forgotten one starts again.
    back = interpreter.interpret(QueueLogEntry(10800.0, "call-179", "q", "", "ENTERQUEUE", ()))
    forgotten = interpreter.interpret(QueueLogEntry(10800.0, "call-1", "q", "", "ENTERQUEUE", ()))
    assert [e.contact_id for e in back + forgotten if isinstance(e, ContactEvent)] == [
        "call-179#2",
        "call-1",
    ]


def test_pause_and_unpause_during_a_call_leave_the_agent_busy_and_the_end_available() -> None:
    interpreter = QueueLogInterpreter()
    states = [
        event.state
        for line in (
            entry("CONNECT", "3", "b", "2"),
            entry("PAUSE", "break"),
            entry("UNPAUSE"),
            entry("COMPLETECALLER", "3", "40", "1"),
        )
        for event in interpreter.interpret(line)
        if isinstance(event, AgentStateEvent)
    ]
    assert states == [AgentState.BUSY, AgentState.AVAILABLE]


def test_paused_during_a_call_stays_paused_after_it() -> None:
    interpreter = QueueLogInterpreter()
    interpreter.interpret(entry("CONNECT", "3", "b", "2"))
    interpreter.interpret(entry("PAUSEALL"))
    after = interpreter.interpret(entry("COMPLETEAGENT", "3", "40", "1"))
    assert [e.state for e in after if isinstance(e, AgentStateEvent)] == [AgentState.PAUSED]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("1|c|q|a", "bad_field_count"),
        ("1|c|q|a| ", "bad_field_count"),
        ("-5|c|q|a|ENTERQUEUE", "bad_timestamp"),
        ("nan|c|q|a|ENTERQUEUE", "bad_timestamp"),
    ],
)
def test_file_line_errors(line: str, reason: str) -> None:
    with pytest.raises(QueueLogLineError) as raised:
        parse_file_line(line)
    assert raised.value.reason == reason


def test_negative_wait_is_a_bad_number() -> None:
    with pytest.raises(QueueLogLineError) as raised:
        QueueLogInterpreter().interpret(entry("ABANDON", "1", "1", "-3"))
    assert raised.value.reason == "bad_number"


def test_none_fields_become_empty_and_trailing_empty_data_is_dropped() -> None:
    parsed = QueueLogLineParser().parse("1767607210|NONE|NONE|NONE|QUEUESTART||")
    assert parsed == QueueLogEntry(1767607210.0, "", "", "", "QUEUESTART", ())


class _RememberedCalls:
    """The call memory's rule, written plainly: a call not entered into a queue since ``memory``
    seconds before the latest entry is forgotten (its next entry is a first one again); a line
    of a call remembered that was read before is a copy. The reference the interpreter's
    bookkeeping must match."""

    def __init__(self, memory: float) -> None:
        self.calls: dict[str, tuple[int, float]] = {}  # callid -> (entries, last entered)
        self.lines: dict[str, set[object]] = {}  # callid -> its lines read while remembered
        self.memory = memory
        self.cutoff = float("-inf")

    def is_copy(self, callid: str, line: object, entering: bool) -> bool:
        """Whether ``line`` is a copy (then it changes nothing), else remember it."""
        if entering:
            self.cutoff = max(self.cutoff, line[0] - self.memory)  # type: ignore[index]
        if not self.entries(callid):
            self.lines[callid] = set()
            if not entering:
                return False
        if line in self.lines[callid]:
            return True
        self.lines[callid].add(line)
        return False

    def entries(self, callid: str) -> int:
        """Of a call remembered; 0 for one never seen or forgotten."""
        entries, last_entered = self.calls.get(callid, (0, 0.0))
        return entries if entries and last_entered >= self.cutoff else 0

    def enter(self, callid: str, at: float) -> str:
        self.cutoff = max(self.cutoff, at - self.memory)
        entries = self.entries(callid) + 1
        self.calls[callid] = (entries, at)
        return callid if entries == 1 else f"{callid}#{entries}"

    def contact_id(self, callid: str) -> str:
        entries = self.entries(callid)
        return callid if entries <= 1 else f"{callid}#{entries}"


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(
        st.tuples(
            st.sampled_from(["ENTERQUEUE", "CONNECT", "COMPLETECALLER", "ABANDON"]),
            st.sampled_from(["a", "b", "c", "d"]),
            st.integers(0, 40).map(float),  # out of order at times, and repeated
        ),
        max_size=60,
    ),
    memory=st.sampled_from([0.0, 3.0, 10.0, float("inf")]),
)
def test_calls_are_remembered_and_forgotten_by_the_rule(
    lines: list[tuple[str, str, float]], memory: float
) -> None:
    interpreter, reference = (
        QueueLogInterpreter(call_memory_seconds=memory),
        _RememberedCalls(memory),
    )
    data = {"ENTERQUEUE": ("", "5", "1"), "CONNECT": ("3", "x", "1"), "ABANDON": ("1", "1", "4")}
    for event, callid, at in lines:
        line = QueueLogEntry(at, callid, "q", "SIP/1", event, data.get(event, ("3", "40", "1")))
        if reference.is_copy(callid, line, event == "ENTERQUEUE"):
            with pytest.raises(QueueLogLineError, match=r"^duplicate: "):
                interpreter.interpret(line)
            continue
        found = [e.contact_id for e in interpreter.interpret(line) if isinstance(e, ContactEvent)]
        if event == "ENTERQUEUE":
            assert found == [reference.enter(callid, at)]
        else:
            assert found == [reference.contact_id(callid)]
        # Every call remembered is kept; forgotten ones may wait for their turn to be dropped.
        remembered = sum(reference.entries(callid) > 0 for callid in reference.calls)
        assert remembered <= interpreter.remembered_calls <= len(reference.calls)


def test_the_numbers_cache_stays_bounded_and_keeps_reading_right() -> None:
    interpreter = QueueLogInterpreter()
    for n in range(_NUMBERS_KEPT + 2_000):  # more distinct hold times than the cache keeps
        answered = interpreter.interpret(entry("CONNECT", str(n), "b", "2", callid=f"c{n}"))
        assert answered[0].wait_seconds == float(n)
        assert len(_NUMBERS) <= _NUMBERS_KEPT
    assert _NUMBERS.get(str(_NUMBERS_KEPT + 1_999)) == _NUMBERS_KEPT + 1_999.0  # refilled
