"""Every query of every panel of the committed dashboards, against a real Prometheus scraping a real
``kpi-targets serve``, with the variables substituted as Grafana does: All, each value of each
variable, two values at once, and Show KPI Targets On and Off.

The exporter runs the simulator five times faster than real time from Monday 2026-03-02 10:40 in
Rome, on a copy of ``targets/``: business hours, so the weekday 09:00-17:00 voice service level
(0.85) and the other targets are in force; no schedule of theirs changes before 17:00, so the
target in force throughout the test is the one the resolver gives for 10:40. Queries are evaluated
at one fixed instant, so "All" and "one value" see the same samples.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from example_targets import copy_example_targets
from grafana_queries import (
    STAFFING_ROLES,
    TARGET_ROLES,
    VARIABLES,
    PanelQuery,
    one_value,
    panel_queries,
    several,
    substitute,
)
from processes import wait_for
from prometheus_stack import Prometheus, stack

from exporter import names
from exporter.dashboards.queries import StaffingRole
from exporter.targets.model import Quantifier
from exporter.targets.parse import load_dir
from exporter.targets.resolve import Resolution, resolve

pytestmark = pytest.mark.integration

SIMULATED_START = "2026-03-02T10:40:00+01:00"
SCOPE_LABELS = ("channel", "queue", "team", "agent", "campaign")
QUERIES = panel_queries()
VERDICTS = ("met", "missed", "neutral")


@dataclass
class Lab:
    prometheus: Prometheus
    at: float  # the evaluation instant of every query
    resolution: Resolution
    values: dict[str, list[str]]  # each variable's values, as the dashboards' variables list them


def _labels(series: dict[str, Any]) -> frozenset[tuple[str, str]]:
    return frozenset(series["metric"].items())


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    tmp = tmp_path_factory.mktemp("dashboards")
    targets = tmp / "targets"
    copy_example_targets(targets)
    args = ["--targets", str(targets), "--simulator-start", SIMULATED_START]
    with stack([[*args, "--simulator-speed", "5"]], tmp) as (_, prometheus):
        # Every level published, and some of everything counted since the first scrape (survey
        # answers, dials...), so every range panel has a figure.
        ranges = [q.expr for q in QUERIES if q.role == "range"]

        def ready() -> bool | None:
            levels = prometheus.query("count by (level) (kpi_value)")
            if len(levels) < 6:
                return None
            for expr in ranges:
                if not prometheus.query(substitute(expr, {}, True)):
                    return None
            return True

        wait_for("six levels and a figure in every range panel", ready, timeout=120, interval=1.0)
        at = time.time()  # every query at this one instant, after ready() saw the figures
        values = {
            "channel": _label_values(prometheus, 'kpi_value{level="channel"}', "channel", at),
            "queue": _label_values(prometheus, 'kpi_value{level="queue"}', "queue", at),
            "team": _label_values(prometheus, 'kpi_value{level="team"}', "team", at),
            "agent": _label_values(prometheus, 'kpi_value{level="agent"}', "agent", at),
        }
        parsed = load_dir(targets)
        assert parsed.target_set is not None
        resolution = resolve(parsed.target_set, datetime.fromisoformat(SIMULATED_START))
        yield Lab(prometheus, at, resolution, values)


def _label_values(prometheus: Prometheus, selector: str, label: str, at: float) -> list[str]:
    return sorted({s["metric"][label] for s in prometheus.query(selector, at)})


def _run(lab: Lab, query: PanelQuery, selected: dict[str, str], on: bool) -> list[dict[str, Any]]:
    return lab.prometheus.query(substitute(query.expr, selected, show_targets=on), lab.at)


def test_the_simulated_site_has_every_variable_populated(lab: Lab) -> None:
    assert lab.values["channel"] == ["chat", "email", "voice"]
    assert lab.values["queue"] == ["chat", "email", "sales", "support"]
    assert len(lab.values["team"]) >= 3 and len(lab.values["agent"]) >= 10


def test_every_query_runs_with_all_and_value_queries_return_data(lab: Lab) -> None:
    empty = []
    for query in QUERIES:
        for on in (True, False):
            result = _run(lab, query, {}, on)  # raises on any Prometheus error
            if query.role in ("value", "range") and not result:
                empty.append((query.dashboard, query.panel, query.role))
            if query.role == "range":
                assert len(result) == 1, query
                assert math.isfinite(float(result[0]["value"][1])), query
    assert empty == []


def test_targets_and_verdicts_are_empty_when_off(lab: Lab) -> None:
    for query in QUERIES:
        if query.role in (*TARGET_ROLES, *STAFFING_ROLES):
            assert _run(lab, query, {}, on=False) == [], query


def test_neutral_is_every_value_when_off_and_the_three_verdicts_partition_the_values(
    lab: Lab,
) -> None:
    for query in QUERIES:
        if query.role != "met":
            continue
        value_expr = query.expr.split(" and (kpi_target_met")[0]
        values = {
            _labels(s)
            for s in lab.prometheus.query(substitute(value_expr, {}, show_targets=True), lab.at)
        }
        siblings = {
            q.role: q for q in QUERIES if q.panel == query.panel and q.dashboard == query.dashboard
        }
        off = {_labels(s) for s in _run(lab, siblings["neutral"], {}, on=False)}
        assert off == values, query.panel
        parts = [{_labels(s) for s in _run(lab, siblings[role], {}, on=True)} for role in VERDICTS]
        assert set().union(*parts) == values, query.panel
        assert sum(len(part) for part in parts) == len(values), query.panel  # disjoint


def test_targets_when_on_are_the_targets_in_force(lab: Lab) -> None:
    checked = 0
    for query in QUERIES:
        if query.role != "target":
            continue
        result = _run(lab, query, {}, on=True)
        for series in result:
            labels = series["metric"]
            scope = {k: v for k, v in labels.items() if k in SCOPE_LABELS}
            expected = lab.resolution.for_series(labels["kpi"], scope)
            assert expected is not None, labels
            assert float(series["value"][1]) == expected.value, labels
            assert labels["quantifier"] == str(expected.quantifier)
            checked += 1
    # targets/targets.yaml: e.g. voice service level 0.85 (weekday 09:00-17:00) on sales, support.
    assert checked >= 10


def test_met_and_missed_follow_the_quantifier_with_equality_met(lab: Lab) -> None:
    for query in QUERIES:
        if query.role not in ("met", "missed"):
            continue
        for series in _run(lab, query, {}, on=True):
            labels = series["metric"]
            scope = {k: v for k, v in labels.items() if k in SCOPE_LABELS}
            target = lab.resolution.for_series(labels["kpi"], scope)
            assert target is not None
            value = float(series["value"][1])
            achieved = Quantifier(target.quantifier).achieved(value, target.value)
            assert achieved is (query.role == "met"), (labels, target)


def test_each_value_of_each_variable_selects_exactly_its_series(lab: Lab) -> None:
    runs = 0
    for query in QUERIES:
        if query.role in ("range", "periods"):  # sums over the selected scopes
            continue
        for on in (True, False):
            everything = _run(lab, query, {}, on)
            for variable in VARIABLES:
                if not query.uses(variable):
                    continue
                for value in lab.values[variable]:
                    result = _run(lab, query, {variable: one_value(value)}, on)
                    wanted = [s for s in everything if s["metric"].get(variable) == value]
                    assert sorted(map(_labels, result), key=sorted) == sorted(
                        map(_labels, wanted), key=sorted
                    ), (query.panel, query.role, variable, value)
                    runs += 1
    assert runs > 500


def test_range_panels_run_for_each_value_and_for_two_values_at_once(lab: Lab) -> None:
    for query in QUERIES:
        if query.role != "range":
            continue
        for variable in VARIABLES:
            if not query.uses(variable):
                continue
            for value in lab.values[variable]:
                assert len(_run(lab, query, {variable: one_value(value)}, True)) <= 1
        both = _run(lab, query, {"queue": several(["sales", "support"])}, True)
        assert len(both) <= 1


def test_judged_hours_counts_run_for_each_value_one_series_per_result(lab: Lab) -> None:
    for query in QUERIES:
        if query.role != "periods":
            continue
        for variable in VARIABLES:
            if not query.uses(variable):
                continue
            for value in lab.values[variable]:
                found = _run(lab, query, {variable: one_value(value)}, True)
                assert {s["metric"]["result"] for s in found} <= set(names.PERIOD_RESULTS)
                assert all(set(s["metric"]) == {"result"} for s in found), query.panel
    # Two voice queues together: their offered contacts add up.
    offered = 'sum(increase(contact_center_contacts_offered_total{queue=~"$queue"}[$__range]))'
    parts = [
        float(lab.prometheus.query(substitute(offered, {"queue": q}, True), lab.at)[0]["value"][1])
        for q in ("sales", "support")
    ]
    together = lab.prometheus.query(
        substitute(offered, {"queue": several(["sales", "support"])}, show_targets=True), lab.at
    )
    assert float(together[0]["value"][1]) == pytest.approx(sum(parts))


def test_time_series_queries_run_as_range_queries(lab: Lab) -> None:
    for query in QUERIES:
        if query.instant:
            continue
        for on in (True, False):
            expr = substitute(query.expr, {}, show_targets=on)
            result = lab.prometheus.query_range(expr, lab.at - 60, lab.at, 5)
            if query.role == "target" and not on:
                assert result == [], query
            if query.role == "value":
                assert result, query


def test_the_overview_states_say_met_missed_or_why_not(lab: Lab) -> None:
    state = next(q for q in QUERIES if q.role == "state")
    rows = _run(lab, state, {}, on=True)
    states = {row["metric"]["state"] for row in rows}
    assert states <= {"met", "missed", "not set", "off duty"} and "not set" in states
    assert states & {"met", "missed"}
    for row in rows:
        labels = row["metric"]
        if labels["state"] in ("met", "missed"):
            assert labels["detail"].startswith("targets.yaml:")  # where the target came from
        else:
            assert "detail" not in labels
    overview = next(q for q in QUERIES if q.role == "value" and q.dashboard == "KPI Targets")
    values = _run(lab, overview, {}, True)
    assert {row["metric"]["title"] for row in values} >= {"Service level", "Team occupancy"}


def test_the_readmes_service_level_query_answers_from_the_first_minutes(lab: Lab) -> None:
    # Every queue counter exists from its queue's first contact (short abandons at 0 included),
    # so this returns a figure before any short abandon has happened.
    readme = (
        "sum(increase(contact_center_contacts_answered_within_threshold_total[5m]))\n"
        "/ (sum(increase(contact_center_contacts_answered_total[5m]))\n"
        "   + sum(increase(contact_center_contacts_abandoned_total[5m]))\n"
        "   - sum(increase(contact_center_contacts_abandoned_short_total[5m])))"
    )
    (result,) = lab.prometheus.query(readme, lab.at)
    assert 0.0 <= float(result["value"][1]) <= 1.0
    # A voice queue never has bot sessions, yet its bot counters are there, at 0.
    zeros = lab.prometheus.query('contact_center_bot_sessions_total{queue="sales"}', lab.at)
    assert sorted((s["metric"]["contained"], s["value"][1]) for s in zeros) == [
        ("false", "0"),
        ("true", "0"),
    ]


def test_agents_needed_panels_show_the_exporters_figures_only_when_on(lab: Lab) -> None:
    roles = {str(role) for role in StaffingRole}
    staffing = {q.role: q for q in QUERIES if q.role in roles}
    assert set(staffing) == roles

    def estimated() -> bool | None:
        rows = lab.prometheus.query('kpi_agents_required{level="queue"}')
        return True if {row["metric"]["queue"] for row in rows} >= {"sales", "support"} else None

    # The voice service level is in force on sales and support; an estimate needs 5 minutes of
    # their traffic (1 minute at 5x).
    wait_for("agents required on sales and support", estimated, timeout=180, interval=1.0)
    at = time.time()
    # The figures worked out from the exporter's own series: per queue, the most any target
    # needs by the fewer of its models; on duty; the gap.
    needed: dict[str, dict[str, float]] = {}
    for row in lab.prometheus.query('kpi_agents_required{level="queue"}', at):
        labels = row["metric"]
        by_kpi = needed.setdefault(labels["queue"], {})
        value = float(row["value"][1])
        by_kpi[labels["kpi"]] = min(value, by_kpi.get(labels["kpi"], math.inf))
    required = {queue: max(by_kpi.values()) for queue, by_kpi in needed.items()}
    on_duty = {
        row["metric"]["queue"]: float(row["value"][1])
        for row in lab.prometheus.query('kpi_agents_on_duty{level="queue"}', at)
    }
    assert on_duty["sales"] > 0  # the simulator's sales team serves it, declared

    def run(role: str, on: bool = True) -> dict[str, float]:
        rows = lab.prometheus.query(substitute(staffing[role].expr, {}, show_targets=on), at)
        return {row["metric"]["queue"]: float(row["value"][1]) for row in rows}

    gap = {queue: on_duty[queue] - required[queue] for queue in required}
    assert run("required") == required
    assert run("on_duty") == {queue: on_duty[queue] for queue in required}
    assert run("gap") == gap
    assert run("short") == {queue: -value for queue, value in gap.items() if value < 0}
    assert run("spare") == {queue: value for queue, value in gap.items() if value >= 0}
    for role in roles:
        assert run(role, on=False) == {}, role
