"""Agents needed now: the fewest agents for which a queueing model predicts that a service-level or
speed-of-answer target is met at the given traffic, and the KPI it predicts with the agents on duty.

Pure: numbers in, numbers out. The models are ``exporter.simulator.erlang``'s (checked there
against simulation): Erlang C (no abandons) and Erlang A (exponential patience, M/M/N+M).

- Service level: Erlang C's P(wait <= T) is the same under every variant (nobody abandons). Erlang A
  predicts answered within T over answered (``over_offered=False``, the ``answered`` variant) or,
  for every other variant, answered within T over offered (an approximation: the variants that
  discount short or late abandons are a little higher).
- Speed of answer: Erlang C's mean wait, Erlang A's mean wait of the answered.
- An optional **occupancy cap** (``max_occupancy``, e.g. 0.85) raises the agents to at least
  A / cap, A the offered load in Erlangs (arrival rate x handle time), where the model alone
  would run agents hotter. Shrinkage (breaks, training, absence) is not in the live figure: the
  agents on duty are those logged in now.
- Beyond ``MAX_AGENTS`` the search stops: the estimate says ``capped`` (the model needs more than
  that many, or no finite number meets the target, as an ASA of 0 s). Erlang A searches up to
  twice Erlang C's answer (plus 10) and says ``capped`` beyond.
- Erlang A is computed up to ``ERLANG_A_MAX_TRAFFIC`` Erlangs (its stationary weights would
  overflow a float past about 700), and for service-level thresholds up to an hour (email's 4 h
  would take millions of steps); beyond, only Erlang C is offered (``problem``).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from exporter.simulator import erlang

MAX_AGENTS = 1000
ERLANG_A_MAX_TRAFFIC = 500.0
ERLANG_A_MAX_THRESHOLD = 3600.0

SERVICE_LEVEL = "service_level_ratio"
SPEED_OF_ANSWER = "average_speed_of_answer_seconds"
STAFFED_KPIS = (SERVICE_LEVEL, SPEED_OF_ANSWER)


class Model(enum.StrEnum):
    ERLANG_C = "erlang_c"
    ERLANG_A = "erlang_a"


@dataclass(frozen=True, slots=True)
class Traffic:
    """A queue's traffic: arrivals per second, mean handle time, mean patience (None: unknown)."""

    arrivals_per_second: float
    mean_handle_seconds: float
    mean_patience_seconds: float | None = None

    @property
    def erlangs(self) -> float:
        return self.arrivals_per_second * self.mean_handle_seconds


@dataclass(frozen=True, slots=True)
class Goal:
    """A target in force: ``kpi`` is SERVICE_LEVEL (met when >= value, answered within
    ``threshold_seconds``) or SPEED_OF_ANSWER (met when <= value, in seconds)."""

    kpi: str
    value: float
    threshold_seconds: float = 20.0
    over_offered: bool = True  # Erlang A's service level: over offered, else over answered


@dataclass(frozen=True, slots=True)
class Estimate:
    model: Model
    # The fewest agents that meet the goal; MAX_AGENTS when ``capped``.
    required: int
    capped: bool
    # The KPI the model predicts with the agents on duty; None when it has no value (nobody
    # answered: the speed of answer of 0 agents, or of a queue that grows without bound).
    predicted: float | None


def problem_for_traffic(traffic: Traffic) -> str | None:
    """Why no model can size this traffic, in words; None when it can."""
    rate, handle = traffic.arrivals_per_second, traffic.mean_handle_seconds
    if not (math.isfinite(rate) and math.isfinite(handle)):
        return "arrival rate or handle time is not a finite number"
    if rate <= 0:
        return "no contacts arrived"
    if handle <= 0:
        return "handle time is 0 s"
    return None


def problem_for_model(traffic: Traffic, model: Model) -> str | None:
    """Why ``model`` cannot size this traffic (a known problem of the traffic itself first)."""
    found = problem_for_traffic(traffic)
    if found is not None or model is Model.ERLANG_C:
        return found
    patience = traffic.mean_patience_seconds
    if patience is None or not math.isfinite(patience) or patience <= 0:
        return "patience unknown"
    if traffic.erlangs > ERLANG_A_MAX_TRAFFIC:
        return f"over {ERLANG_A_MAX_TRAFFIC:g} Erlangs, Erlang A is not computed"
    return None


def problem_for_goal(goal: Goal) -> str | None:
    if goal.kpi not in STAFFED_KPIS:
        return f"no staffing model for {goal.kpi}"
    if not math.isfinite(goal.value) or goal.value < 0:
        return f"target {goal.value} is not a number >= 0"
    if goal.kpi == SERVICE_LEVEL and not (goal.threshold_seconds >= 0 and goal.value <= 1):
        return "a service level is a ratio 0-1 with a threshold >= 0 s"
    return None


def problem(traffic: Traffic, goal: Goal, model: Model) -> str | None:
    """Why ``model`` cannot size ``traffic`` for ``goal``, in words; None when it can."""
    found = problem_for_model(traffic, model) or problem_for_goal(goal)
    # Erlang A's uniformisation takes (rate x threshold) steps: for hours of email, millions.
    too_long = goal.kpi == SERVICE_LEVEL and goal.threshold_seconds > ERLANG_A_MAX_THRESHOLD
    if found is None and model is Model.ERLANG_A and too_long:
        found = f"threshold over {ERLANG_A_MAX_THRESHOLD:g} s, Erlang A is not computed"
    return found


def predicted(traffic: Traffic, goal: Goal, model: Model, agents: int) -> float | None:
    """The KPI of ``goal`` that ``model`` predicts with ``agents`` agents (see ``Estimate``)."""
    if agents < 0:
        raise ValueError(f"agents must be >= 0, got {agents}")
    handle, load = traffic.mean_handle_seconds, traffic.erlangs
    if model is Model.ERLANG_C or agents == 0:
        # Erlang C; and with 0 agents, Erlang A too: nobody is answered.
        if goal.kpi == SERVICE_LEVEL:
            return erlang.service_level(agents, load, handle, goal.threshold_seconds)
        speed = erlang.average_speed_of_answer(agents, load, handle)
        return speed if math.isfinite(speed) else None
    patience = traffic.mean_patience_seconds
    assert patience is not None  # problem_for_model said
    threshold = goal.threshold_seconds if goal.kpi == SERVICE_LEVEL else 0.0
    figures = erlang.erlang_a(agents, traffic.arrivals_per_second, handle, patience, threshold)
    if goal.kpi == SPEED_OF_ANSWER:
        return figures.served_speed_of_answer
    # A ratio, within [0, 1] (sums of many small terms may pass 1 by a rounding error).
    within = min(1.0, figures.service_level_answered)
    return within * (1.0 - figures.abandonment) if goal.over_offered else within


def meets(goal: Goal, value: float | None) -> bool:
    if value is None:
        return False
    return value >= goal.value if goal.kpi == SERVICE_LEVEL else value <= goal.value


def required_agents(
    traffic: Traffic, goal: Goal, model: Model, max_occupancy: float | None = None
) -> tuple[int, bool]:
    """(the fewest agents meeting ``goal``, capped): at most MAX_AGENTS, then capped is True."""
    floor = 1
    if max_occupancy is not None:
        if not 0 < max_occupancy <= 1:
            raise ValueError(f"maximum occupancy must be in (0, 1], got {max_occupancy}")
        floor = max(floor, math.ceil(traffic.erlangs / max_occupancy - 1e-9))
    if floor > MAX_AGENTS:
        return MAX_AGENTS, True

    def ok(agents: int) -> bool:
        return meets(goal, predicted(traffic, goal, model, agents))

    if model is Model.ERLANG_C:
        # Erlang C needs more agents than Erlangs; the first that meets the goal, upwards.
        agents = max(floor, math.floor(traffic.erlangs) + 1)
        while agents <= MAX_AGENTS:
            if ok(agents):
                return agents, False
            agents += 1
        return MAX_AGENTS, True
    # Erlang A (each figure costs more, growing with the square of the agents): start from
    # Erlang C's answer and walk down to the boundary, the model's figure rising with agents;
    # when Erlang C's answer falls short under Erlang A (impatient callers hang up before T),
    # bisect up to twice it (plus 10): beyond that, Erlang A says capped.
    start, capped = required_agents(traffic, goal, Model.ERLANG_C)
    agents = max(floor, start)
    if ok(agents):
        while agents > floor and ok(agents - 1):
            agents -= 1
        return agents, False
    low, high = agents, min(MAX_AGENTS, 2 * agents + 10)  # low fails
    if capped or not ok(high):
        return MAX_AGENTS, True
    while high - low > 1:
        middle = (low + high) // 2
        if ok(middle):
            high = middle
        else:
            low = middle
    return high, False


def estimate(
    traffic: Traffic,
    goal: Goal,
    model: Model,
    on_duty: int,
    max_occupancy: float | None = None,
) -> Estimate:
    """Required agents and the KPI predicted with ``on_duty`` agents. The caller checks
    ``problem`` first (ValueError if it did not)."""
    found = problem(traffic, goal, model)
    if found is not None:
        raise ValueError(found)
    required, capped = required_agents(traffic, goal, model, max_occupancy)
    return Estimate(model, required, capped, predicted(traffic, goal, model, on_duty))


def estimate_patience(abandons: int, waited_seconds: float) -> float | None:
    """Mean patience of exponential patience, from the contacts that left the queue: every wait
    (answered and abandoned) is time someone was patient, each abandon one patience ran out, so
    the maximum-likelihood estimate is the total wait / abandons (censored data). None when no
    one abandoned (patience not known: nobody ran out of it)."""
    if abandons <= 0 or waited_seconds <= 0:
        return None
    return waited_seconds / abandons
