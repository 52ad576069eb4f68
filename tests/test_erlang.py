"""Erlang C against the issue's worked figures and a case worked by hand."""

from __future__ import annotations

import math
import re

import pytest

from exporter.simulator import erlang

# The issue's case: 100 calls per 30 minutes, AHT 180 s -> A = (100 / 1800) * 180 = 10 Erlangs.
ISSUE_TRAFFIC = erlang.traffic_erlangs(100 / 1800, 180.0)


def test_traffic_of_the_issue_case_is_ten_erlangs() -> None:
    assert pytest.approx(10.0) == ISSUE_TRAFFIC


def test_issue_case_service_level_and_speed_of_answer() -> None:
    # 13 agents, threshold 20 s: the issue states SL 0.7956 and ASA 17.1 s.
    assert round(erlang.service_level(13, ISSUE_TRAFFIC, 180.0, 20.0), 4) == 0.7956
    assert round(erlang.average_speed_of_answer(13, ISSUE_TRAFFIC, 180.0), 1) == 17.1


def test_two_agents_one_erlang_by_hand() -> None:
    # Erlang B: B(1) = 1 / (1 + 1) = 1/2; B(2) = 1 * (1/2) / (2 + 1/2) = 1/5.
    assert erlang.erlang_b(2, 1.0) == pytest.approx(0.2)
    # C = N B / (N - A (1 - B)) = 2 (1/5) / (2 - 4/5) = 1/3; the direct formula agrees:
    # (A^2/2! * 2/(2-1)) / (1 + A + A^2/2! * 2/(2-1)) = 1 / 3.
    assert erlang.erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # SL(20 s) = 1 - (1/3) e^{-(2-1) 20/180} = 1 - 0.298280 = 0.701720.
    assert erlang.service_level(2, 1.0, 180.0, 20.0) == pytest.approx(0.701720, abs=1e-6)
    # ASA = C AHT / (N - A) = (1/3) 180 / 1 = 60 s.
    assert erlang.average_speed_of_answer(2, 1.0, 180.0) == pytest.approx(60.0)


def test_one_agent_waits_with_probability_rho() -> None:
    # M/M/1: the probability of waiting is the utilisation, 0.5 here.
    assert erlang.erlang_c(1, 0.5) == pytest.approx(0.5)


def test_large_team_stays_finite_and_accurate() -> None:
    # A**N / N! would overflow a float for N = 400; the recursion does not. With 400 agents at
    # 380 Erlangs almost nobody waits 20 s: the service level is between 0.9 and 1.
    level = erlang.service_level(400, 380.0, 180.0, 20.0)
    assert 0.9 < level < 1.0
    assert math.isfinite(erlang.average_speed_of_answer(400, 380.0, 180.0))


def test_overloaded_queue_has_no_service_level() -> None:
    assert erlang.erlang_c(10, 10.0) == 1.0
    assert erlang.service_level(10, 12.0, 180.0, 20.0) == 0.0
    assert erlang.average_speed_of_answer(10, 10.0, 180.0) == math.inf


def test_agents_for_service_level_is_the_fewest_that_reach_it() -> None:
    # 13 agents give 0.7956 (above), short of 0.80, so 14 are needed; 13 suffice for 0.79.
    assert erlang.agents_for_service_level(ISSUE_TRAFFIC, 180.0, 20.0, 0.80) == 14
    assert erlang.agents_for_service_level(ISSUE_TRAFFIC, 180.0, 20.0, 0.79) == 13
    assert erlang.agents_for_service_level(0.0, 180.0, 20.0, 0.80) == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: erlang.erlang_c(-1, 1.0), "agents must be >= 0, got -1"),
        (lambda: erlang.erlang_c(3, -2.0), "traffic must be >= 0 Erlangs, got -2.0"),
        (lambda: erlang.traffic_erlangs(-1.0, 180.0), "must be >= 0"),
        (lambda: erlang.agents_for_service_level(1.0, 180.0, 20.0, 1.0), "in [0, 1)"),
    ],
)
def test_bad_input_is_refused_with_the_reason(call, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


# ---- Erlang A ------------------------------------------------------------------------------------


def test_erlang_a_gives_the_figures_of_the_documented_example() -> None:
    """One queue, 100 calls per 30 min, AHT 180 s, 12 agents, mean patience 180 s (the README's
    simulator example): 5.31 % abandon, the answered wait 8.53 s on average, 84.7 % of them
    within 20 s."""
    figures = erlang.erlang_a(12, 100 / 1800, 180.0, 180.0, 20.0)
    assert round(figures.abandonment, 4) == 0.0531
    assert round(figures.served_speed_of_answer, 2) == 8.53
    assert round(figures.service_level_answered, 3) == 0.847


def test_erlang_a_abandonment_agrees_with_littles_law_when_patience_equals_handle_time() -> None:
    """With patience mean = AHT every caller in the system leaves at rate mu, so the number in
    system is Poisson(A) (an M/M/inf queue) and abandons = theta E[(n - N)+] / lambda (Little)."""
    traffic, agents = 10.0, 12
    poisson = [math.exp(-traffic)]
    for n in range(1, 200):
        poisson.append(poisson[-1] * traffic / n)
    mean_queue = sum(max(n - agents, 0) * p for n, p in enumerate(poisson))
    expected = (1 / 180.0) * mean_queue / (100 / 1800)
    figures = erlang.erlang_a(agents, 100 / 1800, 180.0, 180.0, 20.0)
    assert figures.abandonment == pytest.approx(expected, rel=1e-9)


def test_erlang_a_with_endless_patience_is_erlang_c() -> None:
    figures = erlang.erlang_a(13, 100 / 1800, 180.0, 1e12, 20.0)
    assert figures.abandonment == pytest.approx(0.0, abs=1e-6)
    assert figures.service_level_answered == pytest.approx(
        erlang.service_level(13, ISSUE_TRAFFIC, 180.0, 20.0), abs=1e-6
    )
    assert figures.served_speed_of_answer == pytest.approx(
        erlang.average_speed_of_answer(13, ISSUE_TRAFFIC, 180.0), rel=1e-6
    )


def test_erlang_a_refuses_an_empty_setup() -> None:
    with pytest.raises(ValueError, match="at least one agent"):
        erlang.erlang_a(0, 0.1, 180.0, 180.0, 20.0)
