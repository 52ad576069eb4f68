"""Backfill throughput of the real command (``kpi-targets backfill``) against a floor.

    python bench/bench_backfill.py [--sizes 100000] [--step 60] [--dir DIR] [--seed 1]

For each size it generates a queue_log with the simulator (bench/generate_queue_log.py; kept in
``--dir`` and reused), then measures, each in a fresh subprocess:

- backfill: ``kpi-targets backfill`` over the file's whole span at ``--step`` seconds, on the
  repository's ``targets/`` (parse, interpret, engine, a past scrape per step with the targets in
  force then, OpenMetrics out);
- floor: the least any backfill does with the same input and output: read and split every line of
  the queue_log once, and write as many sample lines as the backfill wrote, each formatted from a
  name, a label string, a value and a timestamp (run before and after, the faster one kept).

Throughput is samples written per second of wall time; the ratio to the floor is also given in CPU
time (``time.process_time``), steadier on a busy machine. Peak memory is the subprocess's maximum
resident set size (``getrusage``), interpreter included.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_queue_log import voice_config, write_queue_log

ROOT = Path(__file__).resolve().parent.parent
MODES = ("backfill", "floor")


def span(path: Path) -> tuple[int, int]:
    """The first and last epoch seconds of a queue_log (the generator writes them in order)."""
    with path.open(encoding="utf-8") as file:
        first = last = int(file.readline().split("|", 1)[0])
        for line in file:
            last = int(line.split("|", 1)[0])
    return first, last


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def samples_in(path: Path) -> int:
    with path.open(encoding="utf-8") as file:
        return sum(1 for line in file if not line.startswith("#"))


def measure_backfill(path: Path, step: int, seed: int, out: Path) -> dict[str, float]:
    from exporter.cli import main as kpi_targets

    first, last = span(path)
    argv = [
        "backfill", f"queue_log:{path}", "--from", iso(first), "--to", iso(last),
        "--step", f"{step}s", "--timezone", voice_config(seed).timezone,
        "--targets", str(ROOT / "targets"), "--out", str(out),
    ]  # fmt: skip
    started, cpu = time.perf_counter(), time.process_time()
    status = kpi_targets(argv)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if status != 0:
        raise SystemExit(f"kpi-targets backfill exited {status}")
    return {
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "samples": samples_in(out),
        "steps": (last - first) // step + 1,
    }


def measure_floor(path: Path, samples: int, out: Path) -> dict[str, float]:
    labels = '{kpi="service_level_ratio",level="queue",channel="voice",queue="sales"}'
    started, cpu = time.perf_counter(), time.process_time()
    fields = 0
    with path.open(encoding="utf-8") as file:
        for line in file:
            fields += len(line.rstrip("\n").split("|"))
    with out.open("w", encoding="utf-8") as file:
        write = file.write
        for number in range(samples):
            write(f"kpi_value{labels} {number * 0.001} {1767225600 + number}\n")
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "fields": fields,
    }


def child(mode: str, path: Path, argument: int, seed: int) -> None:
    with tempfile.TemporaryDirectory(prefix="kpi-bench-out-") as scratch:
        out = Path(scratch) / "history.om"
        if mode == "backfill":
            result = measure_backfill(path, argument, seed, out)
        else:
            result = measure_floor(path, argument, out)
    # ru_maxrss is in KiB on Linux.
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def run_child(mode: str, path: Path, argument: int, seed: int) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path), str(argument), "--seed", str(seed)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(completed.stdout.splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000", help="comma-separated line counts")
    parser.add_argument("--step", type=int, default=60, help="seconds between samples (60)")
    parser.add_argument("--dir", type=Path, help="where the generated files are kept")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "PATH", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, path, argument = args.child
        if mode not in MODES:
            parser.error(f"mode must be one of {MODES}, got {mode!r}")
        child(mode, Path(path), int(argument), args.seed)
        return 0
    try:
        sizes = [int(size) for size in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes must be comma-separated integers, got {args.sizes!r}")
    if any(size <= 0 for size in sizes) or args.step <= 0:
        parser.error("--sizes and --step must be positive")
    directory = args.dir or Path(tempfile.mkdtemp(prefix="kpi-bench-"))
    directory.mkdir(parents=True, exist_ok=True)

    print(
        f"{'lines':>10}  {'steps':>7}  {'samples':>11}  {'samples/s':>10}  "
        f"{'floor samples/s':>15}  {'ratio':>6}  {'cpu ratio':>9}  {'peak MiB':>8}  "
        f"{'floor peak MiB':>14}"
    )
    for size in sizes:
        path = directory / f"queue_log.{size}.seed{args.seed}"
        if not path.exists():
            write_queue_log(size, path, args.seed)
        backfill = run_child("backfill", path, args.step, args.seed)
        samples = int(backfill["samples"])
        # The floor before and after: on a busy machine a slow floor would flatter the ratio.
        floor, again = (run_child("floor", path, samples, args.seed) for _ in range(2))
        floor_seconds = min(floor["seconds"], again["seconds"])
        floor_cpu = min(floor["cpu_seconds"], again["cpu_seconds"])
        rate, floor_rate = samples / backfill["seconds"], samples / floor_seconds
        print(
            f"{size:>10,}  {int(backfill['steps']):>7,}  {samples:>11,}  {rate:>10,.0f}  "
            f"{floor_rate:>15,.0f}  {floor_rate / rate:>5.1f}x  "
            f"{backfill['cpu_seconds'] / floor_cpu:>8.1f}x  {backfill['peak_mib']:>8.1f}  "
            f"{max(floor['peak_mib'], again['peak_mib']):>14.1f}"
        )
    print(
        f"(files in {directory}; ratio = floor samples/s over backfill samples/s, wall time; "
        "cpu ratio = the same in CPU time of each process)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
