"""``kpi-targets whatif`` run as users run it, on a queue_log whose hours were worked out by hand.

Europe/Rome, on duty Mon-Fri 09:00-12:00, Tuesday 3 March 2026 closed. In force: voice service
level 80 % at all times. Proposed: 70 % at all times, Mon-Fri 09:00-10:00 at 90 %. The last 7
days before Thursday 5 March 00:00 (Thu 26 Feb - Wed 4 Mar: 4 on-duty days of 3 hours, the
Tuesday closed):

    Mon 09  90 % (18 of 20)   proposed 90 %: met     today 80 %: met
    Mon 10  75 % (15 of 20)   proposed 70 %: met     today: missed
    Mon 11  50 % (10 of 20)   proposed 70 %: missed  today: missed
    Tue 09  closed: not judged (its 100 % never counts)
    Wed 09  95 % (19 of 20)   proposed 90 %: met     today: met
    Wed 10  5 calls: low volume
    Wed 11 and Thu 26, Fri 27 09:00-12:00: no data (7 hours)

Proposed: met 3 of 4 (75 %); today: met 2 of 4 (50 %).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from processes import KPI_TARGETS
from test_whatif_files import local, write_calls

TARGETS = """\
targets:
  - kpi: service_level_ratio
    scope: {channel: voice}
    quantifier: or_more
    schedules:
      - value: 0.80
"""
CALENDAR = """\
timezone: Europe/Rome
operating_hours:
  default: {mon-fri: "09:00-12:00"}
exceptions:
  - {date: 2026-03-03, name: Town fair, closed: true}
"""
PROPOSED = ["--value", "70%", "--schedule", "mon-fri 09:00-10:00=90%"]


def waits(within: int, over: int = 0) -> tuple[int, ...]:
    return (5,) * within + (30,) * over


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    targets = tmp_path / "targets"
    targets.mkdir()
    (targets / "targets.yaml").write_text(TARGETS, encoding="utf-8")
    (targets / "calendar.yaml").write_text(CALENDAR, encoding="utf-8")
    queue_log = tmp_path / "calls.queue_log"
    write_calls(
        queue_log,
        [
            (local("2026-03-02 09:00"), waits(18, 2)),
            (local("2026-03-02 10:00"), waits(15, 5)),
            (local("2026-03-02 11:00"), waits(10, 10)),
            (local("2026-03-03 09:00"), waits(20)),
            (local("2026-03-04 09:00"), waits(19, 1)),
            (local("2026-03-04 10:00"), waits(5)),
        ],
    )
    return targets, queue_log


def whatif(targets: Path, queue_log: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *KPI_TARGETS,
            "whatif",
            "--targets",
            str(targets),
            "--from",
            f"queue_log:{queue_log}",
            "--window",
            "7d",
            "--until",
            "2026-03-05T00:00",
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_json_figures_per_row_side_by_side_and_suggestions(setup: tuple[Path, Path]) -> None:
    targets, queue_log = setup
    done = whatif(
        targets,
        queue_log,
        "--kpi",
        "service_level_ratio",
        "--scope",
        "channel=voice",
        *PROPOSED,
        "--format",
        "json",
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["summary"] == "today: met 50 %; proposed: met 75 %"
    assert document["window"]["hours"] == 7 * 24
    proposed, today = document["proposed"], document["today"]
    assert proposed["total"] == {
        "judged": 4,
        "met": 3,
        "missed": 1,
        "low_volume": 1,
        "no_data": 7,
        "met_share": 0.75,
    }
    always, morning = proposed["rows"]
    assert (always["label"], always["met"], always["missed"]) == ("At all times", 1, 1)
    assert (always["low_volume"], always["no_data"]) == (1, 5)
    assert (morning["label"], morning["met"], morning["missed"]) == ("Mon-Fri 09:00-10:00", 2, 0)
    assert morning["no_data"] == 2  # Thursday's and Friday's 09:00
    # 80 % of 2 hours is both: the lower value of each row
    assert (always["suggestion"], morning["suggestion"]) == (0.5, 0.9)
    assert morning["suggestion_text"] == (
        "90 % would have been met in 80 % of Mon-Fri 09:00-10:00 hours"
    )
    assert (today["total"]["met"], today["total"]["missed"]) == (2, 2)
    monday, wednesday = proposed["grid"][0], proposed["grid"][2]
    assert monday[9:12] == [1.0, 1.0, 0.0]
    assert wednesday[9:12] == [1.0, None, None]
    assert proposed["grid"][1] == [None] * 24  # the closed Tuesday


def test_text_output_says_the_same(setup: tuple[Path, Path]) -> None:
    targets, queue_log = setup
    done = whatif(
        targets, queue_log, "--kpi", "service_level_ratio", "--scope", "channel=voice", *PROPOSED
    )
    assert done.returncode == 0, done.stderr
    assert "today: met 50 %; proposed: met 75 %" in done.stdout
    assert "proposed: met 3 of 4 judged hours (75 %); low volume 1, no data 7" in done.stdout
    assert "suggested: 50 % would have been met in 80 % of At all times hours" in done.stdout


def test_a_whole_proposed_directory_target_by_target(
    setup: tuple[Path, Path], tmp_path: Path
) -> None:
    targets, queue_log = setup
    proposed = tmp_path / "pull-request"
    proposed.mkdir()
    (proposed / "targets.yaml").write_text(
        TARGETS.replace("0.80", "0.70")
        + "  - kpi: abandonment_ratio\n    quantifier: or_less\n    schedules:\n"
        "      - value: 0.10\n",
        encoding="utf-8",
    )
    (proposed / "calendar.yaml").write_text(CALENDAR, encoding="utf-8")
    done = whatif(targets, queue_log, "--proposed", str(proposed), "--format", "json")
    assert done.returncode == 0, done.stderr
    service, abandons = json.loads(done.stdout)
    # 70 % at all times: Mon 09, Mon 10, Wed 09 met; Mon 11 missed
    assert (service["proposed"]["total"]["met"], service["proposed"]["total"]["missed"]) == (3, 1)
    assert service["today"]["total"]["met_share"] == 0.5
    # The site's abandonment: no call abandoned, so every judged hour is met; no target today
    assert abandons["today"] is None
    assert (abandons["proposed"]["total"]["met"], abandons["proposed"]["total"]["missed"]) == (4, 0)


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["--kpi", "nonsense", "--value", "1"], 2, "not in the KPI catalog"),
        (["--kpi", "service_level_ratio"], 2, "give --value X"),
        (["--kpi", "service_level_ratio", "--value", "85"], 2, "--value"),
        (["--kpi", "contacts_waiting", "--value", "3"], 2, "no closed hours to score"),
        (["--kpi", "service_level_ratio", "--value", "0.8", "--share", "120%"], 2, "--share"),
        (
            ["--kpi", "service_level_ratio", "--scope", "channel=fax", "--value", "0.8"],
            1,
            "no judged hour in the last 7 days",
        ),
    ],
)
def test_bad_input_is_a_clear_message_never_a_traceback(
    setup: tuple[Path, Path], args: list[str], status: int, message: str
) -> None:
    targets, queue_log = setup
    done = whatif(targets, queue_log, *args)
    assert done.returncode == status, (done.stdout, done.stderr)
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_source_lines_are_reported_and_a_missing_file_is_usage(
    setup: tuple[Path, Path], tmp_path: Path
) -> None:
    targets, queue_log = setup
    missing = whatif(
        targets, tmp_path / "nope.queue_log", "--kpi", "service_level_ratio", "--value", "0.8"
    )
    assert missing.returncode == 2 and "no such file" in missing.stderr
    with queue_log.open("a", encoding="utf-8") as log:
        log.write("this is not a queue_log line\n")
    done = whatif(
        targets, queue_log, "--kpi", "service_level_ratio", "--scope", "channel=voice", *PROPOSED
    )
    assert done.returncode == 0, done.stderr
    assert "1 line of the contact data rejected" in done.stderr
