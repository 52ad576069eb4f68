"""Real ``kpi-targets serve`` processes scraped by a real Prometheus, for the dashboard tests."""

from __future__ import annotations

import json
import shutil
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from processes import KPI_TARGETS, Process, free_port, http_get, wait_for

SCRAPE_SECONDS = 1.0


def binary(name: str) -> str:
    path = shutil.which(name)
    # Never skip: these are the acceptance checks (scripts/test.sh installs Prometheus).
    assert path, f"{name} is not installed (Debian package `prometheus`); run scripts/test.sh"
    return path


class QueryError(AssertionError):
    pass


@dataclass
class Prometheus:
    url: str

    def _get(self, path: str, params: dict[str, str]) -> Any:
        status, body = http_get(f"{self.url}{path}?" + urllib.parse.urlencode(params), 10.0)
        payload = json.loads(body)
        if status != 200 or payload.get("status") != "success":
            raise QueryError(f"{params.get('query')!r}: {status} {payload.get('error', body)}")
        return payload["data"]

    def query(self, promql: str, at: float | None = None) -> list[dict[str, Any]]:
        params = {"query": promql}
        if at is not None:
            params["time"] = f"{at:.3f}"
        return list(self._get("/api/v1/query", params)["result"])

    def query_range(
        self, promql: str, start: float, end: float, step: float
    ) -> list[dict[str, Any]]:
        params = {"query": promql, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step}"}
        return list(self._get("/api/v1/query_range", params)["result"])


@dataclass
class Exporter:
    process: Process
    metrics_port: int
    admin_port: int

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.metrics_port}"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"


@contextmanager
def exporter(args: Sequence[str], cwd: Path) -> Iterator[Exporter]:
    """``kpi-targets serve ARGS`` on free loopback ports; stopped (exit 0 checked) at the end."""
    metrics_port, admin_port = free_port(), free_port()
    process = Process(
        [
            *KPI_TARGETS,
            "serve",
            "--metrics-address",
            f"127.0.0.1:{metrics_port}",
            "--admin-address",
            f"127.0.0.1:{admin_port}",
            *args,
        ],
        cwd=cwd,
    )
    try:
        assert process.read_line(30).startswith("Admin UI: "), process.stderr
        assert process.read_line(5).startswith("Metrics: ")
        yield Exporter(process, metrics_port, admin_port)
    finally:
        status = process.stop()
    assert status == 0, process.stderr[-3000:]


@contextmanager
def prometheus(targets: Sequence[str], directory: Path) -> Iterator[Prometheus]:
    """A Prometheus scraping ``targets`` (job kpi-targets) every second."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    listed = ", ".join(f'"{target}"' for target in targets)
    (directory / "prometheus.yml").write_text(
        f"""\
global:
  scrape_interval: {SCRAPE_SECONDS:g}s
  evaluation_interval: 1s
scrape_configs:
  - job_name: kpi-targets
    static_configs:
      - targets: [{listed}]
""",
        encoding="utf-8",
    )
    process = Process(
        [
            binary("prometheus"),
            f"--config.file={directory / 'prometheus.yml'}",
            f"--storage.tsdb.path={directory / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        cwd=directory,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            "Prometheus to be ready",
            lambda: True if http_get(f"{url}/-/ready")[0] == 200 else None,
            timeout=60,
        )
        yield Prometheus(url)
    finally:
        status = process.stop()
    assert status == 0, process.stderr[-3000:]


@contextmanager
def stack(
    exporter_args: Sequence[Sequence[str]], directory: Path
) -> Iterator[tuple[list[Exporter], Prometheus]]:
    """Several exporters and one Prometheus scraping them all."""
    with ExitStack() as stack:
        exporters = [stack.enter_context(exporter(args, directory)) for args in exporter_args]
        server = stack.enter_context(
            prometheus([e.target for e in exporters], directory / "prometheus")
        )
        yield exporters, server
