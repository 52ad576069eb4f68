"""The Settings page in real headless Chromium (Debian's ``/usr/bin/chromium``, Playwright) at a
phone's 390 px and a laptop's 1280 px: every tab and its error states fit the width (no sideways
scrolling) and axe-core finds no violation at all; the week of operating hours adds, removes and
copies ranges with JavaScript (no round trip) and without it (the buttons post the form).

Every view is saved as a screenshot in ``$SETTINGS_SHOTS`` (default ``screenshots/settings``,
git-ignored) to be looked at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.conftest import SCREENSHOTS, WriteTargets, browser_log_in

pytestmark = pytest.mark.integration

_AXE = Axe()
SHOTS = Path(os.environ.get("SETTINGS_SHOTS", str(SCREENSHOTS / "settings")))
WIDTHS = [(390, 844), (1280, 800)]
REFUSED = "Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"

# The admin tests' calendar with a night team, past exceptions (folded away on the page: the test
# clock is Monday 21 December 2026) and coming ones of each kind.
CALENDAR = """\
# When we are open
timezone: Europe/Rome
operating_hours:
  default:
    mon-fri: "08:00-20:00"
    sat: "09:00-13:00"
  teams:
    night: {mon-sun: "22:00-06:00"}
exceptions:
  - {date: 2026-08-15, name: Ferragosto, closed: true}
  - {date: 2026-11-01, name: All Saints, closed: true}
  - date: 2026-12-24
    name: Christmas Eve
    hours: "08:00-13:00"
    values:
      - {kpi: service_level_ratio, scope: {channel: voice}, value: 0.70}
  - {date: 2026-12-25, name: Christmas, closed: true}
  - date: 2026-12-31
    name: Year end
    values:
      - {kpi: service_level_ratio, scope: {channel: voice}, value: 0.75}
  - {date: 2027-01-01, name: New Year's Day, closed: true}
"""


@pytest.fixture
def targets_dir(tmp_path: Path, write_targets: WriteTargets) -> Path:
    return write_targets("admin", CALENDAR, directory=tmp_path / "targets")


@contextmanager
def watched(browser: Any, width: int, height: int, *, javascript: bool = True) -> Iterator[Any]:
    """A page whose console may log no error but the 400 of a refused form (what tests do)."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, java_script_enabled=javascript
    )
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        yield page
        page.wait_for_load_state("load")
    finally:
        context.close()
    assert [error for error in errors if error != REFUSED] == []


def check_view(page: Any, name: str) -> None:
    """No sideways scrolling, no axe-core violation of any impact; saved as a screenshot."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    scroll: int = page.evaluate("document.documentElement.scrollWidth")
    width: int = page.evaluate("window.innerWidth")
    assert scroll <= width, f"{name}: the page is {scroll} px wide in a {width} px window"
    violations = _AXE.run(page).response["violations"]
    found = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
    ]
    assert found == [], f"{name}: {found}"


def open_settings(page: Any, live_url: str, tab: str) -> None:
    browser_log_in(page, live_url, "ada")
    page.goto(f"{live_url}/settings?tab={tab}")


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_every_tab_and_error_state_fits_and_passes_axe(
    browser: Any, live_url: str, width: int, height: int
) -> None:
    with watched(browser, width, height) as page:
        browser_log_in(page, live_url, "ada")
        for tab in ("hours", "exceptions", "holidays", "timezone"):
            page.goto(f"{live_url}/settings?tab={tab}")
            check_view(page, f"{tab}-{width}")

        # operating hours refused: a bad time, a team without a name
        page.goto(f"{live_url}/settings?tab=hours")
        page.get_by_label("Monday range 1 from", exact=True).first.fill("8")
        page.locator("#hours-reason").fill("earlier start")
        page.get_by_role("button", name="Save the operating hours").click()
        assert (
            "Everyone (default), Monday, range 1: From: bad time '8'"
            in page.locator("#problems").inner_text()
        )
        assert page.get_by_label("Monday range 1 from", exact=True).first.input_value() == "8"
        check_view(page, f"hours-refused-{width}")

        # exceptions: a date to edit (its month grid day links there), then a refusal
        page.goto(f"{live_url}/settings?tab=exceptions")
        past = page.locator("details.past-exceptions")
        assert "Past exceptions (2)" in past.inner_text()
        assert not page.get_by_text("Ferragosto").is_visible()  # folded away, not deleted
        coming = page.locator("ul.exception-list").first.inner_text()
        assert "Christmas Eve" in coming and "Ferragosto" not in coming
        eve = "Thursday 24 December 2026: special hours, Christmas Eve"
        page.get_by_role("link", name=eve).click()  # its day in the December grid
        assert page.locator("#exception-name").input_value() == "Christmas Eve"
        assert page.locator("#exception-hours").input_value() == "08:00-13:00"
        assert page.locator("#value-value").input_value() == "70"
        check_view(page, f"exceptions-edit-{width}")
        page.locator("#exception-hours").fill("08:00-12:00")
        page.get_by_role("button", name="Save 2026-12-24").click()  # no reason
        assert "say why" in page.locator("#problems").inner_text()
        assert page.locator("#exception-hours").input_value() == "08:00-12:00"
        check_view(page, f"exceptions-refused-{width}")

        # holidays: refused, then the preview of the dates the import adds
        page.goto(f"{live_url}/settings?tab=holidays")
        page.get_by_label("Year").fill("soon")
        page.get_by_role("button", name="Preview the holidays").click()
        assert "give a year such as 2027" in page.locator("#problems").inner_text()
        check_view(page, f"holidays-refused-{width}")
        page.get_by_label("Country").select_option("IT")
        page.get_by_label("Year").fill("2027")
        page.locator("#holidays-reason").fill("Italian holidays 2027")
        page.get_by_role("button", name="Preview the holidays").click()
        preview = page.locator("#holiday-preview").inner_text()
        assert "Italy (IT), 2027: 13 dates to add" in preview  # 14 holidays, New Year's Day listed
        assert "Already listed, kept as they are: 2027-01-01 New Year's Day." in preview
        check_view(page, f"holidays-preview-{width}")

        # time zone: chosen from the list, the current one first; an unknown one refused
        page.goto(f"{live_url}/settings?tab=timezone")
        first = page.locator("#timezones option").first.get_attribute("value")
        assert first == "Europe/Rome"
        assert page.locator("#timezones option").count() > 400
        page.get_by_label("Time zone (type").fill("Europe/Rom")
        page.locator("#timezone-reason").fill("typo")
        page.get_by_role("button", name="Save the time zone").click()
        message = page.locator("#problems").inner_text()
        assert "'Europe/Rom' is not a time zone name" in message and "Europe/Rome?" in message
        check_view(page, f"timezone-refused-{width}")


def calendar(targets_dir: Path) -> str:
    return (targets_dir / "calendar.yaml").read_text()


def day(page: Any, name: str) -> Any:
    """The row of weekday ``name`` in everyone's week (the first)."""
    return page.locator("fieldset.week").first.locator("li.week-day", has_text=name)


# What both ways of editing save: Monday split and copied to the weekdays, Saturday closed,
# Sunday 10:00-14:00; the night team as it was (its text kept).
EDITED = """\
  default:
    mon-fri: ["08:00-12:00", "14:00-18:00"]
    sun: "10:00-14:00"
  teams:
    night: {mon-sun: "22:00-06:00"}
exceptions:
"""


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_the_week_adds_removes_and_copies_ranges_with_javascript_in_place(
    browser: Any, live_url: str, targets_dir: Path, width: int, height: int
) -> None:
    with watched(browser, width, height) as page:
        open_settings(page, live_url, "hours")
        page.evaluate("window.notReloaded = true")
        page.get_by_role("button", name="Add a range on Sunday").first.click()
        sunday_from = page.get_by_label("Sunday range 1 from", exact=True).first
        assert page.evaluate("document.activeElement.id") == "w0-d6-r0-from"
        sunday_from.fill("10:00")
        page.get_by_label("Sunday range 1 to", exact=True).first.fill("14:00")
        page.get_by_role("button", name="Remove Saturday range 1").first.click()
        assert day(page, "Saturday").locator(".closed-day").inner_text() == "Closed"
        page.get_by_label("Monday range 1 to", exact=True).first.fill("12:00")
        page.get_by_role("button", name="Add a range on Monday").first.click()
        page.get_by_label("Monday range 2 from", exact=True).first.fill("14:00")
        page.get_by_label("Monday range 2 to", exact=True).first.fill("18:00")
        page.get_by_role("button", name="Copy Monday to weekdays").first.click()
        assert page.get_by_label("Friday range 2 to", exact=True).first.input_value() == "18:00"
        assert day(page, "Thursday").locator(".range").count() == 2
        status = page.locator("fieldset.week").first.get_by_role("status").inner_text()
        assert status == "Monday's hours copied to Tuesday to Friday (not saved yet)."
        assert page.evaluate("window.notReloaded") is True  # no round trip so far
        check_view(page, f"hours-js-edited-{width}")
        page.locator("#hours-reason").fill("split day")
        page.get_by_role("button", name="Save the operating hours").click()
        assert "Operating hours saved." in page.locator(".flash").inner_text()
    assert EDITED in calendar(targets_dir)


def test_the_week_works_without_javascript(browser: Any, live_url: str, targets_dir: Path) -> None:
    with watched(browser, 390, 844, javascript=False) as page:
        open_settings(page, live_url, "hours")
        page.get_by_role("button", name="Add a range on Sunday").first.click()
        page.wait_for_load_state("load")
        sunday_from = page.get_by_label("Sunday range 1 from", exact=True).first
        sunday_from.fill("10:00")
        page.get_by_label("Sunday range 1 to", exact=True).first.fill("14:00")
        page.locator("#hours-reason").fill("split day")
        page.get_by_role("button", name="Remove Saturday range 1").first.click()
        assert day(page, "Saturday").locator(".closed-day").inner_text() == "Closed"
        assert page.get_by_label("Sunday range 1 to", exact=True).first.input_value() == "14:00"
        page.get_by_label("Monday range 1 to", exact=True).first.fill("12:00")
        page.get_by_role("button", name="Add a range on Monday").first.click()
        page.get_by_label("Monday range 2 from", exact=True).first.fill("14:00")
        page.get_by_label("Monday range 2 to", exact=True).first.fill("18:00")
        page.get_by_role("button", name="Copy Monday to weekdays").first.click()
        assert page.get_by_label("Friday range 2 to", exact=True).first.input_value() == "18:00"
        assert page.locator("#hours-reason").input_value() == "split day"  # kept through it all
        assert calendar(targets_dir) == CALENDAR  # nothing saved by those buttons
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "hours-nojs-edited-390.png"), full_page=True)
        page.get_by_role("button", name="Save the operating hours").click()
        assert "Operating hours saved." in page.locator(".flash").inner_text()
    assert EDITED in calendar(targets_dir)
