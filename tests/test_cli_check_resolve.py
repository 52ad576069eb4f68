"""``kpi-targets check``, ``resolve`` and ``catalog --format json`` through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

from exporter.catalog import CATALOG
from tests.presets import write_targets

REPO = Path(__file__).parent.parent


def kpi_targets(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exporter", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )


def write_dir(
    directory: Path, targets: str = "voice_sl_weekdays", calendar: str = "rome_weekdays"
) -> Path:
    """Each a preset's name or YAML text (dedented: this file indents it)."""
    return write_targets(directory, dedent(targets), dedent(calendar))


def test_check_passes_valid_files(tmp_path: Path) -> None:
    directory = write_dir(tmp_path / "t")
    done = kpi_targets("check", "--targets", str(directory))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"{directory}: OK, 2 targets and 1 date exception in Europe/Rome\n"


def test_check_lists_every_error_and_exits_1(tmp_path: Path) -> None:
    directory = write_dir(
        tmp_path / "t",
        targets="""\
            targets:
              - kpi: service_level_ratio
                quantifier: or_more
                schedules: [{value: 1.5}]
              - kpi: average_handle_time_seconds
                quantifier: or_less
                schedules: [{value: 300, days: [funday]}]
            """,
        calendar="timezone: Europe/Rome\nexceptions:\n"
        "  - {date: 2026-13-01, name: X, closed: true}\n",
    )
    done = kpi_targets("check", "--targets", str(directory))
    assert done.returncode == 1
    targets_file, calendar_file = directory / "targets.yaml", directory / "calendar.yaml"
    assert done.stdout.splitlines() == [
        f"{targets_file}:4: error: value 1.5 is out of range for service_level_ratio: "
        "it must be within 0..1 (ratio)",
        f"{targets_file}:7: error: unknown day 'funday': use mon, tue, wed, thu, fri, sat, sun "
        "or a range like mon-fri",
        f"{calendar_file}:3: error: bad date '2026-13-01': month must be in 1..12",
        f"{directory}: 3 errors, 0 warnings",
    ]


def test_check_prints_warnings_but_passes(tmp_path: Path) -> None:
    directory = write_dir(
        tmp_path / "t",
        targets="""\
            targets:
              - kpi: abandonment_ratio
                quantifier: or_more
                schedules: [{value: 0.01}]
            """,
    )
    done = kpi_targets("check", "--targets", str(directory))
    assert done.returncode == 0
    assert done.stdout.splitlines() == [
        f"{directory / 'targets.yaml'}:3: warning: or_more on abandonment_ratio, where lower is "
        "better: is this intended?",
        f"{directory}: OK, 1 target and 1 date exception in Europe/Rome, 1 warning",
    ]


def test_check_exits_2_when_the_directory_or_a_file_is_missing(tmp_path: Path) -> None:
    done = kpi_targets("check", "--targets", str(tmp_path / "nowhere"))
    assert done.returncode == 2
    assert done.stderr == f"kpi-targets check: {tmp_path / 'nowhere'}: no such targets directory\n"
    directory = write_dir(tmp_path / "t")
    (directory / "calendar.yaml").unlink()
    done = kpi_targets("check", "--targets", str(directory))
    assert done.returncode == 2
    assert done.stderr == f"kpi-targets check: {directory / 'calendar.yaml'}: no such file\n"


def test_check_passes_the_default_targets_without_warnings() -> None:
    done = kpi_targets("check")  # default DIR: targets, relative to the repository
    assert done.returncode == 0
    assert done.stdout.startswith("targets: OK, ")
    assert "warning" not in done.stdout


def test_resolve_prints_targets_in_force_as_json(tmp_path: Path) -> None:
    directory = write_dir(tmp_path / "t")
    # Wed 2026-12-23 10:30 in Rome (UTC+1) is 09:30 UTC: the weekday 09:00-17:00 slot
    done = kpi_targets("resolve", "--at", "2026-12-23T09:30:00Z", "--targets", str(directory))
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout) == [
        {
            "kpi": "average_handle_time_seconds",
            "scope": {},
            "value": 300.0,
            "quantifier": "or_less",
            "source": "targets.yaml:11 schedule at all times, no scope",
        },
        {
            "kpi": "service_level_ratio",
            "scope": {"channel": "voice"},
            "value": 0.85,
            "quantifier": "or_more",
            "source": "targets.yaml:7 schedule mon-fri 09:00-17:00, scope channel=voice",
        },
    ]


def test_resolve_reads_an_instant_without_offset_in_the_calendar_zone(tmp_path: Path) -> None:
    directory = write_dir(tmp_path / "t")
    naive = kpi_targets("resolve", "--at", "2026-12-23T17:30", "--targets", str(directory))
    explicit = kpi_targets("resolve", "--at", "2026-12-23T17:30+01:00", "--targets", str(directory))
    assert naive.returncode == explicit.returncode == 0
    assert naive.stdout == explicit.stdout
    # 17:30 local: after the weekday slot, so the at-all-times 0.80
    values = {item["kpi"]: item["value"] for item in json.loads(naive.stdout)}
    assert values == {"average_handle_time_seconds": 300.0, "service_level_ratio": 0.8}


def test_resolve_prints_an_empty_list_when_closed(tmp_path: Path) -> None:
    directory = write_dir(tmp_path / "t")
    done = kpi_targets("resolve", "--at", "2026-12-25T10:00", "--targets", str(directory))
    assert (done.returncode, done.stdout) == (0, "[]\n")


def test_resolve_refuses_a_bad_instant_with_exit_2(tmp_path: Path) -> None:
    directory = write_dir(tmp_path / "t")
    done = kpi_targets("resolve", "--at", "next tuesday", "--targets", str(directory))
    assert (done.returncode, done.stdout) == (2, "")
    assert "bad --at 'next tuesday'" in done.stderr


def test_resolve_exits_1_on_invalid_targets(tmp_path: Path) -> None:
    directory = write_dir(tmp_path / "t", calendar="timezone: Atlantis/Capital\n")
    done = kpi_targets("resolve", "--at", "2026-12-23T10:00Z", "--targets", str(directory))
    assert (done.returncode, done.stdout) == (1, "")
    assert f"{directory / 'calendar.yaml'}:1: error: unknown time zone" in done.stderr


def test_catalog_json_lists_every_kpi_with_eligibility() -> None:
    done = kpi_targets("catalog", "--format", "json")
    assert done.returncode == 0
    listed = {item["name"]: item["eligible"] for item in json.loads(done.stdout)}
    assert listed == {kpi.name: kpi.eligible for kpi in CATALOG}
    assert listed["ai_customer_experience_score"] is False
