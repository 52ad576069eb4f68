"""The built-in contact-center simulator (the default source of ``kpi-targets serve``; the
Source that feeds its events to the engine is ``exporter.sources.simulator``).

- ``center``: the contact center simulated (frozen dataclasses, the embedded demo, the Erlang
  test setups);
- ``yaml_section``: the ``simulator:`` section of ``serve.yaml`` read into a ``SimulatorConfig``;
- ``simulation``: the discrete-event core;
- ``erlang``: Erlang C and Erlang A, what the simulator is checked against;
- ``queue_log_writer``: simulated events as Asterisk queue_log lines (benchmarks, fixtures).
"""

from exporter.simulator.center import (
    ArrivalCurve,
    BotConfig,
    BreakConfig,
    CampaignConfig,
    HandlingConfig,
    QueueConfig,
    SimulatorConfig,
    SurveyConfig,
    TeamConfig,
    default_config,
    erlang_config,
)
from exporter.simulator.simulation import Simulation, simulate

__all__ = [
    "ArrivalCurve",
    "BotConfig",
    "BreakConfig",
    "CampaignConfig",
    "HandlingConfig",
    "QueueConfig",
    "Simulation",
    "SimulatorConfig",
    "SurveyConfig",
    "TeamConfig",
    "default_config",
    "erlang_config",
    "simulate",
]
