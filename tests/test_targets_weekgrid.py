"""The week grid and its "next change", worked out by hand for a small calendar."""

from __future__ import annotations

from datetime import date, datetime, time

from exporter.targets.parse import parse_texts
from exporter.targets.resolve import resolve
from exporter.targets.weekgrid import next_change, state_at, week_grid
from tests.conftest import ROME
from tests.presets import calendar_yaml, targets_yaml

TARGETS = targets_yaml("weekgrid")
# Mon-Fri 08:00-20:00, Sat 09:00-13:00, closed on Christmas Day.
CALENDAR = calendar_yaml("admin")
VOICE = {"channel": "voice"}


def target_set():  # type: ignore[no-untyped-def]
    result = parse_texts(TARGETS, CALENDAR)
    assert result.target_set is not None, result.problems
    return result.target_set


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=ROME)


def test_each_state_in_words() -> None:
    targets = target_set()
    assert state_at(targets, "service_level_ratio", VOICE, at(21, 10)).words == "85 %"
    assert state_at(targets, "service_level_ratio", VOICE, at(21, 17)).words == "80 %"
    assert state_at(targets, "service_level_ratio", VOICE, at(21, 20)).words == "off duty"
    assert state_at(targets, "service_level_ratio", VOICE, at(25, 10)).words == "closed: Christmas"
    assert state_at(targets, "service_level_ratio", {"channel": "chat"}, at(21, 10)).words == (
        "not set"
    )


def test_the_grid_asks_the_exporters_resolver_for_every_half_hour() -> None:
    targets = target_set()
    grid = week_grid(targets, "service_level_ratio", VOICE, at(21, 10, 7))
    assert grid.days == [date(2026, 12, day) for day in range(21, 28)]
    assert len(grid.times) == 48 and grid.times[19] == time(9, 30)
    assert grid.now.words == "85 %"
    for (day, clock), cell in grid.cells.items():
        instant = datetime.combine(day, clock, tzinfo=ROME)
        resolved = resolve(targets, instant).for_series("service_level_ratio", VOICE)
        if resolved is not None:
            assert cell.words == f"{round(resolved.value * 100)} %"
            assert cell.source == resolved.source
        else:
            assert cell.kind in ("off", "closed")
    saturday = [grid.cells[(date(2026, 12, 26), time(h, m))].words for h in (8, 9, 12, 13)
                for m in (30,)]  # fmt: skip
    assert saturday == ["off duty", "80 %", "80 %", "off duty"]


def test_the_next_change_in_words() -> None:
    targets = target_set()
    change = next_change
    assert (
        change(targets, "service_level_ratio", VOICE, at(21, 10)) == "85 % until 17:00, then 80 %"
    )
    assert change(targets, "service_level_ratio", VOICE, at(21, 18)) == (
        "80 % until 20:00, then off duty"
    )
    assert change(targets, "service_level_ratio", VOICE, at(24, 21)) == (
        "off duty until Fri 25 Dec 00:00, then closed: Christmas"
    )
    assert change(targets, "service_level_ratio", VOICE, at(26, 14)) == (
        "off duty until Mon 28 Dec 08:00, then 80 %"
    )
    assert change(targets, "service_level_ratio", {"channel": "chat"}, at(21, 10)) == (
        "not set until 20:00, then off duty"
    )
