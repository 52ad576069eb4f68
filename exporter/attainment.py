"""Attainment: how many closed hours met each target, from ``kpi_target_periods_total``. Pure.

The exporter counts every hour that closes with a target in force, by ``result``: ``met``,
``missed``, ``low_volume`` (too few contacts to judge) or ``no_data``. Over a range of days:

- ``query(days, targets)`` is the PromQL: each counter's increase over the range, rounded to
  whole hours (``increase`` extrapolates to the range's edges by a fraction of a scrape) and
  summed across exporters, per KPI, scope and result; only the targets' KPIs at their levels, so
  a center with thousands of agents does not load every agent's counters for a site target;
- ``read_counts`` turns its answer into ``Counts`` per (KPI, scope);
- ``counts_for_target`` picks the series a target judges (the rule below) and adds them up;
- ``words`` says it: "met 18 of 24 judged hours in the last 7 days".

Which series a target's words count: those of its KPI at the target's own level (``level_of``
its scope: a site-wide target counts the site-wide series, a queue target its queue's series,
not every agent's) whose labels include the target's scope, unless a more specific target of the
same KPI matches them (as the resolver chooses: more labels, then the earlier scope label). The
hours of several such series (a queue on two channels) add up.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from exporter import names
from exporter.catalog import SCOPE_LABELS, level_of
from exporter.scope import Scope, scope_of
from exporter.targets.model import Target
from exporter.targets.periods import PeriodResult
from exporter.targets.resolve import specificity

LIST_DAYS = 7  # the KPI Targets page
TARGET_DAYS = 28  # one target's page


@dataclass(frozen=True, slots=True)
class Counts:
    """Closed hours of one or more series by result."""

    met: int = 0
    missed: int = 0
    low_volume: int = 0
    no_data: int = 0

    @property
    def judged(self) -> int:
        return self.met + self.missed

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.met + other.met,
            self.missed + other.missed,
            self.low_volume + other.low_volume,
            self.no_data + other.no_data,
        )


# (kpi, level, scope of the series) -> its counts
SeriesCounts = Mapping[tuple[str, str, Scope], Counts]

_GROUP_LABELS = (names.KPI, names.LEVEL, *SCOPE_LABELS, names.RESULT)


def query(days: int, targets: Iterable[Target]) -> str | None:
    """The PromQL of the closed hours by result over the last ``days`` days of the series these
    targets may judge (their KPIs at their levels: a site-wide target reads no agent's series);
    None without targets."""
    kpis = sorted({target.kpi for target in targets})
    levels = sorted({level_of(label for label, _ in target.scope) for target in targets})
    if not kpis:
        return None
    selector = f'{names.KPI}=~"{"|".join(kpis)}", {names.LEVEL}=~"{"|".join(levels)}"'
    return (
        f"sum by ({', '.join(_GROUP_LABELS)}) "
        f"(round(increase({names.KPI_TARGET_PERIODS}{{{selector}}}[{days}d])))"
    )


def read_counts(
    samples: Iterable[tuple[Mapping[str, str], float]],
) -> dict[tuple[str, str, Scope], Counts]:
    """``query``'s answer (labels, value per series) as counts per (kpi, level, scope). Series
    without a KPI or with a result this version does not know are left out."""
    found: dict[tuple[str, str, Scope], dict[str, int]] = {}
    for labels, value in samples:
        kpi, result = labels.get(names.KPI), labels.get(names.RESULT)
        if not kpi or result not in tuple(PeriodResult) or not math.isfinite(value):
            continue
        scope = scope_of({label: labels[label] for label in SCOPE_LABELS if labels.get(label)})
        level = labels.get(names.LEVEL) or level_of(label for label, _ in scope)
        by_result = found.setdefault((kpi, level, scope), {})
        by_result[str(result)] = by_result.get(str(result), 0) + max(round(value), 0)
    return {
        key: Counts(
            by_result.get(PeriodResult.MET, 0),
            by_result.get(PeriodResult.MISSED, 0),
            by_result.get(PeriodResult.LOW_VOLUME, 0),
            by_result.get(PeriodResult.NO_DATA, 0),
        )
        for key, by_result in found.items()
    }


def _within(scope: Scope, series: Scope) -> bool:
    return set(scope) <= set(series)


def counts_for_target(counts: SeriesCounts, target: Target, targets: Sequence[Target]) -> Counts:
    """The closed hours of the series ``target`` judges (the module's rule), added up."""
    level = level_of(label for label, _ in target.scope)
    rivals = [
        other
        for other in targets
        if other.kpi == target.kpi and level_of(label for label, _ in other.scope) == level
    ]
    total = Counts()
    for (kpi, series_level, series), found in counts.items():
        if kpi != target.kpi or series_level != level or not _within(target.scope, series):
            continue
        matching = [other for other in rivals if _within(other.scope, series)]
        judge = min(matching, key=lambda other: specificity(other.scope))
        if judge.scope == target.scope:
            total += found
    return total


def _hours(count: int) -> str:
    return "hour" if count == 1 else "hours"


def words(counts: Counts, days: int) -> str:
    """ "met 18 of 24 judged hours in the last 7 days (5 low volume not judged)"."""
    span = f"in the last {days} days"
    if counts.judged == 0:
        said = f"no judged hours {span} yet"
    else:
        said = f"met {counts.met} of {counts.judged} judged {_hours(counts.judged)} {span}"
    if counts.low_volume:
        said += f" ({counts.low_volume} low volume not judged)"
    return said
