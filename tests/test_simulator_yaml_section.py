"""The ``simulator:`` section of serve.yaml: what it builds, and every mistake with its line."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.config import ConfigError, parse_config_text
from exporter.events import Channel
from exporter.simulator import BreakConfig, SimulatorConfig
from exporter.simulator.yaml_section import SimulatorSettingsError, parse_simulator_node

FULL = """\
sources: [simulator]
simulator:
  timezone: Europe/Rome
  breaks: {interval_seconds: 3600, duration_mean_seconds: 300}
  queues:
    - name: sales
      channel: voice
      arrivals_per_hour: 120
      hourly_profile: [0, 0, 0, 0, 0, 0, 0, 0, 0.5, 1, 1, 1,
                       0.5, 0.5, 1, 1, 1, 0.5, 0, 0, 0, 0, 0, 0]
      handling: {talk_mean_seconds: 200, talk_shape: 2, hold_probability: 0.1,
                 hold_mean_seconds: 30, acw_mean_seconds: 40, acw_shape: 3}
      patience_mean_seconds: 120
      patience_shape: 2
      survey: {response_probability: 0.2}
      transfer_probability: 0.05
      transfer_to: chat
    - name: chat
      channel: chat
      arrivals_per_hour: 60
      patience_mean_seconds: null
      bot: {containment_probability: 0.5}
  teams:
    - name: blue
      queues: [sales]
      staffing: [0, 0, 0, 0, 0, 0, 0, 0, 5, 8, 8, 8, 6, 6, 8, 8, 8, 5, 0, 0, 0, 0, 0, 0]
    - {name: violet, queues: [chat], staffing: 4}
  campaigns:
    - {name: renewals, team: blue, pacing_ratio: 1.2}
"""


def _simulator(text: str) -> SimulatorConfig:
    config = parse_config_text(text, "serve.yaml")["simulator"]
    assert isinstance(config, SimulatorConfig)
    return config


def _problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config_text(text, "serve.yaml")
    return str(raised.value).splitlines()


def test_a_full_section_builds_the_center_it_describes() -> None:
    config = _simulator(FULL)
    sales, chat = config.queues
    assert (sales.name, sales.channel, chat.channel) == ("sales", Channel.VOICE, Channel.CHAT)
    assert sales.arrivals.per_hour[8:12] == (60.0, 120.0, 120.0, 120.0)
    assert sales.arrivals.per_hour[0] == 0.0
    assert chat.arrivals.per_hour == (60.0,) * 24  # no profile: flat
    assert sales.handling.mean_seconds == 200 + 0.1 * 30 + 40
    assert (sales.patience_mean_seconds, sales.patience_shape) == (120.0, 2)
    assert chat.patience_mean_seconds is None
    assert sales.survey is not None and sales.survey.response_probability == 0.2
    assert chat.bot is not None and chat.bot.containment_probability == 0.5
    assert (sales.transfer_probability, sales.transfer_to) == (0.05, "chat")
    blue, violet = config.teams
    assert blue.staffing[9] == 8 and blue.staffing[0] == 0
    assert violet.staffing == (4,) * 24
    assert config.campaigns[0].pacing_ratio == 1.2
    assert config.breaks == BreakConfig(interval_seconds=3600.0, duration_mean_seconds=300.0)
    assert config.timezone == "Europe/Rome"


def test_defaults_fill_what_the_section_leaves_out() -> None:
    config = _simulator(
        "simulator:\n"
        "  queues: [{name: q, channel: email, arrivals_per_hour: 10}]\n"
        "  teams: [{name: t, queues: [q], staffing: 2}]\n"
    )
    assert config.timezone == "UTC"
    assert config.breaks == BreakConfig()
    assert config.queues[0].patience_mean_seconds == 240.0
    assert config.campaigns == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "simulator:\n  queues: []\n  teams: []\n  shifts: 3\n",
            [
                "serve.yaml:4: simulator: unknown key 'shifts'; known: timezone, breaks, queues, "
                "teams, campaigns"
            ],
        ),
        (
            "simulator:\n  queues:\n    - name: q\n      chanel: voice\n"
            "      arrivals_per_hour: 5\n  teams: []\n",
            [
                "serve.yaml:4: simulator.queues[0]: unknown key 'chanel'; did you mean 'channel'?",
                "serve.yaml:3: simulator.queues[0]: channel is required",
            ],
        ),
        (
            "simulator:\n  queues:\n    - {name: q, channel: fax, arrivals_per_hour: many}\n"
            "  teams: []\n",
            [
                "serve.yaml:3: simulator.queues[0].channel: expected voice, chat or email, "
                "got 'fax'",
                "serve.yaml:3: simulator.queues[0].arrivals_per_hour: expected a number, "
                "got 'many'",
            ],
        ),
        (
            "simulator:\n  queues:\n    - name: q\n      channel: voice\n"
            "      arrivals_per_hour: 5\n      hourly_profile: [1, 1]\n  teams: []\n",
            [
                "serve.yaml:6: simulator.queues[0].hourly_profile: "
                "expected 24 values (hours 0-23), got 2"
            ],
        ),
        (
            "simulator:\n  queues: [{name: q, channel: voice, arrivals_per_hour: 5}]\n"
            "  teams:\n    - {name: t, queues: [q], staffing: 2.5}\n",
            ["serve.yaml:4: simulator.teams[0].staffing: expected a whole number, got 2.5"],
        ),
        (
            "simulator:\n  queues:\n    - name: q\n      channel: voice\n"
            "      arrivals_per_hour: 5\n"
            "      handling: {talk_mean_seconds: 0}\n"
            "  teams:\n    - {name: t, queues: [q, r], staffing: 2}\n",
            [
                "serve.yaml:3: simulator: queue 'q': handling.talk_mean_seconds must be > 0",
                "serve.yaml:8: simulator: team 't': serves unknown queues ['r']",
            ],
        ),
        (
            "simulator:\n  queues: [{name: q, channel: voice, arrivals_per_hour: 5}]\n",
            ["serve.yaml:2: simulator: teams is required"],
        ),
        ("simulator: yes\n", ["serve.yaml:1: simulator: expected a mapping"]),
    ],
)
def test_every_mistake_is_reported_with_its_line(text: str, expected: list[str]) -> None:
    assert _problems(text) == expected


def test_other_settings_problems_are_reported_with_the_simulator_ones() -> None:
    problems = _problems("log_level: loud\nsimulator:\n  queues: []\n")
    assert problems[0].startswith("serve.yaml:1: log_level:")
    # Placed on the section's first line.
    assert problems[1] == "serve.yaml:3: simulator: teams is required"


_YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "channel",
                    "queues",
                    "teams",
                    "staffing",
                    "arrivals_per_hour",
                    "handling",
                    "patience_mean_seconds",
                    "hourly_profile",
                    "bot",
                    "survey",
                    "x",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(section=_YAML_VALUES)
def test_any_section_is_a_config_or_a_list_of_located_problems(section: object) -> None:
    node = yaml.compose(yaml.safe_dump({"simulator": section}))
    assert isinstance(node, yaml.MappingNode)
    try:
        config = parse_simulator_node(node.value[0][1], "serve.yaml")
    except SimulatorSettingsError as error:
        assert error.problems
        assert all(problem.startswith("serve.yaml:") for problem in error.problems)
    else:
        assert isinstance(config, SimulatorConfig)
