"""The Team Performance KPIs: one entry each, with its formulas beside it (those a team KPI
shares with its Operations counterpart are that one's, ``exporter.catalog.operations``)."""

from __future__ import annotations

from exporter import names
from exporter.catalog.kpi import TEAM_SCOPES, Direction, Family, Kpi, Period, Result, Tab, Unit
from exporter.catalog.operations import (
    average_handle_time,
    average_handle_time_over,
    customer_satisfaction,
    customer_satisfaction_over,
    first_contact_resolution,
    first_contact_resolution_over,
    fraction,
)
from exporter.catalog.promql import Range
from exporter.catalog.sums import TeamTally


def occupancy(tally: TeamTally) -> Result:
    occupied = tally.busy_seconds + tally.after_contact_work_seconds
    return fraction(occupied, occupied + tally.available_seconds)


OCCUPANCY = Kpi(
    name="occupancy_ratio",
    title="Team occupancy",
    tab=Tab.TEAM,
    period=Period.HOURLY,
    unit=Unit.RATIO,
    direction=Direction.BAND,
    scopes=TEAM_SCOPES,
    formula="busy (on a contact or an outbound call) + after-contact-work seconds "
    "/ (busy + after-contact-work + available)",
    family=Family.TEAMS,
    compute=occupancy,
    over_range=None,
    no_range=f"no range panel yet ({names.AGENT_STATE_SECONDS} holds what it would need)",
    maximum=1.0,
    description="Healthy between about 70 % and 85 %: lower idles agents, higher burns out.",
    volume_noun="staffed seconds",
    min_sample=1800,  # half an agent-hour
)


def agents_available(count: int) -> Result:
    return float(count), None


AGENTS_AVAILABLE = Kpi(
    name="agents_available",
    title="Agents available",
    tab=Tab.TEAM,
    period=Period.LIVE,
    unit=Unit.AGENTS,
    direction=Direction.HIGHER,
    scopes=((), ("team",)),
    formula="agents logged in and available (not busy, not on an outbound call, "
    "not in after-contact work, not paused)",
    family=Family.AGENTS,
    compute=agents_available,
    over_range=None,
    no_range="a Live KPI is the state now, not a flow over a range",
)


def contacts_handled(tally: TeamTally) -> Result:
    # A count, not a ratio: the count itself is the volume behind it.
    return None if tally.handled == 0 else (float(tally.handled), float(tally.handled))


def contacts_handled_over(over: Range) -> str:
    return over.handler(names.CONTACTS_HANDLED)


CONTACTS_HANDLED = Kpi(
    name="contacts_handled",
    title="Contacts handled",
    tab=Tab.TEAM,
    period=Period.HOURLY,
    unit=Unit.CONTACTS,
    direction=Direction.HIGHER,
    scopes=TEAM_SCOPES,
    formula="contacts whose handling ended in the current hour",
    family=Family.TEAMS,
    compute=contacts_handled,
    over_range=contacts_handled_over,
)

TEAM_AVERAGE_HANDLE_TIME = Kpi(
    name="team_average_handle_time_seconds",
    title="Team average handle time",
    tab=Tab.TEAM,
    period=Period.HOURLY,
    unit=Unit.SECONDS,
    direction=Direction.LOWER,
    scopes=TEAM_SCOPES,
    formula="(talk + hold + after-contact work seconds) / handled contacts, per team",
    family=Family.TEAMS,
    compute=average_handle_time,
    over_range=average_handle_time_over,
)

TEAM_FIRST_CONTACT_RESOLUTION = Kpi(
    name="team_first_contact_resolution_ratio",
    title="Team first contact resolution",
    tab=Tab.TEAM,
    period=Period.HOURLY,
    unit=Unit.RATIO,
    direction=Direction.HIGHER,
    scopes=TEAM_SCOPES,
    formula="contacts resolved on first contact / handled contacts with a known resolution",
    family=Family.TEAMS,
    compute=first_contact_resolution,
    over_range=first_contact_resolution_over,
    maximum=1.0,
)

TEAM_CUSTOMER_SATISFACTION = Kpi(
    name="team_customer_satisfaction_score",
    title="Team CSAT",
    tab=Tab.TEAM,
    period=Period.HOURLY,
    unit=Unit.SCORE,
    direction=Direction.HIGHER,
    scopes=TEAM_SCOPES,
    formula="mean of CSAT survey answers on a 1-5 scale, per team",
    family=Family.TEAMS,
    compute=customer_satisfaction,
    over_range=customer_satisfaction_over,
    minimum=1.0,
    maximum=5.0,
    volume_noun="survey answers",
)

KPIS: tuple[Kpi, ...] = (
    OCCUPANCY,
    AGENTS_AVAILABLE,
    CONTACTS_HANDLED,
    TEAM_AVERAGE_HANDLE_TIME,
    TEAM_FIRST_CONTACT_RESOLUTION,
    TEAM_CUSTOMER_SATISFACTION,
)
