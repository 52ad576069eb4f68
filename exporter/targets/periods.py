"""Closed periods: which target judges a period that has ended, and what the verdict is. Pure logic.

The same rule judges a closed hour live (``/metrics``: ``kpi_last_period_*`` and
``kpi_target_periods_total``), in backfill (the same collector at past instants) and in the
what-if (scoring a proposed target on past hours); README "Closed periods".

**The judging rule.** A period ``[start, end)`` of a series is judged by the target in force for
that series at the *latest minute of the period at which one is in force*, resolved exactly like
``kpi_target`` (scope precedence, schedules, operating hours, date exceptions and their values, in
the calendar's time zone). So:

- an hour split by a schedule boundary (08:00-08:30 at 82 %, 08:30-09:00 at 85 %) is judged by the
  later schedule, 85 %: the target the hour's value was compared with when the hour ended, what
  ``kpi_target_met`` said at the period's last scrape;
- an hour only partly on duty (operating hours ending at 16:30) is judged by the target in force
  at its last on-duty minute (16:29), against the whole hour's value;
- an hour with no minute on duty (off duty, a closed holiday) or no target set is not judged: it
  is counted nowhere and publishes no ``kpi_last_period_*`` series.

Targets and operating hours change only on whole minutes of the wall clock (``HH:MM``), so
looking at the start of each minute, latest first, finds that target exactly. Hours that a DST
change stretches or shortens are their real length: the minutes are counted in UTC.

**The verdict** (``result_of``) of a judged period, in this order: ``no_data`` when the period has
no value (nobody contacted that scope, or the value is undefined); ``low_volume`` when its sample
is smaller than the KPI's alert minimum (``exporter.presentation``, the same guard as the breach
alerts); else ``met`` when the value achieves the target (equality is achieved) and ``missed``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Protocol

from exporter import names
from exporter.catalog import CATALOG, Kpi, Period
from exporter.targets.model import ResolvedTarget, TargetSet
from exporter.targets.resolve import resolve

_MINUTE = 60.0


class PeriodResult(enum.StrEnum):
    """The ``result`` label of ``kpi_target_periods_total`` (``names.PERIOD_RESULTS``)."""

    MET = "met"
    MISSED = "missed"
    LOW_VOLUME = "low_volume"
    NO_DATA = "no_data"


assert tuple(PeriodResult) == names.PERIOD_RESULTS


class SeriesTargets(Protocol):
    """What judging needs of ``exporter.targets.resolve.Resolution``."""

    def for_series(self, kpi: str, labels: Mapping[str, str]) -> ResolvedTarget | None: ...


Resolver = Callable[[TargetSet, datetime], SeriesTargets]


def periods_judged(catalog: Iterable[Kpi] = CATALOG) -> tuple[Kpi, ...]:
    """The KPIs whose closed periods are judged and counted: Hourly ones eligible for targets."""
    return tuple(kpi for kpi in catalog if kpi.eligible and kpi.period is Period.HOURLY)


def judging_instants(start: float, end: float) -> Iterator[float]:
    """The start of each minute of ``[start, end)`` (Unix seconds), latest first."""
    at = start + ((end - start - 1e-9) // _MINUTE) * _MINUTE
    while at >= start:
        yield at
        at -= _MINUTE


class PeriodJudge:
    """The judging rule for one period and one target set: ``target_for(kpi, labels)``.

    Each minute's resolution is made once, when some series first needs it (most series find
    their target at the period's last minute), and shared by every series of the period."""

    def __init__(
        self, target_set: TargetSet, start: float, end: float, resolver: Resolver = resolve
    ) -> None:
        self.start, self.end = start, end
        self._target_set = target_set
        self._resolver = resolver
        self._instants = judging_instants(start, end)
        self._resolutions: list[SeriesTargets] = []
        self._kpis = frozenset(target.kpi for target in target_set.targets)

    def target_for(self, kpi: str, labels: Mapping[str, str]) -> ResolvedTarget | None:
        """The target that judges the period of ``kpi``'s series with ``labels``, or None when
        the period is not judged (no target set, or none in force at any of its minutes)."""
        if kpi not in self._kpis:
            return None
        index = 0
        while True:
            if index == len(self._resolutions) and not self._resolve_next():
                return None
            found = self._resolutions[index].for_series(kpi, labels)
            if found is not None:
                return found
            index += 1

    def _resolve_next(self) -> bool:
        at = next(self._instants, None)
        if at is None:
            return False
        self._resolutions.append(self._resolver(self._target_set, datetime.fromtimestamp(at, UTC)))
        return True


def result_of(
    value: float | None,
    sample_size: float | None,
    target: ResolvedTarget,
    min_sample_size: float | None,
) -> PeriodResult:
    """The verdict on a judged period's ``value`` (None: no value) from ``sample_size`` contacts
    (answers, dials, ...; None where volume means nothing)."""
    if value is None or value != value:  # no sample, or NaN
        return PeriodResult.NO_DATA
    if min_sample_size is not None and sample_size is not None and sample_size < min_sample_size:
        return PeriodResult.LOW_VOLUME
    if target.quantifier.achieved(value, target.value):
        return PeriodResult.MET
    return PeriodResult.MISSED
