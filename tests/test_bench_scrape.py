"""The scrape benchmark's own parts: the floor serialises exactly what the exporter does."""

from __future__ import annotations

import sys
from pathlib import Path

from prometheus_client import generate_latest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from bench_scrape import build, queues_for, staffing_cost


def test_the_floor_writes_the_same_text_and_targets_are_in_force() -> None:
    setup = build(2)
    ours = generate_latest(setup.registry).decode()
    assert ours == generate_latest(setup.floor).decode()
    assert setup.series == sum(1 for line in ours.splitlines() if line and not line.startswith("#"))
    # 2 queues x 4 agents: their team and agent series have targets (contacts_handled, ...).
    assert (
        'kpi_target{agent="t00001-a3",kpi="contacts_handled",level="agent",quantifier="or_more"'
        in ours
    )
    assert 'kpi_target_met{kpi="service_level_ratio",level="site"} ' in ours


def test_series_grow_with_queues_as_sized() -> None:
    assert queues_for(1000) < queues_for(3000)
    size = build(queues_for(2000)).series
    assert 1800 <= size <= 2200


def test_the_staffing_bench_computes_every_estimate() -> None:
    # 3 queues x (service level, ASA) x (Erlang C, Erlang A): every one estimated, none refused.
    cost = staffing_cost(3, 1)
    assert cost.estimates == 12
    assert min(cost.without, cost.served, cost.warm, cost.cold) > 0
