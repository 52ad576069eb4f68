"""End to end: a hand-made history backfilled with promtool into a real Prometheus, a real
``kpi-targets serve --prometheus-url`` reading it, and the KPI Targets page over HTTP (logged in,
as a browser would) showing the figures worked out by hand in ``tests/attainment_history.py``."""

from __future__ import annotations

import http.cookiejar
import re
import time
import urllib.parse
import urllib.request
from html import unescape
from pathlib import Path

import pytest
from attainment_history import backfilled_prometheus, create_blocks
from presets import write_targets
from prometheus_stack import exporter

from exporter.admin.users import Role, UserFile

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
TARGETS = """\
targets:
  - kpi: service_level_ratio
    scope: {queue: sales}
    quantifier: or_more
    schedules: [{value: 0.8}]
  - kpi: abandonment_ratio
    quantifier: or_less
    schedules: [{value: 0.05}]
"""


class Browser:
    """Cookies and forms over plain HTTP, as a browser sends them."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as response:
            assert response.status == 200
            return str(response.read().decode())

    def log_in(self, name: str) -> None:
        form = self.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        data = urllib.parse.urlencode(
            {"name": name, "password": PASSWORD, "csrf_token": token.group(1)}
        ).encode()
        with self.opener.open(self.base + "/login", data=data, timeout=10) as response:
            assert response.url.endswith("/targets"), response.url


def attainment_lines(html: str) -> list[str]:
    found = re.findall(r'<(p|span) class="attainment"[^>]*>([^<]*)</\1>', html)
    return [unescape(text) for _tag, text in found]


def test_backfilled_history_shows_on_the_served_targets_page(tmp_path: Path) -> None:
    blocks = create_blocks(time.time(), tmp_path / "history")
    targets = write_targets(tmp_path / "targets", TARGETS, "admin")
    UserFile(tmp_path / "state").add("vera", Role.VIEWER, PASSWORD, rounds=4)
    with (
        backfilled_prometheus(blocks, tmp_path / "prometheus") as url,
        exporter(
            [
                "--targets",
                str(targets),
                "--state-dir",
                str(tmp_path / "state"),
                "--prometheus-url",
                url,
            ],
            tmp_path,
        ) as served,
    ):
        browser = Browser(served.admin_url)
        browser.log_in("vera")
        started = time.monotonic()
        html = browser.get("/targets")
        assert time.monotonic() - started < 2.0
    assert attainment_lines(html) == [
        "met 18 of 24 judged hours in the last 7 days (5 low volume not judged)",
        "no judged hours in the last 7 days yet (3 low volume not judged)",
    ]
    assert 'id="attainment-note"' not in html
