"""The backfill benchmark's own parts: the span it backfills, the floor's output, and that the
measured command writes what ``kpi-targets backfill`` writes."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from bench_backfill import measure_backfill, measure_floor, samples_in, span
from generate_queue_log import write_queue_log


def test_the_span_is_the_first_and_last_line_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    path.write_text("100|a|b|c|d\n160|a|b|c|d\n250|a|b|c|d\n", encoding="utf-8")
    assert span(path) == (100, 250)


def test_the_floor_writes_exactly_the_samples_asked_and_reads_every_field(tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    path.write_text("100|a|b|c|d\n160|a|b\n", encoding="utf-8")
    out = tmp_path / "floor.om"
    result = measure_floor(path, 1234, out)
    assert result["fields"] == 8
    assert samples_in(out) == 1234
    assert out.read_text(encoding="utf-8").splitlines()[1].startswith('kpi_value{kpi="service')


def test_the_measured_backfill_covers_the_files_span_at_its_step(tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    write_queue_log(3_000, path, seed=2)
    first, last = span(path)
    out = tmp_path / "history.om"
    result = measure_backfill(path, 300, seed=2, out=out)
    assert result["steps"] == (last - first) // 300 + 1
    text = out.read_text(encoding="utf-8")
    assert text.endswith("# EOF\n")
    assert result["samples"] == samples_in(out) > result["steps"]  # several series per step
    assert 'kpi_value{kpi="service_level_ratio",level="site",' in text
