"""Fixtures shared by the tests: targets directories written from presets (``write_targets``, see
``tests/presets.py``), a frozen clock, and for the admin UI accounts, the app, logged-in clients
and a real headless Chromium (the system's ``/usr/bin/chromium``, never a downloaded browser)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from exporter.admin import create_app
from exporter.admin.users import Role, UserFile
from exporter.targets.store import TargetStore
from tests.presets import calendar_yaml, targets_yaml
from tests.presets import write_targets as write_preset

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct horse battery"
USERS = {"ada": Role.ADMIN, "eddie": Role.EDITOR, "vera": Role.VIEWER}
ROME = ZoneInfo("Europe/Rome")
# Monday 21 December 2026, 10:00 in Rome: inside Mon-Fri 09:00-17:00 and the operating hours.
MONDAY_10 = datetime(2026, 12, 21, 10, 0, tzinfo=ROME)

# The admin tests' targets and calendar (with comments the UI must keep), compared byte for byte.
TARGETS_YAML = targets_yaml("admin")
CALENDAR_YAML = calendar_yaml("admin")


class WriteTargets(Protocol):
    def __call__(
        self, targets: str = ..., calendar: str = ..., *, directory: Path | None = None
    ) -> Path: ...


@pytest.fixture
def write_targets(tmp_path: Path) -> WriteTargets:
    """``write_targets(targets, calendar, directory=tmp_path)``: the directory (created) holding
    targets.yaml and calendar.yaml, each a preset's name (``tests/presets.py``) or YAML text."""

    def write(
        targets: str = "admin", calendar: str = "admin", *, directory: Path | None = None
    ) -> Path:
        return write_preset(tmp_path if directory is None else directory, targets, calendar)

    return write


@pytest.fixture
def targets_dir(tmp_path: Path, write_targets: WriteTargets) -> Path:
    return write_targets("admin", "admin", directory=tmp_path / "targets")


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "state"
    users = UserFile(directory)
    for name, role in USERS.items():
        users.add(name, role, PASSWORD, rounds=4)  # the lowest cost: tests log in often
    return directory


class Clock:
    """A frozen clock (a zero-argument callable giving Unix seconds) that the test moves by setting
    ``at``: an aware datetime or Unix seconds."""

    def __init__(self, at: datetime | float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at.timestamp() if isinstance(self.at, datetime) else float(self.at)


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_10)


@pytest.fixture
def child_wall_clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """``child_wall_clock(at)``: the Python processes the test starts afterwards see the wall clock
    (``time.time()``) at ``at`` (Unix seconds) when they start, running on from there. A
    ``sitecustomize`` on ``PYTHONPATH`` shifts it before anything imports it (libfaketime 0.9.10
    makes Python's sleeps hang or fail, so it cannot be used). Monotonic clocks and sleeps stay
    real."""

    def shift(at: float) -> None:
        directory = tmp_path / "shift"
        directory.mkdir(exist_ok=True)
        (directory / "sitecustomize.py").write_text(
            "import time\n"
            f"_real, _offset = time.time, {at!r} - time.time()\n"
            "time.time = lambda: _real() + _offset\n",
            encoding="utf-8",
        )
        monkeypatch.setenv("PYTHONPATH", str(directory))

    return shift


@pytest.fixture
def store(targets_dir: Path) -> TargetStore:
    return TargetStore(targets_dir)


@pytest.fixture
def app(store: TargetStore, state_dir: Path, clock: Clock) -> Flask:
    app = create_app(
        http_events=None,
        events_token=None,
        store=store,
        state_dir=state_dir,
        clock=clock,
        seen_labels=lambda: {"queue": {"sales", "support"}, "channel": {"voice", "chat"}},
        max_content_length=64 * 1024,
    )
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class _FormFields(HTMLParser):
    """The fields a browser would send from the form holding ``marker`` (e.g. the hidden input
    ``name="section" value="exception"``), without pressing any button."""

    def __init__(self, marker: tuple[str, str]) -> None:
        super().__init__()
        self.marker = marker
        self.forms: list[list[tuple[str, str]]] = []
        self._in_form = False
        self._select: str | None = None
        self._first: str | None = None
        self._chosen = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._in_form = True
            self.forms.append([])
        if not self._in_form:
            return
        fields = self.forms[-1]
        kind = a.get("type", "text")
        if tag == "input" and "name" in a and kind not in ("submit", "button"):
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            default = "on" if kind in ("checkbox", "radio") else ""
            fields.append((a["name"], a.get("value", default)))
        elif tag == "select":
            self._select, self._first, self._chosen = a.get("name"), None, False
        elif tag == "option" and self._select is not None:
            if self._first is None:
                self._first = a.get("value", "")
            if "selected" in a:
                fields.append((self._select, a.get("value", "")))
                self._chosen = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select" and self._select is not None:
            if not self._chosen and self._first is not None:  # a browser sends the first option
                self.forms[-1].append((self._select, self._first))
            self._select = None


def form_fields(html: str, marker: tuple[str, str]) -> dict[str, list[str]]:
    """Name -> values the form holding the hidden input ``marker`` would send as it is shown (no
    button pressed): what the next press of its button saves."""
    parser = _FormFields(marker)
    parser.feed(html)
    for fields in parser.forms:
        if marker in fields:
            found: dict[str, list[str]] = {}
            for name, value in fields:
                found.setdefault(name, []).append(value)
            return found
    raise AssertionError(f"no form with {marker} in the page")


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str) -> str:
    """The CSRF token of the form on ``url`` (as a browser would have it)."""
    page = client.get(url)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match is not None, f"no form with a CSRF token on {url} ({page.status_code})"
    return match.group(1)


def login(client: FlaskClient, name: str, password: str = PASSWORD) -> FlaskClient:
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def as_admin(client: FlaskClient) -> FlaskClient:
    return login(client, "ada")


@pytest.fixture
def as_editor(client: FlaskClient) -> FlaskClient:
    return login(client, "eddie")


@pytest.fixture
def as_viewer(client: FlaskClient) -> FlaskClient:
    return login(client, "vera")


# --- the browser ---------------------------------------------------------------------------------

SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"  # git-ignored


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Chromium from Debian, driven by Playwright. Fails (never skips) without it."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (scripts/test.sh does) to run the "
            "browser tests"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


def browser_log_in(page: Any, base: str, name: str, password: str = PASSWORD) -> None:
    """Open the targets page, get sent to the login form, log in, land on the targets page."""
    page.goto(f"{base}/targets")
    assert page.url.startswith(f"{base}/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/targets")


def save_weekday_schedule(page: Any, percent: str, reason: str) -> None:
    """On an edit page: schedule 1 = Mon-Fri 09:00-17:00 at ``percent``, then Save."""
    schedule = page.get_by_role("group", name="Schedule 1")
    for day in ("Mon", "Tue", "Wed", "Thu", "Fri"):
        schedule.get_by_label(day, exact=True).check()
    schedule.get_by_label("From").fill("09:00")
    schedule.get_by_label("To", exact=True).fill("17:00")
    schedule.get_by_label("Value (%)").fill(percent)
    page.get_by_label("Reason for this change").fill(reason)
    page.get_by_role("button", name="Save", exact=True).last.click()


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    """The app served on a free loopback port in a thread, for the browser."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
