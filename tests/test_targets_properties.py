"""Properties of resolution over generated targets, calendars and instants (hypothesis).

- never two resolved targets for one KPI and scope;
- never a target while the series (or the target's own scope) is off duty;
- ``for_series`` agrees with a brute-force reading: the most specific matching target in force;
- a timed schedule is in force exactly in the minutes of the week ``week_intervals`` says;
- ``dump_targets`` -> ``parse_texts`` gives the same targets back.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.scope import Scope
from exporter.targets import daytime
from exporter.targets.model import (
    Calendar,
    DateException,
    OperatingHours,
    Quantifier,
    Schedule,
    Target,
    TargetSet,
    TimeRange,
)
from exporter.targets.parse import dump_targets, parse_texts
from exporter.targets.resolve import is_on_duty, resolve, specificity

ZONES = ("Europe/Rome", "America/New_York", "UTC", "Australia/Sydney")
KPIS = ("service_level_ratio", "abandonment_ratio", "average_handle_time_seconds")
LABEL_VALUES = {"queue": ("sales", "vip"), "channel": ("voice", "chat"), "team": ("night",)}
QUEUE_KPI_LABELS = ("queue", "channel")

times = st.builds(time, st.integers(0, 23), st.sampled_from((0, 15, 30, 45)))
day_sets = st.frozensets(st.integers(0, 6), min_size=1, max_size=7)
ranges = st.builds(TimeRange, times, times)
values = st.sampled_from((0.1, 0.25, 0.5, 0.8, 0.95))


@st.composite
def schedules(draw: st.DrawFn) -> tuple[Schedule, ...]:
    """Up to four timed schedules that do not overlap, and maybe an at-all-times one."""
    chosen: list[Schedule] = []
    covered: list[list[tuple[int, int]]] = []
    for _ in range(draw(st.integers(0, 4))):
        days = draw(st.none() | day_sets)
        hours = draw(ranges) if days is None else draw(st.none() | ranges)
        intervals = daytime.week_intervals(days, hours)
        if all(daytime.first_common_minute(intervals, other) is None for other in covered):
            chosen.append(Schedule(draw(values), days, hours))
            covered.append(intervals)
    if not chosen or draw(st.booleans()):
        chosen.insert(0, Schedule(draw(values)))
    return tuple(chosen)


@st.composite
def scopes(draw: st.DrawFn) -> Scope:
    labels = draw(st.sets(st.sampled_from(QUEUE_KPI_LABELS)))
    return tuple(sorted((label, draw(st.sampled_from(LABEL_VALUES[label]))) for label in labels))


@st.composite
def target_lists(draw: st.DrawFn) -> tuple[Target, ...]:
    targets: dict[tuple[str, Scope], Target] = {}
    for _ in range(draw(st.integers(0, 8))):
        kpi = draw(st.sampled_from(KPIS))
        scope = draw(scopes())
        quantifier = Quantifier.OR_MORE if kpi == "service_level_ratio" else Quantifier.OR_LESS
        targets.setdefault((kpi, scope), Target(kpi, quantifier, draw(schedules()), scope))
    return tuple(targets.values())


weekly_hours = st.dictionaries(
    st.integers(0, 6), st.lists(ranges, min_size=0, max_size=2).map(tuple), max_size=7
)
# Dates around both 2026 DST changes of the zones above, so the properties meet them often.
DATES = (
    *(date(2026, 3, 8), date(2026, 3, 29), date(2026, 4, 5), date(2026, 10, 4)),
    *(date(2026, 10, 25), date(2026, 11, 1), date(2026, 12, 24), date(2026, 12, 25)),
)
dates = st.sampled_from(DATES)


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    hours = OperatingHours(
        default=draw(st.none() | weekly_hours),
        teams=draw(st.dictionaries(st.just("night"), weekly_hours)),
        queues=draw(st.dictionaries(st.sampled_from(("sales", "vip")), weekly_hours)),
    )
    exceptions: dict[date, DateException] = {}
    for day in draw(st.sets(dates, max_size=3)):
        closed = draw(st.booleans())
        special = None if closed else draw(st.none() | st.lists(ranges, max_size=2).map(tuple))
        exceptions[day] = DateException(day, f"day {day}", closed, special)
    return Calendar(ZoneInfo(draw(st.sampled_from(ZONES))), hours, exceptions)


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    day = draw(dates)
    # a day and a half either side of midnight UTC, mostly on the quarter hours schedules use so
    # that boundaries (``from`` inclusive, ``to`` exclusive) are hit, sometimes a minute off
    minutes = draw(st.integers(-36 * 4, 36 * 4)) * 15 + draw(st.sampled_from((0, 0, 0, -1, 1)))
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minutes)


series_labels = st.fixed_dictionaries(
    {},
    optional={
        "queue": st.sampled_from(("sales", "vip", "other")),
        "channel": st.sampled_from(("voice", "chat")),
        "team": st.sampled_from(("night", "day")),
    },
)


@settings(max_examples=200, deadline=None)
@given(target_lists(), calendars(), instants(), st.lists(series_labels, max_size=6))
def test_one_target_per_kpi_and_scope_and_none_off_duty(
    targets: tuple[Target, ...],
    calendar: Calendar,
    at: datetime,
    labels_list: list[dict[str, str]],
) -> None:
    target_set = TargetSet(targets, calendar)
    resolution = resolve(target_set, at)
    resolved = resolution.all()
    keys = [(target.kpi, target.scope) for target in resolved]
    assert len(keys) == len(set(keys))
    for target in resolved:
        assert is_on_duty(calendar, at, dict(target.scope))
    for labels in labels_list:
        for kpi in KPIS:
            found = resolution.for_series(kpi, labels)
            if not is_on_duty(calendar, at, labels):
                assert found is None
            if found is not None:
                assert all(labels.get(label) == value for label, value in found.scope)


def _always_on_duty(calendar: Calendar) -> Calendar:
    return dataclasses.replace(calendar, operating_hours=OperatingHours(), exceptions={})


@settings(max_examples=200, deadline=None)
@given(target_lists(), calendars(), instants(), series_labels)
def test_for_series_is_the_most_specific_matching_target_in_force(
    targets: tuple[Target, ...], calendar: Calendar, at: datetime, labels: dict[str, str]
) -> None:
    # Brute force: every target in force regardless of duty hours, filtered by matching, sorted.
    # Exception values are dropped from the calendar so "in force" comes from schedules alone.
    always = resolve(TargetSet(targets, _always_on_duty(calendar)), at).all()
    calendar_without_values = dataclasses.replace(
        calendar,
        exceptions={
            day: dataclasses.replace(exception, values=())
            for day, exception in calendar.exceptions.items()
        },
    )
    resolution = resolve(TargetSet(targets, calendar_without_values), at)
    for kpi in KPIS:
        matching = [
            target
            for target in always
            if target.kpi == kpi and all(labels.get(k) == v for k, v in target.scope)
        ]
        expected = min(matching, key=lambda target: specificity(target.scope), default=None)
        if not is_on_duty(calendar, at, labels):
            expected = None
        assert resolution.for_series(kpi, labels) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.none() | day_sets,
    st.none() | ranges,
    st.sampled_from(ZONES),
    dates,
    st.sampled_from(("from", "to", "anywhere")),
    st.integers(0, daytime.MINUTES_PER_DAY - 1),
    st.sampled_from((0, 0, -1, 1)),
    st.sampled_from((0, 1)),
)
def test_timed_schedule_is_in_force_exactly_in_its_minutes_of_the_week(
    days: frozenset[int] | None,
    hours: TimeRange | None,
    zone: str,
    day: date,
    aim: str,
    anywhere: int,
    nudge: int,
    fold: int,
) -> None:
    if days is None and hours is None:
        hours = TimeRange(time(9), time(17))
    target = Target(
        "abandonment_ratio", Quantifier.OR_LESS, (Schedule(0.5), Schedule(0.1, days, hours))
    )
    calendar = Calendar(ZoneInfo(zone))
    # Aim at the schedule's boundaries (give or take a minute), in either fold of a repeated hour.
    if aim == "anywhere" or hours is None:
        clock = time(anywhere // 60, anywhere % 60)
    else:
        clock = hours.start if aim == "from" else hours.end
    wall = datetime.combine(day, clock) + timedelta(minutes=nudge)
    at = wall.replace(tzinfo=calendar.timezone, fold=fold).astimezone(UTC)
    local = at.astimezone(calendar.timezone)
    minute = local.weekday() * daytime.MINUTES_PER_DAY + local.hour * 60 + local.minute
    inside = any(start <= minute < end for start, end in daytime.week_intervals(days, hours))
    found = resolve(TargetSet((target,), calendar), at).for_series("abandonment_ratio", {})
    assert found is not None
    assert found.value == (0.1 if inside else 0.5)


@settings(max_examples=200, deadline=None)
@given(target_lists())
def test_dump_then_parse_gives_the_same_targets(targets: tuple[Target, ...]) -> None:
    result = parse_texts(dump_targets(targets), "timezone: UTC\n")
    assert result.errors == []
    assert result.target_set is not None
    stripped = tuple(
        dataclasses.replace(
            target,
            line=0,
            schedules=tuple(dataclasses.replace(schedule, line=0) for schedule in target.schedules),
        )
        for target in result.target_set.targets
    )
    assert stripped == targets
