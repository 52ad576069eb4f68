"""``exporter.reload`` in a running ``serve``: SIGHUP re-reads serve.yaml and the web config (an
invalid one changes nothing), with ``--log-format json``; settings from ``KPI_TARGETS_*``
variables in a real process."""

from __future__ import annotations

import base64
import json
import signal
import urllib.request
from pathlib import Path

import bcrypt
import pytest
from example_targets import copy_example_targets
from processes import KPI_TARGETS, Process, free_port, http_get, wait_for


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
    base += f"targets: {copy_example_targets(tmp_path / 'targets')}\nweb_config_file: web.yml\n"
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
    monkeypatch.setenv("KPI_TARGETS_TARGETS", str(copy_example_targets(tmp_path / "targets")))
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
