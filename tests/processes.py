"""Helpers for tests that run real processes: free ports, bounded waits, clean stops."""

from __future__ import annotations

import json
import os
import queue
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
KPI_TARGETS = [sys.executable, "-m", "exporter"]

T = TypeVar("T")


def serve_command(metrics: int, admin: int, *extra: str) -> list[str]:
    """``kpi-targets serve`` with both ports on loopback, then ``extra`` arguments."""
    return [
        *KPI_TARGETS,
        "serve",
        "--metrics-address",
        f"127.0.0.1:{metrics}",
        "--admin-address",
        f"127.0.0.1:{admin}",
        *extra,
    ]


def _ephemeral_low() -> int:
    """The lowest port the kernel hands to outgoing connections (Linux's default 32768)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_GIVEN: set[int] = set()


def free_port() -> int:
    """A loopback port free now, below the kernel's ephemeral range and never given before in
    this run: a port the kernel chose (bind to 0) can be taken by any outgoing connection
    between this call and the server's own bind ("Address already in use", seen in this suite)."""
    low = min(_ephemeral_low(), 65536)
    candidates = list(range(max(1024, low - 12000), low))
    random.shuffle(candidates)
    for port in candidates:
        if port in _GIVEN:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _GIVEN.add(port)
        return port
    raise AssertionError(f"no free loopback port below {low}")


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, interval: float = 0.2) -> T:
    """``probe()`` until it returns something other than None; AssertionError at the deadline."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = probe()
        except (OSError, urllib.error.URLError, ValueError, KeyError) as error:
            last_error, result = error, None
        if result is not None:
            return result
        time.sleep(interval)
    raise AssertionError(
        f"timed out after {timeout} s waiting for {what} (last error {last_error})"
    )


def http_get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def post_events(url: str, token: str, events: Sequence[object]) -> tuple[int, Any]:
    """POST ``events`` as JSON to ``url`` (an exporter's ``/api/v1/events``) with the bearer
    ``token``: the status and the decoded JSON answer, of an error status too."""
    request = urllib.request.Request(
        url,
        data=json.dumps(events).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


class Process:
    """A child process whose stdout lines are collected by a thread (readable with a deadline)."""

    def __init__(self, args: Sequence[str], *, cwd: Path | None = None) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.popen = subprocess.Popen(
            list(args),
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        self.stdout_lines: list[str] = []
        self.stderr_lines: list[str] = []
        threading.Thread(target=self._pump, args=(self.popen.stdout, True), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.popen.stderr, False), daemon=True).start()

    def _pump(self, stream: object, is_stdout: bool) -> None:
        for line in stream:  # type: ignore[attr-defined]
            if is_stdout:
                self.stdout_lines.append(line)
                self._lines.put(line)
            else:
                self.stderr_lines.append(line)

    def read_line(self, timeout: float) -> str:
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(
                f"no output line within {timeout} s; stderr so far:\n{''.join(self.stderr_lines)}"
            ) from None

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, then SIGKILL if it does not end in time; the exit status."""
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        return self.popen.returncode

    @property
    def stderr(self) -> str:
        return "".join(self.stderr_lines)
