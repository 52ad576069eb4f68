"""Agents needed now (exporter.staffing): the textbook Erlang C case, Erlang A against its theory,
the occupancy cap, the cap on agents and every input no model can size."""

from __future__ import annotations

import math

import pytest

from exporter import staffing
from exporter.simulator import erlang
from exporter.staffing import Goal, Model, Traffic

# 100 calls in 30 minutes, AHT 180 s: A = 100 / 1800 x 180 = 10 Erlangs.
TEXTBOOK = Traffic(100 / 1800, 180.0)
SL_80_IN_20 = Goal(staffing.SERVICE_LEVEL, 0.80, 20.0)


def test_textbook_case_needs_14_agents_and_13_give_79_6_percent() -> None:
    assert TEXTBOOK.erlangs == pytest.approx(10.0)
    required, capped = staffing.required_agents(TEXTBOOK, SL_80_IN_20, Model.ERLANG_C)
    assert (required, capped) == (14, False)
    result = staffing.estimate(TEXTBOOK, SL_80_IN_20, Model.ERLANG_C, on_duty=13)
    assert result.required == 14
    assert result.predicted is not None and round(result.predicted, 3) == 0.796
    # 14 on duty meet it: 0.888 (1 - C e^{-(14-10) 20/180}).
    assert staffing.predicted(TEXTBOOK, SL_80_IN_20, Model.ERLANG_C, 14) == pytest.approx(
        0.8884, abs=1e-4
    )


def test_speed_of_answer_target_with_erlang_c() -> None:
    # ASA of 13 agents is 17.1 s, of 12 agents 40.4 s: an ASA of at most 20 s needs 13.
    goal = Goal(staffing.SPEED_OF_ANSWER, 20.0)
    assert staffing.required_agents(TEXTBOOK, goal, Model.ERLANG_C) == (13, False)
    assert staffing.predicted(TEXTBOOK, goal, Model.ERLANG_C, 12) == pytest.approx(40.44, abs=0.01)


# Erlang A, patience 180 s (the figures of tests/test_erlang.py's README example: with 12 agents
# 5.31 % abandon, 84.7 % of the answered within 20 s, the answered wait 8.53 s).
PATIENT = Traffic(100 / 1800, 180.0, 180.0)


def test_erlang_a_needs_fewer_agents_because_callers_hang_up() -> None:
    over_answered = Goal(staffing.SERVICE_LEVEL, 0.80, 20.0, over_offered=False)
    assert staffing.required_agents(PATIENT, over_answered, Model.ERLANG_A) == (12, False)
    # 11 agents: 76.96 % of the answered within 20 s, short of 80 %.
    eleven = staffing.predicted(PATIENT, over_answered, Model.ERLANG_A, 11)
    assert eleven == pytest.approx(0.7696, abs=1e-4)
    # Over offered: 84.73 % x (1 - 5.31 %) = 80.23 % with 12 agents: still met.
    twelve = staffing.predicted(PATIENT, SL_80_IN_20, Model.ERLANG_A, 12)
    assert twelve == pytest.approx(0.8473 * (1 - 0.0531), abs=2e-4)
    assert staffing.required_agents(PATIENT, SL_80_IN_20, Model.ERLANG_A) == (12, False)
    # ASA of the answered with 12 agents 8.53 s, with 11 agents 13.5 s: 10 s needs 12.
    speed = Goal(staffing.SPEED_OF_ANSWER, 10.0)
    assert staffing.required_agents(PATIENT, speed, Model.ERLANG_A) == (12, False)
    assert staffing.predicted(PATIENT, speed, Model.ERLANG_A, 12) == pytest.approx(8.53, abs=0.01)


def test_erlang_a_with_endless_patience_needs_what_erlang_c_needs() -> None:
    endless = Traffic(100 / 1800, 180.0, 1e12)
    assert staffing.required_agents(endless, SL_80_IN_20, Model.ERLANG_A) == (14, False)


def test_erlang_a_impatient_callers_free_agents_sooner() -> None:
    """With a mean patience of 10 s many callers hang up, and the queue they leave is shorter: 11
    agents answer 80 % of the offered within 20 s (Erlang A's own figures, at the boundary)."""
    impatient = Traffic(100 / 1800, 180.0, 10.0)
    assert staffing.required_agents(impatient, SL_80_IN_20, Model.ERLANG_A) == (11, False)
    for agents, met in ((10, False), (11, True)):
        figures = erlang.erlang_a(agents, 100 / 1800, 180.0, 10.0, 20.0)
        over_offered = figures.service_level_answered * (1 - figures.abandonment)
        assert staffing.predicted(impatient, SL_80_IN_20, Model.ERLANG_A, agents) == (
            pytest.approx(over_offered)
        )
        assert (over_offered >= 0.80) is met


def test_erlang_a_with_a_long_threshold_is_computed() -> None:
    """Chat's 300 s with callers who give up after 5 s: Poisson(R t) with R t past 745 (its
    e^{-R t} underflowed and erlang_a looped for ever); now figures, a ratio within [0, 1]."""
    goal = Goal(staffing.SERVICE_LEVEL, 0.60, 300.0)
    impatient = Traffic(100 / 1800, 180.0, 5.0)
    required, capped = staffing.required_agents(impatient, goal, Model.ERLANG_A)
    assert not capped and 1 <= required <= 14
    value = staffing.predicted(impatient, goal, Model.ERLANG_A, required)
    assert value is not None and 0.60 <= value <= 1.0


def test_occupancy_cap_raises_the_agents_where_erlang_runs_them_hotter() -> None:
    half = Goal(staffing.SERVICE_LEVEL, 0.50, 20.0)
    # Erlang C: 12 agents give 64 %, 11 give 39 %: 12 for 50 % (occupancy 10 / 12 = 83 %).
    assert staffing.required_agents(TEXTBOOK, half, Model.ERLANG_C) == (12, False)
    # At most 80 % occupancy: 10 / 0.8 = 12.5, so 13 agents.
    assert staffing.required_agents(TEXTBOOK, half, Model.ERLANG_C, 0.80) == (13, False)
    assert staffing.required_agents(PATIENT, half, Model.ERLANG_A, 0.80) == (13, False)
    # A cap the model already respects changes nothing: 14 agents run at 71 %.
    assert staffing.required_agents(TEXTBOOK, SL_80_IN_20, Model.ERLANG_C, 0.85) == (14, False)
    with pytest.raises(ValueError, match=r"maximum occupancy must be in \(0, 1\], got 1.5"):
        staffing.required_agents(TEXTBOOK, half, Model.ERLANG_C, 1.5)


def test_traffic_beyond_any_staffing_is_capped_and_said() -> None:
    # 2,000 Erlangs (40,000 calls an hour of 180 s): over 1,000 agents.
    huge = Traffic(40_000 / 3600, 180.0, 240.0)
    result = staffing.estimate(huge, SL_80_IN_20, Model.ERLANG_C, on_duty=50)
    assert (result.required, result.capped) == (staffing.MAX_AGENTS, True)
    assert result.predicted == 0.0  # 50 agents for 2,000 Erlangs: the queue grows without end
    assert staffing.problem_for_model(huge, Model.ERLANG_A) == (
        "over 500 Erlangs, Erlang A is not computed"
    )
    # The occupancy cap alone over 1,000 agents: capped as well, without searching.
    assert staffing.required_agents(
        Traffic(950 / 180, 180.0), SL_80_IN_20, Model.ERLANG_C, 0.9
    ) == (staffing.MAX_AGENTS, True)


@pytest.mark.parametrize(
    ("traffic", "model", "problem"),
    [
        (Traffic(0.0, 180.0), Model.ERLANG_C, "no contacts arrived"),
        (Traffic(0.05, 0.0), Model.ERLANG_C, "handle time is 0 s"),
        (Traffic(math.nan, 180.0), Model.ERLANG_C, "not a finite number"),
        (Traffic(0.05, 180.0), Model.ERLANG_A, "patience unknown"),
        (Traffic(0.05, 180.0, 0.0), Model.ERLANG_A, "patience unknown"),
        (Traffic(0.0, 180.0, 100.0), Model.ERLANG_A, "no contacts arrived"),
    ],
)
def test_traffic_no_model_can_size_is_said_not_raised(
    traffic: Traffic, model: Model, problem: str
) -> None:
    found = staffing.problem_for_model(traffic, model)
    assert found is not None and problem in found
    with pytest.raises(ValueError, match=problem):
        staffing.estimate(traffic, SL_80_IN_20, model, on_duty=3)


def test_erlang_a_is_not_computed_for_email_thresholds() -> None:
    email = Goal(staffing.SERVICE_LEVEL, 0.95, 4 * 3600.0)
    assert staffing.problem(PATIENT, email, Model.ERLANG_A) == (
        "threshold over 3600 s, Erlang A is not computed"
    )
    assert staffing.problem(PATIENT, email, Model.ERLANG_C) is None
    # Erlang C: 10 Erlangs, 95 % within 4 h: 11 agents (one over the load suffices).
    assert staffing.required_agents(PATIENT, email, Model.ERLANG_C) == (11, False)
    with pytest.raises(ValueError, match="threshold over 3600 s"):
        staffing.estimate(PATIENT, email, Model.ERLANG_A, on_duty=12)


def test_goals_without_a_model_are_said() -> None:
    assert staffing.problem_for_goal(Goal("average_handle_time_seconds", 300.0)) == (
        "no staffing model for average_handle_time_seconds"
    )
    assert staffing.problem_for_goal(Goal(staffing.SERVICE_LEVEL, 80.0)) is not None
    assert staffing.problem_for_goal(SL_80_IN_20) is None


def test_a_queue_with_no_agents_predicts_nobody_answered() -> None:
    for model, traffic in ((Model.ERLANG_C, TEXTBOOK), (Model.ERLANG_A, PATIENT)):
        result = staffing.estimate(traffic, SL_80_IN_20, model, on_duty=0)
        assert result.predicted == 0.0
        assert result.required in (12, 14)
        speed = staffing.estimate(traffic, Goal(staffing.SPEED_OF_ANSWER, 20.0), model, 0)
        assert speed.predicted is None  # no answer, no speed of answer: absent, not 0 or inf


def test_patience_estimate_is_total_wait_over_abandons() -> None:
    # 3 abandons; waits of the answered 10 + 20 s and of the abandoned 30 + 40 + 50 s: 150 / 3.
    assert staffing.estimate_patience(3, 150.0) == 50.0
    assert staffing.estimate_patience(0, 150.0) is None
    assert staffing.estimate_patience(2, 0.0) is None
