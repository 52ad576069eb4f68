"""`kpi-targets targets set|delete|list` through the installed entry point, and option syntax."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest

from exporter.targets.edit_input import InputError, parse_schedule_spec, parse_scope_items
from exporter.targets.model import Schedule, TimeRange
from exporter.targets.parse import load_dir
from tests.conftest import WriteTargets

KPI_TARGETS = str(Path(sys.executable).parent / "kpi-targets")


@pytest.fixture
def directory(write_targets: WriteTargets) -> Path:
    return write_targets("voice_sl", "rome")


def kpi_targets(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KPI_TARGETS, "targets", *args], capture_output=True, text=True, timeout=60, check=False
    )


def files(directory: Path) -> dict[str, bytes]:
    return {
        p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.name != ".kpi-targets.lock"
    }


def current_version(directory: Path) -> str:
    listed = kpi_targets("list", "--targets", str(directory), "--format", "json")
    assert listed.returncode == 0, listed.stderr
    version: str = json.loads(listed.stdout)["version"]
    return version


# --- option syntax (pure) ----------------------------------------------------------------------


def test_schedule_with_days_and_hours() -> None:
    assert parse_schedule_spec("mon-fri 09:00-17:00=0.85") == Schedule(
        value=0.85, days=frozenset({0, 1, 2, 3, 4}), hours=TimeRange(time(9), time(17))
    )


def test_schedule_for_whole_days_and_lists() -> None:
    assert parse_schedule_spec("sat=0.7") == Schedule(value=0.7, days=frozenset({5}))
    assert parse_schedule_spec("sat,sun=0.7") == Schedule(value=0.7, days=frozenset({5, 6}))
    assert parse_schedule_spec("mon 00:00-24:00=1") == Schedule(value=1.0, days=frozenset({0}))


def test_schedule_crossing_midnight_and_wrapping_the_week() -> None:
    assert parse_schedule_spec("fri-mon 22:00-06:00=0.6") == Schedule(
        value=0.6, days=frozenset({4, 5, 6, 0}), hours=TimeRange(time(22), time(6))
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("0.85", "is not DAYS"),
        ("mon-fri 09:00 17:00=0.8", "is not DAYS"),
        ("funday=0.8", "unknown day 'funday'"),
        ("mon 25:00-26:00=0.8", "hour 25 is over 23"),
        ("mon=high", "'high' is not a number"),
        ("mon=nan", "not a finite number"),
    ],
)
def test_bad_schedules_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_schedule_spec(spec)


def test_scope_options() -> None:
    assert parse_scope_items(["queue=sales", "channel=voice"]) == (
        ("channel", "voice"),
        ("queue", "sales"),
    )
    assert parse_scope_items([]) == ()
    with pytest.raises(InputError, match="not label=value"):
        parse_scope_items(["voice"])
    with pytest.raises(InputError, match="'channel' given twice"):
        parse_scope_items(["channel=voice", "channel=chat"])


# --- the real command ----------------------------------------------------------------------------


def test_set_adds_a_scheduled_target_and_prints_the_version(directory: Path) -> None:
    result = kpi_targets(
        "set", "--targets", str(directory), "--kpi", "service_level_ratio",
        "--scope", "channel=chat", "--value", "0.8",
        "--schedule", "mon-fri 09:00-17:00=0.85", "--schedule", "sat=0.7",
        "--user", "alice", "--reason", "chat SLA",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    version = result.stdout.strip()
    assert version == current_version(directory)
    assert f"saved as version {version}" in result.stderr

    parsed = load_dir(directory)
    assert parsed.target_set is not None
    chat = parsed.target_set.targets[1]
    assert (chat.kpi, dict(chat.scope), str(chat.quantifier)) == (
        "service_level_ratio",
        {"channel": "chat"},
        "or_more",  # from the KPI's direction: higher is better
    )
    assert [(s.value, s.days, s.hours) for s in chat.schedules] == [
        (0.8, None, None),
        (0.85, frozenset({0, 1, 2, 3, 4}), TimeRange(time(9), time(17))),
        (0.7, frozenset({5}), None),
    ]
    [entry] = [json.loads(line) for line in (directory / "audit.jsonl").read_text().splitlines()]
    assert (entry["user"], entry["action"], entry["reason"], entry["before"]) == (
        "alice",
        "set",
        "chat SLA",
        None,
    )
    assert entry["version_after"] == version


def test_versions_chain_from_one_save_to_the_next(directory: Path) -> None:
    first = current_version(directory)
    common = ("--targets", str(directory), "--kpi", "average_handle_time_seconds", "--user", "ci")
    second = kpi_targets("set", *common, "--value", "300", "--reason", "a", "--base-version", first)
    assert second.returncode == 0, second.stderr
    third = kpi_targets("delete", *common, "--reason", "b", "--base-version", second.stdout.strip())
    assert third.returncode == 0, third.stderr
    assert third.stdout.strip() == current_version(directory)


def test_delete_removes_the_target(directory: Path) -> None:
    result = kpi_targets(
        "delete", "--targets", str(directory), "--kpi", "service_level_ratio",
        "--scope", "channel=voice", "--user", "bob", "--reason", "retired",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    parsed = load_dir(directory)
    assert parsed.target_set is not None
    assert parsed.target_set.targets == ()


def test_a_stale_base_version_is_refused_with_exit_1(directory: Path) -> None:
    before = files(directory)
    result = kpi_targets(
        "set", "--targets", str(directory), "--kpi", "service_level_ratio",
        "--scope", "channel=voice", "--value", "0.9", "--user", "bob", "--reason", "r",
        "--base-version", "0123456789abcdef",
    )  # fmt: skip
    assert result.returncode == 1
    assert "set: the targets changed since version 0123456789abcdef" in result.stderr
    assert result.stdout == ""
    assert files(directory) == before


def test_an_invalid_value_is_refused_listing_the_problem_and_changes_nothing(
    directory: Path,
) -> None:
    before = files(directory)
    result = kpi_targets(
        "set", "--targets", str(directory), "--kpi", "service_level_ratio",
        "--scope", "channel=voice", "--value=-0.5", "--user", "bob", "--reason", "typo",
    )  # fmt: skip
    assert result.returncode == 1
    assert "set: refused to set the target for service_level_ratio" in result.stderr
    assert "targets.yaml (after this change):" in result.stderr
    assert files(directory) == before


def test_deleting_a_missing_target_exits_1(directory: Path) -> None:
    result = kpi_targets(
        "delete", "--targets", str(directory), "--kpi", "service_level_ratio",
        "--scope", "channel=email", "--user", "bob", "--reason", "r",
    )  # fmt: skip
    assert result.returncode == 1
    assert "no target for service_level_ratio with scope channel=email" in result.stderr


def test_a_missing_reason_is_a_usage_error(directory: Path) -> None:
    before = files(directory)
    result = kpi_targets(
        "set", "--targets", str(directory), "--kpi", "service_level_ratio", "--value", "0.9",
        "--user", "bob",
    )  # fmt: skip
    assert result.returncode == 2
    assert "the following arguments are required: --reason" in result.stderr
    blank = kpi_targets(
        "set", "--targets", str(directory), "--kpi", "service_level_ratio", "--value", "0.9",
        "--user", "bob", "--reason", " ",
    )  # fmt: skip
    assert blank.returncode == 2
    assert "--reason must not be empty" in blank.stderr
    assert files(directory) == before


def test_bad_option_syntax_is_a_usage_error(directory: Path) -> None:
    result = kpi_targets(
        "set", "--targets", str(directory), "--kpi", "service_level_ratio",
        "--schedule", "weekdays=0.8", "--user", "bob", "--reason", "r",
    )  # fmt: skip
    assert result.returncode == 2
    assert "unknown day 'weekdays'" in result.stderr
    no_value = kpi_targets(
        "set", "--targets", str(directory), "--kpi", "service_level_ratio",
        "--user", "bob", "--reason", "r",
    )  # fmt: skip
    assert no_value.returncode == 2
    assert "give --value X and/or --schedule" in no_value.stderr


def test_a_missing_directory_is_refused_clearly(tmp_path: Path) -> None:
    result = kpi_targets("list", "--targets", str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert "targets.yaml does not exist" in result.stderr


def test_list_prints_yaml_that_loads_back(directory: Path) -> None:
    result = kpi_targets("list", "--targets", str(directory))
    assert result.returncode == 0, result.stderr
    first_line, _, body = result.stdout.partition("\n")
    assert first_line == f"# version: {current_version(directory)}"
    assert body == (
        "targets:\n"
        "  - kpi: service_level_ratio\n"
        "    scope: {channel: voice}\n"
        "    quantifier: or_more\n"
        "    schedules:\n"
        "      - value: 0.8\n"
    )


def test_ratios_are_given_as_0_85_or_85_percent_and_85_alone_is_refused(directory: Path) -> None:
    common = ("--targets", str(directory), "--kpi", "service_level_ratio", "--user", "bob")
    percent = kpi_targets("set", *common, "--scope", "channel=chat", "--value", "85%",
                          "--schedule", "sat=70 %", "--reason", "in percent")  # fmt: skip
    assert percent.returncode == 0, percent.stderr
    ratio = kpi_targets("set", *common, "--scope", "channel=email", "--value", "0.85",
                        "--schedule", "sat=0.7", "--reason", "as a ratio")  # fmt: skip
    assert ratio.returncode == 0, ratio.stderr
    parsed = load_dir(directory)
    assert parsed.target_set is not None
    values = {
        dict(t.scope)["channel"]: [s.value for s in t.schedules] for t in parsed.target_set.targets
    }
    assert values == {"voice": [0.8], "chat": [0.85, 0.7], "email": [0.85, 0.7]}

    before = files(directory)
    bare = kpi_targets("set", *common, "--scope", "channel=voice", "--value", "85",
                       "--reason", "r")  # fmt: skip
    assert bare.returncode == 2
    assert "--value: 85 is over 1: write a ratio as 0.85 or 85%" in bare.stderr
    seconds = kpi_targets("set", "--targets", str(directory), "--kpi",
                          "average_handle_time_seconds", "--value", "30%", "--user", "bob",
                          "--reason", "r")  # fmt: skip
    assert seconds.returncode == 2
    assert "'30%': a % sign is for ratios only; give seconds" in seconds.stderr
    assert files(directory) == before
