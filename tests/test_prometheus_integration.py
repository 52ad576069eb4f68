"""The whole path with the real programs: ``kpi-targets serve`` -> Prometheus -> queries and alerts.

Prometheus (the Debian package's binary) scrapes the exporter every second and evaluates the
generated rules (``for: 1s``) every second. The exporter runs the simulator five times faster than
real time from Monday 2026-03-02 10:40 in Rome (business hours, so targets are in force and the
current hour already holds 40 simulated minutes of contacts), with a copy of ``targets/``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from example_targets import copy_example_targets
from processes import KPI_TARGETS, Process, free_port, http_get, wait_for

from exporter.rules import RULES_FILE_NAME, render_rules
from exporter.targets.model import Quantifier, Schedule, Target
from exporter.targets.store import TargetStore

pytestmark = pytest.mark.integration

SIMULATED_START = "2026-03-02T10:40:00+01:00"  # a Monday, 09:00-17:00 schedules in force
SCRAPE_SECONDS = 1.0
VOICE = 'kpi="service_level_ratio",level="channel",channel="voice"'  # the channel-wide series


def _binary(name: str) -> str:
    path = shutil.which(name)
    # Never skip: this is the acceptance check (scripts/test.sh installs Prometheus).
    assert path, f"{name} is not installed (Debian package `prometheus`); run scripts/test.sh"
    return path


@dataclass
class Stack:
    metrics_url: str
    prometheus_url: str
    targets: Path

    def query(self, promql: str) -> list[dict[str, Any]]:
        url = f"{self.prometheus_url}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        status, body = http_get(url)
        assert status == 200, body
        payload = json.loads(body)
        assert payload["status"] == "success", payload
        return list(payload["data"]["result"])

    def alerts(self) -> list[dict[str, Any]]:
        status, body = http_get(f"{self.prometheus_url}/api/v1/alerts")
        assert status == 200, body
        return list(json.loads(body)["data"]["alerts"])


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    prometheus = _binary("prometheus")
    tmp = tmp_path_factory.mktemp("stack")
    targets = tmp / "targets"
    copy_example_targets(targets)
    rules = tmp / "rules"
    rules.mkdir()
    (rules / RULES_FILE_NAME).write_text(render_rules(for_duration="1s"), encoding="utf-8")
    metrics_port, admin_port, prometheus_port = free_port(), free_port(), free_port()
    (tmp / "prometheus.yml").write_text(
        f"""\
global:
  scrape_interval: {SCRAPE_SECONDS:g}s
  evaluation_interval: 1s
rule_files: [rules/{RULES_FILE_NAME}]
scrape_configs:
  - job_name: kpi-targets
    static_configs:
      - targets: ["127.0.0.1:{metrics_port}"]
""",
        encoding="utf-8",
    )
    exporter = Process(
        [
            *KPI_TARGETS,
            "serve",
            "--metrics-address",
            f"127.0.0.1:{metrics_port}",
            "--admin-address",
            f"127.0.0.1:{admin_port}",
            "--targets",
            str(targets),
            "--simulator-start",
            SIMULATED_START,
            "--simulator-speed",
            "5",
        ],
        cwd=tmp,
    )
    server = Process(
        [
            prometheus,
            f"--config.file={tmp / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{prometheus_port}",
        ],
        cwd=tmp,
    )
    try:
        assert exporter.read_line(30).startswith("Admin UI: ")
        assert exporter.read_line(5) == f"Metrics: http://127.0.0.1:{metrics_port}/metrics\n"
        prometheus_url = f"http://127.0.0.1:{prometheus_port}"
        wait_for(
            "Prometheus to be ready",
            lambda: True if http_get(f"{prometheus_url}/-/ready")[0] == 200 else None,
            timeout=60,
        )
        yield Stack(f"http://127.0.0.1:{metrics_port}/metrics", prometheus_url, targets)
    finally:
        server_status = server.stop()
        exporter_status = exporter.stop()
    assert exporter_status == 0, exporter.stderr
    assert server_status == 0, server.stderr[-3000:]


def _one_value(stack: Stack, promql: str) -> float | None:
    result = stack.query(promql)
    return float(result[0]["value"][1]) if len(result) == 1 else None


def test_values_targets_and_met_flags_reach_prometheus(stack: Stack) -> None:
    value = wait_for("kpi_value", lambda: _one_value(stack, f"kpi_value{{{VOICE}}}"), 60)
    assert 0.0 <= value <= 1.0
    # targets.yaml: voice service level 0.85 on weekdays 09:00-17:00, 0.80 otherwise.
    target = wait_for("kpi_target", lambda: _one_value(stack, f"kpi_target{{{VOICE}}}"), 30)
    assert target == 0.85
    series = stack.query(f"kpi_target{{{VOICE}}}")[0]["metric"]
    assert series == {
        "__name__": "kpi_target",
        "job": "kpi-targets",
        "instance": stack.metrics_url.split("/")[2],
        "kpi": "service_level_ratio",
        "level": "channel",
        "channel": "voice",
        "quantifier": "or_more",
    }
    assert _one_value(stack, f"kpi_target_met{{{VOICE}}}") in (0.0, 1.0)
    # In every scrape the met flag is exactly value >= target (or <=), series by series.
    assert stack.query("count(kpi_target_met)")[0]["value"][1] != "0"
    mismatches = stack.query(
        "(kpi_value >= bool ignoring(quantifier) kpi_target{quantifier='or_more'}"
        " or kpi_value <= bool ignoring(quantifier) kpi_target{quantifier='or_less'})"
        " != kpi_target_met"
    )
    assert mismatches == []
    # Every kpi_target joins exactly one kpi_value (one to one, ignoring the quantifier).
    assert stack.query("kpi_target unless ignoring(quantifier) kpi_value") == []
    # ...and one only: a many-to-one match would make this query fail.
    joined = "count(kpi_value * ignoring(quantifier) kpi_target) - count(kpi_target)"
    assert _one_value(stack, joined) == 0.0


def test_a_target_saved_through_the_store_shows_within_two_scrapes(stack: Stack) -> None:
    wait_for("kpi_target", lambda: _one_value(stack, f"kpi_target{{{VOICE}}}"), 30)
    store = TargetStore(stack.targets)
    store.set_target(
        Target(
            "service_level_ratio", Quantifier.OR_MORE, (Schedule(0.42),), (("channel", "voice"),)
        ),
        user="integration-test",
        reason="see it in Prometheus",
        base_version=store.current().version,
    )
    saved = time.monotonic()
    wait_for(
        "the new target in Prometheus",
        lambda: True if _one_value(stack, f"kpi_target{{{VOICE}}}") == 0.42 else None,
        timeout=30,
        interval=0.1,
    )
    elapsed = time.monotonic() - saved
    # The store's watcher polls every second, then two scrapes one second apart; one more second
    # of slack for Prometheus's query to see the appended sample.
    assert elapsed <= 1.0 + 2 * SCRAPE_SECONDS + 1.0, f"took {elapsed:.1f} s"


def test_an_unmet_target_fires_its_alert(stack: Stack) -> None:
    store = TargetStore(stack.targets)
    # One second of handle time, or less: impossible, and the hour holds plenty of contacts.
    store.set_target(
        Target("average_handle_time_seconds", Quantifier.OR_LESS, (Schedule(1.0),)),
        user="integration-test",
        reason="an impossible target",
        base_version=store.current().version,
    )

    def firing() -> list[dict[str, Any]] | None:
        found = [
            alert
            for alert in stack.alerts()
            if alert["labels"]["alertname"] == "KpiAboveTarget"
            and alert["labels"]["kpi"] == "average_handle_time_seconds"
            and "queue" not in alert["labels"]
            and "channel" not in alert["labels"]
            and alert["state"] == "firing"
        ]
        return found if len(found) == 2 else None

    alerts = wait_for("KpiAboveTarget firing", firing, timeout=60, interval=0.5)
    assert sorted(alert["labels"]["severity"] for alert in alerts) == ["critical", "warning"]
    description = alerts[0]["annotations"]["description"]
    assert description.startswith("Average handle time (Hourly) is ")
    assert description.endswith(
        "for the whole site; the target in force is 1s or less "
        "(alerting from 10 contacts in the period)."
    )


def test_a_live_scrape_passes_promtool_check_metrics(stack: Stack) -> None:
    wait_for("kpi_target", lambda: _one_value(stack, f"kpi_target{{{VOICE}}}"), 30)
    status, scrape = http_get(stack.metrics_url)
    assert status == 200
    assert "kpi_target{" in scrape and "kpi_target_met{" in scrape and "kpi_sample_size{" in scrape
    result = subprocess.run(
        [_binary("promtool"), "check", "metrics"],
        input=scrape,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
