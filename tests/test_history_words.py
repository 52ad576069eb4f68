"""The history's words (``exporter.targets.history_words``): a target or calendar change as the
history page says it, exact strings, with the parts marked changed in [brackets]."""

from __future__ import annotations

from datetime import time
from typing import Any

from exporter import catalog
from exporter.targets.history_words import (
    Change,
    calendar_changes,
    summary,
    target_changes,
    text_changes,
)
from exporter.targets.model import Quantifier, Schedule, Target, TimeRange

SERVICE_LEVEL = catalog.get("service_level_ratio")
WEEKDAYS = Schedule(0.85, frozenset(range(5)), TimeRange(time(9), time(17)))
EVE = {
    "date": "2026-12-24",
    "name": "Christmas Eve",
    "hours": "08:00-13:00",
    "values": [{"kpi": "service_level_ratio", "scope": {"channel": "voice"}, "value": 0.7}],
}
CALENDAR: dict[str, Any] = {
    "timezone": "Europe/Rome",
    "operating_hours": {"default": {"mon-fri": "08:00-20:00", "sat": "09:00-13:00"}},
    "exceptions": [EVE, {"date": "2026-12-25", "name": "Christmas", "closed": True}],
}


def shown(change: Change) -> tuple[str, str, str, str]:
    def side(parts: Any) -> str:
        return "".join(f"[{p.text}]" if p.changed else p.text for p in parts)

    return change.kind, change.words, side(change.before), side(change.after)


def with_changes(**changes: Any) -> dict[str, Any]:
    return {**CALENDAR, **changes}


def test_the_issues_example_an_exceptions_hours_and_value() -> None:
    shorter = {**EVE, "hours": "08:00-12:00", "values": [{**EVE["values"][0], "value": 0.65}]}
    after = with_changes(exceptions=[shorter, CALENDAR["exceptions"][1]])
    assert [shown(c) for c in calendar_changes(CALENDAR, after)] == [
        (
            "changed",
            "Exception 2026-12-24 Christmas Eve: hours 08:00-13:00 -> 08:00-12:00; "
            "service level (channel voice) 70 % -> 65 %",
            "Exception 2026-12-24 Christmas Eve: [hours 08:00-13:00]; "
            "[service level (channel voice) 70 %]",
            "Exception 2026-12-24 Christmas Eve: [hours 08:00-12:00]; "
            "[service level (channel voice) 65 %]",
        )
    ]


def test_a_closed_day_opened_an_exception_removed_and_one_added() -> None:
    opened = {"date": "2026-12-25", "name": "Christmas", "hours": ["09:00-12:00", "15:00-17:00"]}
    epiphany = {"date": "2027-01-06", "name": "Epiphany", "closed": True}
    after = with_changes(exceptions=[opened, epiphany])
    assert [shown(c) for c in calendar_changes(CALENDAR, after)] == [
        (
            "removed",
            "Exception 2026-12-24 Christmas Eve: hours 08:00-13:00; "
            "service level (channel voice) 70 % removed",
            "[Exception 2026-12-24 Christmas Eve: hours 08:00-13:00; "
            "service level (channel voice) 70 %]",
            "",
        ),
        (
            "changed",
            "Exception 2026-12-25 Christmas: closed -> hours 09:00-12:00, 15:00-17:00",
            "Exception 2026-12-25 Christmas: [closed]",
            "Exception 2026-12-25 Christmas: [hours 09:00-12:00, 15:00-17:00]",
        ),
        (
            "added",
            "Exception 2027-01-06 Epiphany: closed added",
            "",
            "[Exception 2027-01-06 Epiphany: closed]",
        ),
    ]


def test_weekly_hours_are_said_by_runs_of_days_whatever_the_keys() -> None:
    week = {"mon-thu": "08:00-20:00", "fri": "08:00-18:00", "sat,sun": "09:00-13:00"}
    after = with_changes(
        operating_hours={"default": week, "teams": {"night": {"mon-sun": "22:00-06:00"}}}
    )
    changes = calendar_changes(CALENDAR, after)
    assert [shown(c) for c in changes] == [
        (
            "changed",
            "Operating hours (everyone): Fri 08:00-20:00 -> 08:00-18:00; Sun closed -> 09:00-13:00",
            "Operating hours (everyone): [Mon-Fri 08:00-20:00]; Sat 09:00-13:00; [Sun closed]",
            "Operating hours (everyone): Mon-Thu 08:00-20:00; [Fri 08:00-18:00]; "
            "[Sat, Sun 09:00-13:00]",
        ),
        (
            "added",
            "Operating hours (team night): Mon-Sun 22:00-06:00 added",
            "",
            "[Operating hours (team night): Mon-Sun 22:00-06:00]",
        ),
    ]
    assert summary(changes) == (
        "Operating hours (everyone): Fri 08:00-20:00 -> 08:00-18:00; Sun closed -> 09:00-13:00; "
        "Operating hours (team night): Mon-Sun 22:00-06:00 added"
    )


def test_the_time_zone_and_hours_removed_around_the_clock() -> None:
    after = {"timezone": "Europe/Paris", "exceptions": CALENDAR["exceptions"]}
    assert [c.words for c in calendar_changes(CALENDAR, after)] == [
        "Time zone: Europe/Rome -> Europe/Paris",
        "Operating hours (everyone): Mon-Fri 08:00-20:00; Sat 09:00-13:00; Sun closed removed",
        "Operating hours: around the clock added",
    ]
    assert calendar_changes(CALENDAR, dict(CALENDAR)) == []


def test_an_unreadable_part_of_the_calendar_is_shown_as_written() -> None:
    after = with_changes(operating_hours={"default": {"someday": "08:00-20:00"}})
    [change] = calendar_changes(CALENDAR, after)
    assert shown(change) == (
        "changed",
        "Operating hours (everyone): Mon-Fri 08:00-20:00; Sat 09:00-13:00; Sun closed -> "
        "{someday: '08:00-20:00'}",
        "Operating hours (everyone): [Mon-Fri 08:00-20:00]; [Sat 09:00-13:00]; [Sun closed]",
        "Operating hours (everyone): [{someday: '08:00-20:00'}]",
    )


def test_a_target_compares_schedule_by_schedule_unchanged_ones_kept() -> None:
    before = Target("service_level_ratio", Quantifier.OR_MORE, (Schedule(0.8), WEEKDAYS))
    after = Target("service_level_ratio", Quantifier.OR_MORE, (Schedule(0.82), WEEKDAYS))
    changes = target_changes(before, after, SERVICE_LEVEL)
    assert [shown(c) for c in changes] == [
        (
            "changed",
            "At all times: 80 % or more -> 82 % or more",
            "[80 % or more], At all times",
            "[82 % or more], At all times",
        ),
        (
            "same",
            "",
            "85 % or more, Mon-Fri 09:00-17:00",
            "85 % or more, Mon-Fri 09:00-17:00",
        ),
    ]
    assert summary(changes) == "At all times: 80 % or more -> 82 % or more"


def test_a_new_target_a_deleted_one_and_a_quantifier_turned_around() -> None:
    target = Target("service_level_ratio", Quantifier.OR_MORE, (Schedule(0.8),))
    [added] = target_changes(None, target, SERVICE_LEVEL)
    assert shown(added) == (
        "added",
        "80 % or more, At all times added",
        "",
        "[80 % or more, At all times]",
    )
    [removed] = target_changes(target, None, SERVICE_LEVEL)
    assert removed.words == "80 % or more, At all times removed"
    less = Target("service_level_ratio", Quantifier.OR_LESS, (Schedule(0.8),))
    [turned] = target_changes(target, less, SERVICE_LEVEL)
    assert turned.words == "At all times: 80 % or more -> 80 % or less"


def test_texts_that_are_no_target_are_compared_whole() -> None:
    [change] = text_changes("{kpi: gone}", "Not set")
    assert shown(change) == ("changed", "{kpi: gone} -> Not set", "[{kpi: gone}]", "[Not set]")
