"""A hand-made history of ``kpi_target_periods_total`` in a real Prometheus, for the attainment
tests: written as OpenMetrics, turned into blocks by ``promtool tsdb create-blocks-from
openmetrics`` and served by a Prometheus started on them.

Each series counts hours that closed ``k`` hours before the last full hour ``H``; a sample every
15 minutes from 35 days back to now. The figures worked out by hand (7 days = 168 h, 28 days =
672 h; no hour closes near either edge, so ``increase``'s extrapolation changes no count):

- service level, queue sales on voice, two exporters (``instance`` a and b):
  last 7 days: met 10 (a) + 8 (b) = 18, missed 3 + 3 = 6, low volume 5, no data 1;
  7 to 28 days ago, on a: met 30, missed 4; older than 28 days, on a: met 50 (never counted).
  -> 7 days: met 18 of 24 (5 low volume); 28 days: met 48 of 58 (5 low volume).
- service level, site-wide: last 7 days no data 4; 7 to 28 days ago met 6.
  -> 7 days: no judged hours; 28 days: met 6 of 6.
- abandonment, site-wide: last 7 days low volume 3. -> 7 days: no judged hours (3 low volume).
"""

from __future__ import annotations

import math
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from processes import Process, free_port
from prometheus_stack import binary

from exporter import names
from exporter.prometheus_http import PrometheusClient, PrometheusError
from exporter.prometheus_http_config import HttpClientConfig
from exporter.targets.periods import PeriodResult

SL, ABANDONMENT = "service_level_ratio", "abandonment_ratio"
HOUR = 3600.0
STEP = 900.0  # a sample every 15 minutes
SPAN_HOURS = 35 * 24

SALES_VOICE = {"kpi": SL, "level": "queue", "queue": "sales", "channel": "voice"}
SITE_SL = {"kpi": SL, "level": "site"}
SITE_ABANDONMENT = {"kpi": ABANDONMENT, "level": "site"}


def _hours(first: int, last: int) -> list[int]:
    return list(range(first, last + 1))


# (labels, {result: hours before H at which a period with that result closed})
HISTORY: list[tuple[dict[str, str], dict[str, list[int]]]] = [
    (
        {**SALES_VOICE, "instance": "a"},
        {
            "met": _hours(2, 11) + _hours(200, 229) + _hours(700, 749),
            "missed": [12, 13, 14, 300, 301, 302, 303],
            "low_volume": _hours(15, 19),
            "no_data": [20],
        },
    ),
    (
        {**SALES_VOICE, "instance": "b"},
        {"met": _hours(30, 37), "missed": [40, 41, 42], "low_volume": [], "no_data": []},
    ),
    (
        {**SITE_SL, "instance": "a"},
        {"met": _hours(400, 405), "missed": [], "low_volume": [], "no_data": _hours(2, 5)},
    ),
    (
        {**SITE_ABANDONMENT, "instance": "a"},
        {"met": [], "missed": [], "low_volume": [3, 4, 5], "no_data": []},
    ),
]


def _labels(labels: dict[str, str]) -> str:
    return ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))


def openmetrics(now: float) -> str:
    """The history up to ``now`` (Unix seconds) as an OpenMetrics exposition with timestamps."""
    last_hour = math.floor(now / HOUR) * HOUR
    start = last_hour - SPAN_HOURS * HOUR
    times = [start + i * STEP for i in range(int((now - 60 - start) // STEP) + 1)]
    family = names.family_name(names.KPI_TARGET_PERIODS)
    lines = [f"# TYPE {family} counter"]
    for labels, closed in HISTORY:
        for result in PeriodResult:
            instants = sorted(last_hour - k * HOUR for k in closed[result])
            series = _labels({**labels, names.RESULT: str(result)})
            count = 0
            for at in times:
                while count < len(instants) and instants[count] <= at:
                    count += 1
                lines.append(f"{names.KPI_TARGET_PERIODS}{{{series}}} {count} {at:.0f}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def create_blocks(now: float, directory: Path) -> Path:
    """The history in TSDB blocks under ``directory``/data (promtool), ready for Prometheus."""
    directory.mkdir(parents=True, exist_ok=True)
    source = directory / "history.om"
    source.write_text(openmetrics(now), encoding="utf-8")
    data = directory / "data"
    subprocess.run(
        [
            binary("promtool"),
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            "--max-block-duration=240h",
            str(source),
            str(data),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return data


@contextmanager
def prometheus_on(
    data: Path, directory: Path, extra: Sequence[str] = (), *, scheme: str = "http"
) -> Iterator[tuple[str, Process]]:
    """A Prometheus serving the TSDB in ``data`` (no scrapes): its URL and process."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "prometheus.yml").write_text("global: {}\n", encoding="utf-8")
    port = free_port()
    process = Process(
        [
            binary("prometheus"),
            f"--config.file={directory / 'prometheus.yml'}",
            f"--storage.tsdb.path={data}",
            "--storage.tsdb.retention.time=60d",
            f"--web.listen-address=127.0.0.1:{port}",
            *extra,
        ],
        cwd=directory,
    )
    try:
        yield f"{scheme}://127.0.0.1:{port}", process
    finally:
        status = process.stop()
        assert status == 0, process.stderr[-3000:]


def copy_of(blocks: Path, directory: Path) -> Path:
    """A copy of the blocks: each Prometheus locks its own data directory."""
    return Path(shutil.copytree(blocks, directory / "data"))


def wait_until_ready(client: PrometheusClient) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            client.query("vector(1)")
            return
        except PrometheusError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@contextmanager
def backfilled_prometheus(blocks: Path, directory: Path) -> Iterator[str]:
    """A Prometheus serving a copy of ``blocks`` (``create_blocks``), ready: its URL."""
    with prometheus_on(copy_of(blocks, directory), directory) as (url, _process):
        wait_until_ready(PrometheusClient(url, HttpClientConfig(), 5.0))
        yield url
