"""``exporter.config``: one declaration per setting (flag, key, variable, default, help), the
layers default < file < environment < flags, every problem listed, sections, the example config."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from exporter.config import (
    SPECS,
    Address,
    ConfigError,
    ServeSettings,
    SettingSpec,
    SettingsSource,
    build_settings,
    env_of,
    example_config,
    flag_of,
    parse_config_text,
    settings_specs,
)


def test_precedence_is_default_file_environment_flag(tmp_path: Path) -> None:
    config = tmp_path / "serve.yaml"
    config.write_text("simulator_seed: 7\nsimulator_speed: 2\nlog_level: debug\n")
    source = SettingsSource(
        config_file=config,
        environ={"KPI_TARGETS_SIMULATOR_SPEED": "3", "KPI_TARGETS_LOG_LEVEL": "warning"},
        flags={"log_level": "error"},
    )
    settings = source.load()
    assert (settings.simulator_seed, settings.simulator_speed, settings.log_level) == (
        7,
        3.0,
        "error",
    )
    assert settings.metrics_address == Address("127.0.0.1", 9491)  # the default


def test_problems_of_file_environment_and_flags_are_listed_together(tmp_path: Path) -> None:
    config = tmp_path / "serve.yaml"
    config.write_text("simulator_speed: fast\n")
    source = SettingsSource(
        config_file=config,
        environ={"KPI_TARGETS_SOURCES": "", "KPI_TARGETS_TIMEZONE": "Mars/Base"},
        flags={"simulator_seed": "x"},
    )
    with pytest.raises(ConfigError) as caught:
        source.load()
    assert str(caught.value).splitlines() == [
        f"{config}:1: simulator_speed: 'fast' is not a number",
        "KPI_TARGETS_TIMEZONE: 'Mars/Base' is not an IANA time zone (e.g. Europe/Rome)",
        "--simulator-seed: 'x' is not a whole number",
    ]


def test_each_setting_has_one_flag_one_variable_and_the_example_config_names_them() -> None:
    example = example_config()
    names = [name for name, _default, _spec in settings_specs(sections=False)]
    assert flag_of("web_config_file") == "--web.config.file"
    assert env_of("web_config_file") == "KPI_TARGETS_WEB_CONFIG_FILE"
    for name in names:
        assert f"# {name}:" in example
        assert flag_of(name) in example and env_of(name) in example
    # Uncommented, the settings with a value are a valid config of their defaults.
    lines = [re.match(r"^# (\w+): (\S.*)$", line) for line in example.splitlines()]
    uncommented = [m[0][2:] for m in lines if m and m[1] in names and "# default" not in m[2]]
    assert len(uncommented) >= 8
    parsed = parse_config_text("\n".join(uncommented), "serve.yaml")
    assert build_settings(parsed) == ServeSettings()


def test_a_section_is_parsed_from_its_node_with_its_own_problems(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """How a section such as the simulator's plugs in: its parser gets the YAML node."""

    def parse_section(node: yaml.Node, file: str) -> dict[str, int]:
        value = yaml.safe_load(yaml.serialize(node))
        if not isinstance(value, dict) or "agents" not in value:
            raise ConfigError(f"{file}:{node.start_mark.line + 1}: agents is required")
        return value

    monkeypatch.setitem(SPECS, "crowd", SettingSpec(parse_section, "a section", section=True))
    text = "crowd:\n  agents: 3\nlog_level: debug\n"
    assert parse_config_text(text, "serve.yaml") == {"crowd": {"agents": 3}, "log_level": "debug"}
    with pytest.raises(ConfigError) as caught:
        parse_config_text("log_level: loud\ncrowd:\n  queues: 1\n", "serve.yaml")
    assert str(caught.value).splitlines() == [
        "serve.yaml:1: log_level: 'loud' is not a log level (debug, info, warning, error)",
        "serve.yaml:3: agents is required",
    ]


def test_a_tagged_value_yaml_cannot_build_is_a_located_problem() -> None:
    # Found by hypothesis: PyYAML's int constructor raises ValueError on a YAML 1.1 octal "08".
    with pytest.raises(ConfigError) as raised:
        parse_config_text("admin_address: 127.0.0.1:9492\ntargets: !!int 08\n", "serve.yaml")
    assert str(raised.value) == (
        "serve.yaml:2: targets: not a value YAML can read: "
        "invalid literal for int() with base 8: '08'"
    )
