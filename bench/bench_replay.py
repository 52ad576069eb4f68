"""Replay throughput of the real pipeline (queue_log source -> KPI engine) against a floor.

    python bench/bench_replay.py [--sizes 100000,300000] [--dir DIR] [--seed 1] [--runs 3]

For each size it generates a queue_log with the simulator (bench/generate_queue_log.py; kept in
``--dir`` and reused when it is already there), then measures, each in a fresh subprocess:

- pipeline: what ``kpi-targets replay --at`` (just after the last line) does: ``QueueLogSource``
  reads every line and hands its events by their fields to a ``Feed``, which counts them into the
  ``KpiEngine``; one ``snapshot`` at the end computes the KPIs;
- source: the queue_log source alone, building an Event object per event (the live path), no
  engine: to show where time goes;
- floor: a bare loop that only reads the same lines and splits them on ``|``.

Floor and pipeline run in turn ``--runs`` times (the floor once more at the end), and the fastest
run of each is kept: a busy machine slows some runs, and a slow floor would flatter the ratio.

Throughput is lines per second of wall time; the ratio to the floor is also given in CPU time
(``time.process_time``), which other programs on a busy machine disturb less. Peak memory is the
subprocess's maximum resident set size (``getrusage``), interpreter included.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_queue_log import voice_config, write_queue_log

MODES = ("pipeline", "source", "floor")


def measure_floor(path: Path) -> dict[str, float]:
    started, cpu = time.perf_counter(), time.process_time()
    lines = 0
    fields = 0
    with path.open(encoding="utf-8") as file:
        for line in file:
            fields += len(line.rstrip("\n").split("|"))
            lines += 1
    return {
        "lines": lines,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "fields": fields,
    }


def measure_source(path: Path, seed: int) -> dict[str, float]:
    from exporter.sources.base import IngestStats
    from exporter.sources.queue_log import QueueLogSource

    source = QueueLogSource(path, agent_teams=voice_config(seed).agent_teams())
    stats = IngestStats()
    started, cpu = time.perf_counter(), time.process_time()
    events = sum(1 for _ in source.events(stats))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    rejected = sum(stats.rejected_counts().values())
    return {
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "events": events,
        "rejected_by_source": rejected,
    }


def measure_pipeline(path: Path, seed: int) -> dict[str, float]:
    from exporter.backfill.feed import Feed, feed_sources
    from exporter.engine import KpiEngine
    from exporter.engine.types import EngineConfig
    from exporter.sources.base import IngestStats
    from exporter.sources.queue_log import QueueLogSource

    config = voice_config(seed)
    with path.open(encoding="utf-8") as file:
        lines = 0
        for lines, last in enumerate(file, start=1):  # noqa: B007
            pass
    at = float(last.split("|", 1)[0]) + 1  # replay --at just after the last line
    engine = KpiEngine(EngineConfig(timezone=ZoneInfo(config.timezone)))
    source = QueueLogSource(path, agent_teams=config.agent_teams())
    stats = IngestStats()
    started, cpu = time.perf_counter(), time.process_time()
    feed = Feed.until(engine, at)
    feed_sources([source], feed, stats)
    kpis = len(engine.snapshot(at).kpis)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "lines": lines,
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "events": feed.events,
        "rejected_by_engine": sum(feed.refused.values()) + feed.later,
        "rejected_by_source": sum(stats.rejected_counts().values()),
        "kpi_series": kpis,
    }


def child(mode: str, path: Path, seed: int) -> None:
    if mode == "floor":
        result = measure_floor(path)
    elif mode == "source":
        result = measure_source(path, seed)
    else:
        result = measure_pipeline(path, seed)
    # ru_maxrss is in KiB on Linux.
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def fastest(runs: list[dict[str, float]]) -> dict[str, float]:
    """The first run, with the least wall and CPU time of all and the highest peak memory."""
    return {
        **runs[0],
        "seconds": min(run["seconds"] for run in runs),
        "cpu_seconds": min(run["cpu_seconds"] for run in runs),
        "peak_mib": max(run["peak_mib"] for run in runs),
    }


def run_child(mode: str, path: Path, seed: int) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path), "--seed", str(seed)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(completed.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="100000,300000",
        help="comma-separated line counts (default 100000,300000)",
    )
    parser.add_argument("--dir", type=Path, help="where the generated files are kept")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--runs", type=int, default=3, help="runs of the floor and the pipeline (default 3)"
    )
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, path = args.child
        if mode not in MODES:
            parser.error(f"mode must be one of {MODES}, got {mode!r}")
        child(mode, Path(path), args.seed)
        return 0
    try:
        sizes = [int(size) for size in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes must be comma-separated integers, got {args.sizes!r}")
    if any(size <= 0 for size in sizes):
        parser.error(f"--sizes must be positive, got {args.sizes!r}")
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")
    directory = args.dir or Path(tempfile.mkdtemp(prefix="kpi-bench-"))
    directory.mkdir(parents=True, exist_ok=True)

    header = (
        f"{'lines':>10}  {'lines/s':>10}  {'floor lines/s':>13}  {'ratio':>6}  {'cpu ratio':>9}  "
        f"{'peak MiB':>8}  {'floor peak MiB':>14}  {'source lines/s':>14}  {'source MiB':>10}  "
        f"{'events':>10}  {'rejected':>8}"
    )
    print(header)
    for size in sizes:
        path = directory / f"queue_log.{size}.seed{args.seed}"
        if not path.exists():
            write_queue_log(size, path, args.seed)
        # Floor and pipeline in turn, --runs times each and the floor once more, the fastest of
        # each kept: a busy machine slows some runs, and a slow floor would flatter the ratio.
        floors, pipelines = [], []
        for _ in range(args.runs):
            floors.append(run_child("floor", path, args.seed))
            pipelines.append(run_child("pipeline", path, args.seed))
        floors.append(run_child("floor", path, args.seed))
        source = run_child("source", path, args.seed)
        floor, pipeline = fastest(floors), fastest(pipelines)
        rate = pipeline["lines"] / pipeline["seconds"]
        floor_rate = floor["lines"] / floor["seconds"]
        cpu_ratio = pipeline["cpu_seconds"] / floor["cpu_seconds"]
        rejected = pipeline["rejected_by_engine"] + pipeline["rejected_by_source"]
        print(
            f"{size:>10,}  {rate:>10,.0f}  {floor_rate:>13,.0f}  {floor_rate / rate:>5.1f}x  "
            f"{cpu_ratio:>8.1f}x  "
            f"{pipeline['peak_mib']:>8.1f}  {floor['peak_mib']:>14.1f}  "
            f"{size / source['seconds']:>14,.0f}  {source['peak_mib']:>10.1f}  "
            f"{pipeline['events']:>10,}  {rejected:>8,}"
        )
    print(
        f"(files in {directory}; ratio = floor lines/s over pipeline lines/s, wall time; "
        "cpu ratio = the same in CPU time of each process, steadier on a shared machine)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
