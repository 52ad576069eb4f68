"""The edit form's "Try against history": the target as typed scored on the closed hours in
Prometheus beside the one in force (``exporter.whatif``), prepared for the template. Nothing is
saved and nothing is audited; Prometheus not configured, down, slow or refusing is a note in the
form, never an error page."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from exporter import catalog
from exporter.engine.clock import LocalHours
from exporter.prometheus_http import PrometheusClient, PrometheusError
from exporter.targets import display
from exporter.targets.model import Target, TargetSet
from exporter.whatif import report
from exporter.whatif.past_prometheus import closed_hours
from exporter.whatif.score import DEFAULT_SHARE, Comparison, Score, Tally, compare, hours_between

log = logging.getLogger(__name__)

WINDOW_DAYS = (7, 28, 90)
DEFAULT_DAYS = 28
HIGH_SHARE, MID_SHARE = 0.8, 0.5  # grid colours: met in at least 80 %, 50 %, fewer


@dataclass(frozen=True)
class Choices:
    """The try's own fields, as typed (kept on every re-render) and as read."""

    days_text: str
    share_text: str
    days: int
    share: float
    error: str | None = None


def read_choices(days_text: str, share_text: str) -> Choices:
    days = int(days_text) if days_text in {str(days) for days in WINDOW_DAYS} else DEFAULT_DAYS
    cleaned = share_text.strip().removesuffix("%").strip()
    try:
        share = float(cleaned) / 100 if cleaned else DEFAULT_SHARE
    except ValueError:
        share = -1.0
    if not 0 < share <= 1:
        return Choices(
            days_text, share_text, days, DEFAULT_SHARE, "the share must be a percentage, 1 to 100"
        )
    return Choices(days_text, share_text, days, share)


@dataclass(frozen=True)
class TotalView:
    name: str  # "Proposed", "In force today"
    words: str  # "met 6 of 8 judged hours (75 %); low volume 1, no data 1"


@dataclass(frozen=True)
class RowView:
    label: str  # "Mon-Fri 09:00-17:00 at 85 %" or "2026-12-24 Christmas Eve at 50 %"
    words: str
    suggestion: str | None  # "83 % would have been met in 80 % of ... hours"
    take: str | None  # the take button's value: "value=83" or "row-1=83"
    take_label: str  # "Use 83 % for At all times"


@dataclass(frozen=True)
class Cell:
    words: str
    css: str


@dataclass(frozen=True)
class WhatIfView:
    days: int
    summary: str  # "today: met 61 %; proposed: met 74 %"
    totals: list[TotalView]
    rows: list[RowView]
    day_titles: tuple[str, ...]
    grid: list[tuple[str, list[Cell]]]  # per local hour: its label and a cell per weekday


def try_target(
    target: Target,
    in_force: TargetSet,
    client: PrometheusClient | None,
    now: float,
    choices: Choices,
) -> tuple[WhatIfView | None, str | None]:
    """The figures, or None and what went wrong (in words for the form)."""
    if client is None:
        return None, (
            "Trying against history needs the Prometheus that scrapes this exporter: start serve "
            "with --prometheus-url URL (see the KPI Targets page's note)."
        )
    zone = in_force.calendar.timezone
    hours = LocalHours(zone)
    end = hours.start_of(now)
    start = (datetime.fromtimestamp(end, zone) - timedelta(days=choices.days)).timestamp()
    periods = hours_between(start, end, hours)
    try:
        history = closed_hours(client, [target], periods).get(target.kpi, {})
    except PrometheusError as error:
        log.warning("what-if not read from Prometheus: %s", error)
        said = str(error)
        return None, f"Not tried: {said}{'' if said[-1:] in '.?' else '.'}"
    comparison = compare(target, in_force, periods, history, choices.share)
    if comparison.proposed.total.judged == 0:
        return None, (
            f"No hour of the last {choices.days} days can judge this target: Prometheus has no "
            "closed hour of its scope while on duty (is the scope spelt as the data has it?)."
        )
    return view(comparison, choices.days), None


def view(comparison: Comparison, days: int) -> WhatIfView:
    proposed = comparison.proposed
    kpi = catalog.find(proposed.target.kpi)
    totals = [TotalView("Proposed", report.tally_words(proposed.total))]
    today = comparison.today
    totals.append(
        TotalView(
            "In force today",
            "no target of this metric and scope"
            if today is None
            else report.tally_words(today.total),
        )
    )
    at_all_times_first = (
        bool(proposed.target.schedules) and proposed.target.schedules[0].at_all_times
    )
    rows = []
    for row in proposed.rows:
        value = "" if row.value is None else f" at {display.format_value(row.value, kpi)}"
        take = None
        if row.index is not None and row.suggestion is not None:
            field = (
                "value"
                if at_all_times_first and row.index == 0
                else f"row-{row.index - (1 if at_all_times_first else 0)}"
            )
            take = f"{field}={display.input_value(row.suggestion, kpi)}"
        shown = None if row.suggestion is None else display.format_value(row.suggestion, kpi)
        rows.append(
            RowView(
                f"{row.label}{value}",
                report.tally_words(row.tally),
                report.suggestion_words(row, proposed.target.kpi, comparison.share),
                take,
                f"Use {shown} for {row.label}",
            )
        )
    return WhatIfView(
        days=days,
        summary=report.side_by_side(comparison),
        totals=totals,
        rows=rows,
        day_titles=display.DAY_TITLES,
        grid=_grid(proposed),
    )


def _grid(score: Score) -> list[tuple[str, list[Cell]]]:
    """Per local hour with a judged hour on some weekday (the others would be blank rows)."""
    return [
        (f"{hour:02d}:00", [_cell(score.grid[day][hour]) for day in range(7)])
        for hour in range(24)
        if any(score.grid[day][hour].judged for day in range(7))
    ]


def _cell(tally: Tally) -> Cell:
    share = tally.met_share
    if share is None:
        return Cell("", "none")
    css = "high" if share >= HIGH_SHARE else "mid" if share >= MID_SHARE else "low"
    return Cell(f"{report.percent(share)} ({tally.met}/{tally.judged})", f"share-{css}")
