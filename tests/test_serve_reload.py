"""Operations: SIGHUP re-reads serve.yaml and the web config (an invalid one changes nothing),
``--log-format``, and settings from ``KPI_TARGETS_*`` environment variables."""

from __future__ import annotations

import base64
import json
import re
import signal
import urllib.request
from pathlib import Path

import bcrypt
import pytest
import yaml
from processes import KPI_TARGETS, ROOT, Process, free_port, http_get, wait_for

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


def _logged(process: Process, text: str) -> bool | None:
    return True if text in process.stderr else None


def _status(url: str, authorization: str | None = None) -> int:
    request = urllib.request.Request(url)
    if authorization:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.integration
def test_sighup_applies_a_valid_config_and_keeps_the_running_one_when_invalid(
    tmp_path: Path,
) -> None:
    metrics, admin = free_port(), free_port()
    config = tmp_path / "serve.yaml"
    base = f"metrics_address: 127.0.0.1:{metrics}\nadmin_address: 127.0.0.1:{admin}\n"
    base += f"targets: {ROOT / 'targets'}\nweb_config_file: web.yml\n"
    config.write_text(base, encoding="utf-8")
    web = tmp_path / "web.yml"
    web.write_text("", encoding="utf-8")  # no TLS, no users
    process = Process([*KPI_TARGETS, "serve", "--config", str(config)], cwd=tmp_path)
    url = f"http://127.0.0.1:{metrics}/metrics"
    try:
        assert process.read_line(30).startswith("Admin UI: ")
        assert _status(url) == 200

        # Valid: JSON logs from now on, and a basic auth user, both without a restart.
        config.write_text(base + "log_format: json\n", encoding="utf-8")
        hashed = bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=4)).decode()
        web.write_text(f"basic_auth_users: {{prometheus: '{hashed}'}}\n", encoding="utf-8")
        process.popen.send_signal(signal.SIGHUP)
        wait_for("the reload", lambda: _logged(process, "reloaded"), timeout=20)
        last = json.loads(process.stderr.splitlines()[-1])
        assert (last["level"], last["msg"]) == ("info", f"reloaded {config} (on SIGHUP)")
        assert _status(url) == 401
        assert _status(url, "Basic " + base64.b64encode(b"prometheus:pw").decode()) == 200

        # Invalid: every problem logged, the running config (JSON logs, the user) stays.
        config.write_text(base + "log_format: xml\nmetrics_adress: x\n", encoding="utf-8")
        process.popen.send_signal(signal.SIGHUP)
        wait_for("the refused reload", lambda: _logged(process, "failed"), timeout=20)
        last = json.loads(process.stderr.splitlines()[-1])
        assert last["level"] == "error"
        assert last["msg"] == (
            f"reload of {config} failed, the running config stays in force: "
            f"{config}:5: log_format: 'xml' is not a log format (logfmt, json); "
            f"{config}:6: unknown setting 'metrics_adress' (did you mean 'metrics_address'?)"
        )
        assert _status(url) == 401

        # What cannot change live is named.
        other = free_port()
        config.write_text(
            base.replace(f":{metrics}\n", f":{other}\n") + "log_format: json\n", encoding="utf-8"
        )
        process.popen.send_signal(signal.SIGHUP)
        wait_for("the restart note", lambda: _logged(process, "after a restart"), timeout=20)
        last = json.loads(process.stderr.splitlines()[-1])
        assert last["msg"] == "changed, but applied only after a restart: metrics_address"
        assert process.popen.poll() is None  # SIGHUP never ends the process
    finally:
        assert process.stop() == 0, process.stderr


@pytest.mark.integration
def test_settings_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    metrics, admin = free_port(), free_port()
    monkeypatch.setenv("KPI_TARGETS_METRICS_ADDRESS", f"127.0.0.1:{metrics}")
    monkeypatch.setenv("KPI_TARGETS_ADMIN_ADDRESS", "127.0.0.1:1")  # the flag below wins
    monkeypatch.setenv("KPI_TARGETS_LOG_FORMAT", "json")
    monkeypatch.setenv("KPI_TARGETS_TARGETS", str(ROOT / "targets"))
    process = Process(
        [*KPI_TARGETS, "serve", "--admin-address", f"127.0.0.1:{admin}"], cwd=tmp_path
    )
    try:
        assert process.read_line(30) == f"Admin UI: http://127.0.0.1:{admin}/\n"
        assert process.read_line(5) == f"Metrics: http://127.0.0.1:{metrics}/metrics\n"
        assert http_get(f"http://127.0.0.1:{metrics}/metrics")[0] == 200
        wait_for("a log line", lambda: process.stderr or None, timeout=10)
        first = json.loads(process.stderr.splitlines()[0])
        assert first["logger"] == "exporter.serve"
        assert first["msg"].startswith(f"serving metrics on 127.0.0.1:{metrics} ")
    finally:
        assert process.stop() == 0, process.stderr


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
