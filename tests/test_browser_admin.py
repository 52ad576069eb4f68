"""The admin UI end to end in real headless Chromium (Debian's ``/usr/bin/chromium``, Playwright).

The app runs in a thread on a free loopback port with a clock the test sets (Monday 21 December
2026, 10:00 in Rome). Every page visited is saved as a screenshot in ``screenshots/`` (git-ignored)
and scanned with axe-core: no serious or critical violation is allowed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
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
    with watched_context(browser, 1366, 900) as context:
        yield context


REFUSED = "Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"


@contextmanager
def watched_context(
    browser: Any, width: int, height: int, *, refusals: bool = False
) -> Iterator[Any]:
    """As ``context``; with ``refusals`` a refused form (400, what the test does) is expected."""
    context = browser.new_context(viewport={"width": width, "height": height})
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
    expected += [REFUSED] if refusals else []
    assert [error for error in errors if error not in expected] == []


def shoot(page: Any, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / ".gitignore").write_text("*\n")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


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

    page.get_by_role("link", name="Set Abandonment rate").click()
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
    page.get_by_role("link", name="Public holidays").click()
    page.get_by_label("Country").select_option("IT")
    page.get_by_label("Year").fill("2026")
    page.locator("#holidays-reason").fill("Italian public holidays")
    page.get_by_role("button", name="Preview the holidays").click()
    page.get_by_role("button", name="Add these 12 dates").click()
    assert "Imported the public holidays of IT for 2026" in page.locator(".flash").inner_text()
    assert "Immaculate Conception" in page.inner_text("main")
    shoot(page, "settings-after-import")

    page.goto(f"{live_url}/preview?kpi=service_level_ratio&channel=voice")
    ten = page.locator("table.grid tr", has=page.get_by_role("rowheader", name="10:00", exact=True))
    assert ten.locator("td").nth(0).inner_text() == "80 % (now)"
    assert ten.locator("td").nth(1).inner_text() == "closed: Immaculate Conception"
    shoot(page, "preview-holiday")


def wait_for_focus(page: Any, element_id: str) -> None:
    """The element gets the focus as the page loads (autofocus runs at the first rendering,
    just after the load); fails after 5 s."""
    deadline = time.monotonic() + 5
    while (focused := page.evaluate("document.activeElement.id")) != element_id:
        # polled from here: the page's CSP forbids the eval that wait_for_function would need
        assert time.monotonic() < deadline, f"the focus is on {focused!r}, not {element_id!r}"
        page.wait_for_timeout(50)


def in_view(page: Any, selector: str) -> bool:
    """The element's top is inside the window (the page opened scrolled to it)."""
    top: float = page.eval_on_selector(selector, "e => e.getBoundingClientRect().top")
    height: float = page.evaluate("window.innerHeight")
    return 0 <= top < height


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
def test_a_refused_exception_comes_back_as_typed_on_its_focused_summary_then_saves_it(
    browser: Any, live_url: str, width: int, height: int
) -> None:
    with watched_context(browser, width, height, refusals=True) as context:
        page = context.new_page()
        browser_log_in(page, live_url, "ada")
        page.goto(f"{live_url}/settings?tab=exceptions")
        page.locator("#exception-date").fill("2026-12-24")
        page.locator("#exception-name").fill("Christmas Eve")
        page.get_by_label("Special hours", exact=True).check()
        page.locator("#exception-hours").fill("08:00-14:00")
        page.get_by_label("Metric").select_option("service_level_ratio")
        page.locator("#value-scope").fill("channel=voice")
        page.locator("#value-value").fill("150")
        page.get_by_role("button", name="Add the exception").click()  # no reason, 150 %

        wait_for_focus(page, "problems")
        assert in_view(page, "#problems")
        summary = page.locator("#problems").inner_text()
        assert "150 % is over 100 %" in summary and "say why (it goes to the history)" in summary
        assert page.locator("#exception-date").input_value() == "2026-12-24"
        assert page.locator("#exception-name").input_value() == "Christmas Eve"
        assert page.get_by_label("Special hours", exact=True).is_checked()
        assert not page.get_by_label("Closed all day").is_checked()
        assert page.locator("#exception-hours").input_value() == "08:00-14:00"
        assert page.get_by_label("Metric").input_value() == "service_level_ratio"
        assert page.locator("#value-scope").input_value() == "channel=voice"
        assert page.locator("#value-value").input_value() == "150"
        assert_accessible(page, f"settings-exception-refused-{width}")
        shoot(page, f"settings-exception-refused-{width}-view", full_page=False)

        page.locator("#value-value").fill("0.7")
        page.locator("#exception-reason").fill("half day")
        page.get_by_role("button", name="Add the exception").click()
        wait_for_focus(page, "problems")
        assert "did you mean 70 % (the ratio 0.7)?" in page.locator("#problems").inner_text()
        assert page.locator("#exception-reason").input_value() == "half day"
        assert_accessible(page, f"settings-exception-asked-{width}")
        shoot(page, f"settings-exception-asked-{width}-view", full_page=False)
        page.get_by_role("button", name="I mean 70 %").click()

        assert "Exception 2026-12-24 Christmas Eve saved." in page.locator(".flash").inner_text()
        eve = page.locator("li.exception", has_text="2026-12-24")
        assert "Open 08:00-14:00" in eve.inner_text()
        assert "Service level (channel voice): 70 %" in eve.inner_text()


def test_a_refused_target_keeps_its_fields_and_0_85_is_saved_as_the_85_percent_meant(
    browser: Any, live_url: str
) -> None:
    with watched_context(browser, 1366, 900, refusals=True) as context:
        _refuse_then_confirm_a_target(context, live_url)


def _refuse_then_confirm_a_target(context: Any, live_url: str) -> None:
    page = context.new_page()
    browser_log_in(page, live_url, "eddie")
    page.get_by_role("link", name="Edit Service level, channel voice").click()
    page.get_by_label("KPI value at all times").fill("0.85")
    schedule = page.get_by_role("group", name="Schedule 1")
    schedule.get_by_label("Sat", exact=True).check()
    schedule.get_by_label("Value (%)").fill("70")
    page.get_by_role("button", name="Save", exact=True).last.click()  # no reason

    wait_for_focus(page, "error-summary")
    summary = page.locator("#error-summary").inner_text()
    assert "say why (it goes to the history)" in summary
    assert "did you mean 85 % (the ratio 0.85)?" in summary
    assert page.get_by_label("KPI value at all times").input_value() == "0.85"
    assert schedule.get_by_label("Sat", exact=True).is_checked()
    assert schedule.get_by_label("Value (%)").input_value() == "70"
    assert_accessible(page, "edit-refused-asked")

    page.get_by_label("Reason for this change").fill("Q1 objective")
    page.get_by_role("button", name="I mean 85 %").click()
    text = row(page, "service_level_ratio").inner_text()
    assert "85 % or more" in text and "70 % or more" in text and "0.85 %" not in text
