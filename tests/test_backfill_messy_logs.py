"""Queue_logs as real PBXs write them: lines written twice, an Asterisk restart (QUEUESTART) after
calls that never left, lines out of time order. The KPIs by hand, then replay against backfill's
OpenMetrics output at every step of the same file.

The fixtures (tests/fixtures/queue_log) start on Mon 2026-01-05 10:00:00 UTC (1767607200, T).
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from exporter.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "queue_log"
DEFAULT_TARGETS = Path(__file__).resolve().parents[1] / "exporter" / "defaults" / "targets"
T = 1767607200
MESSY = ("duplicates.queue_log", "queuestart.queue_log", "out_of_order.queue_log")


def replay(capsys: pytest.CaptureFixture[str], name: str, at: str) -> tuple[Any, str]:
    assert main(["replay", f"queue_log:{FIXTURES / name}", "--at", at]) == 0
    out, err = capsys.readouterr()
    return json.loads(out), err


def site(samples: list[dict[str, Any]]) -> dict[str, float]:
    return {s["kpi"]: s["value"] for s in samples if not s["labels"]}


def by_queue(samples: list[dict[str, Any]], kpi: str) -> dict[str, float]:
    return {
        s["labels"]["queue"]: s["value"]
        for s in samples
        if s["kpi"] == kpi and set(s["labels"]) == {"queue", "channel"}
    }


def test_a_line_written_twice_is_counted_once(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    samples, err = replay(capsys, "duplicates.queue_log", "2026-01-05T10:59:00Z")
    kpis = site(samples)
    # dup-1's ENTERQUEUE is written 7 times (once after dup-2's), its COMPLETEAGENT 4 times.
    # Counted once each: 2 callers offered, both answered, nobody waits. (Before: 8 offered,
    # dup-1#7 answered, dup-1 .. dup-1#6 left waiting: 6 phantom callers, the oldest 3480 s.)
    assert kpis["contacts_waiting"] == 0.0
    assert kpis["longest_wait_seconds"] == 0.0
    # AHT = (228 + 406) / 2 = 317 s (before: (4 * 228 + 406) / 5 = 1318 / 5 = 263.6 s).
    assert kpis["average_handle_time_seconds"] == 317.0
    # ASA = (15 + 10) / 2 = 12.5 s; both within 20 s.
    assert kpis["average_speed_of_answer_seconds"] == 12.5
    assert kpis["service_level_ratio"] == 1.0
    # 9 copies rejected (6 ENTERQUEUE, 3 COMPLETEAGENT), each said with its file:line.
    assert "9 lines rejected (duplicate 9)" in err
    where = [
        int(record.getMessage().rsplit(":", 2)[-2])
        for record in caplog.records
        if "rejected duplicate" in record.getMessage()
    ]
    assert where == [5, 6, 7, 8, 9, 11, 15, 16, 18]


def test_queuestart_clears_callers_and_calls_left_open(capsys: pytest.CaptureFixture[str]) -> None:
    samples, _ = replay(capsys, "queuestart.queue_log", "2026-01-05T10:25:00Z")
    kpis = site(samples)
    # Before the restart at T+600: lost-1 (support, T+100) and lost-3 (sales, T+130) wait,
    # lost-2 is answered by 1001 at T+120 and never ends. The restart clears all of that; after
    # it only ok-2 (sales, T+1200) waits at 10:25 = T+1500: 300 s. (Before: 3 waiting, support 1
    # and sales 2, the oldest 1500 - 100 = 1400 s; 1001 busy, 1 agent available.)
    assert kpis["contacts_waiting"] == 1.0
    assert kpis["longest_wait_seconds"] == 300.0
    assert by_queue(samples, "contacts_waiting") == {"sales": 1.0, "support": 0.0}
    assert kpis["agents_available"] == 2.0  # 1001 is off lost-2's call, 1002 finished ok-1
    # What did happen still counts: lost-2 and ok-1 answered (waits 10 and 20 s), only ok-1
    # ended (AHT 100 s), nothing abandoned (the cleared callers have no outcome).
    assert kpis["average_speed_of_answer_seconds"] == 15.0
    assert kpis["average_handle_time_seconds"] == 100.0
    assert kpis["abandonment_ratio"] == 0.0


def test_stale_waiting_seconds_is_settable(capsys: pytest.CaptureFixture[str]) -> None:
    # Without the restart line's help, a caller is forgotten after --stale-waiting-seconds:
    # at 10:25 (T+1500) with a 310 s limit ok-2 (entered T+1200, 300 s) still waits.
    args = ["--at", "2026-01-05T10:25:00Z", "--stale-waiting-seconds"]
    path = f"queue_log:{FIXTURES / 'queuestart.queue_log'}"
    assert main(["replay", path, *args, "310"]) == 0
    assert site(json.loads(capsys.readouterr().out))["contacts_waiting"] == 1.0
    assert main(["replay", path, *args, "290"]) == 0  # 300 s > 290 s: forgotten
    assert site(json.loads(capsys.readouterr().out))["contacts_waiting"] == 0.0
    assert main(["replay", path, *args, "0"]) == 2
    assert "--stale-waiting-seconds must be more than 0" in capsys.readouterr().err


def test_late_lines_count_as_a_running_exporter_would_have(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # At 10:59 the file held lines 1-16: "before" (abandoned after 30 s, written 112 s late,
    # within the 5 minutes: in its hour), "early" answered in 12 s, 8 late-N callers waiting
    # since 10:55:00 .. 10:57:20. Their CONNECT lines (19-26) were written after 11:10's line
    # (17): not there at 10:59. Service level = answered within 20 s / (answered + abandoned
    # - short abandons) = 1 / (1 + 1 - 0) = 0.5 ("before" waited 30 s > 5 s: not short).
    # (Before, replay counted the 8 CONNECTs: 9 / 10 = 0.9 and nobody waiting, while
    # backfill's sample at 10:59 said 0.5 and 8 waiting.)
    samples, err = replay(capsys, "out_of_order.queue_log", "2026-01-05T10:59:00Z")
    kpis = site(samples)
    assert kpis["service_level_ratio"] == 0.5
    assert kpis["contacts_waiting"] == 8.0
    assert kpis["longest_wait_seconds"] == 240.0  # 10:59:00 - 10:55:00
    assert "23 after --at left out" in err  # lines 17-35: 19 lines, 23 events
    # Read whole, the 8 CONNECTs are more than 5 minutes behind 11:10:08: refused as too_old,
    # (8 answers and 1001's state change with the first), each with its file:line.
    caplog.clear()
    _, err = replay(capsys, "out_of_order.queue_log", "2026-01-05T11:59:00Z")
    assert "9 events refused by the engine (too_old 9)" in err
    refused = [
        record.getMessage().rsplit(":", 1)[-1]
        for record in caplog.records
        if "refused by the engine, too_old" in record.getMessage()
    ]
    assert refused == ["19", "19", "20", "21", "22", "23", "24", "25", "26"]


_SAMPLE = re.compile(r"^kpi_value\{(?P<labels>[^}]*)\} (?P<value>\S+) (?P<at>\d+)$")
_LABEL = re.compile(r'(\w+)="([^"]*)"')


def _openmetrics_kpis(
    path: Path,
) -> dict[int, dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
    """Per sample instant, the kpi_value series as replay prints them (the engine's labels)."""
    found: dict[int, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _SAMPLE.match(line)
        if match is None:
            continue
        labels = dict(_LABEL.findall(match["labels"]))
        kpi = labels.pop("kpi")
        for name in ("level", "job", "instance", "quantifier"):
            labels.pop(name, None)
        key = (kpi, tuple(sorted(labels.items())))
        found.setdefault(int(match["at"]), {})[key] = float(match["value"])
    return found


@pytest.mark.parametrize("name", MESSY)
def test_replay_and_backfill_agree_at_every_step(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    targets = tmp_path / "targets"
    shutil.copytree(DEFAULT_TARGETS, targets)
    out = tmp_path / "history.om"
    status = main(
        [
            *("backfill", f"queue_log:{FIXTURES / name}", "--targets", str(targets)),
            *("--from", "2026-01-05T10:00:00Z", "--to", "2026-01-05T12:00:00Z"),
            *("--step", "1m", "--timezone", "UTC", "--out", str(out)),
        ]
    )
    backfill_err = capsys.readouterr().err
    assert status == 0, backfill_err
    stored = _openmetrics_kpis(out)
    assert sorted(stored) == list(range(T, T + 7201, 60))
    for at in sorted(stored):
        iso = datetime.fromtimestamp(at, UTC).isoformat()
        samples, _ = replay(capsys, name, iso)
        replayed = {(s["kpi"], tuple(sorted(s["labels"].items()))): s["value"] for s in samples}
        assert stored[at] == replayed, iso
