"""Attainment in real headless Chromium: the admin app reading a real Prometheus that holds the
hand-counted history of ``tests/attainment_history.py`` shows the words under each target (7 days)
and on the target's page (28 days); with Prometheus down, one note says so and the page is whole.
Screenshots in ``screenshots/``; axe-core finds no serious or critical violation."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from attainment_history import backfilled_prometheus, create_blocks
from flask import Flask
from processes import free_port
from werkzeug.serving import make_server

from exporter.admin import create_app
from exporter.admin.attainment import AttainmentReader
from exporter.prometheus_http import PrometheusClient
from exporter.prometheus_http_config import HttpClientConfig
from exporter.targets.store import TargetStore
from tests.conftest import MONDAY_10, Clock, WriteTargets, browser_log_in
from tests.test_browser_admin import assert_accessible, row, shoot, watched_context

pytestmark = pytest.mark.integration

TARGETS = """\
targets:
  - kpi: service_level_ratio
    scope: {queue: sales}
    quantifier: or_more
    schedules: [{value: 0.8}]
  - kpi: service_level_ratio
    quantifier: or_more
    schedules: [{value: 0.75}]
  - kpi: abandonment_ratio
    quantifier: or_less
    schedules: [{value: 0.05}]
"""


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    blocks = create_blocks(time.time(), tmp_path_factory.mktemp("history"))
    with backfilled_prometheus(blocks, tmp_path_factory.mktemp("prometheus")) as url:
        yield url


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """The app on a free loopback port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def app_reading(url: str, write_targets: WriteTargets, state_dir: Path) -> Flask:
    return create_app(
        http_events=None,
        events_token=None,
        store=TargetStore(write_targets(TARGETS, "admin", directory=state_dir.parent / "t")),
        state_dir=state_dir,
        clock=Clock(MONDAY_10),
        attainment=AttainmentReader(PrometheusClient(url, HttpClientConfig(), 1.0)),
    )


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    with watched_context(browser, 1366, 900) as context:
        yield context


def test_the_words_under_each_target_and_on_its_page(
    context: Any, prometheus_url: str, write_targets: WriteTargets, state_dir: Path
) -> None:
    with served(app_reading(prometheus_url, write_targets, state_dir)) as base:
        page = context.new_page()
        browser_log_in(page, base, "eddie")
        assert_accessible(page, "targets-attainment")
        service_level = row(page, "service_level_ratio")
        targets = service_level.locator(".target")
        assert targets.nth(0).locator(".attainment").inner_text() == (
            "met 18 of 24 judged hours in the last 7 days (5 low volume not judged)"
        )
        assert targets.nth(1).locator(".attainment").inner_text() == (
            "no judged hours in the last 7 days yet"
        )
        assert row(page, "abandonment_ratio").locator(".attainment").inner_text() == (
            "no judged hours in the last 7 days yet (3 low volume not judged)"
        )
        assert page.locator("#attainment-note").count() == 0
        service_level.get_by_role("link", name="Edit Service level, queue sales").click()
        assert page.locator("#attainment").inner_text() == (
            "met 48 of 58 judged hours in the last 28 days (5 low volume not judged)"
        )
        assert_accessible(page, "edit-attainment")


def test_prometheus_down_is_one_note_on_a_whole_page(
    context: Any, write_targets: WriteTargets, state_dir: Path
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    with served(app_reading(down, write_targets, state_dir)) as base:
        page = context.new_page()
        browser_log_in(page, base, "vera")
        note = page.get_by_role("note").filter(has_text="Attainment is not shown")
        assert note.inner_text() == (
            f"Attainment is not shown: cannot connect to Prometheus at {down}: connection "
            "refused (is Prometheus running there?)."
        )
        assert page.locator(".attainment").count() == 0
        assert row(page, "service_level_ratio").locator(".target").count() == 2
        shoot(page, "targets-prometheus-down")
        assert_accessible(page, "targets-prometheus-down")


def test_not_configured_on_a_phone_the_note_fits_and_says_how(
    browser: Any, write_targets: WriteTargets, state_dir: Path
) -> None:
    app = create_app(
        http_events=None,
        events_token=None,
        store=TargetStore(write_targets(TARGETS, "admin", directory=state_dir.parent / "t")),
        state_dir=state_dir,
        clock=Clock(MONDAY_10),
    )
    with served(app) as base, watched_context(browser, 390, 844) as context:
        page = context.new_page()
        browser_log_in(page, base, "eddie")
        note = page.locator("#attainment-note")
        assert "start serve with --prometheus-url URL" in note.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
        assert_accessible(page, "targets-attainment-not-configured-390")
        page.get_by_role("link", name="Edit Service level, queue sales").click()
        assert "--prometheus-url" in page.locator("#attainment-note").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
