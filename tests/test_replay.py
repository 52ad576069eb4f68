"""``kpi-targets replay`` end to end on the hand-made fixtures, with KPIs worked out by hand.

calls.queue_log (T = 10:00:00 UTC on 2026-01-05), as of 10:25:00 (T+1500), hour 10:00-11:00:
answered a (wait 50), j (5), e (8), f (30), h (10); abandoned b (12), c (300), d (30), k (5);
ended a (talk 120), j (40), e (92), f (70); g waits since T+1400. Short abandons: wait <= 5 s (k).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from exporter.cli import main
from exporter.commands.contact_data import counts
from exporter.sources.spec import SourceSpecError, parse_source_spec

FIXTURES = Path(__file__).parent / "fixtures"
CALLS = f"queue_log:{FIXTURES / 'queue_log' / 'calls.queue_log'}"


def replay(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, object, str]:
    status = main(["replay", *args])
    captured = capsys.readouterr()
    output = json.loads(captured.out) if status == 0 else None
    return status, output, captured.err


def values(output: object, **labels: str) -> dict[str, float]:
    assert isinstance(output, list)
    return {row["kpi"]: row["value"] for row in output if row["labels"] == labels}


@pytest.fixture
def teams_file(tmp_path: Path) -> Path:
    path = tmp_path / "teams.yaml"
    path.write_text("blue: [SIP/1001]\nSIP/1002: red\n")
    return path


def test_queue_log_kpis_at_10_25(capsys: pytest.CaptureFixture[str], teams_file: Path) -> None:
    status, output, err = replay(
        capsys, CALLS, "--at", "2026-01-05T10:25:00Z", "--agent-teams", str(teams_file)
    )
    assert status == 0
    site = values(output)
    assert site["service_level_ratio"] == pytest.approx(3 / 8)  # j e h within 20 s / (5 + 4 - k)
    assert site["abandonment_ratio"] == pytest.approx(3 / 8)  # b c d / (5 answered + 3)
    assert site["average_speed_of_answer_seconds"] == pytest.approx(103 / 5)  # 50+5+8+30+10
    assert site["average_handle_time_seconds"] == pytest.approx(322 / 4)  # 120+40+92+70
    assert site["contacts_waiting"] == 1  # g
    assert site["longest_wait_seconds"] == 100  # T+1500 - T+1400
    support = values(output, channel="voice", queue="support")
    assert support["service_level_ratio"] == pytest.approx(3 / 5)  # j e h / (a j e h + b)
    assert support["average_speed_of_answer_seconds"] == pytest.approx(73 / 4)  # 50+5+8+10
    sales = values(output, channel="voice", queue="sales")
    assert sales["abandonment_ratio"] == pytest.approx(2 / 3)  # c d / (f + c d)
    blue = values(output, team="blue")
    assert blue["contacts_handled"] == 3  # a e f ended by SIP/1001
    # SIP/1001 busy 120 + 92 + 70 = 282 s of 1500 s logged in, never paused.
    assert blue["occupancy_ratio"] == pytest.approx(282 / 1500)
    # SIP/1002 busy 40 + 80 (h since T+1420) = 120 s; paused 500 s; available 880 s.
    assert values(output, team="red")["occupancy_ratio"] == pytest.approx(120 / 1000)
    assert values(output, team="red")["agents_available"] == 0  # on call h
    assert err.strip() == "replay: 39 events counted, 0 after --at left out"


def test_output_is_sorted_and_shaped(capsys: pytest.CaptureFixture[str]) -> None:
    _, output, _ = replay(capsys, CALLS, "--at", "2026-01-05T10:25:00Z")
    assert isinstance(output, list)
    keys = [(row["kpi"], sorted(row["labels"].items())) for row in output]
    assert keys == sorted(keys)
    assert all(set(row) == {"kpi", "labels", "value", "sample_size"} for row in output)
    sample_sizes = {row["kpi"]: row["sample_size"] for row in output if row["labels"] == {}}
    assert sample_sizes["service_level_ratio"] == 8
    assert sample_sizes["contacts_waiting"] is None


def test_only_events_up_to_at_count(capsys: pytest.CaptureFixture[str]) -> None:
    # As of 10:10:00 (T+600, inclusive): answered a (50), j (5); abandoned b (12), c (300, at
    # T+600).
    status, output, err = replay(capsys, CALLS, "--at", "2026-01-05T10:10:00+00:00")
    assert status == 0
    site = values(output)
    assert site["abandonment_ratio"] == pytest.approx(2 / 4)
    assert site["service_level_ratio"] == pytest.approx(1 / 4)  # j
    assert site["average_speed_of_answer_seconds"] == pytest.approx(55 / 2)
    assert site["contacts_waiting"] == 0
    # 16 events up to T+600 (2 logins, a 5, b 2, c offered, j 5, c abandoned); 39 - 16 later.
    assert err.strip() == "replay: 16 events counted, 23 after --at left out"


def test_service_level_variant_and_short_abandon_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    at = ["--at", "2026-01-05T10:25:00Z"]
    _, answered_only, _ = replay(capsys, CALLS, *at, "--service-level-variant", "answered")
    assert values(answered_only)["service_level_ratio"] == pytest.approx(3 / 5)
    _, no_short, _ = replay(capsys, CALLS, *at, "--short-abandon-seconds", "0")
    # k (5 s) now counts as abandoned: 3 / (5 + 4) and 4 / 9.
    assert values(no_short)["service_level_ratio"] == pytest.approx(3 / 9)
    assert values(no_short)["abandonment_ratio"] == pytest.approx(4 / 9)


def test_at_without_offset_is_read_in_the_timezone(capsys: pytest.CaptureFixture[str]) -> None:
    # 10:25 in Rome is 09:25 UTC, before the first line: nothing counted, so nothing to publish.
    status, output, err = replay(
        capsys, CALLS, "--at", "2026-01-05T10:25:00", "--timezone", "Europe/Rome"
    )
    assert status == 0
    assert output == []
    assert err.strip() == "replay: 0 events counted, 39 after --at left out"


def test_records_with_default_columns(capsys: pytest.CaptureFixture[str]) -> None:
    source = f"records:{FIXTURES / 'records' / 'contacts.csv'}"
    status, output, _ = replay(capsys, source, "--at", "2026-01-05T10:59:59Z")
    assert status == 0
    site = values(output)
    assert site["average_speed_of_answer_seconds"] == pytest.approx(20)  # (15 + 25) / 2
    assert site["average_handle_time_seconds"] == pytest.approx(215)  # (200+20+30 + 180) / 2
    assert site["first_contact_resolution_ratio"] == pytest.approx(0.5)  # r1 yes, r3 no
    assert site["customer_satisfaction_score"] == 5


def test_records_with_the_phonenow_preset(capsys: pytest.CaptureFixture[str]) -> None:
    source = f"records:{FIXTURES / 'records' / 'phonenow_like.csv'}"
    status, output, _ = replay(
        capsys, source, "--at", "2026-01-05T10:59:59Z", "--mapping", "pwc_phonenow"
    )
    assert status == 0
    site = values(output)
    # P2's 0 speed of answer and 0 satisfaction are not data: only P1 and P3 count.
    assert site["average_speed_of_answer_seconds"] == pytest.approx(21)  # (30 + 12) / 2
    assert site["customer_satisfaction_score"] == pytest.approx(3)  # (4 + 2) / 2
    assert site["average_handle_time_seconds"] == pytest.approx(105)  # (150 + 60) / 2
    # P2 was not answered and its wait is unknown: a lost call, not a short abandon.
    assert site["abandonment_ratio"] == pytest.approx(1 / 3)  # P2 / (P1 P3 + P2)


def test_rejected_lines_are_counted_on_stderr_not_fatal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = f"queue_log:{FIXTURES / 'queue_log' / 'malformed.queue_log'}"
    status, output, err = replay(capsys, source, "--at", "2026-01-05T10:59:59Z")
    assert status == 0
    assert values(output)["average_handle_time_seconds"] == 120  # the one good call
    assert err.splitlines()[-1] == (
        "replay: 5 events counted, 0 after --at left out; "
        "5 lines rejected (bad_field_count 3, bad_number 1, bad_timestamp 1)"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere:x", "--at", "2026-01-05T10:00:00Z"], "expected KIND:PATH"),
        ([CALLS, "--at", "yesterday"], "--at: 'yesterday' is not an ISO-8601 date-time"),
        (
            [CALLS, "--at", "2026-01-05T10:00:00", "--timezone", "Nowhere/X"],
            "not an IANA time zone",
        ),
        (["queue_log:/nonexistent/queue_log", "--at", "2026-01-05T10:00Z"], "no such file"),
        ([CALLS, "--at", "2026-01-05T10:00Z", "--mapping", "pwc_phonenow"], "records: sources"),
        ([CALLS + "?layout=xml", "--at", "2026-01-05T10:00Z"], "layout=xml is not one of"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    status, _, err = replay(capsys, *args)
    assert status == 2
    assert message in err


def test_source_specs() -> None:
    spec = parse_source_spec("records:/data/calls.csv?mapping=map.yaml&follow=yes")
    assert (spec.kind, str(spec.path), dict(spec.options)) == (
        "records",
        "/data/calls.csv",
        {"mapping": "map.yaml", "follow": "yes"},
    )
    assert parse_source_spec("queue_log:queue_log").options == {}
    with pytest.raises(SourceSpecError, match="unknown option"):
        parse_source_spec("queue_log:q?mapping=m.yaml")
    with pytest.raises(SourceSpecError, match="no file path"):
        parse_source_spec("records:")
    with pytest.raises(SourceSpecError, match="follow=maybe"):
        parse_source_spec("records:x.csv?follow=maybe")


def test_counts_in_the_summary_have_thousands_separators() -> None:
    # As the progress line and backfill's summary write them.
    assert (
        counts(Counter({"too_old": 1234, "bad_timestamp": 2})) == "bad_timestamp 2, too_old 1,234"
    )
