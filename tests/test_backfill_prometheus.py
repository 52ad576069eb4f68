"""``kpi-targets backfill`` end to end with the real programs: a generated queue_log of seven days
-> backfill -> ``promtool tsdb create-blocks-from openmetrics`` -> the real Prometheus on those
blocks -> queries at past (and coming) instants.

The targets (Europe/Rome, always on duty but for one closed weekday, the holiday)::

    service_level_ratio {channel: voice} or_more: 0.5 at all times, mon-fri 09:00-17:00 0.7

are changed through ``kpi-targets targets set`` while the test runs, to 0.6 and mon-fri 0.8, so the
audit log knows it. ``targets set`` stamps the change with the real clock, so the period runs from
three days before today to three days after it: the change falls in its middle.

Every hour has four calls, at :05, :20, :35 and :50. In even hours they wait 10, 15 and 12 s and
the fourth abandons after 40 s: service level 3/4 once all four are in. In odd hours they wait 10,
30 and 35 s, the fourth abandons: 1/4.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from grafana_queries import panel_queries, substitute
from processes import KPI_TARGETS, Process, free_port, http_get, wait_for

from exporter.dashboards.queries import HOUR_CODES
from tests.presets import write_targets

pytestmark = pytest.mark.integration

ROME = ZoneInfo("Europe/Rome")
STEP = 300  # seconds
JOB, INSTANCE = "kpi-targets", "pbx-1:9491"
SERIES = f'kpi="service_level_ratio",level="channel",channel="voice",job="{JOB}"'
EVEN_HOUR_WAITS, ODD_HOUR_WAITS = (10, 15, 12), (10, 30, 35)
ABANDON_WAIT, TALK = 40, 100


def _binary(name: str) -> str:
    path = shutil.which(name)
    # Never skip: scripts/test.sh installs Prometheus (and promtool with it).
    assert path, f"{name} is not installed (Debian package `prometheus`); run scripts/test.sh"
    return path


def _local(day: date, hour: int = 0, minute: int = 0) -> float:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ROME).timestamp()


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, ROME).isoformat()


def _kpi_targets(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*KPI_TARGETS, *args], capture_output=True, text=True, check=False)


def write_queue_log(path: Path, start: float, end: float) -> None:
    lines = [(start, f"{start:.0f}|NONE|sales|SIP/1001|ADDMEMBER|")]
    hour = start
    number = 0
    while hour < end:
        local_hour = datetime.fromtimestamp(hour, ROME).hour
        waits = EVEN_HOUR_WAITS if local_hour % 2 == 0 else ODD_HOUR_WAITS
        for minute, wait in zip((5, 20, 35, 50), (*waits, None), strict=True):
            number += 1
            call, entered = f"call-{number}", hour + minute * 60
            lines.append((entered, f"{entered:.0f}|{call}|sales|NONE|ENTERQUEUE||555{number}|1"))
            if wait is None:
                left = entered + ABANDON_WAIT
                lines.append((left, f"{left:.0f}|{call}|sales|NONE|ABANDON|1|1|{ABANDON_WAIT}"))
                continue
            answered, ended = entered + wait, entered + wait + TALK
            agent = "SIP/1001"
            lines.append((answered, f"{answered:.0f}|{call}|sales|{agent}|CONNECT|{wait}|b|1"))
            lines.append(
                (ended, f"{ended:.0f}|{call}|sales|{agent}|COMPLETECALLER|{wait}|{TALK}|1")
            )
        hour += 3600
    lines.sort(key=lambda pair: pair[0])
    path.write_text("".join(text + "\n" for _, text in lines), encoding="utf-8")


def expected_target(at: float, holiday: date, changed: bool) -> float | None:
    """The voice service-level target in force at ``at``, worked out by hand."""
    local = datetime.fromtimestamp(at, ROME)
    if local.date() == holiday:
        return None
    scheduled = local.weekday() < 5 and 9 <= local.hour < 17
    if changed:
        return 0.8 if scheduled else 0.6
    return 0.7 if scheduled else 0.5


@dataclass
class Backfilled:
    prometheus_url: str
    queue_log: Path
    start: float
    end: float
    holiday: date
    weekdays: list[date]  # in the period, not the holiday, not today
    changed_at: float
    stderr: str

    def query(self, promql: str, at: float) -> list[dict[str, Any]]:
        params = urllib.parse.urlencode({"query": promql, "time": f"{at:.3f}"})
        status, body = http_get(f"{self.prometheus_url}/api/v1/query?{params}")
        assert status == 200, body
        payload = json.loads(body)
        assert payload["status"] == "success", payload
        return list(payload["data"]["result"])

    def prometheus_query_range(
        self, promql: str, start: float, end: float, step: float
    ) -> list[dict[str, Any]]:
        params = urllib.parse.urlencode(
            {"query": promql, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        )
        status, body = http_get(f"{self.prometheus_url}/api/v1/query_range?{params}")
        assert status == 200, body
        payload = json.loads(body)
        assert payload["status"] == "success", payload
        return list(payload["data"]["result"])

    def target(self, at: float) -> float | None:
        found = self.query(f"kpi_target{{{SERIES}}}", at)
        assert len(found) <= 1, found
        return float(found[0]["value"][1]) if found else None


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backfilled]:
    promtool, prometheus = _binary("promtool"), _binary("prometheus")
    tmp = tmp_path_factory.mktemp("backfill")
    today = datetime.now(ROME).date()
    days = [today + timedelta(days=offset) for offset in range(-3, 4)]
    weekdays = [day for day in days if day.weekday() < 5 and day != today]
    holiday = weekdays.pop(len(weekdays) // 2)
    targets = write_targets(
        tmp / "targets",
        "backfill_prometheus",
        "timezone: Europe/Rome\n"
        f"exceptions:\n  - {{date: {holiday.isoformat()}, name: Founders Day, closed: true}}\n",
    )
    start, end = _local(days[0]), _local(days[-1] + timedelta(days=1))
    queue_log = tmp / "queue_log"
    write_queue_log(queue_log, start, end)

    changed = _kpi_targets(
        *("targets", "set", "--targets", str(targets), "--kpi", "service_level_ratio"),
        *("--scope", "channel=voice", "--value", "0.6", "--schedule", "mon-fri 09:00-17:00=0.8"),
        *("--user", "ann", "--reason", "Q4 plan"),
    )
    assert changed.returncode == 0, changed.stderr
    (audit_line,) = (targets / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    changed_at = datetime.fromisoformat(json.loads(audit_line)["at"]).timestamp()

    om = tmp / "history.om"
    backfill = _kpi_targets(
        *("backfill", f"queue_log:{queue_log}", "--targets", str(targets), "--step", f"{STEP}s"),
        *("--from", _iso(start), "--to", _iso(end), "--out", str(om), "--split", "1d"),
        *("--job", JOB, "--instance", INSTANCE),
    )
    assert backfill.returncode == 0, backfill.stderr
    # One file per 24 hours from --from, named after their first instant; the last step (--to)
    # falls in an eighth.
    files = sorted(tmp.glob("history-*.om"))
    firsts = [datetime.fromtimestamp(start + day * 86400, ROME) for day in range(8)]
    assert [path.name for path in files] == [f"history-{at:%Y%m%dT%H%M}.om" for at in firsts]
    data = tmp / "data"
    for path in files:
        blocks = subprocess.run(
            [promtool, "tsdb", "create-blocks-from", "openmetrics", str(path), str(data)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert blocks.returncode == 0, blocks.stdout + blocks.stderr

    port = free_port()
    (tmp / "prometheus.yml").write_text("global: {scrape_interval: 1m}\n", encoding="utf-8")
    server = Process(
        [
            prometheus,
            f"--config.file={tmp / 'prometheus.yml'}",
            f"--storage.tsdb.path={data}",
            "--storage.tsdb.retention.time=10y",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        cwd=tmp,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for("Prometheus ready", lambda: http_get(f"{url}/-/ready")[0] == 200 or None, 60)
        yield Backfilled(url, queue_log, start, end, holiday, weekdays, changed_at, backfill.stderr)
    finally:
        server.stop()


def _replay(queue_log: Path, at: float) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    completed = _kpi_targets(
        "replay", f"queue_log:{queue_log}", "--timezone", "Europe/Rome", "--at", _iso(at)
    )
    assert completed.returncode == 0, completed.stderr
    return {
        (row["kpi"], tuple(sorted(row["labels"].items()))): row["value"]
        for row in json.loads(completed.stdout)
    }


def _by_series(result: list[dict[str, Any]]) -> dict[tuple[str, Any], float]:
    found = {}
    for series in result:
        labels = dict(series["metric"])
        assert (labels.pop("job"), labels.pop("instance")) == (JOB, INSTANCE)
        labels.pop("__name__", None)
        kpi = labels.pop("kpi")
        labels.pop("quantifier", None)
        labels.pop("level")  # serve's level label; replay prints the engine's labels only
        found[(kpi, tuple(sorted(labels.items())))] = float(series["value"][1])
    return found


def _minute(at: float) -> int:
    return datetime.fromtimestamp(at, ROME).minute


def _sampled_instants(b: Backfilled) -> list[float]:
    """Whole steps on several days: late in an hour (all four calls in) and early (one call)."""
    picks = [(b.weekdays[0], 10, 55), (b.weekdays[0], 11, 5), (b.holiday, 14, 55)]
    picks += [(b.weekdays[-1], 9, 55), (b.weekdays[-1], 23, 30)]
    return [_local(day, hour, minute) for day, hour, minute in picks]


def test_the_output_says_which_targets_each_period_used(backfilled: Backfilled) -> None:
    stderr = backfilled.stderr
    assert "targets and calendar used:" in stderr
    assert "as before audit.jsonl:1 (set service_level_ratio" in stderr
    assert "by ann: Q4 plan" in stderr
    assert "the current targets.yaml and calendar.yaml" in stderr


def test_values_equal_replay_at_sampled_instants(backfilled: Backfilled) -> None:
    for at in _sampled_instants(backfilled):
        replayed = _replay(backfilled.queue_log, at)
        stored = _by_series(backfilled.query(f'kpi_value{{job="{JOB}"}}', at))
        assert stored == replayed, datetime.fromtimestamp(at, ROME)
    # And by hand: an even hour at :55 has all four calls, 3 within 20 s, 1 abandoned.
    at = _local(backfilled.weekdays[0], 10, 55)
    assert backfilled.query(f"kpi_value{{{SERIES}}}", at)[0]["value"][1] == "0.75"
    at = _local(backfilled.weekdays[0], 11, 55)
    assert backfilled.query(f"kpi_value{{{SERIES}}}", at)[0]["value"][1] == "0.25"


def test_target_steps_at_the_schedule_boundaries(backfilled: Backfilled) -> None:
    before, after = backfilled.weekdays[0], backfilled.weekdays[-1]
    assert _local(before, 18) < backfilled.changed_at < _local(after)
    for day, changed in ((before, False), (after, True)):
        scheduled, otherwise = (0.8, 0.6) if changed else (0.7, 0.5)
        # At 09:00 and 09:05 the new hour has no answer or abandon yet: no kpi_value, so no
        # kpi_target (and the query shows the 08:55 sample for up to 5 minutes of lookback).
        assert backfilled.target(_local(day, 8, 55)) == otherwise
        assert backfilled.target(_local(day, 9, 10)) == scheduled
        assert backfilled.target(_local(day, 16, 55)) == scheduled
        assert backfilled.target(_local(day, 17, 10)) == otherwise


def test_target_steps_at_the_audited_change(backfilled: Backfilled) -> None:
    changed_at = backfilled.changed_at
    # The steps either side of the change, skipping :00 and :05 (no kpi_value yet in the hour).
    last_before = changed_at - (changed_at - backfilled.start) % STEP
    while last_before == changed_at or _minute(last_before) < 10:
        last_before -= STEP
    first_after = last_before + STEP
    while first_after < changed_at or _minute(first_after) < 10:
        first_after += STEP
    holiday = backfilled.holiday
    assert backfilled.target(last_before) == expected_target(last_before, holiday, False)
    assert backfilled.target(first_after) == expected_target(first_after, holiday, True)
    # Every hour of the period, on whichever side of the change it falls.
    for at in range(int(backfilled.start) + 1800, int(backfilled.end), 3600):
        expected = expected_target(at, holiday, at >= changed_at)
        assert backfilled.target(at) == expected, datetime.fromtimestamp(at, ROME)


def test_no_target_on_the_holiday(backfilled: Backfilled) -> None:
    holiday = backfilled.holiday
    for hour in (6, 9, 12, 16, 21):
        at = _local(holiday, hour, 30)
        assert backfilled.target(at) is None
        assert backfilled.query(f"kpi_target_met{{{SERIES}}}", at) == []
        assert backfilled.query(f"kpi_value{{{SERIES}}}", at) != []  # the KPI itself is there


def test_target_met_agrees_with_the_quantifier(backfilled: Backfilled) -> None:
    verdicts = []
    for at in range(int(backfilled.start) + 3300, int(backfilled.end), 3600 * 5):
        values = _by_series(backfilled.query(f'kpi_value{{job="{JOB}"}}', at))
        goals = _by_series(backfilled.query(f'kpi_target{{job="{JOB}"}}', at))
        met = _by_series(backfilled.query(f'kpi_target_met{{job="{JOB}"}}', at))
        assert met.keys() == goals.keys()
        for series, verdict in met.items():
            assert verdict == (1.0 if values[series] >= goals[series] else 0.0)  # or_more
            verdicts.append(verdict)
    assert {0.0, 1.0} <= set(verdicts)


def test_step_samples_are_every_five_minutes(backfilled: Backfilled) -> None:
    day = backfilled.weekdays[0]
    at = _local(day, 12)
    offered = f'contact_center_contacts_offered_total{{job="{JOB}",queue="sales"}}'
    # 59m: the range's ends are inclusive up to Prometheus 2, left-open from 3.
    found = backfilled.query(f"count_over_time({offered}[59m])", at)
    assert found[0]["value"][1] == str(3600 // STEP)
    # The counter goes on from one step to the next: four calls offered per hour, across the
    # files of two days too.
    hour_ago = float(backfilled.query(offered, at - 3600)[0]["value"][1])
    assert float(backfilled.query(offered, at)[0]["value"][1]) == hour_ago + 4
    midnight = _local(backfilled.weekdays[0] + timedelta(days=1))
    before = float(backfilled.query(offered, midnight - 1800)[0]["value"][1])
    assert float(backfilled.query(offered, midnight + 1800)[0]["value"][1]) == before + 4


def test_closed_hours_equal_replay_at_their_last_instant_and_every_judged_hour_is_counted(
    backfilled: Backfilled,
) -> None:
    b = backfilled
    judged = 'kpi="service_level_ratio",level=~"channel|queue"'
    for day, hour in ((b.weekdays[0], 10), (b.weekdays[0], 11), (b.weekdays[-1], 16)):
        end = _local(day, hour + 1)
        replayed = _replay(b.queue_log, end - 0.001)  # HH:59:59.999
        # Read back in the middle of the next hour: the hour that ended, as replay has it.
        stored = _by_series(b.query(f'kpi_last_period_value{{job="{JOB}",{judged}}}', end + 1800))
        assert stored and stored == {key: replayed[key] for key in stored}, (day, hour)
        # The target that judged it is the one in force at its last minute, and the verdict.
        goal = expected_target(end - 60, b.holiday, end - 60 >= b.changed_at)
        targets = _by_series(b.query(f'kpi_last_period_target{{job="{JOB}",{judged}}}', end + 1800))
        assert set(targets.values()) == {goal}
        met = _by_series(b.query(f'kpi_last_period_met{{job="{JOB}",{judged}}}', end + 1800))
        assert met == {key: float(value >= goal) for key, value in stored.items()}  # type: ignore[operator]
    # No hour of the holiday is judged: nothing published for its hours.
    during = _local(b.holiday, 12, 30)
    assert b.query(f'kpi_last_period_value{{job="{JOB}"}}', during) == []
    # Counted by hand: every hour of the period that ended after --from (all of them) is judged
    # but the holiday's; each has 4 calls, fewer than service level's 20: low volume, all.
    hours = round((b.end - b.start) / 3600)
    holiday_hours = round((_local(b.holiday + timedelta(days=1)) - _local(b.holiday)) / 3600)
    for level in ("channel", "queue"):
        counted = {
            series["metric"]["result"]: float(series["value"][1])
            for series in b.query(
                f'kpi_target_periods_total{{job="{JOB}",kpi="service_level_ratio",'
                f'level="{level}"}}',
                b.end,
            )
        }
        expected = {"met": 0.0, "missed": 0.0, "low_volume": hours - holiday_hours, "no_data": 0.0}
        assert counted == expected, level
    # The site's service level has no target (the one set is for channel=voice): never judged.
    site = b.query(
        f'kpi_target_periods_total{{job="{JOB}",kpi="service_level_ratio",level="site"}}', b.end
    )
    assert {float(series["value"][1]) for series in site} == {0.0}


def test_the_dashboards_hour_cells_are_drawn_at_the_hours_they_judge(
    backfilled: Backfilled,
) -> None:
    # The committed Contact Center Operations dashboard's state timeline of service level, as
    # Grafana sends it (All selected, Show KPI Targets On, its 1h interval: whole-hour steps).
    (query,) = [
        q for q in panel_queries() if q.role == "hours" and q.panel == "Service level: each hour"
    ]
    expr = substitute(query.expr, {}, show_targets=True)
    b = backfilled
    day_before = b.holiday - timedelta(days=1)
    start, end = _local(day_before, 0), _local(b.holiday, 23)
    cells = b.prometheus_query_range(expr, start, end, 3600)
    assert [series["metric"]["queue"] for series in cells] == ["sales"]
    by_hour = {float(at): float(value) for at, value in cells[0]["values"]}
    for at, code in by_hour.items():
        local = datetime.fromtimestamp(at, ROME)
        # Every hour of the day before is low volume (4 calls); the holiday's are not judged.
        expected = 0.0 if local.date() == b.holiday else float(HOUR_CODES["low_volume"])
        assert code == expected, local
    assert len(by_hour) == round((end - start) / 3600) + 1


def test_the_dashboards_judged_hours_over_a_day_are_counted_by_hand(backfilled: Backfilled) -> None:
    b = backfilled
    day_before = b.holiday - timedelta(days=1)
    # The range panel at the day's end over the whole day: its 24 hours (ended after 00:00).
    at, day = _local(b.holiday, 0), 86400
    queries = {
        q.role: q.expr
        for q in panel_queries()
        if q.panel in ("Service level: hours judged", "Service level: hours met")
    }
    counted = b.query(substitute(queries["periods"], {}, True, range_seconds=day), at)
    by_result = {series["metric"]["result"]: float(series["value"][1]) for series in counted}
    assert by_result == {"met": 0.0, "missed": 0.0, "low_volume": 24.0, "no_data": 0.0}
    # No hour was met or missed (all low volume): no share to show, the panel says so.
    assert b.query(substitute(queries["attainment"], {}, True, range_seconds=day), at) == []
    # And nothing at all with Show KPI Targets Off.
    assert b.query(substitute(queries["periods"], {}, False, range_seconds=day), at) == []
    assert _local(day_before + timedelta(days=1)) == at
