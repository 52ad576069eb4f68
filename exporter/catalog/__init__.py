"""The KPI catalog: every KPI the product knows, each one entry holding all there is to it.

The catalog is code, not configuration: a KPI's period, direction and formula are part of its
definition and users cannot change them (they set *targets* for KPIs, see ``exporter.targets``).

An entry (``Kpi``, ``exporter.catalog.kpi``) holds a KPI's metadata, its formula over the running
sums (``exporter.catalog.sums``) that the engine computes it with, its formula over the raw
counters for any range (the dashboards' range panels), what its sample size counts and the sample
its alerts need; its Grafana unit and dashboard follow from its unit and tab
(``exporter.presentation``). The entries sit in ``operations`` and ``team``, one module per tab;
the engine, collector, rules, dashboards, admin UI and backfill iterate over ``CATALOG``.

It sits beneath the engine: it imports nothing of it (the sums are its own).
"""

from __future__ import annotations

from exporter.catalog import operations, team
from exporter.catalog.kpi import (
    LEVELS,
    SCOPE_LABELS,
    SITE_LEVEL,
    Direction,
    Family,
    Kpi,
    Period,
    Tab,
    Unit,
    level_of,
)

__all__ = [
    "CATALOG",
    "LEVELS",
    "SCOPE_LABELS",
    "SITE_LEVEL",
    "Direction",
    "Family",
    "Kpi",
    "Period",
    "Tab",
    "Unit",
    "find",
    "get",
    "level_of",
    "names",
]

CATALOG: tuple[Kpi, ...] = (*operations.KPIS, *team.KPIS)

_BY_NAME: dict[str, Kpi] = {kpi.name: kpi for kpi in CATALOG}


def get(name: str) -> Kpi:
    """The KPI called ``name``; KeyError when the catalog has none."""
    return _BY_NAME[name]


def find(name: str) -> Kpi | None:
    return _BY_NAME.get(name)


def names() -> tuple[str, ...]:
    return tuple(_BY_NAME)
