"""The running sums the KPIs are computed from, one set per scope and period.

Every field is a plain sum updated in constant time per event; the KPI formulas
(``exporter.engine.formulas``) turn them into values at snapshot time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from operator import add, attrgetter
from typing import Any, TypeVar

from exporter.engine.scopes import EventScopes
from exporter.targets.model import Scope


@dataclass(slots=True)
class ContactTally:
    """Inbound contacts of one queue scope (site, channel, queue+channel) in one hour."""

    answered: int = 0
    answered_within: int = 0  # wait <= the channel's threshold
    answered_wait_seconds: float = 0.0
    abandoned: int = 0  # every abandon, short ones included
    abandoned_short: int = 0  # wait <= short_abandon_seconds
    abandoned_within: int = 0  # wait <= the channel's threshold (short ones included)
    handled: int = 0  # ENDED contacts
    handle_seconds: float = 0.0
    resolution_known: int = 0
    resolved: int = 0
    csat_answers: int = 0
    csat_sum: float = 0.0
    ces_answers: int = 0
    ces_sum: float = 0.0
    ai_cx_answers: int = 0
    ai_cx_sum: float = 0.0
    bot_sessions: int = 0
    bot_contained: int = 0


@dataclass(slots=True)
class NpsTally:
    """NPS answers of one queue scope since the start (NPS is an All Time KPI)."""

    answers: int = 0
    promoters: int = 0  # 9-10
    detractors: int = 0  # 0-6


@dataclass(slots=True)
class TeamTally:
    """Handled contacts and agent time of one team or team+agent in one hour."""

    handled: int = 0
    handle_seconds: float = 0.0
    resolution_known: int = 0
    resolved: int = 0
    csat_answers: int = 0
    csat_sum: float = 0.0
    busy_seconds: float = 0.0
    after_contact_work_seconds: float = 0.0
    available_seconds: float = 0.0  # logged_in counts as available


@dataclass(slots=True)
class CampaignTally:
    """Outbound dials of the site or one campaign in one hour."""

    dials: int = 0
    machine: int = 0
    live: int = 0  # reached a person and connected to an agent
    dropped: int = 0  # reached a person, no agent was free
    converted: int = 0  # among live


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


@dataclass(slots=True)
class HourBucket:
    """The rows of one local clock hour ``[start, end)`` (UTC instants), and its tallies per scope,
    summed from them when a snapshot asks.

    Rows are keyed by ``EventScopes`` (one object per label combination, hashed by identity): an
    event finds its row with one dictionary lookup."""

    start: float
    end: float
    rows: dict[EventScopes, HourRow] = field(default_factory=dict)

    def row(self, scopes: EventScopes) -> HourRow:
        found = self.rows.get(scopes)
        if found is None:
            found = self.rows[scopes] = HourRow()
        return found

    def contact_tallies(self) -> dict[Scope, ContactTally]:
        return _sums(self.rows, "contact_keys", ContactTally)

    def team_tallies(self) -> dict[Scope, TeamTally]:
        """Without the agents' time, which ``KpiEngine`` adds from their timelines."""
        return _sums(self.rows, "team_keys", TeamTally)

    def campaign_tallies(self) -> dict[Scope, CampaignTally]:
        return _sums(self.rows, "campaign_keys", CampaignTally)


def _row_fields(factory: type) -> tuple[str, ...]:
    return tuple(spec.name for spec in fields(factory) if spec.name in HourRow.__slots__)


# Per tally type, the fields it sums from the rows, and a getter of them all from a row at once.
_FIELDS: dict[type, tuple[str, ...]] = {
    factory: _row_fields(factory) for factory in (ContactTally, TeamTally, CampaignTally)
}
_GETTERS: dict[type, attrgetter[Any]] = {
    factory: attrgetter(*names) for factory, names in _FIELDS.items()
}


def _sums(rows: dict[EventScopes, HourRow], keys: str, factory: type[Tally]) -> dict[Scope, Tally]:
    """Per scope (the ``keys`` of each row's combination), the sum of its rows' fields. (Runs at
    every snapshot: the fields are read and added a row at a time, by C functions.)"""
    values_of = _GETTERS[factory]
    sums: dict[Scope, list[Any]] = {}  # ints and floats, as the tally fields
    for scopes, row in rows.items():
        values = values_of(row)
        for key in getattr(scopes, keys):
            found = sums.get(key)
            sums[key] = list(values) if found is None else list(map(add, found, values))
    names = _FIELDS[factory]
    return {key: factory(**dict(zip(names, found, strict=True))) for key, found in sums.items()}
