"""End to end from contact data: a queue_log of three hours on a recent weekday, ``kpi-targets
backfill`` (which counts every closed hour in ``kpi_target_periods_total``), ``promtool tsdb
create-blocks-from openmetrics``, a real Prometheus on those blocks, and the admin UI's KPI
Targets page reading it.

The hours of queue ``lab`` (voice; the example targets: voice service level 85 % or more on
weekdays 09:00-17:00; service level alerts, and so judging, from 20 contacts)::

    11:00  30 calls, 25 answered within 20 s: 0.833, missed
    12:00  30 calls, 29 within: 0.967, met
    13:00   3 calls, all within: 1.0, low volume

so the voice target reads "met 1 of 2 judged hours in the last 7 days (1 low volume not judged)".
"""

from __future__ import annotations

import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from attainment_history import prometheus_on, wait_until_ready
from example_targets import copy_example_targets
from processes import KPI_TARGETS
from prometheus_stack import binary

from exporter.admin import create_app
from exporter.admin.attainment import AttainmentReader
from exporter.prometheus_http import PrometheusClient
from exporter.prometheus_http_config import HttpClientConfig
from exporter.targets.resolve import is_on_duty
from exporter.targets.store import TargetStore
from tests.conftest import login

pytestmark = pytest.mark.integration

ROME = ZoneInfo("Europe/Rome")
LAB = {"queue": "lab", "channel": "voice"}
# (hour, calls answered within 20 s, calls answered after 30 s)
LAB_HOURS = ((11, 25, 5), (12, 29, 1), (13, 3, 0))


def recent_weekday(store: TargetStore) -> date:
    """The latest weekday, 1 to 6 days ago, on duty from 10:00 to 15:00 (no holiday)."""
    calendar = store.current().target_set.calendar
    today = datetime.now(ROME).date()
    for back in range(1, 7):
        day = today - timedelta(days=back)
        hours = [datetime(day.year, day.month, day.day, h, 30, tzinfo=ROME) for h in range(10, 15)]
        if day.weekday() < 5 and all(is_on_duty(calendar, at, LAB) for at in hours):
            return day
    raise AssertionError("no weekday on duty in the last 6 days")


def lab_queue_log(day: date) -> str:
    def at(hour: int, seconds: float = 0) -> float:
        return datetime(day.year, day.month, day.day, hour, tzinfo=ROME).timestamp() + seconds

    lines = [(at(10, 3000), f"{at(10, 3000):.0f}|NONE|lab|SIP/2001|ADDMEMBER|")]
    number = 0
    for hour, within, beyond in LAB_HOURS:
        for index in range(within + beyond):
            number += 1
            wait = 10 if index < within else 30
            entered = at(hour, 300 + 90 * index)  # from :05, every 1.5 minutes
            call = f"lab-{number}"
            answered, ended = entered + wait, entered + wait + 60
            lines.append((entered, f"{entered:.0f}|{call}|lab|NONE|ENTERQUEUE||555{number}|1"))
            lines.append((answered, f"{answered:.0f}|{call}|lab|SIP/2001|CONNECT|{wait}|b|1"))
            lines.append((ended, f"{ended:.0f}|{call}|lab|SIP/2001|COMPLETECALLER|{wait}|60|1"))
    return "".join(line + "\n" for _at, line in sorted(lines))


def test_backfilled_hours_show_as_attainment_on_the_targets_page(
    tmp_path: Path, state_dir: Path
) -> None:
    targets = copy_example_targets(tmp_path / "targets")
    store = TargetStore(targets)
    day = recent_weekday(store)
    queue_log = tmp_path / "lab.queue_log"
    queue_log.write_text(lab_queue_log(day), encoding="utf-8")
    backfilled = subprocess.run(
        [
            *KPI_TARGETS,
            *("backfill", f"queue_log:{queue_log}", "--targets", str(targets)),
            *("--from", f"{day}T11:00", "--to", f"{day}T14:00", "--step", "60s"),
            *("--out", str(tmp_path / "history.om")),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert backfilled.returncode == 0, backfilled.stderr
    subprocess.run(
        [
            binary("promtool"),
            *("tsdb", "create-blocks-from", "openmetrics"),
            str(tmp_path / "history.om"),
            str(tmp_path / "data"),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    with prometheus_on(tmp_path / "data", tmp_path / "prometheus") as (url, _process):
        client = PrometheusClient(url, HttpClientConfig(), 1.0)
        wait_until_ready(client)
        app = create_app(
            http_events=None,
            events_token=None,
            store=store,
            state_dir=state_dir,
            attainment=AttainmentReader(client),
        )
        app.config["TESTING"] = True
        response = login(app.test_client(), "vera").get("/targets")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    voice = html.split('<span class="scope">channel voice</span>', 1)[1]
    assert voice.split("</div>", 1)[0].count('class="attainment"') == 1
    assert (
        '<p class="attainment">met 1 of 2 judged hours in the last 7 days (1 low volume not '
        "judged)</p>"
    ) in voice.split("</div>", 1)[0]
    assert 'id="attainment-note"' not in html
