"""What a catalog entry is: a KPI's metadata, its formulas and how it is presented.

Each KPI is published as ``kpi_value{kpi="<name>", <scope labels>}`` for every label set in
``scopes``: ``()`` is the whole site, ``("channel",)`` one series per channel, and so on. A target's
scope may use any label in ``scope_labels`` (the union of those sets).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from exporter.catalog.promql import Range
from exporter.catalog.sums import ServiceLevelVariant


class Tab(enum.StrEnum):
    OPERATIONS = "Contact Center Operations"
    TEAM = "Team Performance"


class Period(enum.StrEnum):
    """How a KPI is measured over time (inherent to the KPI, never set by users)."""

    LIVE = "Live"  # the state right now
    IN_QUEUE = "In Queue"  # over the contacts waiting right now
    HOURLY = "Hourly"  # the current clock hour in the site's time zone
    ALL_TIME = "All Time"  # cumulative since the exporter started reading its sources


class Direction(enum.StrEnum):
    """Which way is better. BAND: both too high and too low are bad (a target may go either way)."""

    HIGHER = "higher"
    LOWER = "lower"
    BAND = "band"


class Unit(enum.StrEnum):
    RATIO = "ratio"  # 0..1
    SECONDS = "seconds"
    CONTACTS = "contacts"
    AGENTS = "agents"
    SCORE = "score"


# Precedence between scope labels when two targets match a series with the same number of labels:
# the label earlier in this tuple is the more specific one (an agent is narrower than a queue, ...).
SCOPE_LABELS: tuple[str, ...] = ("agent", "queue", "team", "campaign", "channel")

# The level of a series (its ``level`` label): the most specific label of its scope, "site" for
# none. One plain matcher (``level="queue"``) then selects one level without ``queue=""`` tricks.
SITE_LEVEL = "site"
LEVELS: tuple[str, ...] = (SITE_LEVEL, "channel", "queue", "team", "agent", "campaign")


def level_of(labels: Iterable[str]) -> str:
    """The level of a scope with these label names: ("queue", "channel") -> "queue"."""
    present = set(labels)
    for label in SCOPE_LABELS:
        if label in present:
            return label
    return SITE_LEVEL


# Label sets most KPIs are published for.
QUEUE_SCOPES: tuple[tuple[str, ...], ...] = ((), ("channel",), ("queue", "channel"))
TEAM_SCOPES: tuple[tuple[str, ...], ...] = (("team",), ("team", "agent"))
CAMPAIGN_SCOPES: tuple[tuple[str, ...], ...] = ((), ("campaign",))


class Family(enum.Enum):
    """Which running state the engine computes a KPI from (the ``sums`` its formula reads)."""

    CONTACTS = "contacts"  # hourly ContactTally per queue scope
    NPS = "nps"  # all-time NpsTally per queue scope
    TEAMS = "teams"  # hourly TeamTally per team scope
    CAMPAIGNS = "campaigns"  # hourly CampaignTally per campaign scope
    WAITING = "waiting"  # WaitingNow per queue scope: the contacts waiting now
    AGENTS = "agents"  # the number of agents available now, per scope


# (value, sample_size), or None when the period has no data for the KPI (a zero denominator): a
# KPI without data yields no sample, never a fake 0 or 1. The sample size is None where volume
# means nothing (Live and In Queue KPIs).
Result = tuple[float, float | None] | None
# A KPI's value from the sums of its family for one scope (a ContactTally, an NpsTally, ...).
Formula = Callable[[Any], Result]
# A KPI over the dashboard's selected range, in PromQL over the raw counters.
RangeFormula = Callable[[Range], str]


@dataclass(frozen=True, slots=True)
class Kpi:
    """One KPI, everything about it but the collection of its raw data (the sums' fields).

    The metadata (``name`` to ``description``) is what ``kpi-targets catalog`` prints; ``formula``
    is the formula in words. The rest is read by the engine (``family``, ``compute``,
    ``variants``), the dashboards (``over_range``) and the alert rules (``volume_noun``,
    ``min_sample``); ``exporter.presentation`` adds what follows from the unit and the tab.
    """

    name: str
    title: str
    tab: Tab
    period: Period
    unit: Unit
    direction: Direction
    scopes: tuple[tuple[str, ...], ...]
    formula: str  # in words, for people (panel descriptions, the catalog command)
    family: Family
    # The value from the family's sums of one scope; None when the period has no data for it.
    compute: Formula
    # The KPI over any range from the raw counters, for the dashboards' range panels; None for
    # what counters cannot rebuild (``no_range`` says why).
    over_range: RangeFormula | None
    no_range: str = ""
    eligible: bool = True
    # Inclusive bounds a value (and so a target) can take; None means unbounded on that side.
    minimum: float | None = 0.0
    maximum: float | None = None
    description: str = ""
    # What ``kpi_sample_size`` counts, in words (alert texts).
    volume_noun: str = "contacts"
    # The smallest sample a breach alerts from; None: the default of the KPI's unit
    # (``exporter.presentation``). Live and In Queue KPIs publish no sample size and have none.
    min_sample: float | None = None
    # Service level only: its formula in each variant (``compute`` is the default variant's).
    variants: Mapping[ServiceLevelVariant, Formula] = field(default_factory=dict, hash=False)

    def compute_for(self, variant: ServiceLevelVariant) -> Formula:
        """The formula in the configured service-level variant (``compute`` for other KPIs)."""
        return self.variants.get(variant, self.compute)

    @property
    def levels(self) -> tuple[str, ...]:
        """The levels this KPI is published at, coarsest first (``site``, ``channel``, ...)."""
        return tuple(level_of(scope) for scope in self.scopes)

    @property
    def scope_labels(self) -> tuple[str, ...]:
        """Every label a target's scope may use for this KPI, most specific first."""
        used = {label for scope in self.scopes for label in scope}
        return tuple(label for label in SCOPE_LABELS if label in used)

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "title": self.title,
            "tab": str(self.tab),
            "period": str(self.period),
            "unit": str(self.unit),
            "direction": str(self.direction),
            "scope_labels": list(self.scope_labels),
            "scopes": [list(scope) for scope in self.scopes],
            "formula": self.formula,
            "eligible": self.eligible,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "description": self.description,
        }
