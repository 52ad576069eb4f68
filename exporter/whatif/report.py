"""A what-if's figures in words (``kpi-targets whatif`` text) and as a JSON document. Pure.

Values are shown as the admin UI shows them (``exporter.targets.display``: ratios in percent);
the JSON keeps the files' units (0.85), like ``kpi-targets targets list --format json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from exporter import catalog
from exporter.targets.display import QUANTIFIER_WORDS, format_value, scope_on_screen
from exporter.whatif.score import Comparison, RowScore, Score, Tally


@dataclass(frozen=True, slots=True)
class Window:
    """The closed hours scored: ``[start, end)`` UTC seconds, ``days`` long, in ``zone``."""

    start: float
    end: float
    days: int
    zone: ZoneInfo

    def as_dict(self) -> dict[str, object]:
        return {
            "start": datetime.fromtimestamp(self.start, self.zone).isoformat(),
            "end": datetime.fromtimestamp(self.end, self.zone).isoformat(),
            "days": self.days,
        }


def percent(share: float | None) -> str:
    """0.7412 -> "74 %"; None -> "-" (no hour met or missed)."""
    return "-" if share is None else f"{share * 100:.0f} %"


def side_by_side(comparison: Comparison) -> str:
    """ "today: met 61 %; proposed: met 74 %" (today: "none" without a target in force)."""
    today = comparison.today
    today_words = "no target" if today is None else f"met {percent(today.total.met_share)}"
    return f"today: {today_words}; proposed: met {percent(comparison.proposed.total.met_share)}"


def suggestion_words(row: RowScore, kpi: str, share: float) -> str | None:
    """ "83 % would have been met in 80 % of Mon-Fri 09:00-17:00 hours"."""
    if row.suggestion is None:
        return None
    value = format_value(row.suggestion, catalog.find(kpi))
    return f"{value} would have been met in {percent(share)} of {row.label} hours"


def tally_words(tally: Tally) -> str:
    """ "met 6 of 8 judged hours (75 %); low volume 1, no data 1"."""
    return (
        f"met {tally.met} of {tally.judged} judged hours ({percent(tally.met_share)}); "
        f"low volume {tally.low_volume}, no data {tally.no_data}"
    )


def text(comparison: Comparison, window: Window) -> str:
    """The figures for people: the side-by-side line, then each target's rows."""
    proposed = comparison.proposed
    target = proposed.target
    kpi = catalog.find(target.kpi)
    start = datetime.fromtimestamp(window.start, window.zone).strftime("%a %d %b %Y %H:%M")
    end = datetime.fromtimestamp(window.end, window.zone).strftime("%a %d %b %Y %H:%M %Z")
    lines = [
        f"{target.kpi} ({scope_on_screen(target.scope)}), "
        f"{QUANTIFIER_WORDS[target.quantifier].lower()}: last {window.days} days, "
        f"{start} to {end} ({comparison.hours} closed hours)",
        f"  {side_by_side(comparison)}",
    ]
    for name, score in (("proposed", proposed), ("today", comparison.today)):
        if score is None:
            lines.append(f"  {name}: no target of this KPI and scope in force")
            continue
        lines.append(f"  {name}: {tally_words(score.total)}")
        for row in score.rows:
            shown = "" if row.value is None else f" at {format_value(row.value, kpi)}"
            lines.append(f"    {row.label}{shown}: {tally_words(row.tally)}")
    for row in proposed.rows:
        words = suggestion_words(row, target.kpi, comparison.share)
        if words is not None:
            lines.append(f"  suggested: {words}")
    return "\n".join(lines)


def score_dict(score: Score | None, kpi: str, share: float) -> dict[str, object] | None:
    if score is None:
        return None
    return {
        "total": score.total.as_dict(),
        "rows": [
            {
                "schedule": row.index,
                "label": row.label,
                "value": row.value,
                **row.tally.as_dict(),
                "suggestion": row.suggestion,
                "suggestion_text": suggestion_words(row, kpi, share),
            }
            for row in score.rows
        ],
        "grid": score.grid_shares(),
    }


def as_dict(comparison: Comparison, window: Window) -> dict[str, object]:
    target = comparison.proposed.target
    return {
        "kpi": target.kpi,
        "scope": dict(target.scope),
        "quantifier": str(target.quantifier),
        "window": {**window.as_dict(), "hours": comparison.hours},
        "share": comparison.share,
        "summary": side_by_side(comparison),
        "proposed": score_dict(comparison.proposed, target.kpi, comparison.share),
        "today": score_dict(comparison.today, target.kpi, comparison.share),
    }
