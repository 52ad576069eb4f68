"""The KPI catalog: every KPI the product knows, with the metadata users and dashboards rely on.

The catalog is code, not configuration: a KPI's period, direction and formula are part of its
definition and users cannot change them (they set *targets* for KPIs, see ``exporter.targets``).

Each KPI is published as ``kpi_value{kpi="<name>", <scope labels>}`` for every label set in
``scopes``: ``()`` is the whole site, ``("channel",)`` one series per channel, and so on. A target's
scope may use any label in ``scope_labels`` (the union of those sets).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


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
_QUEUE_SCOPES: tuple[tuple[str, ...], ...] = ((), ("channel",), ("queue", "channel"))
_TEAM_SCOPES: tuple[tuple[str, ...], ...] = (("team",), ("team", "agent"))
_CAMPAIGN_SCOPES: tuple[tuple[str, ...], ...] = ((), ("campaign",))


@dataclass(frozen=True, slots=True)
class Kpi:
    name: str
    title: str
    tab: Tab
    period: Period
    unit: Unit
    direction: Direction
    scopes: tuple[tuple[str, ...], ...]
    formula: str
    eligible: bool = True
    # Inclusive bounds a value (and so a target) can take; None means unbounded on that side.
    minimum: float | None = 0.0
    maximum: float | None = None
    description: str = ""

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


def _ratio(**kwargs: object) -> Kpi:
    return Kpi(unit=Unit.RATIO, minimum=0.0, maximum=1.0, **kwargs)  # type: ignore[arg-type]


CATALOG: tuple[Kpi, ...] = (
    # --- Contact Center Operations -------------------------------------------------------------
    _ratio(
        name="service_level_ratio",
        title="Service level",
        tab=Tab.OPERATIONS,
        period=Period.HOURLY,
        direction=Direction.HIGHER,
        scopes=_QUEUE_SCOPES,
        formula=(
            "answered within T / (answered + abandoned - short abandons) (default variant "
            "offered_minus_short_abandons; see service-level variants). "
            "T per channel: voice 20 s, chat 30 s, email 4 business hours; within is <=, "
            "measured from queue entry"
        ),
    ),
    Kpi(
        name="average_speed_of_answer_seconds",
        title="Average speed of answer",
        tab=Tab.OPERATIONS,
        period=Period.HOURLY,
        unit=Unit.SECONDS,
        direction=Direction.LOWER,
        scopes=_QUEUE_SCOPES,
        formula="sum of wait seconds of answered contacts / answered contacts",
    ),
    _ratio(
        name="abandonment_ratio",
        title="Abandonment rate",
        tab=Tab.OPERATIONS,
        period=Period.HOURLY,
        direction=Direction.LOWER,
        scopes=_QUEUE_SCOPES,
        formula="abandoned (excluding short abandons) / (answered + abandoned excluding short)",
    ),
    Kpi(
        name="average_handle_time_seconds",
        title="Average handle time",
        tab=Tab.OPERATIONS,
        period=Period.HOURLY,
        unit=Unit.SECONDS,
        direction=Direction.LOWER,
        scopes=_QUEUE_SCOPES,
        formula="(talk + hold + after-contact work seconds) / handled contacts",
    ),
    Kpi(
        name="contacts_waiting",
        title="Contacts waiting",
        tab=Tab.OPERATIONS,
        period=Period.IN_QUEUE,
        unit=Unit.CONTACTS,
        direction=Direction.LOWER,
        scopes=_QUEUE_SCOPES,
        formula="contacts in queue now (offered, not yet answered or abandoned)",
    ),
    Kpi(
        name="longest_wait_seconds",
        title="Longest wait",
        tab=Tab.OPERATIONS,
        period=Period.IN_QUEUE,
        unit=Unit.SECONDS,
        direction=Direction.LOWER,
        scopes=_QUEUE_SCOPES,
        formula="now - queue entry of the oldest contact waiting (0 when none waits)",
    ),
    _ratio(
        name="first_contact_resolution_ratio",
        title="First contact resolution",
        tab=Tab.OPERATIONS,
        period=Period.HOURLY,
        direction=Direction.HIGHER,
        scopes=_QUEUE_SCOPES,
        formula="contacts resolved on first contact / handled contacts with a known resolution",
    ),
    Kpi(
        name="customer_satisfaction_score",
        title="CSAT",
        tab=Tab.OPERATIONS,
        period=Period.HOURLY,
        unit=Unit.SCORE,
        direction=Direction.HIGHER,
        scopes=_QUEUE_SCOPES,
        formula="mean of CSAT survey answers on a 1-5 scale",
        minimum=1.0,
        maximum=5.0,
    ),
    Kpi(
        name="net_promoter_score",
        title="NPS",
        tab=Tab.OPERATIONS,
        period=Period.ALL_TIME,
        unit=Unit.SCORE,
        direction=Direction.HIGHER,
        scopes=_QUEUE_SCOPES,
        formula="100 * (promoters (9-10) - detractors (0-6)) / NPS answers, -100..100",
        minimum=-100.0,
        maximum=100.0,
        description="A long-term loyalty measure, so it is cumulative rather than hourly.",
    ),
    Kpi(
        name="customer_effort_score",
        title="CES",
        tab=Tab.OPERATIONS,
        period=Period.HOURLY,
        unit=Unit.SCORE,
        direction=Direction.LOWER,
        scopes=_QUEUE_SCOPES,
        formula="mean of CES survey answers on a 1-7 scale (lower is less effort)",
        minimum=1.0,
        maximum=7.0,
    ),
    _ratio(
        name="bot_containment_ratio",
        title="Bot containment",
        tab=Tab.OPERATIONS,
        period=Period.HOURLY,
        direction=Direction.HIGHER,
        scopes=_QUEUE_SCOPES,
        formula="bot sessions resolved without a human / bot sessions",
    ),
    _ratio(
        name="outbound_answer_ratio",
        title="Outbound answer rate",
        tab=Tab.OPERATIONS,
        period=Period.HOURLY,
        direction=Direction.HIGHER,
        scopes=_CAMPAIGN_SCOPES,
        formula="dials answered by anything (person or machine) / dials",
    ),
    _ratio(
        name="outbound_contact_ratio",
        title="Outbound contact rate",
        tab=Tab.OPERATIONS,
        period=Period.HOURLY,
        direction=Direction.HIGHER,
        scopes=_CAMPAIGN_SCOPES,
        formula="dials that reached a live person (connected or dropped) / dials",
    ),
    _ratio(
        name="outbound_conversion_ratio",
        title="Outbound conversion rate",
        tab=Tab.OPERATIONS,
        period=Period.HOURLY,
        direction=Direction.HIGHER,
        scopes=_CAMPAIGN_SCOPES,
        formula="converted / dials connected to an agent",
    ),
    _ratio(
        name="outbound_drop_ratio",
        title="Outbound drop rate",
        tab=Tab.OPERATIONS,
        period=Period.HOURLY,
        direction=Direction.LOWER,
        scopes=_CAMPAIGN_SCOPES,
        formula="dropped (live person, no agent free) / (connected to an agent + dropped)",
    ),
    Kpi(
        name="ai_customer_experience_score",
        title="AI customer experience score",
        tab=Tab.OPERATIONS,
        period=Period.HOURLY,
        unit=Unit.SCORE,
        direction=Direction.HIGHER,
        scopes=_QUEUE_SCOPES,
        formula="mean AI-assessed experience score of handled contacts, 0-100",
        eligible=False,
        maximum=100.0,
        description=(
            "AI-powered assessment: use it for insight and investigation, not for targets."
        ),
    ),
    # --- Team Performance ----------------------------------------------------------------------
    _ratio(
        name="occupancy_ratio",
        title="Team occupancy",
        tab=Tab.TEAM,
        period=Period.HOURLY,
        direction=Direction.BAND,
        scopes=_TEAM_SCOPES,
        formula="busy (on a contact or an outbound call) + after-contact-work seconds "
        "/ (busy + after-contact-work + available)",
        description="Healthy between about 70 % and 85 %: lower idles agents, higher burns out.",
    ),
    Kpi(
        name="agents_available",
        title="Agents available",
        tab=Tab.TEAM,
        period=Period.LIVE,
        unit=Unit.AGENTS,
        direction=Direction.HIGHER,
        scopes=((), ("team",)),
        formula="agents logged in and available (not busy, not on an outbound call, "
        "not in after-contact work, not paused)",
    ),
    Kpi(
        name="contacts_handled",
        title="Contacts handled",
        tab=Tab.TEAM,
        period=Period.HOURLY,
        unit=Unit.CONTACTS,
        direction=Direction.HIGHER,
        scopes=_TEAM_SCOPES,
        formula="contacts whose handling ended in the current hour",
    ),
    Kpi(
        name="team_average_handle_time_seconds",
        title="Team average handle time",
        tab=Tab.TEAM,
        period=Period.HOURLY,
        unit=Unit.SECONDS,
        direction=Direction.LOWER,
        scopes=_TEAM_SCOPES,
        formula="(talk + hold + after-contact work seconds) / handled contacts, per team",
    ),
    _ratio(
        name="team_first_contact_resolution_ratio",
        title="Team first contact resolution",
        tab=Tab.TEAM,
        period=Period.HOURLY,
        direction=Direction.HIGHER,
        scopes=_TEAM_SCOPES,
        formula="contacts resolved on first contact / handled contacts with a known resolution",
    ),
    Kpi(
        name="team_customer_satisfaction_score",
        title="Team CSAT",
        tab=Tab.TEAM,
        period=Period.HOURLY,
        unit=Unit.SCORE,
        direction=Direction.HIGHER,
        scopes=_TEAM_SCOPES,
        formula="mean of CSAT survey answers on a 1-5 scale, per team",
        minimum=1.0,
        maximum=5.0,
    ),
)

_BY_NAME: dict[str, Kpi] = {kpi.name: kpi for kpi in CATALOG}


def get(name: str) -> Kpi:
    """The KPI called ``name``; KeyError when the catalog has none."""
    return _BY_NAME[name]


def find(name: str) -> Kpi | None:
    return _BY_NAME.get(name)


def names() -> tuple[str, ...]:
    return tuple(_BY_NAME)
