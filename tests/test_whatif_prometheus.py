"""``kpi-targets whatif --prometheus-url``: the same figures from a real Prometheus as from the
files it was backfilled from (backfill -> promtool blocks -> Prometheus), and Prometheus down or
slow is a message and exit 1, never a traceback. The data and the figures worked out by hand are
``test_whatif_cli``'s."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from processes import KPI_TARGETS, Process, free_port, http_get, wait_for
from prometheus_stack import binary
from test_whatif_cli import PROPOSED, setup, whatif

pytestmark = pytest.mark.integration

__all__ = ["setup"]  # the fixture, shared with test_whatif_cli
ARGS = ["--kpi", "service_level_ratio", "--scope", "channel=voice", *PROPOSED, "--format", "json"]


@pytest.fixture
def backfilled(setup: tuple[Path, Path], tmp_path: Path) -> Iterator[str]:
    targets, queue_log = setup
    out = tmp_path / "history.om"
    done = subprocess.run(
        [
            *KPI_TARGETS,
            *("backfill", f"queue_log:{queue_log}", "--targets", str(targets)),
            *("--from", "2026-02-26T00:00", "--to", "2026-03-05T00:00", "--step", "60s"),
            *("--out", str(out), "--split", "1d"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    data = tmp_path / "data"
    for path in sorted(tmp_path.glob("history-*.om")):
        blocks = subprocess.run(
            [binary("promtool"), "tsdb", "create-blocks-from", "openmetrics", str(path), str(data)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert blocks.returncode == 0, blocks.stdout + blocks.stderr
    (tmp_path / "prometheus.yml").write_text("global: {scrape_interval: 1m}\n", encoding="utf-8")
    port = free_port()
    server = Process(
        [
            binary("prometheus"),
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={data}",
            "--storage.tsdb.retention.time=10y",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        cwd=tmp_path,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for("Prometheus ready", lambda: http_get(f"{url}/-/ready")[0] == 200 or None, 60)
        yield url
    finally:
        server.stop()


def test_prometheus_gives_the_same_figures_as_the_files(
    setup: tuple[Path, Path], backfilled: str
) -> None:
    targets, queue_log = setup
    from_files = whatif(targets, queue_log, *ARGS)
    assert from_files.returncode == 0, from_files.stderr
    from_prometheus = subprocess.run(
        [
            *KPI_TARGETS,
            *("whatif", "--targets", str(targets), "--prometheus-url", backfilled),
            *("--window", "7d", "--until", "2026-03-05T00:00", *ARGS),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert from_prometheus.returncode == 0, from_prometheus.stderr
    files, stored = json.loads(from_files.stdout), json.loads(from_prometheus.stdout)
    assert stored == files
    assert stored["summary"] == "today: met 50 %; proposed: met 75 %"  # as worked out by hand
    assert stored["proposed"]["total"]["low_volume"] == 1


def _whatif_prometheus(targets: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *KPI_TARGETS,
            *("whatif", "--targets", str(targets), "--prometheus-url", url, *args),
            *("--kpi", "service_level_ratio", "--value", "0.8"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_prometheus_down_or_slow_is_a_message(setup: tuple[Path, Path]) -> None:
    targets, _ = setup
    down = _whatif_prometheus(targets, f"http://127.0.0.1:{free_port()}")
    assert down.returncode == 1, down.stderr
    assert "connection refused" in down.stderr and "Traceback" not in down.stderr

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    thread.start()
    try:
        port = listener.getsockname()[1]
        slow = _whatif_prometheus(
            targets, f"http://127.0.0.1:{port}", "--prometheus-timeout", "0.5"
        )
    finally:
        for connection in accepted:
            connection.close()
        listener.close()
    assert slow.returncode == 1, slow.stderr
    assert "did not answer within 0.5 s" in slow.stderr and "Traceback" not in slow.stderr

    bad = _whatif_prometheus(targets, "ftp://example.org")
    assert bad.returncode == 2 and "--prometheus-url" in bad.stderr
