"""The benchmark's own parts: the streamed queue_log generator and the read-and-split floor."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from bench_replay import fastest, measure_floor, measure_pipeline, measure_source
from generate_queue_log import main as generate_main
from generate_queue_log import write_queue_log


def test_generator_writes_exactly_the_lines_asked_in_time_order(tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    assert write_queue_log(20_000, path, seed=2) == 20_000
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 20_000
    epochs = [int(line.split("|", 1)[0]) for line in lines]
    assert epochs == sorted(epochs)
    # Voice only, and agent lines name their queues: no line has NONE (or chat) as its queue.
    assert {line.split("|")[2] for line in lines} == {"sales", "support"}


def test_generator_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    first, second, other = (tmp_path / name for name in ("a", "b", "c"))
    write_queue_log(3_000, first, seed=4)
    write_queue_log(3_000, second, seed=4)
    write_queue_log(3_000, other, seed=5)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()


def test_generated_lines_parse_without_a_rejection(tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    write_queue_log(10_000, path, seed=3)
    result = measure_source(path, seed=3)
    assert result["rejected_by_source"] == 0
    # An answered call's 3 lines (ENTERQUEUE, CONNECT, COMPLETE*) give 5 events (OFFERED;
    # ANSWERED, BUSY; ENDED, AVAILABLE): more events than lines.
    assert result["events"] > 10_000


def test_the_pipeline_counts_every_event_the_source_reads(tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    write_queue_log(10_000, path, seed=3)
    pipeline, source = measure_pipeline(path, seed=3), measure_source(path, seed=3)
    assert pipeline["lines"] == 10_000
    assert pipeline["events"] == source["events"]  # by fields as many as the Event objects
    assert pipeline["rejected_by_engine"] == pipeline["rejected_by_source"] == 0
    assert pipeline["kpi_series"] > 0


def test_the_fastest_run_of_each_measure_is_kept() -> None:
    runs = [
        {"lines": 10, "seconds": 2.0, "cpu_seconds": 1.5, "peak_mib": 20.0},
        {"lines": 10, "seconds": 1.0, "cpu_seconds": 1.8, "peak_mib": 21.0},
    ]
    assert fastest(runs) == {"lines": 10, "seconds": 1.0, "cpu_seconds": 1.5, "peak_mib": 21.0}


def test_floor_counts_lines_and_fields(tmp_path: Path) -> None:
    path = tmp_path / "lines"
    path.write_text("1|a|q|NONE|ENTERQUEUE||39|1\n2|a|q|ann|CONNECT|1|2.1|1\n", encoding="utf-8")
    result = measure_floor(path)
    assert result["lines"] == 2
    assert result["fields"] == 8 + 8


def test_generator_refuses_a_negative_count(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit):
        generate_main(["-5", str(tmp_path / "x")])
    assert "N_LINES must be >= 0, got -5" in capsys.readouterr().err
