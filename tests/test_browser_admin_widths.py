"""Every admin page but Settings at a phone's width (390 px) and a laptop's (1280 px), in real
headless Chromium: logged out, as a viewer, as an editor, with the refused states (a form refused,
a version conflict, a forbidden page, a refused filter) and the read-only example targets.

On each page: no sideways scrolling (``document.documentElement.scrollWidth`` within the window),
every row's Edit/Set action inside the window, touch targets (buttons, action links, the top bar's
links, the tabs) at least 44 px tall, and axe-core (WCAG 2.0-2.2 A and AA rules and the best
practices, target size included) reporting no violation at all. The pages are saved in
``screenshots/`` (git-ignored) as ``widths-NAME-WIDTH.png``.
"""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from exporter.serve import BUILTIN_READ_ONLY
from exporter.targets.model import Quantifier, Schedule, Target
from exporter.targets.store import TargetStore
from tests.conftest import PASSWORD, SCREENSHOTS, browser_log_in

pytestmark = pytest.mark.integration

_AXE = Axe()
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "rules": {"target-size": {"enabled": True}},
}
EDIT_VOICE = "/targets/service_level_ratio/edit?channel=voice"
# What a touch target is here: what one taps to act, not a link inside a sentence.
TOUCH_TARGETS = (
    "button:not(.default-action), a.action, a.back, .buttons a, header.top nav a, .tabs a, select, "
    "input:not([type=checkbox]):not([type=radio]):not([type=hidden])"
)

WIDTH_PROBLEMS = """() => {
  const width = window.innerWidth;
  const problems = [];
  if (document.documentElement.scrollWidth > width) {
    problems.push(`the page is ${document.documentElement.scrollWidth} px wide`);
  }
  for (const row of document.querySelectorAll("table.targets tbody tr")) {
    for (const action of row.querySelectorAll(".action")) {
      const box = action.getBoundingClientRect();
      if (box.left < 0 || box.right > width) {
        problems.push(`${row.id}: "${action.innerText}" at ${box.left}-${box.right} px`);
      }
    }
  }
  return problems;
}"""

SMALL_TARGETS = """(selector) => {
  const small = [];
  for (const element of document.querySelectorAll(selector)) {
    const box = element.getBoundingClientRect();
    if (box.width > 0 && box.height < 44) {
      small.push(`${element.tagName} "${element.innerText.trim()}" ${Math.round(box.height)} px`);
    }
  }
  return small;
}"""


class Survey:
    """Looks at each page visited; the problems of all of them are asserted together."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.problems: list[str] = []
        self.seen: list[str] = []

    def look(self, page: Any, name: str) -> None:
        page.wait_for_load_state("load")
        self.seen.append(name)
        SCREENSHOTS.mkdir(exist_ok=True)
        (SCREENSHOTS / ".gitignore").write_text("*\n")
        page.screenshot(path=str(SCREENSHOTS / f"widths-{name}-{self.width}.png"), full_page=True)
        where = f"{name} at {self.width} px"
        self.problems += [f"{where}: {p}" for p in page.evaluate(WIDTH_PROBLEMS)]
        if self.width < 640:
            small = page.evaluate(SMALL_TARGETS, TOUCH_TARGETS)
            self.problems += [f"{where}: touch target {s}" for s in small]
        for violation in _AXE.run(page, options=AXE_OPTIONS).response["violations"]:
            nodes = [node["target"] for node in violation["nodes"]][:3]
            self.problems.append(f"{where}: axe {violation['id']}: {violation['help']} at {nodes}")


def visit(page: Any, url: str, survey: Survey, name: str, status: int = 200) -> None:
    response = page.goto(url)
    assert response is not None and response.status == status, (name, response and response.status)
    survey.look(page, name)


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 800)])
def test_every_page_fits_the_width_keeps_its_actions_in_view_and_passes_axe(
    browser: Any, live_url: str, store: TargetStore, width: int, height: int
) -> None:
    survey = Survey(width)
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        _tour(context.new_page(), live_url, store, survey)
    finally:
        context.close()
    assert survey.problems == []
    assert len(survey.seen) == 19


def _tour(page: Any, base: str, store: TargetStore, survey: Survey) -> None:
    # logged out: the login page, and a refused login
    visit(page, f"{base}/login", survey, "login")
    page.get_by_label("User name").fill("vera")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    assert "wrong user name or password" in page.inner_text("main").lower()
    survey.look(page, "login-refused")

    # a viewer: read-only pages, no actions; a forbidden page; a refused filter
    browser_log_in(page, base, "vera")
    survey.look(page, "viewer-targets")
    assert page.locator("table.targets .actions, table.targets .action").count() == 0
    visit(page, f"{base}/history?scope=chat", survey, "viewer-history-refused", 400)
    visit(page, f"{base}{EDIT_VOICE}", survey, "viewer-forbidden", 403)
    log_out(page)

    # an editor: both tabs, the forms, the refusals, a version conflict, delete
    browser_log_in(page, base, "eddie", PASSWORD)
    survey.look(page, "targets")
    visit(page, f"{base}/targets?tab=team", survey, "targets-team")
    visit(page, f"{base}/targets/abandonment_ratio/edit?new=1", survey, "edit-new")
    visit(page, f"{base}{EDIT_VOICE}", survey, "edit")
    page.get_by_label("KPI value at all times").fill("lots")
    page.get_by_role("button", name="Save", exact=True).last.click()
    assert "Not saved. Please correct:" in page.inner_text("main")
    survey.look(page, "edit-refused")

    page.goto(f"{base}{EDIT_VOICE}")
    saved_meanwhile(store)
    page.get_by_label("KPI value at all times").fill("81")
    page.get_by_label("Reason for this change").fill("mine")
    page.get_by_role("button", name="Save", exact=True).last.click()
    assert "someone else changed the targets first" in page.inner_text("main")
    survey.look(page, "edit-conflict")
    page.get_by_role("button", name="Save", exact=True).last.click()  # save over it, on purpose

    visit(page, f"{base}/targets/service_level_ratio/delete?channel=voice", survey, "delete")
    page.get_by_role("button", name="Delete the target").click()  # no reason
    survey.look(page, "delete-refused")

    visit(page, f"{base}/preview", survey, "preview")
    visit(page, f"{base}/preview?kpi=occupancy_ratio&team=night", survey, "preview-team")
    visit(page, f"{base}/history", survey, "history")
    visit(page, f"{base}/targets/no_such_kpi/edit", survey, "not-found", 404)

    # the built-in example targets: flagged on every page, the actions disabled and said why
    store.read_only = BUILTIN_READ_ONLY
    visit(page, f"{base}/targets", survey, "read-only-targets")
    disabled = page.locator("table.targets button.action[disabled]")
    assert disabled.count() > 0 and page.locator("table.targets a.action").count() == 0
    assert disabled.first.get_attribute("aria-describedby") == "read-only"
    visit(page, f"{base}/preview", survey, "read-only-preview")


def saved_meanwhile(store: TargetStore) -> None:
    voice = (("channel", "voice"),)
    store.set_target(
        Target("service_level_ratio", Quantifier.OR_MORE, (Schedule(0.83),), voice),
        user="ada", reason="meanwhile", base_version=None,
    )  # fmt: skip


def log_out(page: Any) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(lambda url: "/login" in url)


def test_the_preview_fields_follow_the_metric_at_once_and_show_works_without_javascript(
    browser: Any, live_url: str
) -> None:
    for javascript in (True, False):
        context = browser.new_context(java_script_enabled=javascript)
        try:
            page = context.new_page()
            browser_log_in(page, live_url, "vera")
            page.goto(f"{live_url}/preview?kpi=service_level_ratio&channel=voice")
            assert page.get_by_label("Channel").is_visible()
            page.get_by_label("Metric").select_option("occupancy_ratio")
            if javascript:  # one press: the team metric's fields are there before Show
                assert page.get_by_label("Team").is_visible()
                assert not page.get_by_label("Channel").is_visible()
                assert not page.locator("#scope-hint").is_visible()
                page.get_by_label("Team").fill("night")
            else:  # the old fields stay until Show, as the hint says
                assert page.locator("#scope-hint").is_visible()
                assert not page.get_by_label("Team").is_visible()
            page.get_by_role("button", name="Show").click()
            assert page.get_by_label("Team").is_visible()
            assert not page.get_by_label("Channel").is_visible()
            heading = page.locator("#next-change strong").inner_text()
            expected = "team night" if javascript else "All teams and agents"
            assert heading == f"Team occupancy, {expected}:"
            # with JavaScript a field of the other metric is not even sent
            assert ("channel=" in page.url) is not javascript
        finally:
            context.close()
