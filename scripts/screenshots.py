"""Take the README's pictures of the admin UI from the running app: ``docs/screenshots/*.png``.

    .venv/bin/python scripts/screenshots.py [OUT_DIR]

Runs the admin app on a copy of ``targets/`` (the shipped examples), with a demo admin and the
clock on Monday 21 December 2026 at 10:00 in Rome, and drives Debian's Chromium (``/usr/bin/
chromium``) with Playwright: the login page, the KPI Targets page, an edit form, the preview with
its week grid, the history after one change, and the settings.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, sync_playwright
from werkzeug.serving import make_server

from exporter.admin import create_app
from exporter.admin.users import Role, UserFile
from exporter.targets.store import TargetStore

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 21, 10, 0, tzinfo=ZoneInfo("Europe/Rome")).timestamp()
USER, PASSWORD = "ada", "demo password"


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        targets = Path(scratch) / "targets"
        shutil.copytree(ROOT / "targets", targets)
        UserFile(Path(scratch) / "state").add(USER, Role.ADMIN, PASSWORD, rounds=4)
        app = create_app(
            http_events=None,
            events_token=None,
            store=TargetStore(targets),
            state_dir=Path(scratch) / "state",
            clock=lambda: NOW,
            seen_labels=lambda: {"queue": ["sales", "support", "chat", "email"]},
        )
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            shoot_pages(f"http://127.0.0.1:{server.server_port}", out)
        finally:
            server.shutdown()


def shoot_pages(base: str, out: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{base}/login")
        save(page, out / "login.png")
        page.get_by_label("User name").fill(USER)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        save(page, out / "targets.png", full=True)

        page.get_by_role("link", name="Edit Service level, channel voice").click()
        save(page, out / "edit.png", full=True)
        page.get_by_label("KPI value at all times").fill("82")
        page.get_by_label("Reason for this change").fill("Q1 objectives: 82 % outside peak hours")
        page.get_by_role("button", name="Save", exact=True).last.click()

        page.set_viewport_size({"width": 1280, "height": 1500})  # down to the evening
        page.goto(f"{base}/preview?kpi=service_level_ratio&channel=voice")
        save(page, out / "preview.png")
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(f"{base}/history")
        save(page, out / "history.png")
        page.goto(f"{base}/settings")
        save(page, out / "settings.png", full=True)
        browser.close()


def save(page: Page, path: Path, *, full: bool = False) -> None:
    page.screenshot(path=str(path), full_page=full)
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
