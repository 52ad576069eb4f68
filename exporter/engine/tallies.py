"""The engine's running sums: the hour rows events add to, and the tallies per scope made of them.

The tally types (``ContactTally``, ...) are the catalog's (``exporter.catalog.sums``): the KPI
formulas of the catalog entries turn them into values at snapshot time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from operator import add, attrgetter, itemgetter, sub
from typing import Any, TypeVar

from exporter.catalog.sums import CampaignTally, ContactTally, NpsTally, TeamTally
from exporter.engine.scopes import EventScopes
from exporter.scope import Scope

Tally = TypeVar("Tally", ContactTally, TeamTally, CampaignTally, NpsTally)


def tallies_for(
    table: dict[Scope, Tally], keys: tuple[Scope, ...], factory: type[Tally]
) -> list[Tally]:
    """The tallies of ``keys`` in ``table``, created at 0 where missing."""
    found = []
    for key in keys:
        tally = table.get(key)
        if tally is None:
            tally = table[key] = factory()
        found.append(tally)
    return found


@dataclass(slots=True)
class HourRow:
    """Everything the events of one combination of labels (one ``EventScopes``) added in one hour.

    An event adds to one row, whatever the number of scopes it counts for: the hour's tallies of
    each scope are sums of rows (``HourBucket``), and so are the raw counters
    (``Counters.add_row``). The field names of ``ContactTally``, ``CampaignTally`` and the
    contact fields of ``TeamTally`` are all here (its agent time comes from the agents'
    timelines)."""

    offered: int = 0
    answered: int = 0
    answered_within: int = 0
    answered_wait_seconds: float = 0.0
    abandoned: int = 0
    abandoned_short: int = 0
    abandoned_within: int = 0
    exits: dict[str, int] | None = None  # abandons by exit reason
    handled: int = 0
    handle_seconds: float = 0.0
    resolution_known: int = 0
    resolved: int = 0
    csat_answers: int = 0
    csat_sum: float = 0.0
    ces_answers: int = 0
    ces_sum: float = 0.0
    nps_answers: int = 0
    nps_sum: float = 0.0
    nps_promoters: int = 0
    nps_detractors: int = 0
    ai_cx_answers: int = 0
    ai_cx_sum: float = 0.0
    bot_sessions: int = 0
    bot_contained: int = 0
    dials: int = 0
    machine: int = 0
    live: int = 0
    dropped: int = 0
    converted: int = 0
    # Bookkeeping of HourBucket.changes, not sums: whether the row changed since, and what it
    # held then.
    changed: bool = True
    reported: tuple[Any, ...] = ()
    reported_exits: dict[str, int] | None = None


# The sums of a row, in order, and a getter of them all at once.
ROW_SUMS = tuple(
    spec.name
    for spec in fields(HourRow)
    if spec.name not in ("exits", "changed", "reported", "reported_exits")
)
_row_sums = attrgetter(*ROW_SUMS)
_NO_SUMS = (0,) * len(ROW_SUMS)


@dataclass(slots=True)
class HourBucket:
    """The rows of one local clock hour ``[start, end)`` (UTC instants), and its tallies per scope.

    Rows are keyed by ``EventScopes`` (one object per label combination, hashed by identity): an
    event finds its row with one dictionary lookup. The tallies of each scope are the sums of
    its rows, kept up to date by ``changes`` (at each snapshot): only rows changed since add what
    they added, so a snapshot costs what changed, not the whole hour."""

    start: float
    end: float
    rows: dict[EventScopes, HourRow] = field(default_factory=dict)
    _changed: list[tuple[EventScopes, HourRow]] = field(default_factory=list)
    # Per tally type, per scope: the sums of its fields (ints and floats, as the tally fields).
    _sums: dict[type, dict[Scope, list[Any]]] = field(
        default_factory=lambda: {factory: {} for factory in _FIELDS}
    )

    def row(self, scopes: EventScopes) -> HourRow:
        """The row of ``scopes``, made on its first event: a new row is a changed one."""
        found = self.rows.get(scopes)
        if found is None:
            found = self.rows[scopes] = HourRow()
            self._changed.append((scopes, found))
        return found

    def mark_changed(self, scopes: EventScopes, row: HourRow) -> None:
        """Note a row about to change (its ``changed`` was False)."""
        row.changed = True
        self._changed.append((scopes, row))

    def changes(self, *, tallies: bool = True) -> list[tuple[EventScopes, HourRow]]:
        """What each changed row added since the last call, as a row of differences (for the
        counters), the tallies brought up to date with them unless ``tallies`` is False (the
        bucket is dropped)."""
        found = []
        for scopes, row in self._changed:
            if not tallies and not row.reported:  # never asked before: all of it is new
                row.changed = False
                found.append((scopes, row))
                continue
            values = _row_sums(row)
            difference = tuple(map(sub, values, row.reported or _NO_SUMS))
            row.changed, row.reported = False, values
            for factory, pick in _PICKS.items() if tallies else ():
                part = pick(difference)
                sums = self._sums[factory]
                for key in getattr(scopes, _KEYS[factory]):
                    before = sums.get(key)
                    sums[key] = list(part) if before is None else list(map(add, before, part))
            exits = None
            if row.exits:
                reported = row.reported_exits or {}
                exits = {
                    reason: count - reported.get(reason, 0)
                    for reason, count in row.exits.items()
                    if count != reported.get(reason, 0)
                }
                row.reported_exits = dict(row.exits)
            sums_added = dict(zip(ROW_SUMS, difference, strict=True))
            found.append((scopes, HourRow(**sums_added, exits=exits)))
        self._changed.clear()
        return found

    def contact_tallies(self) -> dict[Scope, ContactTally]:
        """As of the last ``changes``."""
        return _tallies(self._sums[ContactTally], ContactTally)

    def team_tallies(self) -> dict[Scope, TeamTally]:
        """As of the last ``changes``; without the agents' time, which ``KpiEngine`` adds from
        their timelines."""
        return _tallies(self._sums[TeamTally], TeamTally)

    def campaign_tallies(self) -> dict[Scope, CampaignTally]:
        """As of the last ``changes``."""
        return _tallies(self._sums[CampaignTally], CampaignTally)


def _row_fields(factory: type) -> tuple[str, ...]:
    return tuple(spec.name for spec in fields(factory) if spec.name in ROW_SUMS)


# Per tally type: the row sums it is made of, a getter of them from a row's sums, the scopes.
_FIELDS: dict[type, tuple[str, ...]] = {
    factory: _row_fields(factory) for factory in (ContactTally, TeamTally, CampaignTally)
}
_PICKS: dict[type, itemgetter[Any]] = {
    factory: itemgetter(*(ROW_SUMS.index(name) for name in names))
    for factory, names in _FIELDS.items()
}
_KEYS: dict[type, str] = {
    ContactTally: "contact_keys",
    TeamTally: "team_keys",
    CampaignTally: "campaign_keys",
}


def _tallies(sums: dict[Scope, list[Any]], factory: type[Tally]) -> dict[Scope, Tally]:
    names = _FIELDS[factory]
    return {key: factory(**dict(zip(names, found, strict=True))) for key, found in sums.items()}
