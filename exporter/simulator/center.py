"""What the contact-center simulator simulates: a tree of frozen dataclasses, documented defaults.

``default_config()`` is the embedded demo: two voice queues, a chat queue behind a bot, an email
queue, four teams and an outbound campaign, staffed hour by hour with Erlang C so that the KPIs move
around their usual targets. ``erlang_config()`` is the textbook M/M/N queue the tests check against
queueing theory.

Hours are hours of the local day in ``SimulatorConfig.timezone``; times are Unix epoch seconds.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from exporter.events import Channel
from exporter.simulator import erlang

HOURS_PER_DAY = 24

# A Monday at local midnight: a fixed default start keeps seeded runs reproducible.
DEFAULT_TIMEZONE = "Europe/Rome"
DEFAULT_START = datetime(2026, 3, 2, tzinfo=ZoneInfo(DEFAULT_TIMEZONE)).timestamp()


@dataclass(frozen=True, slots=True)
class ArrivalCurve:
    """A non-homogeneous Poisson arrival process: mean contacts per hour for each local hour."""

    per_hour: tuple[float, ...]

    @classmethod
    def flat(cls, contacts_per_hour: float) -> ArrivalCurve:
        return cls((contacts_per_hour,) * HOURS_PER_DAY)

    @classmethod
    def shaped(cls, peak_per_hour: float, shape: tuple[float, ...]) -> ArrivalCurve:
        """``shape`` gives each hour relative to the peak hour (0..1)."""
        return cls(tuple(peak_per_hour * weight for weight in shape))


@dataclass(frozen=True, slots=True)
class HandlingConfig:
    """Handle time = talk + hold + after-contact work (ACW); the agent is busy through ACW.

    Talk and ACW follow Erlang-k distributions (k = ``*_shape``; 1 is exponential, larger k is less
    variable); hold happens with ``hold_probability`` and is exponential.
    """

    talk_mean_seconds: float = 230.0
    talk_shape: int = 2
    hold_probability: float = 0.25
    hold_mean_seconds: float = 60.0
    acw_mean_seconds: float = 50.0
    acw_shape: int = 3

    @property
    def mean_seconds(self) -> float:
        """The average handle time this configuration produces."""
        return (
            self.talk_mean_seconds
            + self.hold_probability * self.hold_mean_seconds
            + self.acw_mean_seconds
        )


@dataclass(frozen=True, slots=True)
class SurveyConfig:
    """Post-contact survey: answered with ``response_probability`` some minutes after the contact.

    Scores come from one latent satisfaction per contact (standard normal, lowered by a long wait
    and by an unresolved contact), so CSAT, NPS and CES move together as they do in real data.
    """

    response_probability: float = 0.3
    csat_base: float = 4.55  # CSAT 1-5 of a neutral contact, before rounding and clipping
    nps_base: float = 8.9  # likelihood to recommend 0-10
    ces_base: float = 1.8  # effort 1-7, lower is better
    wait_penalty_per_minute: float = 0.15  # latent satisfaction lost per minute of waiting
    unresolved_penalty: float = 0.8
    min_delay_seconds: float = 30.0
    max_delay_seconds: float = 900.0


@dataclass(frozen=True, slots=True)
class BotConfig:
    """A bot/IVR front door: each session is contained, or handed to the queue when it ends."""

    containment_probability: float = 0.65
    session_mean_seconds: float = 90.0


@dataclass(frozen=True, slots=True)
class QueueConfig:
    name: str
    channel: Channel
    arrivals: ArrivalCurve
    handling: HandlingConfig = field(default_factory=HandlingConfig)
    # Patience (how long a caller waits before hanging up): Erlang-k with k = patience_shape
    # (1 = exponential, Erlang A's assumption); None = nobody abandons.
    patience_mean_seconds: float | None = 240.0
    patience_shape: int = 1
    first_contact_resolution_probability: float = 0.75
    survey: SurveyConfig | None = field(default_factory=SurveyConfig)
    bot: BotConfig | None = None
    ai_cx_score: bool = True  # put an AI-assessed experience score (0-100) on ENDED
    # An agent serving several queues takes the highest priority first, then the longest waiting.
    priority: int = 0
    # With this probability the agent transfers the contact to ``transfer_to`` at the end of the
    # talk: TRANSFERRED, then ENDED (unresolved), and the customer enters that queue as a new
    # contact.
    transfer_probability: float = 0.0
    transfer_to: str | None = None


@dataclass(frozen=True, slots=True)
class TeamConfig:
    """A team of agents named ``<team>-01``, ``<team>-02``, ...

    ``staffing`` gives the agents on duty for each local hour: agent i works the hours where
    ``i < staffing[hour]``; an agent whose shift ends finishes the contact in hand, then logs out.
    """

    name: str
    queues: tuple[str, ...]
    staffing: tuple[int, ...]

    @property
    def agent_names(self) -> tuple[str, ...]:
        return tuple(f"{self.name}-{number:02d}" for number in range(1, max(self.staffing) + 1))


@dataclass(frozen=True, slots=True)
class BreakConfig:
    """Agents pause for a break about every ``interval_seconds`` of shift (taken once free)."""

    interval_seconds: float = 7200.0
    duration_mean_seconds: float = 600.0


@dataclass(frozen=True, slots=True)
class CampaignConfig:
    """An outbound campaign dialled for ``team`` by a predictive dialer.

    The dialer keeps about ``pacing_ratio`` dials ringing per available agent; a live person who
    answers when no agent is free is dropped. Outcomes other than no answer arrive after a ring time
    uniform in [``ring_min_seconds``, ``ring_max_seconds``]; no answer after ``ring_max_seconds``.
    """

    name: str
    team: str
    pacing_ratio: float = 1.15
    no_answer_probability: float = 0.45
    machine_probability: float = 0.15
    conversion_probability: float = 0.15
    ring_min_seconds: float = 4.0
    ring_max_seconds: float = 25.0
    handling: HandlingConfig = field(
        default_factory=lambda: HandlingConfig(
            talk_mean_seconds=150.0, hold_probability=0.0, acw_mean_seconds=30.0
        )
    )


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    queues: tuple[QueueConfig, ...]
    teams: tuple[TeamConfig, ...]
    campaigns: tuple[CampaignConfig, ...] = ()
    breaks: BreakConfig | None = field(default_factory=BreakConfig)
    seed: int = 1
    start: float = DEFAULT_START
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise ValueError("invalid simulator configuration: " + "; ".join(problems))

    def agent_queues(self, channel: Channel | None = None) -> dict[str, tuple[str, ...]]:
        """Each agent's queues (only those of ``channel`` when given), for queue_log ADDMEMBER."""
        channels = {queue.name: queue.channel for queue in self.queues}
        result: dict[str, tuple[str, ...]] = {}
        for team in self.teams:
            queues = tuple(q for q in team.queues if channel is None or channels[q] == channel)
            for agent in team.agent_names:
                result[agent] = queues
        return result

    def agent_teams(self) -> dict[str, str]:
        return {agent: team.name for team in self.teams for agent in team.agent_names}


def _problems(config: SimulatorConfig) -> list[str]:
    problems: list[str] = []
    queue_names = [queue.name for queue in config.queues]
    team_names = [team.name for team in config.teams]
    for kind, names in (("queue", queue_names), ("team", team_names)):
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            problems.append(f"duplicate {kind} names {duplicates}")
    try:
        ZoneInfo(config.timezone)
    except (KeyError, ValueError):
        problems.append(f"unknown time zone {config.timezone!r}")
    for queue in config.queues:
        where = f"queue {queue.name!r}"
        if len(queue.arrivals.per_hour) != HOURS_PER_DAY:
            problems.append(f"{where}: arrivals need 24 hourly rates")
        if any(rate < 0 for rate in queue.arrivals.per_hour):
            problems.append(f"{where}: arrival rates must be >= 0")
        if queue.patience_mean_seconds is not None and queue.patience_mean_seconds <= 0:
            problems.append(f"{where}: patience_mean_seconds must be > 0 or None")
        if queue.patience_shape < 1:
            problems.append(f"{where}: patience_shape must be >= 1")
        problems += _handling_problems(where, queue.handling)
        probabilities = {
            "first_contact_resolution_probability": queue.first_contact_resolution_probability
        }
        if queue.survey is not None:
            probabilities["survey.response_probability"] = queue.survey.response_probability
        if queue.bot is not None:
            probabilities["bot.containment_probability"] = queue.bot.containment_probability
        problems += _probability_problems(where, probabilities)
        probabilities_transfer = {"transfer_probability": queue.transfer_probability}
        problems += _probability_problems(where, probabilities_transfer)
        if queue.transfer_probability > 0 and queue.transfer_to not in queue_names:
            problems.append(f"{where}: transfer_to must name a queue, got {queue.transfer_to!r}")
        if not any(queue.name in team.queues for team in config.teams) and any(
            queue.arrivals.per_hour
        ):
            problems.append(f"{where}: no team serves it")
    for team in config.teams:
        where = f"team {team.name!r}"
        if len(team.staffing) != HOURS_PER_DAY:
            problems.append(f"{where}: staffing needs 24 hourly agent counts")
        if any(count < 0 for count in team.staffing):
            problems.append(f"{where}: staffing counts must be >= 0")
        unknown = sorted(set(team.queues) - set(queue_names))
        if unknown:
            problems.append(f"{where}: serves unknown queues {unknown}")
    for campaign in config.campaigns:
        where = f"campaign {campaign.name!r}"
        if campaign.team not in team_names:
            problems.append(f"{where}: unknown team {campaign.team!r}")
        if campaign.pacing_ratio <= 0:
            problems.append(f"{where}: pacing_ratio must be > 0")
        if not 0 <= campaign.ring_min_seconds <= campaign.ring_max_seconds:
            problems.append(f"{where}: need 0 <= ring_min_seconds <= ring_max_seconds")
        problems += _probability_problems(
            where,
            {
                "no_answer_probability + machine_probability": campaign.no_answer_probability
                + campaign.machine_probability,
                "no_answer_probability": campaign.no_answer_probability,
                "machine_probability": campaign.machine_probability,
                "conversion_probability": campaign.conversion_probability,
            },
        )
        problems += _handling_problems(where, campaign.handling)
    if config.breaks is not None and (
        config.breaks.interval_seconds <= 0 or config.breaks.duration_mean_seconds <= 0
    ):
        problems.append("breaks: interval_seconds and duration_mean_seconds must be > 0")
    return problems


def _handling_problems(where: str, handling: HandlingConfig) -> list[str]:
    problems = _probability_problems(
        where, {"handling.hold_probability": handling.hold_probability}
    )
    if handling.talk_mean_seconds <= 0:
        problems.append(f"{where}: handling.talk_mean_seconds must be > 0")
    if handling.hold_mean_seconds < 0 or handling.acw_mean_seconds < 0:
        problems.append(f"{where}: handling hold and ACW means must be >= 0")
    if handling.talk_shape < 1 or handling.acw_shape < 1:
        problems.append(f"{where}: handling shapes must be >= 1")
    return problems


def _probability_problems(where: str, probabilities: dict[str, float]) -> list[str]:
    return [
        f"{where}: {name} must be in [0, 1], got {value}"
        for name, value in probabilities.items()
        if not 0.0 <= value <= 1.0
    ]


# ---- the embedded demo ----------------------------------------------------------------------

# Relative volume by local hour: closed at night, a morning and an afternoon peak.
# fmt: off
WORKDAY_SHAPE: tuple[float, ...] = (
    0, 0, 0, 0, 0, 0, 0, 0,                     # 00-07 closed
    0.45, 0.85, 1.0, 0.95, 0.7, 0.75, 0.95, 0.9,  # 08-15
    0.8, 0.65, 0.45, 0.3,                        # 16-19
    0, 0, 0, 0,                                  # 20-23 closed
)
# fmt: on
# An hour the calendar is on duty that WORKDAY_SHAPE leaves closed (a night shift, a calendar on
# duty around the clock) still gets this share of the peak, so the demo shows KPIs whenever targets
# can be in force.
ON_DUTY_QUIET_SHARE = 0.3

VOICE_THRESHOLD_SECONDS = 20.0
CHAT_THRESHOLD_SECONDS = 30.0
# Erlang C ignores abandons (which shorten everyone's wait) and breaks (which lengthen it); staffing
# each hour for 70 % within the threshold lands the simulated service level around the usual 80 %
# (measured over simulated weeks) with occupancy between 70 % and 80 %.
STAFFING_SERVICE_LEVEL = 0.7


def demo_shape(on_duty_hours: Collection[int] = ()) -> tuple[float, ...]:
    """WORKDAY_SHAPE, with ``ON_DUTY_QUIET_SHARE`` in each of ``on_duty_hours`` it leaves at 0."""
    return tuple(
        ON_DUTY_QUIET_SHARE if share == 0 and hour in on_duty_hours else share
        for hour, share in enumerate(WORKDAY_SHAPE)
    )


def default_config(
    seed: int = 1,
    start: float = DEFAULT_START,
    *,
    on_duty_hours: Collection[int] = (),
    timezone: str = DEFAULT_TIMEZONE,
) -> SimulatorConfig:
    """The embedded demo contact center (see the module docstring). ``on_duty_hours`` are the
    local hours (in ``timezone``) a calendar is on duty: none of them is left without contacts."""
    shape = demo_shape(on_duty_hours)
    sales = QueueConfig(
        "sales",
        Channel.VOICE,
        ArrivalCurve.shaped(120.0, shape),
        transfer_probability=0.03,
        transfer_to="support",
    )
    support = QueueConfig(
        "support",
        Channel.VOICE,
        ArrivalCurve.shaped(180.0, shape),
        first_contact_resolution_probability=0.72,
    )
    chat = QueueConfig(
        "chat",
        Channel.CHAT,
        ArrivalCurve.shaped(150.0, shape),
        handling=HandlingConfig(
            talk_mean_seconds=330.0, hold_probability=0.0, acw_mean_seconds=40.0
        ),
        patience_mean_seconds=300.0,
        bot=BotConfig(),
        priority=1,
    )
    email = QueueConfig(
        "email",
        Channel.EMAIL,
        ArrivalCurve.shaped(16.0, shape),
        handling=HandlingConfig(
            talk_mean_seconds=300.0, hold_probability=0.0, acw_mean_seconds=60.0
        ),
        patience_mean_seconds=None,
        survey=SurveyConfig(response_probability=0.15),
    )
    hours = range(HOURS_PER_DAY)
    # Violet answers chat first and works through email in the gaps (email may wait 4 hours), so
    # it gets the chat staff plus the whole agents email's load keeps busy.
    violet = tuple(
        _erlang_staff(chat, hour, CHAT_THRESHOLD_SECONDS) + math.floor(_load(email, hour))
        for hour in hours
    )
    return SimulatorConfig(
        queues=(sales, support, chat, email),
        teams=(
            TeamConfig(
                "blue",
                ("sales",),
                tuple(_erlang_staff(sales, h, VOICE_THRESHOLD_SECONDS) for h in hours),
            ),
            TeamConfig(
                "red",
                ("support",),
                tuple(_erlang_staff(support, h, VOICE_THRESHOLD_SECONDS) for h in hours),
            ),
            TeamConfig("violet", ("chat", "email"), violet),
            TeamConfig("orange", (), tuple(6 if 9 <= hour < 19 else 0 for hour in hours)),
        ),
        campaigns=(CampaignConfig("renewals", "orange"),),
        seed=seed,
        start=start,
        timezone=timezone,
    )


def erlang_config(
    *,
    arrivals_per_hour: float,
    agents: int,
    mean_handle_seconds: float,
    mean_patience_seconds: float | None = None,
    seed: int = 1,
    start: float = DEFAULT_START,
) -> SimulatorConfig:
    """The M/M/N queue of Erlang C: one voice queue ``erlang`` served by one team ``erlang`` of
    ``agents`` agents always on duty, Poisson arrivals, exponential handle time (talk only), no
    breaks, no bot, no outbound, no surveys. Nobody abandons, unless ``mean_patience_seconds`` is
    given: then patience is exponential and the queue is Erlang A's M/M/N+M."""
    queue = QueueConfig(
        "erlang",
        Channel.VOICE,
        ArrivalCurve.flat(arrivals_per_hour),
        handling=HandlingConfig(
            talk_mean_seconds=mean_handle_seconds,
            talk_shape=1,
            hold_probability=0.0,
            acw_mean_seconds=0.0,
        ),
        patience_mean_seconds=mean_patience_seconds,
        survey=None,
        ai_cx_score=False,
    )
    team = TeamConfig("erlang", ("erlang",), (agents,) * HOURS_PER_DAY)
    return SimulatorConfig(
        queues=(queue,), teams=(team,), breaks=None, seed=seed, start=start, timezone="UTC"
    )


def _load(queue: QueueConfig, hour: int) -> float:
    """Erlangs ``queue`` brings in ``hour`` (only the share its bot hands on, when it has one)."""
    handed_on = 1.0 - queue.bot.containment_probability if queue.bot else 1.0
    return erlang.traffic_erlangs(
        queue.arrivals.per_hour[hour] * handed_on / 3600.0, queue.handling.mean_seconds
    )


def _erlang_staff(queue: QueueConfig, hour: int, threshold_seconds: float) -> int:
    """Agents for ``queue`` to reach ``STAFFING_SERVICE_LEVEL`` in ``hour``."""
    traffic = _load(queue, hour)
    if traffic == 0:
        return 0
    agents = erlang.agents_for_service_level(
        traffic, queue.handling.mean_seconds, threshold_seconds, STAFFING_SERVICE_LEVEL
    )
    return agents
