"""KPI formulas over tallies: pure functions, one per catalog KPI computed from running sums.

Each returns ``(value, sample_size)``, or None when the period has no data for it (a zero
denominator): a KPI without data yields no sample, never a fake 0 or 1. ``sample_size`` is the
denominator (contacts, answers, dials, sessions; staffed seconds for occupancy).

The formulas follow the catalog's ``formula`` texts. Service level counts, in every variant, only
contacts that reached an outcome (answered or abandoned) in the period, so numerator and
denominator always cover the same contacts; W = answered within the channel's threshold T:

================================  ==========================================
variant                           formula
================================  ==========================================
``answered``                      W / answered
``answered_and_abandoned``        W / (answered + abandoned)
``abandoned_after_threshold``     W / (answered + abandoned after T)
``offered_minus_short_abandons``  W / (answered + abandoned - short abandons)
``within_threshold``              (W + abandoned within T) / (answered + abandoned)
================================  ==========================================
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from exporter.engine.tallies import CampaignTally, ContactTally, NpsTally, TeamTally
from exporter.engine.types import ServiceLevelVariant

Result = tuple[float, float] | None  # (value, sample_size), or None without data


class Family(enum.Enum):
    """Which running state a KPI is computed from."""

    CONTACTS = "contacts"  # hourly ContactTally per queue scope
    NPS = "nps"  # all-time NpsTally per queue scope
    TEAMS = "teams"  # hourly TeamTally per team scope
    CAMPAIGNS = "campaigns"  # hourly CampaignTally per campaign scope
    WAITING = "waiting"  # contacts waiting now
    AGENTS = "agents"  # agent states now


def _fraction(numerator: float, denominator: float) -> Result:
    return None if denominator <= 0 else (numerator / denominator, float(denominator))


def service_level(tally: ContactTally, variant: ServiceLevelVariant) -> Result:
    within = tally.answered_within
    outcomes = tally.answered + tally.abandoned
    match variant:
        case ServiceLevelVariant.ANSWERED:
            return _fraction(within, tally.answered)
        case ServiceLevelVariant.ANSWERED_AND_ABANDONED:
            return _fraction(within, outcomes)
        case ServiceLevelVariant.ABANDONED_AFTER_THRESHOLD:
            abandoned_after = tally.abandoned - tally.abandoned_within
            return _fraction(within, tally.answered + abandoned_after)
        case ServiceLevelVariant.OFFERED_MINUS_SHORT_ABANDONS:
            return _fraction(within, outcomes - tally.abandoned_short)
        case ServiceLevelVariant.WITHIN_THRESHOLD:
            return _fraction(within + tally.abandoned_within, outcomes)
    raise ValueError(f"unknown service level variant {variant!r}")  # pragma: no cover


def average_speed_of_answer(tally: ContactTally) -> Result:
    return _fraction(tally.answered_wait_seconds, tally.answered)


def abandonment(tally: ContactTally) -> Result:
    counted_abandons = tally.abandoned - tally.abandoned_short
    return _fraction(counted_abandons, tally.answered + counted_abandons)


def average_handle_time(tally: ContactTally | TeamTally) -> Result:
    return _fraction(tally.handle_seconds, tally.handled)


def first_contact_resolution(tally: ContactTally | TeamTally) -> Result:
    return _fraction(tally.resolved, tally.resolution_known)


def customer_satisfaction(tally: ContactTally | TeamTally) -> Result:
    return _fraction(tally.csat_sum, tally.csat_answers)


def customer_effort(tally: ContactTally) -> Result:
    return _fraction(tally.ces_sum, tally.ces_answers)


def ai_customer_experience(tally: ContactTally) -> Result:
    return _fraction(tally.ai_cx_sum, tally.ai_cx_answers)


def bot_containment(tally: ContactTally) -> Result:
    return _fraction(tally.bot_contained, tally.bot_sessions)


def net_promoter_score(tally: NpsTally) -> Result:
    return _fraction(100.0 * (tally.promoters - tally.detractors), tally.answers)


def outbound_answer(tally: CampaignTally) -> Result:
    return _fraction(tally.machine + tally.live + tally.dropped, tally.dials)


def outbound_contact(tally: CampaignTally) -> Result:
    return _fraction(tally.live + tally.dropped, tally.dials)


def outbound_conversion(tally: CampaignTally) -> Result:
    return _fraction(tally.converted, tally.live)


def outbound_drop(tally: CampaignTally) -> Result:
    return _fraction(tally.dropped, tally.live + tally.dropped)


def occupancy(tally: TeamTally) -> Result:
    occupied = tally.busy_seconds + tally.after_contact_work_seconds
    return _fraction(occupied, occupied + tally.available_seconds)


def contacts_handled(tally: TeamTally) -> Result:
    # A count, not a ratio: the count itself is the volume behind it.
    return None if tally.handled == 0 else (float(tally.handled), float(tally.handled))


# KPI name -> (family, formula). Service level takes the variant too, so it is bound by the engine.
CONTACT_FORMULAS: dict[str, Callable[[ContactTally], Result]] = {
    "average_speed_of_answer_seconds": average_speed_of_answer,
    "abandonment_ratio": abandonment,
    "average_handle_time_seconds": average_handle_time,
    "first_contact_resolution_ratio": first_contact_resolution,
    "customer_satisfaction_score": customer_satisfaction,
    "customer_effort_score": customer_effort,
    "bot_containment_ratio": bot_containment,
    "ai_customer_experience_score": ai_customer_experience,
}
SERVICE_LEVEL_KPI = "service_level_ratio"
NPS_FORMULAS: dict[str, Callable[[NpsTally], Result]] = {
    "net_promoter_score": net_promoter_score,
}
TEAM_FORMULAS: dict[str, Callable[[TeamTally], Result]] = {
    "occupancy_ratio": occupancy,
    "contacts_handled": contacts_handled,
    "team_average_handle_time_seconds": average_handle_time,
    "team_first_contact_resolution_ratio": first_contact_resolution,
    "team_customer_satisfaction_score": customer_satisfaction,
}
CAMPAIGN_FORMULAS: dict[str, Callable[[CampaignTally], Result]] = {
    "outbound_answer_ratio": outbound_answer,
    "outbound_contact_ratio": outbound_contact,
    "outbound_conversion_ratio": outbound_conversion,
    "outbound_drop_ratio": outbound_drop,
}
WAITING_KPIS = ("contacts_waiting", "longest_wait_seconds")
AGENT_KPIS = ("agents_available",)


def family_of(kpi: str) -> Family:
    """The state a KPI is computed from; KeyError for a KPI the engine does not know."""
    if kpi in CONTACT_FORMULAS or kpi == SERVICE_LEVEL_KPI:
        return Family.CONTACTS
    if kpi in NPS_FORMULAS:
        return Family.NPS
    if kpi in TEAM_FORMULAS:
        return Family.TEAMS
    if kpi in CAMPAIGN_FORMULAS:
        return Family.CAMPAIGNS
    if kpi in WAITING_KPIS:
        return Family.WAITING
    if kpi in AGENT_KPIS:
        return Family.AGENTS
    raise KeyError(f"the KPI engine has no formula for {kpi!r}")
