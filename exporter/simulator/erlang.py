"""Erlang C: the queueing-theory figures of an M/M/N queue (Poisson arrivals, exponential handle
time, N agents, FIFO, nobody abandons).

Used to check the simulator against theory and to size the simulator's default staffing. Traffic
intensity ``A`` (Erlangs) = arrival rate x average handle time. The probability of waiting comes
from the Erlang B recursion, which never forms ``A**N`` or ``N!`` and so stays accurate for large N.
"""

from __future__ import annotations

import math


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
