"""Which target is in force: DST, midnight crossing, holidays, special hours, scopes, duty hours.

Instants are written in UTC next to the local wall-clock time they are, so every expectation can be
checked by hand: Europe/Rome is UTC+1 (CET) in winter and UTC+2 (CEST) in summer, switching on
2026-03-29 at 02:00 CET -> 03:00 CEST and back on 2026-10-25 at 03:00 CEST -> 02:00 CET;
America/New_York is UTC-5 (EST) / UTC-4 (EDT), switching on 2026-03-08 at 02:00 EST -> 03:00 EDT
and back on 2026-11-01 at 02:00 EDT -> 01:00 EST.
"""

from __future__ import annotations

from datetime import UTC, datetime
from textwrap import dedent
from zoneinfo import ZoneInfo

import pytest

from exporter.targets.model import Quantifier, ResolvedTarget, TargetSet
from exporter.targets.parse import parse_texts
from exporter.targets.resolve import is_on_duty, resolve, specificity
from tests.presets import calendar_yaml, targets_yaml

ROME = ZoneInfo("Europe/Rome")


def target_set(targets: str, calendar: str) -> TargetSet:
    result = parse_texts(dedent(targets), dedent(calendar))
    assert result.problems == []
    assert result.target_set is not None
    return result.target_set


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def value_at(targets: TargetSet, at: datetime, kpi: str, **labels: str) -> float | None:
    found = resolve(targets, at).for_series(kpi, labels)
    return None if found is None else found.value


# --- DST: a 02:30-03:30 slot every day, at-all-times 0.5 otherwise -------------------------------

DST_TARGETS = targets_yaml("dst")


def dst_set(zone: str) -> TargetSet:
    return target_set(DST_TARGETS, f"timezone: {zone}\n")


@pytest.mark.parametrize(
    ("zone", "instant", "expected"),
    [
        # Rome, spring forward: 02:00-03:00 local does not exist on 2026-03-29
        ("Europe/Rome", "2026-03-29T00:59", 0.5),  # 01:59 CET
        ("Europe/Rome", "2026-03-29T01:00", 0.9),  # 03:00 CEST: in force from the jump
        ("Europe/Rome", "2026-03-29T01:29", 0.9),  # 03:29 CEST
        ("Europe/Rome", "2026-03-29T01:30", 0.5),  # 03:30 CEST: `to` is exclusive
        # Rome, fall back: 02:00-03:00 local happens twice on 2026-10-25
        ("Europe/Rome", "2026-10-25T00:29", 0.5),  # 02:29 CEST
        ("Europe/Rome", "2026-10-25T00:30", 0.9),  # 02:30 CEST, first time
        ("Europe/Rome", "2026-10-25T00:59", 0.9),  # 02:59 CEST
        ("Europe/Rome", "2026-10-25T01:00", 0.5),  # 02:00 CET, the repeat begins before 02:30
        ("Europe/Rome", "2026-10-25T01:30", 0.9),  # 02:30 CET, second time
        ("Europe/Rome", "2026-10-25T02:29", 0.9),  # 03:29 CET
        ("Europe/Rome", "2026-10-25T02:30", 0.5),  # 03:30 CET
        # New York, spring forward 2026-03-08
        ("America/New_York", "2026-03-08T06:59", 0.5),  # 01:59 EST
        ("America/New_York", "2026-03-08T07:00", 0.9),  # 03:00 EDT
        ("America/New_York", "2026-03-08T07:30", 0.5),  # 03:30 EDT
        # New York, fall back 2026-11-01: 01:00-02:00 twice, 02:30 once (EST)
        ("America/New_York", "2026-11-01T06:29", 0.5),  # 01:29 EDT
        ("America/New_York", "2026-11-01T07:29", 0.5),  # 02:29 EST
        ("America/New_York", "2026-11-01T07:30", 0.9),  # 02:30 EST
        ("America/New_York", "2026-11-01T08:29", 0.9),  # 03:29 EST
        ("America/New_York", "2026-11-01T08:30", 0.5),  # 03:30 EST
    ],
)
def test_wall_clock_slot_across_dst(zone: str, instant: str, expected: float) -> None:
    assert value_at(dst_set(zone), utc(instant), "service_level_ratio") == expected


@pytest.mark.parametrize(
    ("zone", "instant", "expected"),
    [
        # Sat 22:00-06:00 belongs to Saturday and covers Sunday morning; the DST night makes it
        # 7 real hours in spring and 9 in autumn, but its wall-clock ends stay put.
        ("Europe/Rome", "2026-03-28T20:59", 0.05),  # Sat 21:59 CET
        ("Europe/Rome", "2026-03-28T21:00", 0.02),  # Sat 22:00 CET
        ("Europe/Rome", "2026-03-29T03:59", 0.02),  # Sun 05:59 CEST
        ("Europe/Rome", "2026-03-29T04:00", 0.05),  # Sun 06:00 CEST
        ("Europe/Rome", "2026-03-29T21:00", 0.05),  # Sun 23:00 CEST: Sunday is not in days
        ("America/New_York", "2026-11-01T05:30", 0.02),  # Sun 01:30 EDT
        ("America/New_York", "2026-11-01T06:30", 0.02),  # Sun 01:30 EST, the repeat
        ("America/New_York", "2026-11-01T10:59", 0.02),  # Sun 05:59 EST
        ("America/New_York", "2026-11-01T11:00", 0.05),  # Sun 06:00 EST
        ("America/New_York", "2026-11-02T04:00", 0.05),  # Sun 23:00 EST
    ],
)
def test_midnight_crossing_slot_across_a_dst_night(
    zone: str, instant: str, expected: float
) -> None:
    assert value_at(dst_set(zone), utc(instant), "abandonment_ratio") == expected


def test_midnight_crossing_slot_belongs_to_the_day_it_starts_on() -> None:
    targets = target_set(
        """\
        targets:
          - kpi: abandonment_ratio
            quantifier: or_less
            schedules:
              - value: 0.05
              - {days: [mon], from: "22:00", to: "06:00", value: 0.03}
        """,
        "timezone: Europe/Rome\n",
    )
    # 2026-03-02 is a Monday; Rome is UTC+1 then
    expected = {
        "2026-03-02T02:00": 0.05,  # Mon 03:00: the slot of Sunday night would be needed
        "2026-03-02T20:59": 0.05,  # Mon 21:59
        "2026-03-02T21:00": 0.03,  # Mon 22:00
        "2026-03-03T02:00": 0.03,  # Tue 03:00, still Monday's slot
        "2026-03-03T04:59": 0.03,  # Tue 05:59
        "2026-03-03T05:00": 0.05,  # Tue 06:00
        "2026-03-03T21:00": 0.05,  # Tue 22:00
    }
    actual = {instant: value_at(targets, utc(instant), "abandonment_ratio") for instant in expected}
    assert actual == expected


# --- calendar: operating hours, holidays, special hours, exception values ------------------------

ROME_TARGETS = targets_yaml("voice_sl_weekdays")

ROME_CALENDAR = calendar_yaml("rome_hours")


@pytest.mark.parametrize(
    ("local", "expected_value", "expected_source"),
    [
        # Wed 2026-12-23, an ordinary weekday (Rome is UTC+1 in December)
        ("2026-12-23T07:59", None, None),  # before opening
        ("2026-12-23T08:00", 0.80, "targets.yaml:6 schedule at all times, scope channel=voice"),
        (
            "2026-12-23T09:00",
            0.85,
            "targets.yaml:7 schedule mon-fri 09:00-17:00, scope channel=voice",
        ),
        ("2026-12-23T19:59", 0.80, "targets.yaml:6 schedule at all times, scope channel=voice"),
        ("2026-12-23T20:00", None, None),  # closing time is exclusive
        # Thu 2026-12-24: special hours 08:00-13:00 and an exception value beating the 09-17 slot
        (
            "2026-12-24T10:00",
            0.70,
            "calendar.yaml:11 exception 2026-12-24 Christmas Eve, scope channel=voice",
        ),
        (
            "2026-12-24T08:00",
            0.70,
            "calendar.yaml:11 exception 2026-12-24 Christmas Eve, scope channel=voice",
        ),
        ("2026-12-24T13:00", None, None),  # special hours replace the weekly 08:00-20:00
        # Fri 2026-12-25: closed all day
        ("2026-12-25T10:00", None, None),
        # Sat 2026-12-26: weekend hours, no weekday slot
        ("2026-12-26T09:30", 0.80, "targets.yaml:6 schedule at all times, scope channel=voice"),
        ("2026-12-26T13:00", None, None),
        # Sun 2026-12-27: not listed, off duty
        ("2026-12-27T10:00", None, None),
    ],
)
def test_calendar_decides_when_a_target_is_in_force(
    local: str, expected_value: float | None, expected_source: str | None
) -> None:
    targets = target_set(ROME_TARGETS, ROME_CALENDAR)
    at = datetime.fromisoformat(local).replace(tzinfo=ROME)
    found = resolve(targets, at).for_series(
        "service_level_ratio", {"channel": "voice", "queue": "q1"}
    )
    if expected_value is None:
        assert found is None
    else:
        assert found == ResolvedTarget(
            "service_level_ratio",
            (("channel", "voice"),),
            expected_value,
            Quantifier.OR_MORE,
            expected_source or "",
        )


@pytest.mark.parametrize(
    ("local", "labels", "on_duty"),
    [
        ("2026-12-23T23:00", {"team": "night"}, True),  # Wed 23:00 in the night shift
        ("2026-12-23T10:00", {"team": "night"}, False),  # team hours replace the default
        ("2026-12-23T10:00", {"team": "day"}, True),  # a team without hours: the default
        ("2026-12-22T03:00", {"team": "night"}, True),  # Tue 03:00: Monday's shift spills over
        ("2026-12-27T03:00", {"team": "night"}, True),  # Sun 03:00: Saturday's shift
        ("2026-12-27T03:00", {"queue": "vip"}, True),  # a queue on duty around the clock
        ("2026-12-23T10:00", {"queue": "vip", "team": "night"}, True),  # queue beats team
        ("2026-12-23T23:00", {"queue": "sales", "team": "night"}, True),  # queue without hours
        ("2026-12-27T03:00", {"queue": "sales"}, False),  # default hours: Sunday is off
        ("2026-12-27T03:00", {}, False),
        # Christmas Eve special hours 08:00-13:00 replace everybody's hours, night shift included;
        # the night shift of Wed 23rd still spills into the 24th until 06:00
        ("2026-12-24T03:00", {"team": "night"}, True),
        ("2026-12-24T22:00", {"team": "night"}, False),
        ("2026-12-24T10:00", {"queue": "vip"}, True),
        ("2026-12-24T14:00", {"queue": "vip"}, False),
        # Christmas is closed for everybody, even what spills from the 24th or the vip queue
        ("2026-12-25T03:00", {"team": "night"}, False),
        ("2026-12-25T03:00", {"queue": "vip"}, False),
    ],
)
def test_operating_hours_per_team_and_queue(
    local: str, labels: dict[str, str], on_duty: bool
) -> None:
    targets = target_set(ROME_TARGETS, ROME_CALENDAR)
    at = datetime.fromisoformat(local).replace(tzinfo=ROME)
    assert is_on_duty(targets.calendar, at, labels) is on_duty
    found = resolve(targets, at).for_series("average_handle_time_seconds", labels)
    assert (found is not None) is on_duty  # the at-all-times 300 s target, only while on duty


def test_no_operating_hours_means_always_on_duty_except_closed_dates() -> None:
    targets = target_set(
        ROME_TARGETS,
        """\
        timezone: Europe/Rome
        exceptions:
          - {date: 2026-12-25, name: Christmas, closed: true}
          - {date: 2026-12-31, name: New Year's Eve, hours: "00:00-18:00"}
        """,
    )
    sunday_night = datetime(2026, 12, 27, 3, 0, tzinfo=ROME)
    assert value_at(targets, sunday_night, "average_handle_time_seconds") == 300
    assert (
        value_at(targets, datetime(2026, 12, 25, 12, tzinfo=ROME), "average_handle_time_seconds")
        is None
    )
    assert (
        value_at(
            targets, datetime(2026, 12, 31, 17, 59, tzinfo=ROME), "average_handle_time_seconds"
        )
        == 300
    )
    assert (
        value_at(targets, datetime(2026, 12, 31, 18, 0, tzinfo=ROME), "average_handle_time_seconds")
        is None
    )


# --- scope precedence and fall-through -----------------------------------------------------------

SCOPED_TARGETS = targets_yaml("scoped")

WEDNESDAY_10 = datetime(2026, 12, 23, 10, 0, tzinfo=ROME)
WEDNESDAY_18 = datetime(2026, 12, 23, 18, 0, tzinfo=ROME)
SATURDAY_10 = datetime(2026, 12, 26, 10, 0, tzinfo=ROME)


@pytest.mark.parametrize(
    ("at", "labels", "expected_scope", "expected_value"),
    [
        # queue+channel is only in force on Saturdays: on Wednesday it falls through to the queue
        # target (one label, and queue is more specific than channel)
        (WEDNESDAY_10, {"queue": "sales", "channel": "voice"}, {"queue": "sales"}, 0.90),
        # ... and after 17:00 the queue target is not in force either: on to channel=voice
        (WEDNESDAY_18, {"queue": "sales", "channel": "voice"}, {"channel": "voice"}, 0.80),
        (
            SATURDAY_10,
            {"queue": "sales", "channel": "voice"},
            {"queue": "sales", "channel": "voice"},
            0.60,
        ),
        (WEDNESDAY_10, {"queue": "sales", "channel": "chat"}, {"queue": "sales"}, 0.90),
        (WEDNESDAY_10, {"queue": "support", "channel": "chat"}, {}, 0.75),
        (WEDNESDAY_10, {"queue": "support", "channel": "voice"}, {"channel": "voice"}, 0.80),
        (WEDNESDAY_10, {"channel": "voice"}, {"channel": "voice"}, 0.80),
        (WEDNESDAY_10, {}, {}, 0.75),
    ],
)
def test_most_specific_scope_in_force_wins(
    at: datetime, labels: dict[str, str], expected_scope: dict[str, str], expected_value: float
) -> None:
    targets = target_set(SCOPED_TARGETS, calendar_yaml("rome"))
    found = resolve(targets, at).for_series("service_level_ratio", labels)
    assert found is not None
    assert (dict(found.scope), found.value) == (expected_scope, expected_value)


def test_a_series_of_another_kpi_gets_nothing() -> None:
    targets = target_set(SCOPED_TARGETS, calendar_yaml("rome"))
    assert (
        resolve(targets, WEDNESDAY_10).for_series("abandonment_ratio", {"channel": "voice"}) is None
    )


def test_specificity_orders_by_label_count_then_scope_labels_order() -> None:
    scopes = [
        (("channel", "x"),),
        (("team", "x"),),
        (),
        (("agent", "x"),),
        (("channel", "x"), ("queue", "x")),
        (("campaign", "x"),),
        (("queue", "x"),),
        (("agent", "x"), ("team", "x")),
    ]
    ordered = sorted(scopes, key=specificity)
    assert [tuple(label for label, _ in scope) for scope in ordered] == [
        ("agent", "team"),  # ranks (0, 2) before (1, 4)
        ("channel", "queue"),
        ("agent",),
        ("queue",),
        ("team",),
        ("campaign",),
        ("channel",),
        (),
    ]


def test_all_lists_each_target_in_force_at_its_own_scope_sorted() -> None:
    targets = target_set(SCOPED_TARGETS, calendar_yaml("rome"))
    assert [target.as_dict() for target in resolve(targets, WEDNESDAY_10).all()] == [
        {
            "kpi": "service_level_ratio",
            "scope": {},
            "value": 0.75,
            "quantifier": "or_more",
            "source": "targets.yaml:4 schedule at all times, no scope",
        },
        {
            "kpi": "service_level_ratio",
            "scope": {"channel": "voice"},
            "value": 0.80,
            "quantifier": "or_more",
            "source": "targets.yaml:8 schedule at all times, scope channel=voice",
        },
        {
            "kpi": "service_level_ratio",
            "scope": {"queue": "sales"},
            "value": 0.90,
            "quantifier": "or_more",
            "source": "targets.yaml:12 schedule mon-fri 09:00-17:00, scope queue=sales",
        },
    ]


def test_all_judges_operating_hours_for_each_target_scope() -> None:
    targets = target_set(
        """\
        targets:
          - kpi: team_average_handle_time_seconds
            scope: {team: night}
            quantifier: or_less
            schedules: [{value: 360}]
          - kpi: team_average_handle_time_seconds
            scope: {team: day}
            quantifier: or_less
            schedules: [{value: 300}]
        """,
        """\
        timezone: Europe/Rome
        operating_hours:
          default: {mon-fri: "08:00-20:00"}
          teams: {night: {mon-sun: "22:00-06:00"}}
        """,
    )
    at = datetime(2026, 12, 23, 23, 0, tzinfo=ROME)  # Wed 23:00: only the night team is on duty
    assert [(dict(target.scope), target.value) for target in resolve(targets, at).all()] == [
        ({"team": "night"}, 360.0)
    ]


def test_source_names_the_schedule_in_words() -> None:
    targets = target_set(
        """\
        targets:
          - kpi: abandonment_ratio
            quantifier: or_less
            schedules:
              - {days: [sat, sun], value: 0.06}
              - {from: "22:00", to: "24:00", days: [mon, wed, fri], value: 0.04}
        """,
        "timezone: Europe/Rome\n",
    )
    weekend = resolve(targets, SATURDAY_10).all()
    evening = resolve(targets, datetime(2026, 12, 23, 23, 0, tzinfo=ROME)).all()
    assert [target.source for target in weekend + evening] == [
        "targets.yaml:5 schedule sat,sun all day, no scope",
        "targets.yaml:6 schedule mon,wed,fri 22:00-24:00, no scope",
    ]


def test_resolve_refuses_an_instant_without_offset() -> None:
    targets = target_set(SCOPED_TARGETS, calendar_yaml("rome"))
    with pytest.raises(ValueError, match="no time zone offset"):
        resolve(targets, datetime(2026, 12, 23, 10, 0))
