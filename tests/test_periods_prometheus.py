"""Closed hours live, end to end: ``kpi-targets serve`` with the seeded simulator at 90 times real
time, scraped every second by a real Prometheus for four simulated hours, while the test writes a
queue_log (followed by the same ``serve``) of one more queue, ``lab``, hour by hour as the
simulated clock reaches it. Only the lab queue's series are compared (the simulator's contacts are
everywhere else), against ``kpi-targets replay`` of that same file at each hour's last instant.

The lab hours (Monday 2026-03-02, Europe/Rome; the example targets: voice service level 85 % or
more on weekdays 09:00-17:00, on duty 08:00-20:00; service level alerts from 20 contacts)::

    11:00  30 calls, 25 answered within 20 s: 0.833, missed
    12:00  30 calls, 29 within: 0.967, met
    13:00   3 calls, all within: 1.0, low volume
    14:00  no call: no data

Calls come between :05 and :50 (one every 1.5 minutes), so the lines written a little ahead of
the exporter's clock never reach into the next hour.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from example_targets import copy_example_targets
from processes import KPI_TARGETS, wait_for
from prometheus_stack import stack

from exporter import catalog, names
from exporter.catalog import Period

pytestmark = pytest.mark.integration

ROME = ZoneInfo("Europe/Rome")
SPEED = 90.0
START = datetime(2026, 3, 2, 10, 58, tzinfo=ROME).timestamp()
# (hour, calls answered within 20 s, calls answered after 30 s)
LAB_HOURS = ((11, 25, 5), (12, 29, 1), (13, 3, 0), (14, 0, 0))
END = datetime(2026, 3, 2, 15, 0, tzinfo=ROME).timestamp()
LAB = {"queue": "lab", "channel": "voice"}
SL = "service_level_ratio"


def _hour(hour: int) -> float:
    return datetime(2026, 3, 2, hour, tzinfo=ROME).timestamp()


def lab_lines() -> list[tuple[float, str]]:
    """The lab queue's queue_log lines, in time order, each with its instant."""
    lines = [(START, f"{START:.0f}|NONE|lab|SIP/2001|ADDMEMBER|")]
    number = 0
    for hour, within, beyond in LAB_HOURS:
        for index in range(within + beyond):
            number += 1
            wait = 10 if index < within else 30
            entered = _hour(hour) + 300 + 90 * index  # from :05, every 1.5 minutes
            call = f"lab-{number}"
            answered, ended = entered + wait, entered + wait + 60
            lines.append((entered, f"{entered:.0f}|{call}|lab|NONE|ENTERQUEUE||555{number}|1"))
            lines.append((answered, f"{answered:.0f}|{call}|lab|SIP/2001|CONNECT|{wait}|b|1"))
            lines.append((ended, f"{ended:.0f}|{call}|lab|SIP/2001|COMPLETECALLER|{wait}|60|1"))
    return sorted(lines)


def replay_lab(queue_log: Path, at: float) -> dict[str, float]:
    """``kpi-targets replay`` of the lab file at ``at``: the lab queue's Hourly KPIs."""
    completed = subprocess.run(
        [
            *KPI_TARGETS,
            *("replay", f"queue_log:{queue_log}", "--timezone", "Europe/Rome"),
            *("--at", datetime.fromtimestamp(at, ROME).isoformat()),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return {
        row["kpi"]: row["value"]
        for row in json.loads(completed.stdout)
        if row["labels"] == LAB and catalog.get(row["kpi"]).period is Period.HOURLY
    }


def _lab_series(result: list[dict[str, Any]]) -> dict[str, float]:
    found = {}
    for series in result:
        labels = series["metric"]
        assert labels["level"] == "queue"
        found[labels["kpi"]] = float(series["value"][1])
    return found


def test_each_closed_hour_equals_replay_at_its_last_instant_and_is_counted_once(
    tmp_path: Path,
) -> None:
    targets = copy_example_targets(tmp_path / "targets")
    queue_log = tmp_path / "lab.queue_log"
    queue_log.write_text("", encoding="utf-8")
    lines = lab_lines()
    args = [
        *("--targets", str(targets), "--source", "simulator", "--source", f"queue_log:{queue_log}"),
        *("--simulator-start", datetime.fromtimestamp(START, ROME).isoformat()),
        *("--simulator-speed", f"{SPEED:g}"),
    ]
    launched = time.time()
    with stack([args], tmp_path) as (_, prometheus):
        began = time.time()

        def simulated_now() -> float:
            # At least the exporter's clock: it started after ``launched``.
            return START + (time.time() - launched) * SPEED

        written = 0
        with queue_log.open("a", encoding="utf-8") as out:
            while simulated_now() < END + 120:  # two simulated minutes past the last hour
                now = simulated_now()
                while written < len(lines) and lines[written][0] <= now:
                    out.write(lines[written][1] + "\n")
                    written += 1
                out.flush()
                time.sleep(0.1)
        assert written == len(lines)
        counters = f'{names.KPI_TARGET_PERIODS}{{kpi="{SL}",level="queue",queue="lab"}}'
        wait_for(
            "the 14:00 hour counted",
            lambda: prometheus.query(f"sum({counters}) == {len(LAB_HOURS)}") or None,
            timeout=30,
        )
        # A step past now: the range's last step then falls after the scrape wait_for saw.
        ended = time.time() + 2.0
        found = prometheus.query_range(counters, began, ended, 1.0)
        steps = _increments(found)
        # Each hour's closed-period series as Prometheus stored them at the scrape that counted
        # the hour (the instant query at that sample's time returns that very sample).
        published = [
            (
                _lab_series(prometheus.query(f'{names.KPI_LAST_PERIOD_VALUE}{{queue="lab"}}', at)),
                _lab_series(prometheus.query(f'{names.KPI_LAST_PERIOD_TARGET}{{queue="lab"}}', at)),
                _lab_series(prometheus.query(f'{names.KPI_LAST_PERIOD_MET}{{queue="lab"}}', at)),
            )
            for at, _, _ in steps
        ]

    # Every result exists from the scrape that first saw the lab queue, at 0 until its hour.
    by_result = {series["metric"]["result"]: series["values"] for series in found}
    assert set(by_result) == set(names.PERIOD_RESULTS)
    assert {float(values[0][1]) for values in by_result.values()} == {0.0}
    # Counted by hand from the hours' values below: once per hour, one hour at a time.
    assert [(result, size) for _, result, size in steps] == [
        ("missed", 1.0),
        ("met", 1.0),
        ("low_volume", 1.0),
        ("no_data", 1.0),
    ]
    # Each hour equals replay of the same file at its last instant (HH:59:59.999), for every KPI
    # of the lab queue a target judged; the service level by hand too.
    by_hand = {11: 25 / 30, 12: 29 / 30, 13: 1.0}
    for (hour, _, _), (values, goals, met) in zip(LAB_HOURS, published, strict=True):
        replayed = replay_lab(queue_log, _hour(hour + 1) - 0.001)
        if hour == 14:  # no call: no value, nothing published, counted as no data
            assert replayed == {} and values == {} and goals == {} and met == {}
            continue
        assert values and values == {kpi: replayed[kpi] for kpi in values}, hour
        assert values[SL] == pytest.approx(by_hand[hour])
        assert goals[SL] == 0.85  # weekdays 09:00-17:00, voice
        assert met[SL] == (1.0 if by_hand[hour] >= 0.85 else 0.0)


def _increments(found: list[dict[str, Any]]) -> list[tuple[float, str, float]]:
    """(when, result, by how much) of every rise of the counters, in time order."""
    steps = []
    for series in found:
        values = series["values"]
        for (_, before), (at, after) in itertools.pairwise(values):
            if float(after) != float(before):
                steps.append((float(at), series["metric"]["result"], float(after) - float(before)))
    return sorted(steps)
