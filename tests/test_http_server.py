"""The two ports as HTTP servers: the metrics port's landing page, 404s and ``?name[]=`` filter,
the admin port's 404, and idle connections that do not cost a thread each."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from example_targets import copy_example_targets
from processes import Process, free_port, http_get, serve_command

pytestmark = pytest.mark.integration


def _threads(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:")))


def test_landing_page_404s_name_filter_and_idle_connections(tmp_path: Path) -> None:
    metrics, admin = free_port(), free_port()
    process = Process(
        serve_command(
            metrics,
            admin,
            "--targets",
            str(copy_example_targets(tmp_path / "targets")),
            "--simulator-start",
            "2026-03-02T10:40:00+01:00",
        ),
        cwd=tmp_path,
    )
    base = f"http://127.0.0.1:{metrics}"
    try:
        assert process.read_line(30).startswith("Admin UI: ")
        status, body = http_get(f"{base}/")
        assert status == 200
        assert '<a href="/metrics">Metrics</a>' in body
        # Started at 10:40 Rome time a few seconds ago: the page names the simulated clock.
        assert "<p>simulated time: Mon 02 Mar 10:40 CET (the simulation started at " in body
        assert "--simulator-start)</p>" in body
        assert http_get(f"{base}/favicon.ico")[0] == 404
        assert http_get(f"{base}/metrics/extra") == (
            404,
            "404 Not Found: the metrics are at /metrics\n",
        )
        assert http_get(f"http://127.0.0.1:{admin}/nowhere")[0] == 404

        status, body = http_get(f"{base}/metrics?name[]=kpi_info&name[]=kpi_targets_build_info")
        assert status == 200
        families = {line.split()[2] for line in body.splitlines() if line.startswith("# TYPE")}
        assert families == {"kpi_info", "kpi_targets_build_info"}
        everything = http_get(f"{base}/metrics")[1]
        assert "kpi_info{" in everything and "process_cpu_seconds_total" in everything

        # Idle connections wait in cheroot's selector, not in a thread each.
        before = _threads(process.popen.pid)
        idle = [socket.create_connection(("127.0.0.1", metrics)) for _ in range(40)]
        try:
            assert http_get(f"{base}/metrics?name[]=kpi_info")[0] == 200
            assert _threads(process.popen.pid) <= before + 1
        finally:
            for connection in idle:
                connection.close()
    finally:
        assert process.stop() == 0, process.stderr
