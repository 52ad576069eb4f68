"""The edit form's "Try against history" in headless Chromium against a real Prometheus holding
blocks backfilled from ``test_whatif_cli``'s queue_log (figures worked out by hand there): try,
read the figures, take a suggestion, save; the audit log has one entry, the save's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from test_browser_admin import assert_accessible, shoot, watched_context
from test_whatif_cli import local, setup
from test_whatif_prometheus import backfilled

from exporter.admin import create_app
from exporter.admin.attainment import AttainmentReader
from exporter.prometheus_http import PrometheusClient
from exporter.prometheus_http_config import HttpClientConfig
from exporter.targets.store import TargetStore
from tests.conftest import Clock, browser_log_in

pytestmark = pytest.mark.integration

__all__ = ["backfilled", "setup"]  # fixtures
EDIT_VOICE = "/targets/service_level_ratio/edit?channel=voice"


@pytest.fixture
def app(setup: tuple[Path, Path], backfilled: str, state_dir: Path) -> Flask:
    targets, _ = setup
    app = create_app(
        http_events=None,
        events_token=None,
        store=TargetStore(targets),
        state_dir=state_dir,
        clock=Clock(local("2026-03-05 00:00")),  # the window of test_whatif_cli
        seen_labels=lambda: {"queue": {"sales"}, "channel": {"voice"}},
        max_content_length=64 * 1024,
        attainment=AttainmentReader(PrometheusClient(backfilled, HttpClientConfig(), 5.0)),
    )
    app.config["TESTING"] = True
    return app


@pytest.fixture
def context(browser: Any, live_url: str) -> Iterator[Any]:
    """Closed before the server stops (a page's last request is not cut off)."""
    with watched_context(browser, 1366, 900) as context:
        yield context


def test_try_read_take_the_suggestion_and_save_audits_once(
    context: Any, live_url: str, setup: tuple[Path, Path]
) -> None:
    targets, _ = setup
    page = context.new_page()
    browser_log_in(page, live_url, "eddie")
    page.goto(live_url + EDIT_VOICE)
    page.get_by_label("KPI value at all times (%)").fill("70")
    schedule = page.get_by_role("group", name="Schedule 1")
    for day in ("Mon", "Tue", "Wed", "Thu", "Fri"):
        schedule.get_by_label(day, exact=True).check()
    schedule.get_by_label("From").fill("09:00")
    schedule.get_by_label("To", exact=True).fill("10:00")
    schedule.get_by_label("Value (%)").fill("90")
    page.get_by_role("button", name="Try against history").click()

    result = page.locator("#whatif-result")
    result.wait_for()
    text = " ".join(result.inner_text().split())
    assert "Last 28 days: today: met 50 %; proposed: met 75 %" in text
    assert "Proposed: met 3 of 4 judged hours (75 %); low volume 1" in text
    assert "In force today: met 2 of 4 judged hours (50 %); low volume 1" in text
    assert "50 % would have been met in 80 % of At all times hours" in text
    assert "90 % would have been met in 80 % of Mon-Fri 09:00-10:00 hours" in text
    # Monday 09:00, 10:00 met and 11:00 missed, in the grid
    # Only the hours with a judged hour have a row: Monday 09:00, 10:00 met and 11:00 missed
    grid_rows = page.locator(".whatif-grid tbody tr")
    assert grid_rows.locator("th").all_inner_texts() == ["09:00", "10:00", "11:00"]
    monday = [grid_rows.nth(index).locator("td").nth(0).inner_text() for index in range(3)]
    assert monday == ["100 % (1/1)", "100 % (1/1)", "0 % (0/1)"]
    assert grid_rows.nth(0).locator("td").nth(2).inner_text() == "100 % (1/1)"  # Wednesday
    # Everything typed is still there, and nothing was written.
    assert page.get_by_label("KPI value at all times (%)").input_value() == "70"
    assert schedule.get_by_label("To", exact=True).input_value() == "10:00"
    assert not (targets / "audit.jsonl").exists() or not (targets / "audit.jsonl").read_text()
    assert_accessible(page, "whatif-tried")
    # On a phone the page does not scroll sideways: the grid scrolls in its own region.
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "whatif-tried-phone")
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > 391 && !e.closest('.scroll-region'))"
        ".map(e => e.tagName + '.' + e.className + '#' + e.id).slice(0, 8)"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide
    page.set_viewport_size({"width": 1366, "height": 900})

    page.get_by_role("button", name="Use 50 % for At all times").click()
    page.locator("#taken").wait_for()
    assert page.get_by_label("KPI value at all times (%)").input_value() == "50"
    assert page.get_by_role("group", name="Schedule 1").get_by_label("Value (%)").input_value() == (
        "90"
    )
    shoot(page, "whatif-taken")
    page.get_by_label("Reason for this change").fill("achievable per the what-if")
    page.get_by_role("button", name="Save", exact=True).last.click()
    page.wait_for_url(f"{live_url}/targets?tab=operations#service_level_ratio")

    entries = [
        json.loads(line)
        for line in (targets / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert len(entries) == 1
    assert entries[0]["reason"] == "achievable per the what-if"
    saved = (targets / "targets.yaml").read_text(encoding="utf-8")
    assert "0.5" in saved and "0.9" in saved
