"""The preview's "Agents needed now" in real headless Chromium: readable, accessible (axe-core),
and within a phone's width."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from test_staffing_collector import NOW, center, targets

from exporter.staffing_collector import StaffingCollector
from exporter.targets.resolve import resolve
from tests.conftest import browser_log_in
from tests.test_browser_admin import assert_accessible, watched_context

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (390, 844)])
def test_agents_needed_reads_well_at_both_widths(
    browser: Any, app: Flask, live_url: str, width: int, height: int
) -> None:
    target_set = targets()
    collector = StaffingCollector(center(), lambda: target_set, resolve, clock=lambda: NOW)
    app.config["STAFFING_ROWS"] = collector.rows
    with watched_context(browser, width, height) as context:
        page = context.new_page()
        browser_log_in(page, live_url, "vera")
        page.goto(f"{live_url}/preview#agents")
        items = page.locator("ul.agents-needed li")
        assert items.count() == 6
        assert items.nth(2).inner_text() == (
            "sales (voice): service level 80 % in 20 s needs 14 agents at 200 calls/h and 180 s "
            "AHT (Erlang C); 12 on duty."
        )
        assert_accessible(page, f"preview-agents-{width}")
        # Nothing wider than the screen: the sentences wrap.
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width
