"""The built-in contact-center simulator (the default source of ``kpi-targets serve``).

- ``center``: the contact center simulated (frozen dataclasses, the embedded demo, the Erlang
  test setups);
- ``yaml_section``: the ``simulator:`` section of ``serve.yaml`` read into a ``SimulatorConfig``;
- ``simulation``: the discrete-event core;
- ``source``: the simulator as a Source (real time or fast);
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
from exporter.simulator.source import SimulatorSource

__all__ = [
    "ArrivalCurve",
    "BotConfig",
    "BreakConfig",
    "CampaignConfig",
    "HandlingConfig",
    "QueueConfig",
    "Simulation",
    "SimulatorConfig",
    "SimulatorSource",
    "SurveyConfig",
    "TeamConfig",
    "default_config",
    "erlang_config",
    "simulate",
]
