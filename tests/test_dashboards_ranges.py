"""Dashboard queries over time, against real Prometheus servers scraping real exporters.

- The target line follows the schedule: a schedule boundary one simulated minute ahead shows as
  the old target, then the new one, then (off duty) no line at all; the "Targets changed"
  annotation's query finds the version in force, then the one an edit makes.
- Sharding: two exporters each given half of the contacts (one queue each), scraped by one
  Prometheus, give the range panels' figures of one exporter given all of them, and both match the
  figures worked out by hand.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from grafana_queries import PanelQuery, panel_queries, substitute
from processes import post_events, wait_for
from prometheus_stack import SCRAPE_SECONDS, exporter, prometheus

from exporter.targets.model import Quantifier, Schedule, Target
from exporter.targets.store import TargetStore
from tests.presets import write_targets

pytestmark = pytest.mark.integration

TOKEN = "shard-test-token-0123456789abcdef"


def _panel(dashboard: str, title: str, role: str) -> PanelQuery:
    (query,) = [
        q
        for q in panel_queries()
        if q.dashboard == dashboard and q.panel == title and q.role == role
    ]
    return query


# --- the target line follows the schedule ------------------------------------------------------

# The preset targets "boundary": voice service level 0.70, Mondays 11:00-12:00 0.90. The calendar
# "boundary" is on duty until 11:01: one simulated minute of the 11:00 schedule, then no target
# (off duty).
SPEED = 5  # one simulated minute = 12 s
ANNOTATION = json.loads(
    (
        Path(__file__).resolve().parents[1] / "grafana/dashboards/contact-center-operations.json"
    ).read_text(encoding="utf-8")
)["annotations"]["list"][1]["expr"]


def test_the_target_line_steps_at_the_schedule_boundary_and_ends_off_duty(
    tmp_path: Path,
) -> None:
    targets = write_targets(tmp_path / "targets", "boundary", "boundary")
    args = [
        "--targets",
        str(targets),
        "--simulator-start",
        "2026-03-02T10:59:00+01:00",  # a Monday: the 11:00 boundary is one minute ahead
        "--simulator-speed",
        str(SPEED),
    ]
    query = _panel("Contact Center Operations", "Service level", "target")
    on = substitute(query.expr, {}, True)
    with (
        exporter(args, tmp_path) as serving,
        prometheus([serving.target], tmp_path / "prometheus") as server,
    ):
        started = time.time()

        def gone_after_the_new_value() -> bool | None:
            seen = server.query_range(on, started, time.time(), SCRAPE_SECONDS)
            values = [float(v) for series in seen for _, v in series["values"]]
            return True if 0.9 in values and not server.query(on) else None

        wait_for("the 11:00 target, then off duty at 11:01", gone_after_the_new_value, 90, 1.0)
        time.sleep(4 * SCRAPE_SECONDS)  # off duty for a few scrapes: no line there
        ended = time.time()
        lines = server.query_range(on, started, ended, SCRAPE_SECONDS)
        status = server.query('kpi_target_status{kpi="service_level_ratio", level="queue"}')
        # The "Targets changed" annotation: the version in force, written just now; an edit
        # through the store adds the new version.
        store = TargetStore(targets)
        first = store.current().version
        annotated = server.query(ANNOTATION)
        assert [series["metric"]["version"] for series in annotated] == [first]
        second = store.set_target(
            Target("abandonment_ratio", Quantifier.OR_LESS, (Schedule(0.05),)),
            user="test",
            reason="see the annotation",
            base_version=first,
        )
        wait_for(
            "the new version's annotation",
            lambda: (
                True
                if [s["metric"]["version"] for s in server.query(ANNOTATION)] == [second]
                else None
            ),
            30,
        )
        # Over the dashboard's range (Grafana runs annotation queries as range queries) both
        # versions show, each from when it was written.
        time.sleep(2 * SCRAPE_SECONDS)  # range steps are whole seconds from the start
        regions = server.query_range(ANNOTATION, started, time.time(), SCRAPE_SECONDS)
        assert {series["metric"]["version"] for series in regions} == {first, second}
    assert {series["metric"]["queue"] for series in lines} == {"sales", "support"}
    for series in lines:
        points = [(float(at), float(value)) for at, value in series["values"]]
        values = [value for _, value in points]
        # Old value, then the new one from the boundary on, never back.
        assert values[0] == 0.70 and values[-1] == 0.90, values
        change = values.index(0.90)
        assert set(values[:change]) == {0.70} and set(values[change:]) == {0.90}, values
        # 11:00 is also the top of the hour: the Hourly service level starts again and has no
        # value (so no target series) until the hour's first outcome, hence a gap at the step.
        # The last old point is the last scrape before 11:00 and the last new one the last
        # before 11:01 (off duty): one simulated minute apart, 12 s of wall-clock time.
        last_old = points[change - 1][0]
        assert abs(points[-1][0] - last_old - 60 / SPEED) <= 2.5 * SCRAPE_SECONDS, points
        assert points[-1][0] < ended - 3 * SCRAPE_SECONDS
    assert {row["metric"]["status"] for row in status} == {"off_duty"}


# --- sharded exporters sum to one --------------------------------------------------------------

# The preset targets "shards": service level 0.8 of voice in sales and in support.
# sales: 8 answered after 5, 10, ..., 40 s (4 within 20 s), abandons after 3 s (short) and 60 s;
# support: 6 answered after 10 s. Every answered contact is handled in 100 s talk + 20 s work,
# sales' even ones and all of support's resolved on first contact.
SALES_WAITS = [5, 10, 15, 20, 25, 30, 35, 40]
SALES_ABANDONS = [3, 60]
SUPPORT_WAITS = [10] * 6
EXPECTED = {
    "Service level": (4 + 6) / (14 + 2 - 1),  # W / (answered + abandoned - short)
    "Average speed of answer": (sum(SALES_WAITS) + sum(SUPPORT_WAITS)) / 14,
    "Abandonment rate": (2 - 1) / (14 + 2 - 1),
    "Average handle time": 120.0,
    "First contact resolution": (4 + 6) / 14,
}


def _contacts(
    queue: str, waits: Sequence[int], abandons: Sequence[int], at: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(queue outcomes, contact ends) as HTTP events."""
    outcomes, ends = [], []
    agent = f"{queue}-agent"
    for number, wait in enumerate([*waits, *abandons]):
        contact = f"{queue}-{number}"
        common = {"type": "contact", "contact_id": contact, "queue": queue, "channel": "voice"}
        outcomes.append({**common, "id": f"{contact}-o", "kind": "offered", "at": at + number})
        answered = number < len(waits)
        outcomes.append(
            {
                **common,
                "id": f"{contact}-a",
                "kind": "answered" if answered else "abandoned",
                "at": at + number + wait,
                "wait_seconds": wait,
                **({"agent": agent, "team": queue} if answered else {}),
            }
        )
        if answered:
            ends.append(
                {
                    **common,
                    "id": f"{contact}-e",
                    "kind": "ended",
                    "at": at + number + wait + 120,
                    "agent": agent,
                    "team": queue,
                    "talk_seconds": 100,
                    "after_contact_work_seconds": 20,
                    "resolved": queue == "support" or number % 2 == 0,
                }
            )
    return outcomes, ends


def _post(admin_url: str, events: list[dict[str, Any]]) -> None:
    status, answer = post_events(f"{admin_url}/api/v1/events", TOKEN, events)
    assert status < 400, (status, answer)
    assert (answer["accepted"], answer["rejected"]) == (len(events), []), answer


def _figures(
    server: Any, queries: Mapping[str, PanelQuery], at: float, seconds: int
) -> dict[str, float]:
    figures = {}
    for title, query in queries.items():
        result = server.query(substitute(query.expr, {}, True, range_seconds=seconds), at)
        assert len(result) == 1, (title, result)
        figures[title] = float(result[0]["value"][1])
    return figures


def test_two_sharded_exporters_give_the_figures_of_one(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text(TOKEN, encoding="utf-8")
    names = ("all", "sales", "support")
    args = {
        name: [
            "--source",
            "http",
            "--events-token-file",
            str(token),
            "--targets",
            str(write_targets(tmp_path / name / "targets", "shards", "utc")),
            "--state-dir",
            str(tmp_path / name / "state"),
        ]
        for name in names
    }
    queries = {title: _panel("Contact Center Operations", title, "range") for title in EXPECTED}
    with (
        exporter(args["all"], tmp_path) as one,
        exporter(args["sales"], tmp_path) as shard_a,
        exporter(args["support"], tmp_path) as shard_b,
        prometheus([one.target], tmp_path / "p-one") as single,
        prometheus([shard_a.target, shard_b.target], tmp_path / "p-shards") as sharded,
    ):
        started = time.time()

        def scraped(times: int) -> bool | None:
            counts = [
                server.query('count_over_time(up{job="kpi-targets"}[5m])')
                for server in (single, sharded)
            ]
            done = all(c and min(float(s["value"][1]) for s in c) >= times for c in counts)
            return True if done else None

        # The queues named by the targets have their counters at 0 from the first scrape.
        wait_for("three scrapes", lambda: scraped(3), 60)
        zero = single.query('contact_center_contacts_offered_total{queue="sales"}')
        assert [float(s["value"][1]) for s in zero] == [0.0]
        base = time.time() - 300
        sales, sales_ends = _contacts("sales", SALES_WAITS, SALES_ABANDONS, base)
        support, support_ends = _contacts("support", SUPPORT_WAITS, [], base)
        _post(one.admin_url, sales + support)
        _post(shard_a.admin_url, sales)
        _post(shard_b.admin_url, support)
        wait_for("three more scrapes", lambda: scraped(6), 60)
        # Contacts end later (a scrape in between): the agents' counters exist at 0 by then.
        _post(one.admin_url, sales_ends + support_ends)
        _post(shard_a.admin_url, sales_ends)
        _post(shard_b.admin_url, support_ends)
        wait_for("ten more scrapes", lambda: scraped(16), 60)
        # Stop the exporters, so increase() extrapolates every series by the same half scrape
        # past its last sample (not by however far the query instant is from each one's last
        # scrape, which differs between exporters).
        for serving in (one, shard_a, shard_b):
            assert serving.process.stop() == 0
        time.sleep(3 * SCRAPE_SECONDS)
        at = time.time()
        seconds = math.ceil(at - started) + 60  # the whole life of the counters
        one_figures = _figures(single, queries, at, seconds)
        shard_figures = _figures(sharded, queries, at, seconds)
    # Within one exporter every counter shares its first (0) and last sample, so increase()'s
    # extrapolation cancels out of each ratio; the two shards' series start and stop a scrape or
    # so apart over ~30 s of samples, so their half-scrape extrapolations differ by a fraction of
    # a percent (about 0.1 % when measured), weighting the shards' parts of a ratio that little.
    for title, expected in EXPECTED.items():
        assert one_figures[title] == pytest.approx(expected, rel=1e-9), title
        assert shard_figures[title] == pytest.approx(one_figures[title], rel=5e-3), title
