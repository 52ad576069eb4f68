"""The real ``kpi-targets serve`` process, an account made with ``kpi-targets users add`` and
Chromium: a Mon-Fri 09:00-17:00 target set in the browser shows in the week grid and on
``/metrics``, with the exporter's clock put on a Monday at 10:00 in Rome (``--simulator-start``)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import browser_log_in, save_weekday_schedule
from tests.example_targets import copy_example_targets
from tests.processes import KPI_TARGETS, Process, free_port, http_get, wait_for

pytestmark = pytest.mark.integration

PASSWORD = "a long enough password"
MONDAY_10_ROME = "2026-12-21T10:00:00+01:00"


def users(
    state_dir: Path, *args: str, password: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*KPI_TARGETS, "users", *args, "--state-dir", str(state_dir)],
        input=password, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def voice_target(metrics: int) -> str | None:
    body = http_get(f"http://127.0.0.1:{metrics}/metrics")[1]
    match = re.search(
        r'^kpi_target\{channel="voice",kpi="service_level_ratio",level="channel",'
        r'quantifier="or_more"\} (\S+)$',
        body,
        re.MULTILINE,
    )
    return match.group(1) if match else None


def test_a_weekday_target_set_in_the_browser_reaches_metrics(browser: Any, tmp_path: Path) -> None:
    targets = tmp_path / "targets"
    copy_example_targets(targets)
    # Voice starts with 80 % at all times only: the test adds the weekday schedule.
    weekday = (
        "      - days: [mon-fri]            # stricter during weekday business hours\n"
        '        from: "09:00"\n        to: "17:00"\n        value: 0.85\n'
    )
    shipped = (targets / "targets.yaml").read_text()
    assert weekday in shipped
    (targets / "targets.yaml").write_text(shipped.replace(weekday, ""))
    state = tmp_path / "state"
    metrics, admin = free_port(), free_port()
    serve = [*KPI_TARGETS, "serve", "--metrics-address", f"127.0.0.1:{metrics}",
             "--admin-address", f"127.0.0.1:{admin}", "--targets", str(targets),
             "--state-dir", str(state), "--simulator-start", MONDAY_10_ROME]  # fmt: skip
    process = Process(serve, cwd=tmp_path)
    try:
        process.read_line(30)  # Admin UI: ...
        process.read_line(5)  # Metrics: ...
        assert process.read_line(5) == f"Targets: {targets}\n"
        assert process.read_line(5) == (
            "No users yet: create the first admin with "
            f"`kpi-targets users add NAME --role admin --state-dir {state}`\n"
        )
        added = users(state, "add", "olga", "--role", "editor", password=PASSWORD + "\n")
        assert added.returncode == 0, added.stderr
        assert wait_for("the voice target", lambda: voice_target(metrics), timeout=30) == "0.8"

        page = browser.new_page()
        base = f"http://127.0.0.1:{admin}"
        browser_log_in(page, base, "olga", PASSWORD)
        page.get_by_role("link", name="Edit Service level, channel voice").click()
        save_weekday_schedule(page, "90", "Q1: 90 % on weekdays")
        row = page.locator("tr#service_level_ratio").inner_text()
        assert "90 % or more" in row and "Mon-Fri 09:00-17:00" in row

        page.goto(f"{base}/preview?kpi=service_level_ratio&channel=voice")
        assert page.locator("#next-change").inner_text().endswith("90 % until 17:00, then 80 %.")
        assert "90 % (now)" in page.locator("td.now").inner_text()
        page.close()

        assert (
            wait_for(
                "the new target on /metrics",
                lambda: voice_target(metrics) if voice_target(metrics) == "0.9" else None,
                timeout=10,
            )
            == "0.9"
        )
        written = (targets / "targets.yaml").read_text()
        assert (
            '      - value: 0.80\n      - days: [mon-fri]\n        from: "09:00"\n'
            '        to: "17:00"\n        value: 0.9\n'
        ) in written  # the schedule added, the rest as written by hand:
        assert written == shipped.replace(
            weekday,
            weekday.replace("            # stricter during weekday business hours", "").replace(
                "0.85", "0.9"
            ),
        )
    finally:
        status = process.stop()
    assert status == 0, process.stderr
