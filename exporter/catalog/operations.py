"""The Contact Center Operations KPIs: one entry each, with its formulas beside it.

Each formula over the sums returns ``(value, sample_size)``, or None when the period has no data
for it (a zero denominator); ``sample_size`` is the denominator (contacts, answers, dials,
sessions). Service level counts, in every variant, only contacts that reached an outcome (answered
or abandoned) in the period, so numerator and denominator always cover the same contacts;
W = answered within the channel's threshold T:

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

from functools import partial

from exporter import names
from exporter.catalog.kpi import (
    CAMPAIGN_SCOPES,
    QUEUE_SCOPES,
    Direction,
    Family,
    Kpi,
    Period,
    Result,
    Tab,
    Unit,
)
from exporter.catalog.promql import Range, label, ratio
from exporter.catalog.sums import (
    DEFAULT_SERVICE_LEVEL_VARIANT,
    CampaignTally,
    ContactTally,
    NpsTally,
    ServiceLevelVariant,
    TeamTally,
    WaitingNow,
)

_IN_QUEUE_HAS_NO_RANGE = "an In Queue KPI is the state now, not a flow over a range"


def fraction(numerator: float, denominator: float) -> Result:
    """numerator / denominator with the denominator as the sample size; None when it is 0."""
    return None if denominator <= 0 else (numerator / denominator, float(denominator))


def _real_outcomes(over: Range) -> str:
    """answered + abandoned - short abandons, over the range."""
    return (
        f"({over.queue(names.CONTACTS_ANSWERED)} + {over.queue(names.CONTACTS_ABANDONED)}"
        f" - {over.queue(names.CONTACTS_ABANDONED_SHORT)})"
    )


def _survey_mean(survey: str, over: Range) -> str:
    answered = label(names.SURVEY, survey)
    return ratio(
        over.handler(names.SURVEY_SCORE_POINTS, answered),
        over.handler(names.SURVEY_ANSWERS, answered),
    )


# --- service level --------------------------------------------------------------------------


def service_level(tally: ContactTally, variant: ServiceLevelVariant) -> Result:
    within = tally.answered_within
    outcomes = tally.answered + tally.abandoned
    match variant:
        case ServiceLevelVariant.ANSWERED:
            return fraction(within, tally.answered)
        case ServiceLevelVariant.ANSWERED_AND_ABANDONED:
            return fraction(within, outcomes)
        case ServiceLevelVariant.ABANDONED_AFTER_THRESHOLD:
            abandoned_after = tally.abandoned - tally.abandoned_within
            return fraction(within, tally.answered + abandoned_after)
        case ServiceLevelVariant.OFFERED_MINUS_SHORT_ABANDONS:
            return fraction(within, outcomes - tally.abandoned_short)
        case ServiceLevelVariant.WITHIN_THRESHOLD:
            return fraction(within + tally.abandoned_within, outcomes)
    raise ValueError(f"unknown service level variant {variant!r}")  # pragma: no cover


def service_level_over(over: Range) -> str:
    # The default variant: the one the dashboards' range panels show.
    return ratio(over.queue(names.CONTACTS_ANSWERED_WITHIN_THRESHOLD), _real_outcomes(over))


SERVICE_LEVEL = Kpi(
    name="service_level_ratio",
    title="Service level",
    tab=Tab.OPERATIONS,
    period=Period.HOURLY,
    unit=Unit.RATIO,
    direction=Direction.HIGHER,
    scopes=QUEUE_SCOPES,
    formula=(
        "answered within T / (answered + abandoned - short abandons) (default variant "
        "offered_minus_short_abandons; see service-level variants). "
        "T per channel: voice 20 s, chat 30 s, email 4 business hours; within is <=, "
        "measured from queue entry"
    ),
    family=Family.CONTACTS,
    compute=partial(service_level, variant=DEFAULT_SERVICE_LEVEL_VARIANT),
    variants={variant: partial(service_level, variant=variant) for variant in ServiceLevelVariant},
    over_range=service_level_over,
    maximum=1.0,
)

# --- answer, abandon, handle ------------------------------------------------------------------


def average_speed_of_answer(tally: ContactTally) -> Result:
    return fraction(tally.answered_wait_seconds, tally.answered)


def average_speed_of_answer_over(over: Range) -> str:
    return ratio(over.queue(names.ANSWERED_WAIT_SECONDS), over.queue(names.CONTACTS_ANSWERED))


AVERAGE_SPEED_OF_ANSWER = Kpi(
    name="average_speed_of_answer_seconds",
    title="Average speed of answer",
    tab=Tab.OPERATIONS,
    period=Period.HOURLY,
    unit=Unit.SECONDS,
    direction=Direction.LOWER,
    scopes=QUEUE_SCOPES,
    formula="sum of wait seconds of answered contacts / answered contacts",
    family=Family.CONTACTS,
    compute=average_speed_of_answer,
    over_range=average_speed_of_answer_over,
)


def abandonment(tally: ContactTally) -> Result:
    counted_abandons = tally.abandoned - tally.abandoned_short
    return fraction(counted_abandons, tally.answered + counted_abandons)


def abandonment_over(over: Range) -> str:
    counted_abandons = (
        f"({over.queue(names.CONTACTS_ABANDONED)} - {over.queue(names.CONTACTS_ABANDONED_SHORT)})"
    )
    return ratio(counted_abandons, _real_outcomes(over))


ABANDONMENT = Kpi(
    name="abandonment_ratio",
    title="Abandonment rate",
    tab=Tab.OPERATIONS,
    period=Period.HOURLY,
    unit=Unit.RATIO,
    direction=Direction.LOWER,
    scopes=QUEUE_SCOPES,
    formula="abandoned (excluding short abandons) / (answered + abandoned excluding short)",
    family=Family.CONTACTS,
    compute=abandonment,
    over_range=abandonment_over,
    maximum=1.0,
)


def average_handle_time(tally: ContactTally | TeamTally) -> Result:
    return fraction(tally.handle_seconds, tally.handled)


def average_handle_time_over(over: Range) -> str:
    return ratio(over.handler(names.HANDLE_SECONDS), over.handler(names.CONTACTS_HANDLED))


AVERAGE_HANDLE_TIME = Kpi(
    name="average_handle_time_seconds",
    title="Average handle time",
    tab=Tab.OPERATIONS,
    period=Period.HOURLY,
    unit=Unit.SECONDS,
    direction=Direction.LOWER,
    scopes=QUEUE_SCOPES,
    formula="(talk + hold + after-contact work seconds) / handled contacts",
    family=Family.CONTACTS,
    compute=average_handle_time,
    over_range=average_handle_time_over,
)

# --- in queue now -----------------------------------------------------------------------------


def contacts_waiting(now: WaitingNow) -> Result:
    return float(now.waiting), None


CONTACTS_WAITING = Kpi(
    name="contacts_waiting",
    title="Contacts waiting",
    tab=Tab.OPERATIONS,
    period=Period.IN_QUEUE,
    unit=Unit.CONTACTS,
    direction=Direction.LOWER,
    scopes=QUEUE_SCOPES,
    formula="contacts in queue now (offered, not yet answered or abandoned)",
    family=Family.WAITING,
    compute=contacts_waiting,
    over_range=None,
    no_range=_IN_QUEUE_HAS_NO_RANGE,
)


def longest_wait(now: WaitingNow) -> Result:
    return now.longest_wait_seconds, None


LONGEST_WAIT = Kpi(
    name="longest_wait_seconds",
    title="Longest wait",
    tab=Tab.OPERATIONS,
    period=Period.IN_QUEUE,
    unit=Unit.SECONDS,
    direction=Direction.LOWER,
    scopes=QUEUE_SCOPES,
    formula="now - queue entry of the oldest contact waiting (0 when none waits)",
    family=Family.WAITING,
    compute=longest_wait,
    over_range=None,
    no_range=_IN_QUEUE_HAS_NO_RANGE,
)

# --- resolution and surveys -------------------------------------------------------------------


def first_contact_resolution(tally: ContactTally | TeamTally) -> Result:
    return fraction(tally.resolved, tally.resolution_known)


def first_contact_resolution_over(over: Range) -> str:
    return ratio(
        over.handler(names.CONTACTS_RESOLVED), over.handler(names.CONTACTS_RESOLUTION_KNOWN)
    )


FIRST_CONTACT_RESOLUTION = Kpi(
    name="first_contact_resolution_ratio",
    title="First contact resolution",
    tab=Tab.OPERATIONS,
    period=Period.HOURLY,
    unit=Unit.RATIO,
    direction=Direction.HIGHER,
    scopes=QUEUE_SCOPES,
    formula="contacts resolved on first contact / handled contacts with a known resolution",
    family=Family.CONTACTS,
    compute=first_contact_resolution,
    over_range=first_contact_resolution_over,
    maximum=1.0,
)


def customer_satisfaction(tally: ContactTally | TeamTally) -> Result:
    return fraction(tally.csat_sum, tally.csat_answers)


def customer_satisfaction_over(over: Range) -> str:
    return _survey_mean("csat", over)


CUSTOMER_SATISFACTION = Kpi(
    name="customer_satisfaction_score",
    title="CSAT",
    tab=Tab.OPERATIONS,
    period=Period.HOURLY,
    unit=Unit.SCORE,
    direction=Direction.HIGHER,
    scopes=QUEUE_SCOPES,
    formula="mean of CSAT survey answers on a 1-5 scale",
    family=Family.CONTACTS,
    compute=customer_satisfaction,
    over_range=customer_satisfaction_over,
    minimum=1.0,
    maximum=5.0,
    volume_noun="survey answers",
)


def net_promoter_score(tally: NpsTally) -> Result:
    return fraction(100.0 * (tally.promoters - tally.detractors), tally.answers)


def net_promoter_score_over(over: Range) -> str:
    promoters = over.handler(names.NPS_ANSWERS, label(names.CATEGORY, "promoter"))
    detractors = over.handler(names.NPS_ANSWERS, label(names.CATEGORY, "detractor"))
    return "100 * " + ratio(f"({promoters} - {detractors})", over.handler(names.NPS_ANSWERS))


NET_PROMOTER_SCORE = Kpi(
    name="net_promoter_score",
    title="NPS",
    tab=Tab.OPERATIONS,
    period=Period.ALL_TIME,
    unit=Unit.SCORE,
    direction=Direction.HIGHER,
    scopes=QUEUE_SCOPES,
    formula="100 * (promoters (9-10) - detractors (0-6)) / NPS answers, -100..100",
    family=Family.NPS,
    compute=net_promoter_score,
    over_range=net_promoter_score_over,
    minimum=-100.0,
    maximum=100.0,
    description="A long-term loyalty measure, so it is cumulative rather than hourly.",
    volume_noun="survey answers",
    min_sample=30,  # a promoter share needs more answers than a mean does
)


def customer_effort(tally: ContactTally) -> Result:
    return fraction(tally.ces_sum, tally.ces_answers)


def customer_effort_over(over: Range) -> str:
    return _survey_mean("ces", over)


CUSTOMER_EFFORT = Kpi(
    name="customer_effort_score",
    title="CES",
    tab=Tab.OPERATIONS,
    period=Period.HOURLY,
    unit=Unit.SCORE,
    direction=Direction.LOWER,
    scopes=QUEUE_SCOPES,
    formula="mean of CES survey answers on a 1-7 scale (lower is less effort)",
    family=Family.CONTACTS,
    compute=customer_effort,
    over_range=customer_effort_over,
    minimum=1.0,
    maximum=7.0,
    volume_noun="survey answers",
)

# --- self-service -----------------------------------------------------------------------------


def bot_containment(tally: ContactTally) -> Result:
    return fraction(tally.bot_contained, tally.bot_sessions)


def bot_containment_over(over: Range) -> str:
    return ratio(
        over.queue(names.BOT_SESSIONS, label(names.CONTAINED, "true")),
        over.queue(names.BOT_SESSIONS),
    )


BOT_CONTAINMENT = Kpi(
    name="bot_containment_ratio",
    title="Bot containment",
    tab=Tab.OPERATIONS,
    period=Period.HOURLY,
    unit=Unit.RATIO,
    direction=Direction.HIGHER,
    scopes=QUEUE_SCOPES,
    formula="bot sessions resolved without a human / bot sessions",
    family=Family.CONTACTS,
    compute=bot_containment,
    over_range=bot_containment_over,
    maximum=1.0,
    volume_noun="bot sessions",
)

# --- outbound ---------------------------------------------------------------------------------

_LIVE_OR_DROPPED = label(names.OUTCOME, "live|dropped", "=~")


def outbound_answer(tally: CampaignTally) -> Result:
    return fraction(tally.machine + tally.live + tally.dropped, tally.dials)


def outbound_answer_over(over: Range) -> str:
    return ratio(
        over.unfiltered(names.OUTBOUND_DIALS, label(names.OUTCOME, "no_answer", "!=")),
        over.unfiltered(names.OUTBOUND_DIALS),
    )


OUTBOUND_ANSWER = Kpi(
    name="outbound_answer_ratio",
    title="Outbound answer rate",
    tab=Tab.OPERATIONS,
    period=Period.HOURLY,
    unit=Unit.RATIO,
    direction=Direction.HIGHER,
    scopes=CAMPAIGN_SCOPES,
    formula="dials answered by anything (person or machine) / dials",
    family=Family.CAMPAIGNS,
    compute=outbound_answer,
    over_range=outbound_answer_over,
    maximum=1.0,
    volume_noun="dials",
    min_sample=30,
)


def outbound_contact(tally: CampaignTally) -> Result:
    return fraction(tally.live + tally.dropped, tally.dials)


def outbound_contact_over(over: Range) -> str:
    return ratio(
        over.unfiltered(names.OUTBOUND_DIALS, _LIVE_OR_DROPPED),
        over.unfiltered(names.OUTBOUND_DIALS),
    )


OUTBOUND_CONTACT = Kpi(
    name="outbound_contact_ratio",
    title="Outbound contact rate",
    tab=Tab.OPERATIONS,
    period=Period.HOURLY,
    unit=Unit.RATIO,
    direction=Direction.HIGHER,
    scopes=CAMPAIGN_SCOPES,
    formula="dials that reached a live person (connected or dropped) / dials",
    family=Family.CAMPAIGNS,
    compute=outbound_contact,
    over_range=outbound_contact_over,
    maximum=1.0,
    volume_noun="dials",
    min_sample=30,
)


def outbound_conversion(tally: CampaignTally) -> Result:
    return fraction(tally.converted, tally.live)


def outbound_conversion_over(over: Range) -> str:
    return ratio(
        over.unfiltered(names.OUTBOUND_CONVERTED),
        over.unfiltered(names.OUTBOUND_DIALS, label(names.OUTCOME, "live")),
    )


OUTBOUND_CONVERSION = Kpi(
    name="outbound_conversion_ratio",
    title="Outbound conversion rate",
    tab=Tab.OPERATIONS,
    period=Period.HOURLY,
    unit=Unit.RATIO,
    direction=Direction.HIGHER,
    scopes=CAMPAIGN_SCOPES,
    formula="converted / dials connected to an agent",
    family=Family.CAMPAIGNS,
    compute=outbound_conversion,
    over_range=outbound_conversion_over,
    maximum=1.0,
    volume_noun="dials connected to an agent",
    min_sample=30,
)


def outbound_drop(tally: CampaignTally) -> Result:
    return fraction(tally.dropped, tally.live + tally.dropped)


def outbound_drop_over(over: Range) -> str:
    return ratio(
        over.unfiltered(names.OUTBOUND_DIALS, label(names.OUTCOME, "dropped")),
        over.unfiltered(names.OUTBOUND_DIALS, _LIVE_OR_DROPPED),
    )


OUTBOUND_DROP = Kpi(
    name="outbound_drop_ratio",
    title="Outbound drop rate",
    tab=Tab.OPERATIONS,
    period=Period.HOURLY,
    unit=Unit.RATIO,
    direction=Direction.LOWER,
    scopes=CAMPAIGN_SCOPES,
    formula="dropped (live person, no agent free) / (connected to an agent + dropped)",
    family=Family.CAMPAIGNS,
    compute=outbound_drop,
    over_range=outbound_drop_over,
    maximum=1.0,
    volume_noun="dials that reached a person",
    min_sample=30,
)

# --- AI assessment ----------------------------------------------------------------------------


def ai_customer_experience(tally: ContactTally) -> Result:
    return fraction(tally.ai_cx_sum, tally.ai_cx_answers)


AI_CUSTOMER_EXPERIENCE = Kpi(
    name="ai_customer_experience_score",
    title="AI customer experience score",
    tab=Tab.OPERATIONS,
    period=Period.HOURLY,
    unit=Unit.SCORE,
    direction=Direction.HIGHER,
    scopes=QUEUE_SCOPES,
    formula="mean AI-assessed experience score of handled contacts, 0-100",
    family=Family.CONTACTS,
    compute=ai_customer_experience,
    over_range=None,
    no_range="not eligible for targets, so on no dashboard",
    eligible=False,
    maximum=100.0,
    description="AI-powered assessment: use it for insight and investigation, not for targets.",
)

KPIS: tuple[Kpi, ...] = (
    SERVICE_LEVEL,
    AVERAGE_SPEED_OF_ANSWER,
    ABANDONMENT,
    AVERAGE_HANDLE_TIME,
    CONTACTS_WAITING,
    LONGEST_WAIT,
    FIRST_CONTACT_RESOLUTION,
    CUSTOMER_SATISFACTION,
    NET_PROMOTER_SCORE,
    CUSTOMER_EFFORT,
    BOT_CONTAINMENT,
    OUTBOUND_ANSWER,
    OUTBOUND_CONTACT,
    OUTBOUND_CONVERSION,
    OUTBOUND_DROP,
    AI_CUSTOMER_EXPERIENCE,
)
