"""What-if speed from a local Prometheus against the raw query as its floor.

    python bench/bench_whatif.py [--days 90] [--queues 50] [--dir DIR] [--repeat 3]

Writes ``--days`` (+1) of closed-hour history for ``--queues`` voice queues (the three series the
what-if reads: ``kpi_last_period_value``, ``kpi_value``, ``kpi_sample_size``, a sample every 15
minutes), turns it into blocks with ``promtool tsdb create-blocks-from openmetrics`` (kept in
``--dir`` and reused), starts Prometheus on them and measures, best of ``--repeat``:

- floor: the one raw range query any what-if needs at least: ``kpi_last_period_value`` of the
  target's series over the window, one point per hour (``floor_directory``: of every queue's,
  the directory's floor);
- one target: ``exporter.whatif.past_prometheus.closed_hours`` (its three range queries) and
  ``compare`` (the proposed target and the one in force, every hour judged);
- a directory of ``--queues`` targets (one per queue): the same for all of them at once, scored
  target by target (``compare_sets``).

Prints JSON: seconds of each and the ratios to the floor (the issue's goals: one target under
1 s, 50 under 10 s).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from exporter import names  # noqa: E402
from exporter.engine.clock import LocalHours  # noqa: E402
from exporter.prometheus_http import PrometheusClient  # noqa: E402
from exporter.prometheus_http_config import HttpClientConfig  # noqa: E402
from exporter.targets.parse import parse_texts  # noqa: E402
from exporter.whatif.past_prometheus import closed_hours  # noqa: E402
from exporter.whatif.score import compare, compare_sets, hours_between  # noqa: E402

STEP = 900
SL = "service_level_ratio"
CALENDAR = (
    'timezone: UTC\noperating_hours:\n  default: {mon-fri: "08:00-18:00", sat: "09:00-13:00"}\n'
)


def targets_yaml(queues: int, value: float) -> str:
    lines = ["targets:"]
    for queue in range(queues):
        lines += [
            f"  - kpi: {SL}",
            f"    scope: {{queue: q{queue}}}",
            "    quantifier: or_more",
            "    schedules:",
            f"      - value: {value}",
            f'      - {{days: [mon, tue, wed, thu, fri], from: "09:00", to: "17:00", '
            f"value: {value + 0.05:.2f}}}",
        ]
    return "\n".join(lines) + "\n"


def history(path: Path, end: int, days: int, queues: int) -> None:
    """OpenMetrics of the three families, one sample every STEP seconds, ``days + 1`` days."""
    start = end - (days + 1) * 86400
    families = (names.KPI_LAST_PERIOD_VALUE, names.KPI_VALUE, names.KPI_SAMPLE_SIZE)
    with path.open("w", encoding="utf-8") as out:
        for family in families:
            out.write(f"# TYPE {family} gauge\n")
            for queue in range(queues):
                labels = f'kpi="{SL}",level="queue",queue="q{queue}",channel="voice"'
                for at in range(start, end + 1, STEP):
                    hour = at // 3600
                    if family == names.KPI_SAMPLE_SIZE:
                        value: float = 20 + (hour * 7 + queue) % 40
                    else:
                        value = 0.6 + ((hour * 13 + queue * 5) % 37) / 100
                    out.write(f"{family}{{{labels}}} {value} {at}\n")
        out.write("# EOF\n")


def best(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--queues", type=int, default=50)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    assert prometheus and promtool, "Prometheus is not installed (Debian package prometheus)"
    directory = args.dir or Path(tempfile.mkdtemp(prefix="bench-whatif-"))
    directory.mkdir(parents=True, exist_ok=True)
    end = int(time.time()) // 86400 * 86400  # midnight UTC today: every hour of the window closed
    data = directory / f"data-{args.days}d-{args.queues}q-{end}"
    if not data.is_dir():
        om = directory / "history.om"
        history(om, end, args.days, args.queues)
        subprocess.run(
            [promtool, "tsdb", "create-blocks-from", "openmetrics", str(om), str(data)],
            check=True,
            capture_output=True,
        )
        om.unlink()
    (directory / "prometheus.yml").write_text("global: {scrape_interval: 1m}\n", encoding="utf-8")
    port = 19090 + end % 1000
    server = subprocess.Popen(
        [
            prometheus,
            f"--config.file={directory / 'prometheus.yml'}",
            f"--storage.tsdb.path={data}",
            "--storage.tsdb.retention.time=10y",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        client = PrometheusClient(url, HttpClientConfig(), 30.0)
        in_force = parse_texts(targets_yaml(args.queues, 0.8), CALENDAR).target_set
        proposed = parse_texts(targets_yaml(args.queues, 0.75), CALENDAR).target_set
        assert in_force is not None and proposed is not None
        periods = hours_between(
            end - args.days * 86400, end, LocalHours(in_force.calendar.timezone)
        )
        one = proposed.targets[0]

        def floor() -> object:
            return client.query_range(
                f'{names.KPI_LAST_PERIOD_VALUE}{{kpi="{SL}",level="queue",queue="q0"}}',
                periods[0][1] + 1800,
                periods[-1][1] + 1800,
                3600,
            )

        def floor_directory() -> object:
            return client.query_range(
                f'{names.KPI_LAST_PERIOD_VALUE}{{kpi="{SL}",level="queue"}}',
                periods[0][1] + 1800,
                periods[-1][1] + 1800,
                3600,
            )

        def one_target() -> object:
            past = closed_hours(client, [one], periods)[SL]
            result = compare(one, in_force, periods, past)
            assert result.proposed.total.judged > 0
            return result

        def directory_of_targets() -> object:
            past = closed_hours(client, proposed.targets, periods)
            found = compare_sets(list(proposed.targets), proposed, in_force, periods, past)
            assert len(found) == args.queues and all(c.proposed.total.judged for c in found)
            return found

        floor()  # Prometheus loads the blocks' index on the first query
        seconds = {
            "floor": best(args.repeat, floor),
            "floor_directory": best(args.repeat, floor_directory),
            "one_target": best(args.repeat, one_target),
            "directory": best(args.repeat, directory_of_targets),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        json.dumps(
            {
                "days": args.days,
                "hours": len(periods),
                "targets_in_directory": args.queues,
                "seconds": {key: round(value, 4) for key, value in seconds.items()},
                "one_target_over_floor": round(seconds["one_target"] / seconds["floor"], 1),
                "directory_over_floor": round(seconds["directory"] / seconds["floor_directory"], 1),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
