"""Take the README's pictures of the admin UI from the running app: ``docs/screenshots/*.png``.

    .venv/bin/python scripts/screenshots.py [OUT_DIR]

Runs the admin app on a copy of ``targets/`` (the shipped examples), with a demo admin and the
clock on Monday 21 December 2026 at 10:00 in Rome, and drives Debian's Chromium (``/usr/bin/
chromium``) with Playwright. Every page is saved at 1280 px (``NAME.png``) and at a phone's 390 px
(``NAME-390.png``), whole: the login page, both tabs of the KPI Targets page, an edit form, a
refused one, the delete confirmation, the preview with its week grid, the history after a target
change and a settings change, each tab of the settings (found from the page's tab links), and the
KPI Targets page of the read-only built-in example targets.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, sync_playwright
from werkzeug.serving import make_server

from exporter.admin import create_app
from exporter.admin.users import Role, UserFile
from exporter.serve import BUILTIN_READ_ONLY
from exporter.targets.store import TargetStore

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 21, 10, 0, tzinfo=ZoneInfo("Europe/Rome")).timestamp()
USER, PASSWORD = "ada", "demo password"
WIDTHS = {1280: "", 390: "-390"}  # viewport width -> file name suffix
HEIGHT = {1280: 800, 390: 844}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        targets = Path(scratch) / "targets"
        shutil.copytree(ROOT / "targets", targets)
        UserFile(Path(scratch) / "state").add(USER, Role.ADMIN, PASSWORD, rounds=4)
        store = TargetStore(targets)
        app = create_app(
            http_events=None,
            events_token=None,
            store=store,
            state_dir=Path(scratch) / "state",
            clock=lambda: NOW,
            seen_labels=lambda: {"queue": ["sales", "support", "chat", "email"]},
        )
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            shoot_pages(f"http://127.0.0.1:{server.server_port}", out, store)
        finally:
            server.shutdown()


def shoot_pages(base: str, out: Path, store: TargetStore) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 800})

        def every_width(name: str, url: str | None = None, act: Callable[[], None] | None = None):
            for width, suffix in WIDTHS.items():
                page.set_viewport_size({"width": width, "height": HEIGHT[width]})
                if url is not None:
                    page.goto(f"{base}{url}")
                if act is not None:
                    act()
                save(page, out / f"{name}{suffix}.png")

        every_width("login", "/login")
        page.get_by_label("User name").fill(USER)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{base}/targets")
        every_width("targets", "/targets")
        every_width("targets-team", "/targets?tab=team")
        edit = "/targets/service_level_ratio/edit?channel=voice"
        every_width("edit", edit)

        def refuse() -> None:
            page.get_by_label("KPI value at all times").fill("150")
            page.get_by_role("button", name="Save", exact=True).last.click()

        every_width("edit-refused", edit, refuse)
        every_width("delete", "/targets/service_level_ratio/delete?channel=voice")

        page.goto(f"{base}{edit}")
        page.get_by_label("KPI value at all times").fill("82")
        page.get_by_label("Reason for this change").fill("Q1 objectives: 82 % outside peak hours")
        page.get_by_role("button", name="Save", exact=True).last.click()
        shorter_christmas_eve(store)

        every_width("preview", "/preview?kpi=service_level_ratio&channel=voice")
        every_width("history", "/history")
        page.goto(f"{base}/settings")
        tabs = [
            href
            for href in page.eval_on_selector_all(
                "main nav a[href^='/settings']",
                "links => links.map(link => link.getAttribute('href'))",
            )
            if href != "/settings"
        ]
        every_width("settings", "/settings")
        for number, href in enumerate(dict.fromkeys(tabs), start=2):
            every_width(f"settings-{_tab_name(href, number)}", href)

        store.read_only = BUILTIN_READ_ONLY
        every_width("read-only", "/targets")
        browser.close()


def shorter_christmas_eve(store: TargetStore) -> None:
    """A settings change for the history: Christmas Eve closes an hour earlier, at a lower level."""

    def rewrite(text: str) -> str:
        old = (
            'hours: "08:00-13:00"\n    values:\n'
            "      - {kpi: service_level_ratio, scope: {channel: voice}, value: 0.70}"
        )
        if old not in text:
            return text
        return text.replace(old, old.replace("13:00", "12:00").replace("0.70", "0.65"), 1)

    store.edit_calendar(
        rewrite, user=USER, reason="Christmas Eve: we close at noon", base_version=None
    )


def _tab_name(href: str, number: int) -> str:
    """ "/settings/hours" -> "hours", "/settings?tab=exceptions" -> "exceptions"."""
    tail = href.split("?tab=")[-1] if "?tab=" in href else href.rstrip("/").rsplit("/", 1)[-1]
    name = "".join(c if c.isalnum() or c == "-" else "-" for c in tail).strip("-")
    return name or str(number)


def save(page: Page, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
