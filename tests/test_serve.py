"""``kpi-targets serve`` as users run it (real subprocesses), and its settings."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from example_targets import copy_example_targets
from processes import (
    KPI_TARGETS,
    Process,
    free_port,
    http_get,
    post_events,
    serve_command,
    wait_for,
)

from exporter.config import (
    Address,
    ConfigError,
    ServeSettings,
    build_settings,
    parse_address,
    parse_config_text,
)
from exporter.engine.types import ServiceLevelVariant
from exporter.simulator.clock import SimulationClock


@pytest.fixture
def targets_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "targets"
    copy_example_targets(directory)
    return directory


def _serve_args(targets: Path, metrics: int, admin: int, *extra: str) -> list[str]:
    return serve_command(metrics, admin, "--targets", str(targets), *extra)


@pytest.mark.integration
def test_serve_prints_both_urls_answers_and_stops_on_sigterm(
    targets_dir: Path, tmp_path: Path
) -> None:
    metrics, admin = free_port(), free_port()
    process = Process(_serve_args(targets_dir, metrics, admin), cwd=tmp_path)
    try:
        assert process.read_line(30) == f"Admin UI: http://127.0.0.1:{admin}/\n"
        assert process.read_line(5) == f"Metrics: http://127.0.0.1:{metrics}/metrics\n"
        status, body = http_get(f"http://127.0.0.1:{metrics}/metrics")
        assert status == 200
        assert "# TYPE kpi_value gauge" in body
        assert 'kpi_targets_build_info{python_version="' in body
        # The simulator's hour of backfill reaches the engine within seconds.
        wait_for(
            "simulated events",
            lambda: (
                True
                if 'kpi_targets_events_read_total{source="simulator"} 0.0'
                not in http_get(f"http://127.0.0.1:{metrics}/metrics")[1]
                else None
            ),
            timeout=20,
        )
        assert http_get(f"http://127.0.0.1:{admin}/healthz") == (200, '{"status":"ok"}\n')
        # /metrics is not on the admin port, nor the admin app on the metrics port.
        assert http_get(f"http://127.0.0.1:{admin}/metrics")[0] == 404
    finally:
        status = process.stop()
    assert status == 0, process.stderr
    assert "received SIGTERM, shutting down" in process.stderr
    assert process.stderr.rstrip().endswith("level=info logger=exporter.serve msg=stopped")


@pytest.mark.integration
def test_sigint_stops_cleanly_too(targets_dir: Path, tmp_path: Path) -> None:
    process = Process(_serve_args(targets_dir, free_port(), free_port()), cwd=tmp_path)
    try:
        process.read_line(30)
        process.popen.send_signal(signal.SIGINT)
        assert process.popen.wait(15) == 0
    finally:
        process.stop()
    assert "received SIGINT" in process.stderr


@pytest.mark.integration
def test_a_port_in_use_is_refused_with_a_clear_message(targets_dir: Path, tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = Process(_serve_args(targets_dir, port, free_port()), cwd=tmp_path)
        assert process.popen.wait(30) == 1
        process.stop()
    assert f"cannot listen on 127.0.0.1:{port} for metrics: Address already in use" in (
        process.stderr
    )
    assert "another program uses that port" in process.stderr
    assert process.stdout_lines == []  # no URL printed for a server that is not there


def test_check_only_accepts_the_default_setup(targets_dir: Path, tmp_path: Path) -> None:
    process = Process(
        [*KPI_TARGETS, "serve", "--targets", str(targets_dir), "--check-only"], cwd=tmp_path
    )
    assert process.popen.wait(30) == 0, process.stderr
    process.stop()
    assert process.stdout_lines[0].startswith(f"OK: targets in {targets_dir} (version ")
    assert process.stdout_lines[0].endswith("), sources simulator\n")


def test_check_only_refuses_invalid_targets_with_file_and_line(
    targets_dir: Path, tmp_path: Path
) -> None:
    (targets_dir / "targets.yaml").write_text(
        "targets:\n  - kpi: no_such_kpi\n    quantifier: or_more\n    schedules: [{value: 1}]\n",
        encoding="utf-8",
    )
    process = Process(
        [*KPI_TARGETS, "serve", "--targets", str(targets_dir), "--check-only"], cwd=tmp_path
    )
    assert process.popen.wait(30) == 1
    process.stop()
    assert f"{targets_dir / 'targets.yaml'}:2:" in process.stderr
    assert "no_such_kpi" in process.stderr


def test_check_only_refuses_a_missing_source_file_and_an_http_source_without_token(
    targets_dir: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "nope" / "queue_log"
    process = Process(
        [
            *KPI_TARGETS,
            "serve",
            "--targets",
            str(targets_dir),
            "--source",
            f"queue_log:{missing}",
            "--check-only",
        ],
        cwd=tmp_path,
    )
    assert process.popen.wait(30) == 1
    process.stop()
    assert f"source 'queue_log:{missing}': {missing} does not exist" in process.stderr

    process = Process(
        [*KPI_TARGETS, "serve", "--targets", str(targets_dir), "--source", "http", "--check-only"],
        cwd=tmp_path,
    )
    assert process.popen.wait(30) == 1
    process.stop()
    assert "source http needs a bearer token: --events-token-file FILE" in process.stderr


def test_a_bad_flag_value_names_the_flag(tmp_path: Path) -> None:
    process = Process([*KPI_TARGETS, "serve", "--metrics-address", "9491"], cwd=tmp_path)
    assert process.popen.wait(30) == 2  # a usage error
    process.stop()
    assert process.stderr == (
        "kpi-targets serve: --metrics-address: '9491' is not HOST:PORT "
        "(e.g. 127.0.0.1:9491, or :9491 for all)\n"
    )


# --- settings -------------------------------------------------------------------------------


def test_config_file_then_flags() -> None:
    file_settings = parse_config_text(
        "metrics_address: 0.0.0.0:9100\n"
        "sources: [simulator, 'queue_log:/var/log/asterisk/queue_log']\n"
        "service_level_variant: answered\n"
        "simulator_speed: 60\n"
        "simulator_start: 2026-03-02T10:40:00+01:00\n",
        "serve.yaml",
    )
    settings = build_settings(file_settings, {"simulator_speed": 2.0})
    assert settings == ServeSettings(
        metrics_address=Address("0.0.0.0", 9100),
        sources=("simulator", "queue_log:/var/log/asterisk/queue_log"),
        service_level_variant=ServiceLevelVariant.ANSWERED,
        simulator_speed=2.0,  # the flag wins over the file's 60
        # 10:40 at +01:00 is 09:40 UTC: 1772444400 (2026-03-02T09:40:00Z)
        simulator_start=1772444400.0,
    )
    assert not settings.metrics_address.is_loopback
    assert settings.admin_address.is_loopback


def test_config_file_errors_say_file_line_and_what() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config_text(
            "metrics_address: localhost\n"
            "simulator_speed: 0\n"
            "simulator_seed: 1.5\n"
            "log_levle: debug\n"
            "log_level: loud\n"
            "timezone: Mars/Olympus\n",
            "serve.yaml",
        )
    assert str(caught.value).splitlines() == [
        "serve.yaml:1: metrics_address: 'localhost' is not HOST:PORT "
        "(e.g. 127.0.0.1:9491, or :9491 for all)",
        "serve.yaml:2: simulator_speed: '0' must be a number > 0",
        "serve.yaml:3: simulator_seed: 1.5 is not a whole number",
        "serve.yaml:4: unknown setting 'log_levle' (did you mean 'log_level'?)",
        "serve.yaml:5: log_level: 'loud' is not a log level (debug, info, warning, error)",
        "serve.yaml:6: timezone: 'Mars/Olympus' is not an IANA time zone (e.g. Europe/Rome)",
    ]


def test_config_file_that_is_not_a_mapping_or_not_yaml() -> None:
    with pytest.raises(ConfigError, match=r"^serve.yaml:1: expected a mapping of settings$"):
        parse_config_text("- simulator\n", "serve.yaml")
    with pytest.raises(ConfigError, match=r"^serve.yaml:2: malformed YAML"):
        parse_config_text("sources: [simulator\nlog_level: info\n", "serve.yaml")
    assert parse_config_text("", "serve.yaml") == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:9491", Address("127.0.0.1", 9491)),
        ("[::1]:9491", Address("::1", 9491)),
        ("localhost:80", Address("localhost", 80)),
    ],
)
def test_addresses(text: str, expected: Address) -> None:
    assert parse_address(text) == expected
    assert expected.is_loopback


def test_port_alone_means_every_interface() -> None:
    address = parse_address(":9491")
    assert address == Address("", 9491)
    assert not address.is_loopback
    assert address.url("/metrics", tls=True) == "https://localhost:9491/metrics"


@pytest.mark.parametrize("text", ["9491", "host:0", "host:65536", "::1:9491", "h:x"])
def test_bad_addresses(text: str) -> None:
    with pytest.raises(ValueError, match=repr(text).replace("[", r"\[")):
        parse_address(text)


def test_simulation_clock_runs_speed_times_faster_from_its_start() -> None:
    wall = [1000.0]
    clock = SimulationClock(start=5000.0, speed=60.0, wall=lambda: wall[0])
    assert clock.now() == 5000.0  # before the simulator anchors it
    assert clock.shifted() == 5000.0  # the simulator starts: anchor 5000
    wall[0] = 1010.0  # 10 wall seconds later: 600 simulated seconds
    assert clock.shifted() == 5010.0
    assert clock.now() == 5600.0
    assert SimulationClock(wall=lambda: 42.0).now() == 42.0


EVENTS_TOKEN = "s3cret-token"


def _http_serve_args(targets: Path, tmp_path: Path, metrics: int, admin: int) -> list[str]:
    """serve with the HTTP events source, its token in a file and its journal under tmp_path."""
    token_file = tmp_path / "token"
    token_file.write_text(f"{EVENTS_TOKEN}\n", encoding="utf-8")
    return _serve_args(
        targets,
        metrics,
        admin,
        "--source",
        "http",
        "--events-token-file",
        str(token_file),
        "--state-dir",
        str(tmp_path / "state"),
    )


def _post_events(admin: int, events: Sequence[Mapping[str, object]]) -> dict[str, object]:
    status, answer = post_events(f"http://127.0.0.1:{admin}/api/v1/events", EVENTS_TOKEN, events)
    assert status < 400, (status, answer)
    return answer


@pytest.mark.integration
def test_http_events_survive_a_sigterm_and_are_replayed(targets_dir: Path, tmp_path: Path) -> None:
    metrics, admin = free_port(), free_port()
    args = _http_serve_args(targets_dir, tmp_path, metrics, admin)
    events = [
        {
            "type": "contact",
            "id": f"call-{n}-offered",
            "kind": "offered",
            "at": "2026-03-02T09:00:00+01:00",
            "contact_id": f"call-{n}",
            "queue": "sales",
            "channel": "voice",
        }
        for n in range(3)
    ]
    first = Process(args, cwd=tmp_path)
    try:
        first.read_line(30)
        first.read_line(5)
        assert _post_events(admin, events)["accepted"] == 3
    finally:
        assert first.stop() == 0, first.stderr

    # A new process replays the journal: the three accepted events are read again.
    second = Process(args, cwd=tmp_path)
    try:
        second.read_line(30)
        wait_for(
            "the journal's replay",
            lambda: (
                True
                if 'kpi_targets_events_read_total{source="http"} 3.0'
                in http_get(f"http://127.0.0.1:{metrics}/metrics")[1]
                else None
            ),
            timeout=20,
        )
    finally:
        assert second.stop() == 0, second.stderr


@pytest.mark.integration
def test_an_event_from_the_future_is_refused_and_does_not_block_the_present(
    targets_dir: Path, tmp_path: Path
) -> None:
    metrics, admin = free_port(), free_port()
    args = _http_serve_args(targets_dir, tmp_path, metrics, admin)
    now = time.time()

    def offered(number: int, at: float) -> dict[str, object]:
        return {
            "type": "contact",
            "id": f"call-{number}-offered",
            "kind": "offered",
            "at": at,
            "contact_id": f"call-{number}",
            "queue": "sales",
            "channel": "voice",
        }

    # A PBX whose clock is a day ahead, then two calls stamped now: had the first been accepted,
    # the engine would refuse everything within a day of the real present as too old. It is
    # refused in the response (a 200's "accepted" counts only events that will be counted).
    batch = [offered(0, now + 86400), offered(1, now), offered(2, now)]
    process = Process(args, cwd=tmp_path)
    try:
        process.read_line(30)
        answer = _post_events(admin, batch)
        assert answer["accepted"] == 2
        assert [(r["index"], r["field"], r["code"]) for r in answer["rejected"]] == [
            (0, "at", "from_the_future")
        ]

        def counted() -> str | None:
            text = http_get(f"http://127.0.0.1:{metrics}/metrics")[1]
            return text if 'kpi_targets_events_read_total{source="http"} 2.0' in text else None

        text = wait_for("the two events", counted, timeout=20)
        assert (
            'kpi_targets_events_rejected_total{reason="from_the_future",source="http"} 1.0' in text
        )
        assert 'contact_center_contacts_offered_total{channel="voice",queue="sales"} 2.0' in text
    finally:
        assert process.stop() == 0, process.stderr
