"""The past from Prometheus: each closed hour's value per scope, from the closed-period series
(live or backfilled), in three range queries per set of KPIs, one point per hour.

- the value: ``kpi_last_period_value``, read in the middle of the next hour (it is published for
  the whole next hour: exactly ``kpi_value`` at the hour's last instant);
- an hour no target judged has no ``kpi_last_period_value`` (a proposed target may judge it):
  its value is the hour's last ``kpi_value`` scrape (``last_over_time`` up to the hour's last
  instant), short of what came after that scrape;
- the sample size (for the low volume guard): the hour's last ``kpi_sample_size`` scrape the
  same way (the closed-period series carry none), so an hour within a scrape of the minimum may
  be judged low volume where the files would not.

Several exporters with the same series (a pair behind one Prometheus): the highest of them.
The points fall on ``first hour's end + k hours``: right for every zone whose offset changes by
whole hours; an hour of another length (Lord Howe's DST) is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from exporter import names
from exporter.catalog import SCOPE_LABELS, level_of
from exporter.prometheus_http import PrometheusClient, Series
from exporter.scope import Scope, scope_of
from exporter.targets.model import Target
from exporter.whatif.score import History, HourValue

HOUR = 3600.0
_LAST_INSTANT = 0.001


def closed_hours(
    client: PrometheusClient,
    targets: Iterable[Target],
    periods: Sequence[tuple[float, float]],
) -> dict[str, History]:
    """Per KPI, per scope, per hour start: the closed hours ``periods`` of the series ``targets``
    may judge: their KPIs at their levels (a site-wide target reads no agent's series); one
    target's, only the series of its scope."""
    chosen = list(targets)
    wanted = sorted({target.kpi for target in chosen})
    found: dict[str, dict[Scope, dict[float, HourValue]]] = {kpi: {} for kpi in wanted}
    if not periods or not wanted:
        return dict(found)
    start_of = {round(end, 3): start for start, end in periods}
    first, last = periods[0][1], periods[-1][1]
    levels = sorted({level_of(label for label, _ in target.scope) for target in chosen})
    matchers = [f'{names.KPI}=~"{"|".join(wanted)}"', f'{names.LEVEL}=~"{"|".join(levels)}"']
    if len(chosen) == 1:
        matchers += [f'{label}="{_quoted(value)}"' for label, value in chosen[0].scope]
    selector = "{" + ",".join(matchers) + "}"
    exact = client.query_range(
        f"max without (job, instance) ({names.KPI_LAST_PERIOD_VALUE}{selector})",
        first + HOUR / 2,
        last + HOUR / 2,
        HOUR,
    )
    scraped = client.query_range(
        f"max without (job, instance) (last_over_time({names.KPI_VALUE}{selector}[1h]))",
        first - _LAST_INSTANT,
        last - _LAST_INSTANT,
        HOUR,
    )
    sizes = client.query_range(
        f"max without (job, instance) (last_over_time({names.KPI_SAMPLE_SIZE}{selector}[1h]))",
        first - _LAST_INSTANT,
        last - _LAST_INSTANT,
        HOUR,
    )
    size_of = {
        (kpi, scope, start): value
        for kpi, scope, start, value in _points(sizes, start_of, _LAST_INSTANT)
    }
    values = {
        (kpi, scope, start): value
        for kpi, scope, start, value in _points(scraped, start_of, _LAST_INSTANT)
    }
    values.update(
        ((kpi, scope, start), value)
        for kpi, scope, start, value in _points(exact, start_of, -HOUR / 2)
    )
    for (kpi, scope, start), value in values.items():
        if kpi in found:
            found[kpi].setdefault(scope, {})[start] = HourValue(
                value, size_of.get((kpi, scope, start))
            )
    return dict(found)


def _quoted(value: str) -> str:
    """A label value inside a PromQL double-quoted string."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _points(
    series: list[Series], start_of: dict[float, float], after_end: float
) -> Iterable[tuple[str, Scope, float, float]]:
    """(kpi, scope, hour start, value) of each point read ``after_end`` seconds past an hour's
    end (negative: before it)."""
    for one in series:
        kpi = one.labels.get(names.KPI)
        if kpi is None:
            continue
        scope = scope_of(
            {label: one.labels[label] for label in SCOPE_LABELS if label in one.labels}
        )
        for at, value in one.points:
            start = start_of.get(round(at + after_end, 3))
            if start is not None:
                yield kpi, scope, start, value
