"""The admin UI end to end in real headless Chromium (Debian's ``/usr/bin/chromium``, Playwright).

The app runs in a thread on a free loopback port with a clock the test sets (Monday 21 December
2026, 10:00 in Rome). Every page visited is saved as a screenshot in ``screenshots/`` (git-ignored)
and scanned with axe-core: no serious or critical violation is allowed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.conftest import ROME, SCREENSHOTS, Clock, browser_log_in, save_weekday_schedule

pytestmark = pytest.mark.integration

_AXE = Axe()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A browser context whose pages may log no error (a CSP violation, a missing file...)."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    errors: list[str] = []

    def watch(page: Any) -> None:
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    context.on("page", watch)
    yield context
    for page in context.pages:
        # A test may end while a page still loads (its stylesheet, its icon): closing then
        # would cut those requests off and log an error no user sees.
        page.wait_for_load_state("load")
    context.close()
    expected = ["Failed to load resource: the server responded with a status of 403 (FORBIDDEN)"]
    assert [error for error in errors if error not in expected] == []


def shoot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / ".gitignore").write_text("*\n")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def assert_accessible(page: Any, name: str) -> None:
    """axe-core finds no serious or critical violation on the page."""
    shoot(page, name)
    violations = _AXE.run(page).response["violations"]
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{name}: {bad}"


def row(page: Any, kpi: str) -> Any:
    return page.locator(f"tr#{kpi}")


def test_set_a_weekday_target_and_see_it_in_the_table_and_the_grid(
    context: Any, live_url: str
) -> None:
    page = context.new_page()
    page.goto(f"{live_url}/login")
    assert_accessible(page, "login")
    browser_log_in(page, live_url, "eddie")
    assert_accessible(page, "targets")
    assert "Not set" in row(page, "abandonment_ratio").inner_text()
    assert "Not eligible for KPI targets" in row(page, "ai_customer_experience_score").inner_text()

    page.get_by_role("link", name="Edit Abandonment rate").click()
    assert page.get_by_label("Queue").get_attribute("list") == "seen-queue"
    assert page.get_by_label("Or less").is_checked()  # the KPI's natural direction
    assert_accessible(page, "edit-new")
    page.go_back()
    page.get_by_role("link", name="Edit Service level, channel voice").click()
    assert_accessible(page, "edit")
    save_weekday_schedule(page, "85", "Q1 weekday objective")

    text = row(page, "service_level_ratio").inner_text()
    assert "85 % or more" in text and "Mon-Fri 09:00-17:00" in text and "80 % or more" in text
    assert "Saved the target of Service level" in page.locator(".flash").inner_text()
    shoot(page, "targets-after-save")

    page.get_by_role("link", name="Preview").click()
    assert_accessible(page, "preview")
    page.get_by_label("Metric").select_option("service_level_ratio")
    page.get_by_label("Channel").fill("voice")
    page.get_by_role("button", name="Show").click()
    assert page.locator("#next-change").inner_text().endswith("85 % until 17:00, then 80 %.")
    grid = page.locator("table.grid")
    monday = grid.locator("tr", has=page.get_by_role("rowheader", name="10:00", exact=True))
    assert monday.locator("td").nth(0).inner_text() == "85 % (now)"
    evening = grid.locator("tr", has=page.get_by_role("rowheader", name="18:00", exact=True))
    assert evening.locator("td").nth(0).inner_text() == "80 %"
    night = grid.locator("tr", has=page.get_by_role("rowheader", name="22:00", exact=True))
    assert night.locator("td").nth(0).inner_text() == "off duty"
    # Friday 25 December is Christmas, closed in the calendar
    assert monday.locator("td").nth(4).inner_text() == "closed: Christmas"
    shoot(page, "preview-grid")

    page.get_by_role("link", name="History").click()
    assert_accessible(page, "history")
    assert "Q1 weekday objective" in page.locator("article").first.inner_text()


def test_delete_asks_for_confirmation_and_returns_to_not_set(context: Any, live_url: str) -> None:
    page = context.new_page()
    browser_log_in(page, live_url, "eddie")
    page.get_by_role("link", name="Edit Service level, channel voice").click()
    page.get_by_role("link", name="Delete this target").click()
    assert_accessible(page, "delete")
    page.get_by_label("Reason for this change").fill("channel closed")
    page.get_by_role("button", name="Delete the target").click()
    assert "Not set" in row(page, "service_level_ratio").inner_text()


def test_a_viewer_sees_no_edit_and_cannot_open_the_form(context: Any, live_url: str) -> None:
    page = context.new_page()
    browser_log_in(page, live_url, "vera")
    assert page.get_by_role("link", name="Edit", exact=False).count() == 0
    assert page.get_by_role("link", name="Settings").count() == 0
    response = page.goto(f"{live_url}/targets/service_level_ratio/edit?channel=voice")
    assert response is not None and response.status == 403
    assert "needs the editor role" in page.inner_text("main")
    shoot(page, "viewer-forbidden")


def test_two_editors_on_one_target_the_second_is_refused(browser: Any, live_url: str) -> None:
    first_context = browser.new_context()
    second_context = browser.new_context()
    try:
        first, second = first_context.new_page(), second_context.new_page()
        browser_log_in(first, live_url, "eddie")
        browser_log_in(second, live_url, "ada")
        edit = f"{live_url}/targets/average_handle_time_seconds/edit"
        first.goto(edit)
        second.goto(edit)
        first.get_by_label("KPI value at all times").fill("280")
        first.get_by_label("Reason for this change").fill("faster calls")
        first.get_by_label("Reason for this change").press("Enter")  # Enter saves
        assert "280 s or less" in row(first, "average_handle_time_seconds").inner_text()

        second.get_by_label("KPI value at all times").fill("320")
        second.get_by_label("Reason for this change").fill("more time")
        second.get_by_role("button", name="Save", exact=True).last.click()
        conflict = second.locator("#conflict").inner_text()
        assert "Not saved: someone else changed the targets first." in conflict
        assert "eddie saved at" in conflict and "faster calls" in conflict
        assert "280 s or less, At all times" in conflict
        assert second.get_by_label("KPI value at all times").input_value() == "320"
        assert_accessible(second, "edit-conflict")
    finally:
        first_context.close()
        second_context.close()
    # nothing was overwritten
    page = browser.new_page()
    browser_log_in(page, live_url, "vera")
    assert "280 s or less" in row(page, "average_handle_time_seconds").inner_text()
    page.close()


def test_a_holiday_added_in_settings_shows_closed_in_the_grid(
    context: Any, live_url: str, clock: Clock
) -> None:
    clock.at = datetime(2026, 12, 7, 10, 0, tzinfo=ROME)  # Monday; Tuesday 8th is a holiday in IT
    page = context.new_page()
    browser_log_in(page, live_url, "ada")
    page.get_by_role("link", name="Settings").click()
    assert_accessible(page, "settings")
    page.get_by_label("Country").select_option("IT")
    page.get_by_label("Year").fill("2026")
    page.locator("#holidays-reason").fill("Italian public holidays")
    page.get_by_role("button", name="Import the holidays").click()
    assert "Imported the public holidays of IT for 2026" in page.locator(".flash").inner_text()
    assert "Immaculate Conception" in page.inner_text("main")
    shoot(page, "settings-after-import")

    page.goto(f"{live_url}/preview?kpi=service_level_ratio&channel=voice")
    ten = page.locator("table.grid tr", has=page.get_by_role("rowheader", name="10:00", exact=True))
    assert ten.locator("td").nth(0).inner_text() == "80 % (now)"
    assert ten.locator("td").nth(1).inner_text() == "closed: Immaculate Conception"
    shoot(page, "preview-holiday")
