"""Closed loop: the simulator staffed with the exporter's own ``kpi_agents_required`` meets the
service-level target; staffed with two fewer it misses it."""

from __future__ import annotations

import math
import statistics

from exporter.engine import EngineConfig, KpiEngine
from exporter.events import ContactEvent, ContactKind
from exporter.simulator import erlang_config, simulate
from exporter.staffing_collector import StaffingCollector
from exporter.targets.parse import parse_texts
from exporter.targets.resolve import resolve

# An M/M/N voice queue: 600 calls an hour of 180 s on average (30 Erlangs); target 80 % in 20 s.
CALLS_PER_HOUR, HANDLE_SECONDS, TARGET = 600.0, 180.0, 0.80
TARGETS = """\
targets:
  - kpi: service_level_ratio
    scope: {channel: voice}
    quantifier: or_more
    schedules:
      - value: 0.8
"""
WARM_UP, HOUR = 900.0, 3600.0
REPLICATIONS = 40


def required_by_the_exporter(
    seed: int, model: str = "erlang_c", agents: int = 40, patience: float | None = None
) -> int:
    """45 minutes of the queue with ``agents`` agents fed to a real engine, then one scrape of
    the StaffingCollector: its kpi_agents_required of ``model``."""
    config = erlang_config(
        arrivals_per_hour=CALLS_PER_HOUR,
        agents=agents,
        mean_handle_seconds=HANDLE_SECONDS,
        mean_patience_seconds=patience,
        seed=seed,
    )
    engine = KpiEngine(EngineConfig())
    for team in config.teams:
        for agent in team.agent_names:
            engine.declare(queue="erlang", channel="voice", team=team.name, agent=agent)
    now = config.start + 2700.0
    for event in simulate(config, now):
        assert engine.ingest(event) is None
    parsed = parse_texts(TARGETS, "timezone: UTC\n")
    target_set = parsed.target_set
    assert target_set is not None
    collector = StaffingCollector(engine, lambda: target_set, resolve, clock=lambda: now)
    (required,) = [
        sample.value
        for family in collector.collect()
        for sample in family.samples
        if family.name == "kpi_agents_required" and sample.labels["model"] == model
    ]
    return int(required)


def hourly_service_level(agents: int, patience: float | None = None) -> tuple[float, float]:
    """The service level over one hour (after a 15-minute warm-up), mean and standard error over
    REPLICATIONS independent runs (seeds), in the exporter's default variant: answered within
    20 s / (answered + abandoned - abandons within 5 s); without abandons, answered within 20 s
    / answered."""
    levels = []
    for seed in range(100, 100 + REPLICATIONS):
        config = erlang_config(
            arrivals_per_hour=CALLS_PER_HOUR,
            agents=agents,
            mean_handle_seconds=HANDLE_SECONDS,
            mean_patience_seconds=patience,
            seed=seed,
        )
        begin = config.start + WARM_UP
        judged = within = 0
        for event in simulate(config, begin + HOUR):
            if not isinstance(event, ContactEvent) or event.at < begin:
                continue
            assert event.kind is not ContactKind.ABANDONED or event.wait_seconds is not None
            if event.kind is ContactKind.ANSWERED:
                assert event.wait_seconds is not None
                judged += 1
                within += event.wait_seconds <= 20.0
            elif event.kind is ContactKind.ABANDONED and (event.wait_seconds or 0.0) > 5.0:
                judged += 1
        levels.append(within / judged)
    return statistics.fmean(levels), statistics.stdev(levels) / math.sqrt(REPLICATIONS)


def test_staffed_as_the_exporter_says_the_target_is_met_and_two_fewer_miss_it() -> None:
    """The estimate comes from 30 minutes of traffic (about 300 calls: the rate and the handle
    time are each within about 6 % of the truth), so a run's figure may be off the textbook one by
    an agent or two; this seed's is the textbook figure for the true traffic, 35 (Erlang C:
    30 Erlangs, 80 % in 20 s), asserted so a change in the estimate shows here.

    Each staffing is judged by the mean of 40 independent hours and its standard error: met
    when the mean is at least the target minus 2 SE, missed when the mean plus 2 SE is below it.
    Measured: 35 agents give about 0.857 (SE 0.02), 33 about 0.701 (SE 0.035)."""
    required = required_by_the_exporter(seed=2)
    assert required == 35
    level, error = hourly_service_level(required)
    assert level >= TARGET - 2 * error, (level, error)
    fewer, fewer_error = hourly_service_level(required - 2)
    assert fewer + 2 * fewer_error < TARGET, (fewer, fewer_error)


def test_with_callers_who_hang_up_erlang_a_staffing_meets_it_and_two_fewer_miss_it() -> None:
    """The same queue with a mean patience of 180 s, staffed with 30 agents while the exporter
    watches (so callers do hang up, and their waits give the patience). This seed's Erlang A
    figure is the textbook one for the true traffic, 32 (Erlang C says 34 from the same window:
    abandons shorten the queue). Measured: 32 agents give about 0.853 (SE 0.013), 30 about
    0.708 (SE 0.019), in the default variant over offered minus short abandons."""
    patience = 180.0
    required = required_by_the_exporter(seed=10, model="erlang_a", agents=30, patience=patience)
    assert required == 32
    level, error = hourly_service_level(required, patience)
    assert level >= TARGET - 2 * error, (level, error)
    fewer, fewer_error = hourly_service_level(required - 2, patience)
    assert fewer + 2 * fewer_error < TARGET, (fewer, fewer_error)
