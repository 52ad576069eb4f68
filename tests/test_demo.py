"""The default run shows KPIs and targets at any hour: off duty, the simulator starts at the last
moment the calendar was on duty (``exporter.demo``), and says so."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from example_targets import copy_example_targets, example_text
from processes import Process, free_port, http_get, serve_command, wait_for

from exporter.demo import demo_start, on_duty_hours
from exporter.events import ContactEvent, ContactKind
from exporter.simulator import simulate
from exporter.simulator.center import WORKDAY_SHAPE, default_config
from exporter.targets.parse import parse_texts
from tests.presets import calendar_yaml

ROME = ZoneInfo("Europe/Rome")


# A calendar without operating hours: on duty around the clock.
ALWAYS_ON = calendar_yaml("rome")


def _calendar(calendar_yaml: str | None = None):  # type: ignore[no-untyped-def]
    texts = example_text("targets.yaml"), calendar_yaml or example_text("calendar.yaml")
    target_set = parse_texts(*texts).target_set
    assert target_set is not None
    return target_set.calendar


def _at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ROME).timestamp()


def _local(seconds: float | None) -> str:
    assert seconds is not None
    return datetime.fromtimestamp(seconds, ROME).strftime("%a %Y-%m-%d %H:%M")


def test_on_duty_the_demo_starts_now() -> None:
    assert demo_start(_calendar(), _at("2026-11-30T10:05")) is None  # Monday morning


@pytest.mark.parametrize(
    ("now", "start"),
    [
        # Sunday night: Saturday's 09:00-13:00 is the last duty; 10:45 leaves an hour before
        # (the backfill) and two after.
        ("2026-11-29T23:30", "Sat 2026-11-28 10:45"),
        # Monday 07:00: same.
        ("2026-11-30T07:00", "Sat 2026-11-28 10:45"),
        # Tuesday 21:30: Tuesday 08:00-20:00 is on duty until 20:00, so 17:45.
        ("2026-12-01T21:30", "Tue 2026-12-01 17:45"),
        # Christmas Day (closed) evening: Christmas Eve had 08:00-13:00 only, so 10:45.
        ("2026-12-25T18:00", "Thu 2026-12-24 10:45"),
    ],
)
def test_off_duty_the_demo_starts_at_the_last_duty(now: str, start: str) -> None:
    assert _local(demo_start(_calendar(), _at(now))) == start


@pytest.mark.integration
def test_the_default_run_on_a_sunday_night_shows_kpis_and_targets(
    tmp_path: Path, child_wall_clock: Callable[[float], None]
) -> None:
    child_wall_clock(_at("2026-11-29T23:30"))  # the serve process's: Sunday night in Rome
    copy_example_targets(tmp_path / "targets")
    metrics, admin = free_port(), free_port()
    process = Process(
        serve_command(metrics, admin),
        cwd=tmp_path,
    )
    try:
        lines = [process.read_line(30) for _ in range(4)]
        assert lines[3] == (
            "Simulator: the calendar (Europe/Rome) is off duty now, so the simulation starts at "
            "Sat 2026-11-28 10:45 +0100, the last time it was on duty, and runs from there: KPIs "
            "and targets show at once (--simulator-start chooses another start)\n"
        )
        wanted = (
            'kpi_value{channel="voice",kpi="service_level_ratio",level="channel"}',
            'kpi_target{channel="voice",kpi="service_level_ratio",level="channel",'
            'quantifier="or_more"} 0.8',
            'kpi_target_met{channel="voice",kpi="service_level_ratio",level="channel"}',
        )

        def in_force() -> bool | None:
            body = http_get(f"http://127.0.0.1:{metrics}/metrics")[1]
            return True if all(series in body for series in wanted) else None

        wait_for("KPIs and targets in force", in_force, timeout=30)
        landing = http_get(f"http://127.0.0.1:{metrics}/")[1]
        assert "<p>simulated time: Sat 28 Nov 10:4" in landing  # 10:45 and a few seconds on
        assert " CET (the simulation started at the last on-duty moment)</p>" in landing
    finally:
        assert process.stop() == 0, process.stderr


def test_the_simulator_is_busy_in_every_hour_the_calendar_is_on_duty() -> None:
    monday = _at("2026-11-30T06:30")
    # The example calendar: Mon-Fri 08:00-20:00, Sat 09:00-13:00, so 08 to 19; the workday shape
    # already has contacts then, and stays as it is.
    assert on_duty_hours(_calendar(), monday) == frozenset(range(8, 20))
    example = default_config(on_duty_hours=on_duty_hours(_calendar(), monday))
    assert example.queues[0].arrivals.per_hour == tuple(120.0 * w for w in WORKDAY_SHAPE)
    # On duty around the clock: 06:00 (0 in the workday shape) gets 30 % of the peak.
    always = on_duty_hours(_calendar(ALWAYS_ON), monday)
    assert always == frozenset(range(24))
    config = default_config(on_duty_hours=always)
    assert [queue.arrivals.per_hour[6] for queue in config.queues] == [36.0, 54.0, 45.0, 4.8]
    # Frozen at 06:30: the half hour from 06:00 has offered contacts (about (36 + 54 + 45 + 4.8) / 2
    # = 70 arrive, some chats end in the bot; 20 or fewer would be a quiet simulator).
    six = _at("2026-11-30T06:00")
    events = list(simulate(default_config(start=six, on_duty_hours=always), six + 1800))
    offered = [e for e in events if isinstance(e, ContactEvent) and e.kind is ContactKind.OFFERED]
    assert len(offered) > 20
    # The workday shape alone (before) offers nobody then.
    quiet = simulate(default_config(start=six), six + 1800)
    assert [e for e in quiet if isinstance(e, ContactEvent)] == []


@pytest.mark.integration
def test_always_on_duty_at_0630_the_demo_shows_kpis_at_once(
    tmp_path: Path, child_wall_clock: Callable[[float], None]
) -> None:
    # The wall clock set to Monday 2026-11-30 06:30 in Rome (as above) and a calendar on
    # duty around the clock: the demo starts now (no demo note), and at 06:30 the simulator's
    # hour of backfill already holds contacts, so kpi_value shows within seconds.
    child_wall_clock(_at("2026-11-30T06:30"))
    targets = copy_example_targets(tmp_path / "targets")
    (targets / "calendar.yaml").write_text(ALWAYS_ON, encoding="utf-8")
    metrics, admin = free_port(), free_port()
    process = Process(serve_command(metrics, admin), cwd=tmp_path)
    try:
        lines = [process.read_line(30) for _ in range(3)]
        assert lines[2] == "Targets: targets\n"
        wanted = 'kpi_value{channel="voice",kpi="service_level_ratio",level="channel"}'

        def kpis() -> str | None:
            body = http_get(f"http://127.0.0.1:{metrics}/metrics")[1]
            return body if wanted in body else None

        wait_for("kpi_value at 06:30", kpis, timeout=20)
    finally:
        assert process.stop() == 0, process.stderr
