"""``kpi-targets backfill`` refuses unusable options with one clear line, and writes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from example_targets import copy_example_targets

from exporter.cli import main
from exporter.targets import calendar_edit
from exporter.targets.store import TargetStore

FIXTURES = Path(__file__).parent / "fixtures" / "queue_log"
CALLS = f"queue_log:{FIXTURES / 'calls.queue_log'}"


@pytest.fixture
def targets(tmp_path: Path) -> Path:
    return copy_example_targets(tmp_path / "targets")


def backfill(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["backfill", *args])
    return status, capsys.readouterr().err


def test_a_short_run_writes_openmetrics_and_says_what_it_used(
    capsys: pytest.CaptureFixture[str], targets: Path, tmp_path: Path
) -> None:
    out = tmp_path / "history.om"
    status, err = backfill(
        capsys,
        *(CALLS, "--targets", str(targets), "--out", str(out), "--step", "5m"),
        *("--from", "2026-01-05T10:00:00Z", "--to", "2026-01-05T10:30:00Z"),
    )
    assert status == 0, err
    assert err.splitlines()[0].startswith("backfill: wrote ")
    assert " at 7 steps of 300 s to " in err
    assert err.splitlines()[1:] == [
        "backfill: targets and calendar used:",
        "  2026-01-05T11:00:00+01:00 to 2026-01-05T11:30:00+01:00: the current targets.yaml and"
        " calendar.yaml",
    ]
    text = out.read_text()
    assert text.endswith("# EOF\n")
    # 10:25 UTC, the whole site: 3 of 8 within 20 s (see tests/test_replay.py).
    site = (
        'kpi_value{kpi="service_level_ratio",level="site",job="kpi-targets",'
        'instance="127.0.0.1:9491"}'
    )
    assert f"{site} 0.375 1767608700\n" in text


def test_a_holiday_saved_later_leaves_that_past_day_open(
    capsys: pytest.CaptureFixture[str], targets: Path, tmp_path: Path
) -> None:
    store = TargetStore(targets)
    store.edit_calendar(
        lambda text: calendar_edit.add_exception(text, date(2026, 1, 5), "Inventory", closed=True),
        user="ann",
        reason="closed for inventory",
        base_version=None,
    )  # now, long after 5 January: that day was open then
    (saved,) = (entry["at"] for entry in store.audit.entries())
    out = tmp_path / "history.om"
    status, err = backfill(
        capsys,
        *(CALLS, "--targets", str(targets), "--out", str(out), "--step", "5m"),
        *("--from", "2026-01-05T10:00:00Z", "--to", "2026-01-05T10:30:00Z"),
    )
    assert status == 0, err
    assert err.splitlines()[1:] == [
        "backfill: targets and calendar used:",
        "  2026-01-05T11:00:00+01:00 to 2026-01-05T11:30:00+01:00: as before audit.jsonl:1"
        f" (edit calendar.yaml at {saved} by ann: closed for inventory)",
    ]
    voice = (
        'kpi_target{kpi="service_level_ratio",level="channel",channel="voice",'
        'quantifier="or_more",job="kpi-targets",instance="127.0.0.1:9491"}'
    )
    # Monday 11:25 in Rome, inside mon-fri 09:00-17:00 of the example targets: 0.85.
    assert f"{voice} 0.85 1767608700\n" in out.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--step", "often"), "backfill: --step: 'often' is not a duration like 15s, 1m, 1h or 1d"),
        (
            ("--timezone", "Mars/Base"),
            "backfill: --timezone: 'Mars/Base' is not an IANA time zone (e.g. Europe/Rome)",
        ),
        (("--from", "yesterday"), "backfill: --from: 'yesterday' is not an ISO-8601 date-time"),
        (
            ("--to", "2026-01-05T09:00:00Z"),
            "backfill: --to 2026-01-05T09:00:00Z is before --from 2026-01-05T10:00:00Z",
        ),
    ],
)
def test_bad_options_are_refused_with_what_and_why(
    capsys: pytest.CaptureFixture[str],
    targets: Path,
    tmp_path: Path,
    args: tuple[str, ...],
    message: str,
) -> None:
    options = {"--from": "2026-01-05T10:00:00Z", "--to": "2026-01-05T11:00:00Z"}
    options.update(dict(zip(args[::2], args[1::2], strict=True)))
    out = tmp_path / "history.om"
    flat = [item for pair in options.items() for item in pair]
    status, err = backfill(capsys, CALLS, "--targets", str(targets), "--out", str(out), *flat)
    assert (status, err.strip()) == (2, message)
    assert not out.exists()


def test_a_missing_source_file_or_targets_directory_is_named(
    capsys: pytest.CaptureFixture[str], targets: Path, tmp_path: Path
) -> None:
    window = ("--from", "2026-01-05T10:00:00Z", "--to", "2026-01-05T11:00:00Z")
    out = str(tmp_path / "history.om")
    status, err = backfill(
        capsys, f"queue_log:{tmp_path / 'nope'}", "--targets", str(targets), "--out", out, *window
    )
    assert (status, err.strip()) == (2, f"backfill: {tmp_path / 'nope'}: no such file")
    status, err = backfill(
        capsys, CALLS, "--targets", str(tmp_path / "none"), "--out", out, *window
    )
    assert status == 1
    assert err.startswith(f"backfill: {tmp_path / 'none' / 'targets.yaml'} does not exist")
