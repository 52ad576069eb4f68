"""What-if scoring: a proposed target judged on past closed hours, beside the one in force. Pure.

Given each closed hour's value per scope of one KPI (``HourValue``: the value and sample size
``kpi_last_period_value`` / ``kpi_value`` had at the hour's last instant) and the hours of a window,
``compare`` judges every hour of every scope twice, with the proposed target put into the target
set in force (replacing the one of the same KPI and scope) and with the set as it is, by the SAME
rule as the live closed periods (``exporter.targets.periods``: the target in force at the hour's
last on-duty minute, through the same resolver and calendar; off-duty hours and closed dates are
not judged; a date exception's own value judges its date; low volume below the KPI's alert
minimum). Only the hours the scored target itself judges count: an hour that a more specific
target judges, or that no target judges, is the other target's or nobody's. The series scored
are those at the target's own level (a channel target's channel series, not each queue's), as
the admin page's attainment counts them (``exporter.attainment``); several such series (a queue
on two channels) add up. "Judged" are the hours met or missed; low volume and no data are
counted beside them.

Per schedule row (the row in force at the judging minute; a date exception's value is a row of
its own) and in total: judged hours by result (met, missed, low volume, no data) and the share
met of the hours met or missed. A week grid (weekday x local hour) gives the share met per cell.
Per schedule row, the suggested value is the one that would have been met in ``share`` of that
row's hours met or missed (their values, the ``share`` quantile from the achieving side), rounded
as the KPI is shown (``presentation.decimals``) towards the side that keeps it met: down for
``or_more``, up for ``or_less``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from exporter import presentation
from exporter.catalog import Unit, find, level_of
from exporter.engine.clock import LocalHours
from exporter.scope import Scope
from exporter.targets.display import schedule_on_screen
from exporter.targets.model import Quantifier, ResolvedTarget, Target, TargetSet
from exporter.targets.periods import PeriodJudge, PeriodResult, judging_instants, result_of
from exporter.targets.resolve import CALENDAR_FILE, is_on_duty
from exporter.targets.resolve import _schedule_source as schedule_source  # its own words

DEFAULT_SHARE = 0.8
DAYS_IN_WEEK = 7
HOURS_IN_DAY = 24


@dataclass(frozen=True, slots=True)
class HourValue:
    """A closed hour's value of one scope and the contacts it was computed from (None: unknown)."""

    value: float | None
    sample_size: float | None = None


# scope -> the hour's start (UTC seconds) -> its value; an hour missing for a scope had no value.
History = Mapping[Scope, Mapping[float, HourValue]]


@dataclass(slots=True)
class Tally:
    """Judged hours by result."""

    met: int = 0
    missed: int = 0
    low_volume: int = 0
    no_data: int = 0

    def add(self, result: PeriodResult) -> None:
        name = str(result)
        setattr(self, name, getattr(self, name) + 1)

    @property
    def judged(self) -> int:
        """Met or missed (as the admin page's "met 18 of 24 judged hours" counts them)."""
        return self.met + self.missed

    @property
    def met_share(self) -> float | None:
        """Met of the judged hours; None when none was."""
        return self.met / self.judged if self.judged else None

    def as_dict(self) -> dict[str, object]:
        return {
            "judged": self.judged,
            "met": self.met,
            "missed": self.missed,
            "low_volume": self.low_volume,
            "no_data": self.no_data,
            "met_share": self.met_share,
        }


@dataclass(slots=True)
class RowScore:
    """One schedule row (``index`` into the target's schedules), or a date exception's value
    (``index`` None, ``label`` its date and name)."""

    label: str
    index: int | None
    value: float | None  # the row's own value; an exception's as judged
    tally: Tally = field(default_factory=Tally)
    values: list[float] = field(default_factory=list)  # the values of the hours met or missed
    suggestion: float | None = None


@dataclass(slots=True)
class Score:
    """One target over the window's hours."""

    target: Target
    rows: list[RowScore]
    total: Tally = field(default_factory=Tally)
    # [weekday][local hour] -> met, met or missed
    grid: list[list[Tally]] = field(default_factory=lambda: _empty_grid())

    def grid_shares(self) -> list[list[float | None]]:
        return [[cell.met_share for cell in day] for day in self.grid]


@dataclass(frozen=True, slots=True)
class Comparison:
    """The proposed target and the one in force today (None: no target of that KPI and scope)."""

    proposed: Score
    today: Score | None
    share: float
    hours: int  # closed hours in the window


def hours_between(start: float, end: float, hours: LocalHours) -> list[tuple[float, float]]:
    """The local clock hours wholly inside ``[start, end)`` (UTC seconds), oldest first."""
    found: list[tuple[float, float]] = []
    at = hours.bounds(start)
    if at[0] < start:
        at = hours.bounds(at[1])
    while at[1] <= end:
        found.append(at)
        at = hours.bounds(at[1])
    return found


def with_target(target_set: TargetSet, target: Target) -> TargetSet:
    """``target_set`` with ``target`` in place of the one of the same KPI and scope (or added)."""
    others = [
        kept for kept in target_set.targets if (kept.kpi, kept.scope) != (target.kpi, target.scope)
    ]
    return TargetSet(targets=(*others, target), calendar=target_set.calendar)


def find_target(target_set: TargetSet, kpi: str, scope: Scope) -> Target | None:
    return next(
        (target for target in target_set.targets if (target.kpi, target.scope) == (kpi, scope)),
        None,
    )


def compare(
    proposed: Target,
    in_force: TargetSet,
    periods: Sequence[tuple[float, float]],
    history: History,
    share: float = DEFAULT_SHARE,
) -> Comparison:
    """The proposed target, and the one in force of its KPI and scope, over ``periods``."""
    today_target = find_target(in_force, proposed.kpi, proposed.scope)
    today = None if today_target is None else score(today_target, in_force, periods, history, share)
    return Comparison(
        proposed=score(proposed, with_target(in_force, proposed), periods, history, share),
        today=today,
        share=share,
        hours=len(periods),
    )


def compare_sets(
    proposed: Sequence[Target],
    proposed_set: TargetSet | None,
    in_force: TargetSet,
    periods: Sequence[tuple[float, float]],
    history: Mapping[str, History],
    share: float = DEFAULT_SHARE,
) -> list[Comparison]:
    """Each proposed target beside the one in force of its KPI and scope. ``proposed_set`` None:
    each is put into the set in force (``compare``); else they are the targets of that whole
    proposed set (its own calendar), judged within it. ``history`` is per KPI."""
    if proposed_set is None:
        return [
            compare(target, in_force, periods, history.get(target.kpi, {}), share)
            for target in proposed
        ]
    found = []
    proposed_judge, today_judge = Judge(proposed_set), Judge(in_force)
    for target in proposed:
        past = history.get(target.kpi, {})
        today_target = find_target(in_force, target.kpi, target.scope)
        today = (
            None
            if today_target is None
            else score(today_target, in_force, periods, past, share, today_judge)
        )
        found.append(
            Comparison(
                proposed=score(target, proposed_set, periods, past, share, proposed_judge),
                today=today,
                share=share,
                hours=len(periods),
            )
        )
    return found


def score(
    target: Target,
    target_set: TargetSet,
    periods: Iterable[tuple[float, float]],
    history: History,
    share: float = DEFAULT_SHARE,
    judge: Judge | None = None,
) -> Score:
    """``target`` (one of ``target_set``'s, by KPI and scope) judged on every hour and scope;
    ``judge``: the set's, shared by the targets of one set scored in turn."""
    if not 0.0 < share <= 1.0:
        raise ValueError(f"share {share!r} is not more than 0 and at most 1")
    if judge is None:
        judge = Judge(target_set)
    rows = [
        RowScore(schedule_on_screen(schedule), index, schedule.value)
        for index, schedule in enumerate(target.schedules)
    ]
    # The resolver's own words for each row (no two rows of a target are alike).
    row_of_source = {
        schedule_source(schedule, target.scope): rows[index]
        for index, schedule in enumerate(target.schedules)
    }
    exception_rows: dict[str, RowScore] = {}
    result = Score(target=target, rows=rows)
    minimum = _minimum(target.kpi)
    zone = target_set.calendar.timezone
    key = (target.kpi, target.scope)
    level = level_of(label for label, _ in target.scope)
    wanted = set(target.scope)
    scopes = [  # the series it may judge: at its level, with its scope's labels
        (scope, dict(scope), values)
        for scope, values in history.items()
        if level_of(label for label, _ in scope) == level and wanted <= set(scope)
    ]
    for start, end in periods:
        local = datetime.fromtimestamp(start, zone)
        cell = result.grid[local.weekday()][local.hour]
        hour_of = judge.hour(start, end, local)
        for scope, labels, values in scopes:
            judging = hour_of(target.kpi, scope, labels)
            if judging is None or (judging.kpi, judging.scope) != key:
                continue
            row = row_of_source.get(judging.source)
            if row is None:
                row = exception_rows.get(judging.source)
                if row is None:
                    row = exception_rows[judging.source] = _exception_row(
                        judging, target_set, local
                    )
            hour = values.get(start)
            value = None if hour is None else hour.value
            verdict = result_of(value, None if hour is None else hour.sample_size, judging, minimum)
            row.tally.add(verdict)
            result.total.add(verdict)
            if verdict in (PeriodResult.MET, PeriodResult.MISSED):
                cell.add(verdict)
                assert value is not None
                row.values.append(value)
    result.rows.extend(exception_rows.values())
    for row in result.rows:
        if row.index is not None:
            row.suggestion = suggest(row.values, target.quantifier, share, target.kpi)
    return result


_UNKNOWN = object()


class Judge:
    """The judging rule (``PeriodJudge``) for one target set over many hours and targets.

    Each hour's ``PeriodJudge`` is made once and shared by every target and scope scored. Its
    answers are kept per (weekday, local hour, KPI, scope) for ordinary hours: an hour of 3600 s
    starting on the clock hour, on a date that has no exception, after a date that has none. The
    resolver reads an instant's date only for its weekday and for those two dates' exceptions (a
    range past midnight spills from the day before), so such an hour of one week is judged as
    the same hour of any other: 90 days cost about a week's resolutions."""

    def __init__(self, target_set: TargetSet) -> None:
        self._target_set = target_set
        self._exceptions = target_set.calendar.exceptions
        self._kept: dict[tuple[int, int, str, Scope], ResolvedTarget | None] = {}
        self._periods: dict[tuple[float, float], PeriodJudge] = {}
        self._duty: dict[tuple[float, str | None, str | None], bool] = {}

    def hour(
        self, start: float, end: float, local: datetime
    ) -> Callable[[str, Scope, Mapping[str, str]], ResolvedTarget | None]:
        """``judged(kpi, scope, labels)`` for the hour ``[start, end)`` (``local``: its start)."""
        day = local.date()
        ordinary = (
            end - start == 3600.0
            and local.minute == local.second == local.microsecond == 0
            and day not in self._exceptions
            and day - timedelta(days=1) not in self._exceptions
        )
        weekday, clock_hour = local.weekday(), local.hour

        def judged(kpi: str, scope: Scope, labels: Mapping[str, str]) -> ResolvedTarget | None:
            key = (weekday, clock_hour, kpi, scope)
            if ordinary:
                kept = self._kept.get(key, _UNKNOWN)
                if kept is not _UNKNOWN:
                    return kept  # type: ignore[return-value]
            if not self._on_duty_in(start, end, labels):
                found = None  # no minute on duty: not judged (PeriodJudge would try all 60)
            else:
                found = self._judged(start, end, kpi, labels)
            if ordinary:
                self._kept[key] = found
            return found

        return judged

    def _on_duty_in(self, start: float, end: float, labels: Mapping[str, str]) -> bool:
        """Whether the series is on duty at some minute of the hour (operating hours and closed
        dates, the resolver's ``is_on_duty``), per hour and (queue, team)."""
        key = (start, *self._hours_key(labels))
        answer = self._duty.get(key)
        if answer is None:
            calendar = self._target_set.calendar
            answer = self._duty[key] = any(
                is_on_duty(calendar, datetime.fromtimestamp(at, UTC), labels)
                for at in judging_instants(start, end)
            )
        return answer

    def _hours_key(self, labels: Mapping[str, str]) -> tuple[str | None, str | None]:
        """Whose operating hours the series has (its queue's if set, else its team's, else the
        default: the resolver's order), so series with the same hours share their answers."""
        hours = self._target_set.calendar.operating_hours
        queue, team = labels.get("queue"), labels.get("team")
        if queue is not None and queue in hours.queues:
            return queue, None
        if team is not None and team in hours.teams:
            return None, team
        return None, None

    def _judged(
        self, start: float, end: float, kpi: str, labels: Mapping[str, str]
    ) -> ResolvedTarget | None:
        period = self._periods.get((start, end))
        if period is None:
            period = self._periods[(start, end)] = PeriodJudge(self._target_set, start, end)
        return period.target_for(kpi, labels)


def suggest(
    values: Sequence[float], quantifier: Quantifier, share: float, kpi: str
) -> float | None:
    """The value met by at least ``share`` of ``values`` (None: no value), rounded as ``kpi`` is
    shown, towards the achieving side."""
    if not values:
        return None
    ordered = sorted(values, reverse=quantifier is Quantifier.OR_MORE)
    needed = max(1, math.ceil(share * len(ordered) - 1e-9))
    return round_shown(ordered[needed - 1], kpi, down=quantifier is Quantifier.OR_MORE)


def round_shown(value: float, kpi: str, *, down: bool) -> float:
    """``value`` to the precision ``kpi`` is shown at (a ratio's in percent), down or up."""
    decimals = presentation.of(kpi).decimals
    if decimals is None:
        return value
    entry = find(kpi)
    if entry is not None and entry.unit is Unit.RATIO:
        decimals += 2  # shown in percent
    scaled = value * 10**decimals
    near = round(scaled)
    if math.isclose(scaled, near, abs_tol=1e-6):
        steps = near
    else:
        steps = math.floor(scaled) if down else math.ceil(scaled)
    return round(steps / 10**decimals, decimals)


def _empty_grid() -> list[list[Tally]]:
    return [[Tally() for _ in range(HOURS_IN_DAY)] for _ in range(DAYS_IN_WEEK)]


def _minimum(kpi: str) -> float | None:
    try:
        return presentation.of(kpi).min_sample_size
    except KeyError:
        return None


def _exception_row(judging: ResolvedTarget, target_set: TargetSet, local: datetime) -> RowScore:
    """The row of a date exception's own value (its source is the calendar's)."""
    exception = target_set.calendar.exceptions.get(local.date())
    label = (
        f"{exception.date.isoformat()} {exception.name}"
        if exception is not None and judging.source.startswith(f"{CALENDAR_FILE}:")
        else judging.source
    )
    return RowScore(label, None, judging.value)
