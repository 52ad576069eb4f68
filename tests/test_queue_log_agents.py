"""Agents and exits in a queue_log, as real PBXs write them, through the source and the engine.

Every fixture is hand-made here (file layout, or PBXware's table layout) and every expected value
is worked out by hand in the test. T = 1767607200 = 2026-01-05 10:00:00 UTC; everything happens
within that hour, so the Hourly KPIs and the All Time counters see the same events.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.engine import EngineConfig, EngineSnapshot, KpiEngine
from exporter.events import AgentState, AgentStateEvent, Event
from exporter.sources.base import IngestStats
from exporter.sources.queue_log import QueueLogSource
from exporter.sources.queue_log_agents import AgentMap, AgentMapError, agent_map_from_dict
from exporter.sources.queue_log_interpret import QueueLogInterpreter
from exporter.sources.queue_log_parse import QueueLogEntry, QueueLogLineError
from exporter.sources.spec import SourceSpecError, build_source, parse_source_spec
from tests.engine_fixtures import UTC, counter, of_kpi

T = 1767607200
PBXWARE_HEADER = (
    "uid,date_time,callid,queue_name,type,event,param1,param2,param3,"
    "entpos,expos,htime,ttime,time\n"
)


def _events(path: Path, **options: object) -> list[Event]:
    source = QueueLogSource(path, **options)  # type: ignore[arg-type]
    stats = IngestStats()
    events = list(source.events(stats))
    assert stats.rejected_counts() == {}
    return events


def _engine(events: list[Event]) -> KpiEngine:
    engine = KpiEngine(EngineConfig(timezone=UTC))
    for event in events:
        assert engine.ingest(event) is None, event
    return engine


def _file(tmp_path: Path, lines: list[str], name: str = "queue_log") -> Path:
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines))
    return path


def _pbxware(tmp_path: Path, rows: list[str]) -> Path:
    numbered = [f"{uid},{row},x" for uid, row in enumerate(rows, 1)]
    path = tmp_path / "queue_log.csv"
    path.write_text(PBXWARE_HEADER + "".join(line + "\n" for line in numbered))
    return path


def _available(snapshot: EngineSnapshot) -> float:
    return of_kpi(snapshot, "agents_available")[()]


def _agent_seconds(snapshot: EngineSnapshot) -> dict[tuple[str, ...], float]:
    return {
        labels: round(seconds, 6)
        for labels, seconds in counter(snapshot, "contact_center_agent_state_seconds").items()
    }


def _states(events: list[Event], agent: str) -> list[tuple[int, AgentState]]:
    return [
        (int(e.at - T), e.state)
        for e in events
        if isinstance(e, AgentStateEvent) and e.agent == agent
    ]


# ---- an agent who logs off during a call stays logged off ---------------------------------------


LOGOFF_MID_CALL = [
    f"{T}|NONE|support|SIP/1001|ADDMEMBER|",
    f"{T}|NONE|support|SIP/1002|ADDMEMBER|",
    f"{T + 100}|c1|support|NONE|ENTERQUEUE||555|1",
    f"{T + 110}|c1|support|SIP/1001|CONNECT|10|c1.b|2",
    f"{T + 200}|NONE|support|SIP/1001|REMOVEMEMBER|",
    f"{T + 400}|c1|support|SIP/1001|COMPLETEAGENT|10|290|1",
]


def test_an_agent_who_logs_off_during_a_call_stays_logged_off(tmp_path: Path) -> None:
    events = _events(_file(tmp_path, LOGOFF_MID_CALL))
    # The logoff at +200 does not interrupt the call; its end at +400 leaves 1001 logged out.
    assert _states(events, "1001") == [
        (0, AgentState.LOGGED_IN),
        (110, AgentState.BUSY),
        (400, AgentState.LOGGED_OUT),
    ]
    snapshot = _engine(events).snapshot(T + 600)
    assert _available(snapshot) == 1  # only 1002 (it used to be 2)
    # 1001: available 0..110, on the call 110..400, then logged out; 1002 available 0..600.
    assert _agent_seconds(snapshot) == {
        ("", "1001", "available"): 110,
        ("", "1001", "on_contact"): 290,
        ("", "1002", "available"): 600,
    }


def test_a_restart_ends_the_calls_left_open(tmp_path: Path) -> None:
    lines = [
        *LOGOFF_MID_CALL[:4],  # 1001 on c1 from +110
        f"{T + 150}|NONE|support|SIP/1002|PAUSE|",
        f"{T + 160}|o1|NONE|SIP/1002|OUTDIAL|",  # 1002 dials out, paused
        f"{T + 300}|NONE|NONE|NONE|QUEUESTART|",  # the PBX restarted: neither call goes on
    ]
    events = _events(_file(tmp_path, lines))
    assert _states(events, "1001") == [
        (0, AgentState.LOGGED_IN),
        (110, AgentState.BUSY),
        (300, AgentState.AVAILABLE),
    ]
    assert _states(events, "1002")[-2:] == [(160, AgentState.OUTBOUND), (300, AgentState.PAUSED)]
    snapshot = _engine(events).snapshot(T + 600)
    assert _available(snapshot) == 1  # 1001; 1002 is still paused
    # 1001: available 0..110 and 300..600, on the call 110..300.
    assert _agent_seconds(snapshot)[("", "1001", "on_contact")] == 190


def test_a_pause_during_a_call_takes_effect_when_the_call_ends(tmp_path: Path) -> None:
    lines = [
        *LOGOFF_MID_CALL[:4],
        f"{T + 150}|NONE|support|SIP/1001|PAUSE|lunch",
        f"{T + 400}|c1|support|SIP/1001|COMPLETECALLER|10|290|1",
        f"{T + 500}|NONE|support|SIP/1001|UNPAUSE|",
    ]
    events = _events(_file(tmp_path, lines))
    assert _states(events, "1001") == [
        (0, AgentState.LOGGED_IN),
        (110, AgentState.BUSY),
        (400, AgentState.PAUSED),
        (500, AgentState.AVAILABLE),
    ]
    snapshot = _engine(events).snapshot(T + 600)
    assert _available(snapshot) == 2
    # 1001: available 0..110 and 500..600, on the call 110..400, paused 400..500.
    assert _agent_seconds(snapshot) == {
        ("", "1001", "available"): 210,
        ("", "1001", "on_contact"): 290,
        ("", "1001", "paused"): 100,
        ("", "1002", "available"): 600,
    }


def test_a_call_whose_end_was_never_written_ends_with_the_agents_next_call(
    tmp_path: Path,
) -> None:
    lines = [
        *LOGOFF_MID_CALL[:4],  # c1 answered by 1001 at +110; its COMPLETE line is lost
        f"{T + 300}|c2|support|NONE|ENTERQUEUE||556|1",
        f"{T + 302}|c2|support|SIP/1001|CONNECT|2|c2.b|1",
        f"{T + 362}|c2|support|SIP/1001|COMPLETECALLER|2|60|1",
    ]
    events = _events(_file(tmp_path, lines))
    assert _states(events, "1001") == [
        (0, AgentState.LOGGED_IN),
        (110, AgentState.BUSY),
        (362, AgentState.AVAILABLE),
    ]


# ---- one person behind two interfaces -----------------------------------------------------------


TWO_INTERFACES = [
    # PBXware logs the queue membership on Local/N@callback-agent and the agent on Agent/N.
    f"{T},l1,IT,Local/1127@callback-agent,ADDMEMBER,,,,0,0,0,0",
    f"{T},l1,NONE,Agent/1127,AGENTCALLBACKLOGIN,hint:1127@default,,,0,0,0,0",
    f"{T},l2,IT,Local/1128@callback-agent,ADDMEMBER,,,,0,0,0,0",
    f"{T},l2,NONE,Agent/1128,AGENTCALLBACKLOGIN,hint:1128@default,,,0,0,0,0",
    # A call waits 4 s and talks 120 s with 1127 (CONNECT: param2 bridged id, param3 ring s).
    f"{T + 60},c1,IT,NONE,ENTERQUEUE,PN1,,,1,0,0,0",
    f"{T + 64},c1,IT,Agent/1127,CONNECT,,c1.b,4,1,0,4,0",
    f"{T + 184},c1,IT,Agent/1127,COMPLETECALLER,,,,1,0,4,120",
    # 1128 logs off: first the membership, then the agent.
    f"{T + 300},l3,IT,Local/1128@callback-agent,REMOVEMEMBER,,,,0,0,0,0",
    f"{T + 300},l3,NONE,Agent/1128,AGENTCALLBACKLOGOFF,hint:1128@default,300,,0,0,0,0",
]


def test_two_interfaces_of_one_agent_count_once(tmp_path: Path) -> None:
    events = _events(_pbxware(tmp_path, TWO_INTERFACES))
    assert {e.agent for e in events if isinstance(e, AgentStateEvent)} == {"1127", "1128"}
    snapshot = _engine(events).snapshot(T + 600)
    assert _available(snapshot) == 1  # 1127; 1128 logged off
    handled = counter(snapshot, "contact_center_contacts_handled")
    assert handled == {("IT", "voice", "", "1127"): 1}
    # 1127: available 0..64 and 184..600 = 64 + 416, on the call 64..184; 1128: 0..300.
    assert _agent_seconds(snapshot) == {
        ("", "1127", "available"): 480,
        ("", "1127", "on_contact"): 120,
        ("", "1128", "available"): 300,
    }


def test_without_the_mapping_each_interface_is_an_agent(tmp_path: Path) -> None:
    events = _events(_pbxware(tmp_path, TWO_INTERFACES), agent_map=AgentMap(pattern=None))
    snapshot = _engine(events).snapshot(T + 600)
    # Local/1127@callback-agent and Agent/1127 both look available: the overcount the default
    # mapping prevents.
    assert _available(snapshot) == 2


def test_an_agent_map_file_names_the_agents(tmp_path: Path) -> None:
    (tmp_path / "agents.yaml").write_text(
        "pattern: none\n"
        "agents:\n"
        "  Local/1127@callback-agent: ann\n"
        "  Agent/1127: ann\n"
        "  Local/1128@callback-agent: bob\n"
        "  Agent/1128: bob\n"
    )
    path = _pbxware(tmp_path, TWO_INTERFACES)
    spec = parse_source_spec(f"queue_log:{path}?agent_map={tmp_path / 'agents.yaml'}")
    source = build_source(spec)
    stats = IngestStats()
    events = list(source.events(stats))
    assert {e.agent for e in events if isinstance(e, AgentStateEvent)} == {"ann", "bob"}
    assert _available(_engine(events).snapshot(T + 600)) == 1


@pytest.mark.parametrize(
    ("interface", "agent"),
    [
        ("Agent/1127", "1127"),
        ("Local/1127@callback-agent", "1127"),
        ("Local/1127@from-queue/n", "1127"),
        ("SIP/1127", "1127"),
        ("PJSIP/1127", "1127"),
        ("Ann Smith", "Ann Smith"),
        ("", ""),
    ],
)
def test_the_default_mapping_reads_the_common_asterisk_and_pbxware_forms(
    interface: str, agent: str
) -> None:
    assert AgentMap()(interface) == agent


def test_a_pattern_and_a_table_map_interfaces() -> None:
    mapping = agent_map_from_dict(
        {"pattern": r"^PJSIP/ext-(?P<agent>\d+)$", "agents": {"PJSIP/ext-9": "night desk"}}, "x"
    )
    assert mapping("PJSIP/ext-7") == "7"
    assert mapping("PJSIP/ext-9") == "night desk"  # the table wins
    assert mapping("SIP/7") == "SIP/7"  # no match: as written


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (["Agent/1"], "agents.yaml: expected a mapping with pattern: and/or agents:"),
        ({"patern": "x"}, "agents.yaml: unknown key(s) patern; known: pattern, agents"),
        ({"pattern": "("}, "agents.yaml: pattern: not a regular expression"),
        ({"pattern": "a{99999999999999999999}(b)"}, "agents.yaml: pattern: not a regular"),
        ({"pattern": "^SIP/"}, "agents.yaml: agent pattern '^SIP/' needs a group"),
        ({"agents": ["Agent/1"]}, "agents.yaml: agents: expected interface: agent id entries"),
    ],
)
def test_a_bad_agent_map_is_refused_with_where_and_what(data: object, message: str) -> None:
    with pytest.raises(AgentMapError) as raised:
        agent_map_from_dict(data, "agents.yaml")
    assert str(raised.value).startswith(message)


def test_a_missing_agent_map_file_is_a_spec_error(tmp_path: Path) -> None:
    spec = parse_source_spec(f"queue_log:{tmp_path / 'q'}?agent_map={tmp_path / 'none.yaml'}")
    with pytest.raises(SourceSpecError, match="cannot read the agent map file"):
        build_source(spec)


# ---- outbound calls ------------------------------------------------------------------------------


OUTBOUND = [
    f"{T},l1,IT,Local/1141@callback-agent,ADDMEMBER,,,,0,0,0,0",
    f"{T},l1,NONE,Agent/1141,AGENTCALLBACKLOGIN,hint:1141@default,,,0,0,0,0",
    # Answered: PBXware writes OUTANSWER when the call ends (htime = ring 5 s, ttime = talk 55 s).
    f"{T + 100},o1,NONE,Agent/1141,OUTDIAL,555,,,0,0,0,0",
    f"{T + 160},o1,NONE,Agent/1141,OUTANSWER,555,COMPLETEAGENT,,0,0,5,55",
    # Given up after 15 s of ringing.
    f"{T + 200},o2,NONE,Agent/1141,OUTDIAL,556,,,0,0,0,0",
    f"{T + 215},o2,NONE,Agent/1141,OUTCANCEL,556,,,0,0,15,0",
    # A dial whose end was never written; the next dial replaces it.
    f"{T + 300},o3,NONE,Agent/1141,OUTDIAL,557,,,0,0,0,0",
    f"{T + 400},o4,NONE,Agent/1141,OUTDIAL,558,,,0,0,0,0",
    f"{T + 430},o4,NONE,Agent/1141,OUTCHANUNAVAIL,558,,,0,0,1,0",
]


def test_an_agent_on_an_outbound_call_is_not_available(tmp_path: Path) -> None:
    events = _events(_pbxware(tmp_path, OUTBOUND))
    assert _states(events, "1141") == [
        (0, AgentState.LOGGED_IN),
        (100, AgentState.OUTBOUND),
        (160, AgentState.AVAILABLE),
        (200, AgentState.OUTBOUND),
        (215, AgentState.AVAILABLE),
        (300, AgentState.OUTBOUND),  # o3, then o4 from +400: still outbound, no new event
        (430, AgentState.AVAILABLE),
    ]
    engine = KpiEngine(EngineConfig(timezone=UTC))
    for event in events:
        if event.at <= T + 350:
            assert engine.ingest(event) is None
    during = engine.snapshot(T + 350)
    assert _available(during) == 0
    # Counted up to now = +350: available 100 + 40 + 85 = 225, outbound 60 + 15 + 50 = 125.
    assert _agent_seconds(during) == {
        ("", "1141", "available"): 225,
        ("", "1141", "outbound"): 125,
    }
    for event in events:
        if event.at > T + 350:
            assert engine.ingest(event) is None
    after = engine.snapshot(T + 600)
    assert _available(after) == 1
    # Outbound 300..430 adds 130 (205 in all); available 430..600 adds 170 (395 in all).
    assert _agent_seconds(after) == {
        ("", "1141", "available"): 395,
        ("", "1141", "outbound"): 205,
    }


def test_an_agent_only_seen_dialling_out_is_not_assumed_logged_in(tmp_path: Path) -> None:
    events = _events(_pbxware(tmp_path, OUTBOUND[2:4]))
    assert _states(events, "1141") == [(100, AgentState.OUTBOUND), (160, AgentState.LOGGED_OUT)]


# ---- why callers left the queue unanswered -------------------------------------------------------


EXITS = [
    f"{T}|NONE|support|SIP/1001|ADDMEMBER|",
    f"{T}|a|support|NONE|ENTERQUEUE||501|1",
    f"{T + 3}|a|support|NONE|ABANDON|1|1|3",  # hung up after 3 s: a short abandon
    f"{T + 10}|b|support|NONE|ENTERQUEUE||502|1",
    f"{T + 310}|b|support|NONE|EXITWITHTIMEOUT|1|1|300",  # the queue's 300 s maximum wait
    f"{T + 400}|c|support|NONE|ENTERQUEUE||503|1",
    f"{T + 405}|c|support|NONE|EXITEMPTY|1|1|5",  # no agent left: also short (5 s)
    f"{T + 500}|d|support|NONE|ENTERQUEUE||504|1",
    f"{T + 530}|d|support|NONE|EXITWITHKEY|5|1|1|30",  # pressed 5 after 30 s
    f"{T + 600}|e|support|NONE|ENTERQUEUE||505|1",
    f"{T + 640}|e|support|NONE|WITHDRAW|1|1|40",
    f"{T + 700}|f|support|NONE|ENTERQUEUE||506|1",
    f"{T + 760}|f|support|NONE|ABANDON|1|1|60",
    f"{T + 800}|g|support|NONE|ENTERQUEUE||507|1",
    f"{T + 815}|g|support|SIP/1001|CONNECT|15|g.b|3",
    f"{T + 935}|g|support|SIP/1001|COMPLETECALLER|15|120|1",
]


def test_each_exit_reason_is_counted_and_every_exit_is_an_abandon(tmp_path: Path) -> None:
    snapshot = _engine(_events(_file(tmp_path, EXITS))).snapshot(T + 1000)
    queue = ("support", "voice")
    assert counter(snapshot, "contact_center_queue_exits") == {
        (*queue, "abandoned"): 2,  # a, f
        (*queue, "timeout"): 1,  # b
        (*queue, "empty"): 1,  # c
        (*queue, "key"): 1,  # d
        (*queue, "withdrawn"): 1,  # e
    }
    assert counter(snapshot, "contact_center_contacts_abandoned") == {queue: 6}
    assert counter(snapshot, "contact_center_contacts_abandoned_short") == {queue: 2}  # a, c
    assert counter(snapshot, "contact_center_contacts_offered") == {queue: 7}
    # The abandonment KPI counts every exit (Asterisk's habit), short ones (<= 5 s) left out:
    # (6 - 2) / (1 answered + 6 - 2) = 4 / 5.
    assert of_kpi(snapshot, "abandonment_ratio")[()] == 0.8


# ---- any sequence of lines -----------------------------------------------------------------------

_EVENTS = [
    "ENTERQUEUE", "CONNECT", "COMPLETECALLER", "COMPLETEAGENT", "ABANDON", "EXITWITHTIMEOUT",
    "EXITEMPTY", "EXITWITHKEY", "WITHDRAW", "BLINDTRANSFER", "RINGNOANSWER", "ADDMEMBER",
    "REMOVEMEMBER", "AGENTCALLBACKLOGIN", "AGENTCALLBACKLOGOFF", "PAUSE", "UNPAUSEALL",
    "OUTDIAL", "OUTANSWER", "OUTCANCEL", "OUTCALL", "CONFIGRELOAD",
]  # fmt: skip
_INTERFACES = ["", "Agent/7", "Local/7@callback-agent", "SIP/8", "Ann Smith"]


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(
        st.tuples(
            st.sampled_from(_EVENTS),
            st.sampled_from(_INTERFACES),
            st.sampled_from(["c1", "c2", "o1"]),
            st.sampled_from(["", "q1", "q2"]),
            st.lists(st.sampled_from(["", "0", "5", "x", "-1", "12.5"]), max_size=5),
        ),
        max_size=40,
    )
)
def test_any_sequence_gives_mapped_agents_and_only_real_state_changes(
    lines: list[tuple[str, str, str, str, list[str]]],
) -> None:
    interpreter = QueueLogInterpreter()
    last: dict[str, AgentState] = {}
    for second, (event, interface, callid, queue, data) in enumerate(lines):
        entry = QueueLogEntry(T + second, callid, queue, interface, event, tuple(data))
        try:
            produced = interpreter.interpret(entry)
        except QueueLogLineError:
            continue  # a bad number: refused, the state left as it was
        for item in produced:
            if isinstance(item, AgentStateEvent):
                assert item.agent in {"7", "8", "Ann Smith"}
                assert item.state is not last.get(item.agent), "a change that changes nothing"
                last[item.agent] = item.state
            else:
                assert item.agent in {"", "7", "8", "Ann Smith"}


@settings(max_examples=200, deadline=None)
@given(
    data=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=6),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(
                st.sampled_from(["pattern", "agents", "x"]) | st.text(max_size=4),
                children,
                max_size=3,
            )
        ),
        max_leaves=10,
    ),
    interface=st.text(max_size=12),
)
def test_any_agent_map_file_is_a_mapping_or_a_clear_refusal(data: object, interface: str) -> None:
    try:
        mapping = agent_map_from_dict(data, "agents.yaml")
    except AgentMapError as error:
        assert str(error).startswith("agents.yaml: ")
    else:
        assert isinstance(mapping(interface), str)
