"""The running sums the KPIs are computed from, one set per scope and period.

Every field is a plain sum updated in constant time per event; the KPI formulas
(``exporter.engine.formulas``) turn them into values at snapshot time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

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
class HourBucket:
    """Every hourly tally of one local clock hour ``[start, end)`` (UTC instants).

    An event finds its tallies through its ``EventScopes`` (one object per label combination,
    hashed by identity): the list for that combination is built on its first event of the hour,
    so later events of the hour cost one dictionary lookup instead of one per scope, each hashing
    a nested tuple of labels."""

    start: float
    end: float
    contacts: dict[Scope, ContactTally] = field(default_factory=dict)
    teams: dict[Scope, TeamTally] = field(default_factory=dict)
    campaigns: dict[Scope, CampaignTally] = field(default_factory=dict)
    _contact_rows: dict[EventScopes, list[ContactTally]] = field(default_factory=dict)
    _team_rows: dict[EventScopes, list[TeamTally]] = field(default_factory=dict)
    _campaign_rows: dict[EventScopes, list[CampaignTally]] = field(default_factory=dict)

    def contact_tallies(self, scopes: EventScopes) -> list[ContactTally]:
        found = self._contact_rows.get(scopes)
        if found is None:
            found = self._contact_rows[scopes] = tallies_for(
                self.contacts, scopes.contact_keys, ContactTally
            )
        return found

    def team_tallies(self, scopes: EventScopes) -> list[TeamTally]:
        found = self._team_rows.get(scopes)
        if found is None:
            found = self._team_rows[scopes] = tallies_for(self.teams, scopes.team_keys, TeamTally)
        return found

    def campaign_tallies(self, scopes: EventScopes) -> list[CampaignTally]:
        found = self._campaign_rows.get(scopes)
        if found is None:
            found = self._campaign_rows[scopes] = tallies_for(
                self.campaigns, scopes.campaign_keys, CampaignTally
            )
        return found
