"""The what-if benchmark's own parts: the history it writes and the targets it scores."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from bench_whatif import CALENDAR, STEP, history, targets_yaml

from exporter.targets.parse import parse_texts


def test_the_history_has_each_family_for_each_queue_every_step(tmp_path: Path) -> None:
    path = tmp_path / "history.om"
    end = 1_796_688_000
    history(path, end, days=1, queues=2)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[-1] == "# EOF"
    samples = [line for line in lines if not line.startswith("#")]
    steps = 2 * 86400 // STEP + 1  # days + 1, both ends
    assert len(samples) == 3 * 2 * steps
    assert samples[0].startswith('kpi_last_period_value{kpi="service_level_ratio",level="queue"')
    assert samples[-1].endswith(f" {end}")


def test_the_targets_are_one_per_queue_and_valid() -> None:
    result = parse_texts(targets_yaml(3, 0.8), CALENDAR)
    assert result.target_set is not None, [str(problem) for problem in result.problems]
    assert [dict(target.scope) for target in result.target_set.targets] == [
        {"queue": "q0"},
        {"queue": "q1"},
        {"queue": "q2"},
    ]
    assert [schedule.value for schedule in result.target_set.targets[0].schedules] == [0.8, 0.85]
