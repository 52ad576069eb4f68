"""How each KPI is presented: its Grafana unit, what its sample size counts, the minimum sample an
alert needs, and where it sits on the dashboards. Read by ``exporter.rules`` (alerts) and
``exporter.dashboards`` (Grafana).

Nothing here is about one KPI: what follows from a unit (Grafana's unit, decimals, the default
minimum sample) and from a tab (the dashboard) is here; what a KPI says for itself (what its sample
size counts, a larger minimum sample) is in its catalog entry. Every catalog KPI has a
presentation::

    >>> of("service_level_ratio").grafana_unit
    'percentunit'
    >>> of("occupancy_ratio").min_sample_size, of("occupancy_ratio").volume_noun
    (1800, 'staffed seconds')
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from exporter.catalog import CATALOG, Kpi, Period, Tab, Unit


class Dashboard(enum.StrEnum):
    """The generated dashboards, by their pinned Grafana uid."""

    OPERATIONS = "kpi-targets-operations"
    TEAM = "kpi-targets-team"
    OVERVIEW = "kpi-targets-overview"


DASHBOARD_OF_TAB: dict[Tab, Dashboard] = {
    Tab.OPERATIONS: Dashboard.OPERATIONS,
    Tab.TEAM: Dashboard.TEAM,
}

# Grafana's unit ids (the "Standard options > Unit" list) per catalog unit.
_GRAFANA_UNIT: dict[Unit, str] = {
    Unit.RATIO: "percentunit",
    Unit.SECONDS: "s",
    Unit.CONTACTS: "short",
    Unit.AGENTS: "short",
    Unit.SCORE: "none",
}
_DECIMALS: dict[Unit, int | None] = {
    Unit.RATIO: 1,
    Unit.SECONDS: 1,
    Unit.CONTACTS: 0,
    Unit.AGENTS: 0,
    Unit.SCORE: 2,
}
# A ratio or a mean over fewer contacts than this is noise: its breach does not alert. Counts
# (contacts, agents) have no guard: a low count IS the breach.
_MIN_SAMPLE_SIZE: dict[Unit, float | None] = {
    Unit.RATIO: 20,
    Unit.SECONDS: 10,
    Unit.SCORE: 10,
    Unit.CONTACTS: None,
    Unit.AGENTS: None,
}
# The dashboard panels show a KPI at the finest level of its first-choice label.
_DASHBOARD_LEVEL_PREFERENCE: tuple[str, ...] = ("queue", "campaign", "team", "channel", "site")


@dataclass(frozen=True, slots=True)
class Presentation:
    kpi: Kpi
    grafana_unit: str
    decimals: int | None
    volume_noun: str  # what kpi_sample_size counts, in words
    min_sample_size: float | None  # None: every breach alerts (Live, In Queue and count KPIs)
    dashboard: Dashboard
    level: str  # the level the dashboard panels show (the ``level`` label)
    min: float | None = field(default=None)
    max: float | None = field(default=None)

    @property
    def description(self) -> str:
        """The panel description: what the KPI is, its period and formula (from the catalog)."""
        parts = [f"{self.kpi.period}: {_sentence(self.kpi.formula)}"]
        if self.kpi.description:
            parts.append(self.kpi.description)
        return " ".join(parts)


def _sentence(text: str) -> str:
    text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def _level(kpi: Kpi) -> str:
    levels = kpi.levels
    return next(level for level in _DASHBOARD_LEVEL_PREFERENCE if level in levels)


def _presentation(kpi: Kpi) -> Presentation:
    if kpi.period in (Period.LIVE, Period.IN_QUEUE):
        min_sample_size = None  # no sample size is published: the state now has no volume
    elif kpi.min_sample is not None:
        min_sample_size = kpi.min_sample
    else:
        min_sample_size = _MIN_SAMPLE_SIZE[kpi.unit]
    return Presentation(
        kpi=kpi,
        grafana_unit=_GRAFANA_UNIT[kpi.unit],
        decimals=_DECIMALS[kpi.unit],
        volume_noun=kpi.volume_noun,
        min_sample_size=min_sample_size,
        dashboard=DASHBOARD_OF_TAB[kpi.tab],
        level=_level(kpi),
        min=kpi.minimum if kpi.unit in (Unit.RATIO, Unit.SCORE) else None,
        max=kpi.maximum if kpi.unit in (Unit.RATIO, Unit.SCORE) else None,
    )


PRESENTATIONS: tuple[Presentation, ...] = tuple(_presentation(kpi) for kpi in CATALOG)
_BY_NAME = {presentation.kpi.name: presentation for presentation in PRESENTATIONS}


def of(name: str) -> Presentation:
    """The presentation of the KPI called ``name``; KeyError when the catalog has none."""
    return _BY_NAME[name]


def on_dashboard(dashboard: Dashboard) -> tuple[Presentation, ...]:
    """The eligible KPIs a tab's dashboard shows, in catalog order."""
    return tuple(p for p in PRESENTATIONS if p.dashboard is dashboard and p.kpi.eligible)
