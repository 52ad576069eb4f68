"""The running sums KPI formulas read: one type per ``Family``, one set per scope and period.

They are the raw data a KPI is computed from, so they sit beneath both the catalog (whose formulas
read them) and the engine (which fills them: ``exporter.engine.tallies``). Every field is a plain
sum updated in constant time per event; a new kind of raw data is a new field here (and in
``exporter.engine.tallies.HourRow``, which the engine counts it in).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ServiceLevelVariant(enum.StrEnum):
    """The service-level definitions in use across vendors. W = answered within the threshold T.

    Every denominator counts contacts that reached an outcome (answered or abandoned), so numerator
    and denominator always cover the same contacts.
    """

    ANSWERED = "answered"  # W / answered (Asterisk's SL, Erlang C's)
    ANSWERED_AND_ABANDONED = "answered_and_abandoned"  # W / (answered + abandoned)
    ABANDONED_AFTER_THRESHOLD = "abandoned_after_threshold"  # W / (answered + abandoned after T)
    OFFERED_MINUS_SHORT_ABANDONS = "offered_minus_short_abandons"  # W / (offered - short abandons)
    WITHIN_THRESHOLD = "within_threshold"  # (W + abandoned within T) / offered (Asterisk's SL2)


DEFAULT_SERVICE_LEVEL_VARIANT = ServiceLevelVariant.OFFERED_MINUS_SHORT_ABANDONS


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


@dataclass(frozen=True, slots=True)
class WaitingNow:
    """The contacts of one queue scope waiting at the snapshot instant."""

    waiting: int
    longest_wait_seconds: float  # 0 when none waits
