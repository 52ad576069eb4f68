"""The preview's "Agents needed now": the exporter's own estimates (a real StaffingCollector over a
real engine fed hand-made traffic, tests/test_staffing_collector.py) in sentences."""

from __future__ import annotations

import html
import re

from flask.testing import FlaskClient
from test_staffing_collector import NOW, center, targets

from exporter.admin.preview import _duration
from exporter.staffing_collector import StaffingCollector
from exporter.targets.resolve import resolve


def sentences(page: str) -> list[str]:
    found = re.search(r'<ul class="agents-needed">(.*?)</ul>', page, re.S)
    assert found, "no agents-needed list"
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", found.group(1))]


def test_preview_says_the_agents_each_target_needs(as_viewer: FlaskClient) -> None:
    target_set = targets()
    collector = StaffingCollector(center(), lambda: target_set, resolve, clock=lambda: NOW)
    as_viewer.application.config["STAFFING_ROWS"] = collector.rows
    page = as_viewer.get("/preview").get_data(as_text=True)
    assert sentences(page) == [
        "billing (voice): service level 80 % in 20 s: no estimate (5 contacts offered in the "
        "window, fewer than 10); 0 on duty.",
        "flood (voice): service level 80 % in 20 s needs over 1000 agents at 4000 calls/h and "
        "1800 s AHT (Erlang C); 0 on duty.",
        # 100 calls in 30 minutes of 180 s: the textbook 14 (13 give 79.6 %).
        "sales (voice): service level 80 % in 20 s needs 14 agents at 200 calls/h and 180 s AHT "
        "(Erlang C); 12 on duty.",
        "sales (voice): average speed of answer 20 s needs 13 agents at 200 calls/h and 180 s "
        "AHT (Erlang C); 12 on duty.",
        "support (voice): service level 80 % in 20 s needs 14 agents at 200 calls/h and 180 s "
        "AHT (Erlang C; 12 agents with Erlang A); 11 on duty.",
        "zero (voice): service level 80 % in 20 s: no estimate (handle time is 0 s); 0 on duty.",
    ]


def test_thresholds_read_as_people_say_them() -> None:
    assert [_duration(seconds) for seconds in (20.0, 30.0, 90.0, 120.0, 14400.0)] == [
        "20 s",
        "30 s",
        "90 s",
        "2 min",
        "4 h",
    ]


def test_preview_without_the_estimates_has_no_such_section(as_viewer: FlaskClient) -> None:
    page = as_viewer.get("/preview").get_data(as_text=True)
    assert "Agents needed now" not in page


def test_preview_says_when_no_queue_has_a_target(as_viewer: FlaskClient) -> None:
    as_viewer.application.config["STAFFING_ROWS"] = list
    page = as_viewer.get("/preview").get_data(as_text=True)
    assert "No queue has a service-level or speed-of-answer target in force right now." in page
