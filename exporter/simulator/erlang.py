"""Erlang C and Erlang A: the queueing-theory figures of an M/M/N queue (Poisson arrivals,
exponential handle time, N agents, FIFO), without abandons (Erlang C) and with exponential patience
(Erlang A, the M/M/N+M queue).

Used to check the simulator against theory and to size the simulator's default staffing. Traffic
intensity ``A`` (Erlangs) = arrival rate x average handle time. The probability of waiting comes
from the Erlang B recursion, which never forms ``A**N`` or ``N!`` and so stays accurate for large N.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def traffic_erlangs(arrivals_per_second: float, mean_handle_seconds: float) -> float:
    """Offered load A = lambda x AHT (Erlangs)."""
    if arrivals_per_second < 0 or mean_handle_seconds < 0:
        raise ValueError(
            f"arrival rate and handle time must be >= 0, "
            f"got {arrivals_per_second} and {mean_handle_seconds}"
        )
    return arrivals_per_second * mean_handle_seconds


def erlang_b(agents: int, traffic: float) -> float:
    """Blocking probability of N servers, no queue: B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1))."""
    _check(agents, traffic)
    blocking = 1.0
    for servers in range(1, agents + 1):
        blocking = traffic * blocking / (servers + traffic * blocking)
    return blocking


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a contact waits: C = N B / (N - A (1 - B)); 1 when A >= N (unstable)."""
    _check(agents, traffic)
    if traffic >= agents:
        return 1.0
    blocking = erlang_b(agents, traffic)
    return agents * blocking / (agents - traffic * (1.0 - blocking))


def service_level(
    agents: int, traffic: float, mean_handle_seconds: float, threshold_seconds: float
) -> float:
    """P(wait <= T) = 1 - C e^{-(N - A) T / AHT}; 0 when the queue is unstable (A >= N)."""
    if traffic >= agents:
        return 0.0
    waiting = erlang_c(agents, traffic)
    return 1.0 - waiting * math.exp(-(agents - traffic) * threshold_seconds / mean_handle_seconds)


def average_speed_of_answer(agents: int, traffic: float, mean_handle_seconds: float) -> float:
    """Mean wait over all contacts: ASA = C AHT / (N - A); infinite when A >= N."""
    if traffic >= agents:
        return math.inf
    return erlang_c(agents, traffic) * mean_handle_seconds / (agents - traffic)


def agents_for_service_level(
    traffic: float, mean_handle_seconds: float, threshold_seconds: float, target: float
) -> int:
    """The fewest agents whose service level reaches ``target`` (0 when there is no traffic)."""
    if not 0.0 <= target < 1.0:
        raise ValueError(f"target service level must be in [0, 1), got {target}")
    if traffic <= 0:
        return 0
    agents = max(1, math.floor(traffic) + 1)
    while service_level(agents, traffic, mean_handle_seconds, threshold_seconds) < target:
        agents += 1
    return agents


def _check(agents: int, traffic: float) -> None:
    if agents < 0:
        raise ValueError(f"agents must be >= 0, got {agents}")
    if traffic < 0:
        raise ValueError(f"traffic must be >= 0 Erlangs, got {traffic}")


# ---- Erlang A (M/M/N+M) --------------------------------------------------------------------------

# The queue length is cut where its stationary probability is below this (the tail is negligible).
_ERLANG_A_TAIL = 1e-15


@dataclass(frozen=True, slots=True)
class ErlangA:
    """Long-run figures of an M/M/N+M queue (every caller has an exponential patience)."""

    abandonment: float  # share of arrivals that leave unanswered
    served_speed_of_answer: float  # mean wait of the answered (s)
    service_level_answered: float  # answered within T / answered


def erlang_a(
    agents: int,
    arrivals_per_second: float,
    mean_handle_seconds: float,
    mean_patience_seconds: float,
    threshold_seconds: float,
) -> ErlangA:
    """Erlang A, exactly (no approximation), from the birth-death chain of the number in system.

    Arrivals see the stationary distribution p_n (PASTA). One who finds n >= N has j = n - N
    callers ahead; each step forward happens at rate r_m = N mu + m theta (a service, or one of the
    m ahead giving up), so the time to an agent is T = sum of Exp(r_m), m = j..0, and the caller is
    served when T < patience ~ Exp(theta). Then P(served) = E[e^{-theta T}] = prod r_m/(r_m+theta),
    E[T; served] = P(served) sum 1/(r_m+theta), and P(T <= t; served) = P(served) P(T' <= t),
    where T' = sum of Exp(r_m + theta) (the exponentially tilted T), read off the pure-death chain
    by uniformization.
    """
    if agents < 1 or arrivals_per_second <= 0:
        raise ValueError("Erlang A needs at least one agent and a positive arrival rate")
    if mean_handle_seconds <= 0 or mean_patience_seconds <= 0 or threshold_seconds < 0:
        raise ValueError("handle time and patience must be > 0, the threshold >= 0")
    mu, theta, lam = 1.0 / mean_handle_seconds, 1.0 / mean_patience_seconds, arrivals_per_second
    # Unnormalised stationary probabilities, n = 0, 1, ... until the tail is negligible.
    weights = [1.0]
    n = 0
    while True:
        n += 1
        death = min(n, agents) * mu + max(n - agents, 0) * theta
        weights.append(weights[-1] * lam / death)
        if n > agents and weights[-1] < _ERLANG_A_TAIL * sum(weights):
            break
    total = sum(weights)
    p = [w / total for w in weights]
    queue_states = len(p) - agents  # j = 0 .. queue_states - 1 callers ahead
    rates = [agents * mu + m * theta for m in range(queue_states)]
    within = _tilted_within(rates, theta, threshold_seconds)
    served = sum(p[:agents])
    served_within = served
    served_wait = 0.0
    kept, wait_sum = 1.0, 0.0
    for j in range(queue_states):
        kept *= rates[j] / (rates[j] + theta)
        wait_sum += 1.0 / (rates[j] + theta)
        probability = p[agents + j]
        served += probability * kept
        served_wait += probability * kept * wait_sum
        served_within += probability * kept * within[j]
    return ErlangA(
        abandonment=1.0 - served,
        served_speed_of_answer=served_wait / served,
        service_level_answered=served_within / served,
    )


def _tilted_within(rates: list[float], theta: float, threshold: float) -> list[float]:
    """P(T'_j <= threshold) for each j, T'_j = sum of Exp(rates[m] + theta) for m = j..0.

    Uniformization of the pure-death chain m -> m-1 (rate rates[m] + theta), absorbed below 0:
    P(T' <= t) = sum_k Poisson(k; R t) P(absorbed within k jumps), R the largest rate.
    """
    speeds = [rate + theta for rate in rates]
    uniform = max(speeds)
    steps = [speed / uniform for speed in speeds]
    mean_jumps = uniform * threshold
    result = [0.0] * len(rates)
    if mean_jumps <= 0:
        return result  # P(T' <= 0) = 0
    # Poisson(k; R t) from logarithms: e^{-R t} alone underflows past R t = 745. The terms past
    # R t + 12 sd + 30 weigh nothing a float can hold.
    log_mean = math.log(mean_jumps)
    last = math.ceil(mean_jumps + 12.0 * math.sqrt(mean_jumps) + 30.0)
    absorbed = [0.0] * len(rates)  # P(absorbed within k jumps | start m), k = 0
    for k in range(1, last + 1):
        absorbed = [
            steps[m] * (absorbed[m - 1] if m else 1.0) + (1.0 - steps[m]) * absorbed[m]
            for m in range(len(rates))
        ]
        weight = math.exp(k * log_mean - mean_jumps - math.lgamma(k + 1))
        if weight > 0.0:
            result = [r + weight * a for r, a in zip(result, absorbed, strict=True)]
    return result
