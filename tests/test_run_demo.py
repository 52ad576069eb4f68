"""Trying the demo never edits tracked files: ``scripts/run.sh`` in a throwaway clone serves a
working copy of the example targets in ``var/targets``; a target saved through the API lands there,
and ``git status --porcelain`` stays empty."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from processes import ROOT, Process, free_port, http_get, wait_for

PASSWORD = "demo password 1"

pytestmark = pytest.mark.integration


def _git(clone: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=clone, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def _session(base: str) -> tuple[urllib.request.OpenerDirector, str]:
    """A browser-like client (cookies kept) logged in as the demo's admin."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    opener.open(f"{base}/login", data=_form(opener, f"{base}/login", name="ada", password=PASSWORD))
    return opener, base


def _form(opener: urllib.request.OpenerDirector, url: str, **fields: str) -> bytes:
    """The hidden fields of the form on ``url`` (its CSRF token, its version) and ``fields``."""
    page = opener.open(url, timeout=10).read().decode()
    hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page))
    return urllib.parse.urlencode({**hidden, **fields}).encode()


def test_the_demo_edits_a_working_copy_and_git_status_stays_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    # The clone borrows this environment's kpi-targets (in a real .venv directory, git-ignored).
    (clone / ".venv").mkdir()
    (clone / ".venv" / "bin").symlink_to(Path(sys.executable).parent)
    assert _git(clone, "status", "--porcelain") == ""
    for name in [name for name in os.environ if name.startswith("KPI_TARGETS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("KPI_TARGETS_NO_INSTALL", "1")
    users = subprocess.run(
        [str(clone / ".venv/bin/kpi-targets"), "users", "add", "ada", "--role", "admin"],
        cwd=clone, input=PASSWORD, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert users.returncode == 0, users.stderr
    metrics, admin = free_port(), free_port()
    process = Process(
        [
            "scripts/run.sh",
            *("--metrics-address", f"127.0.0.1:{metrics}"),
            *("--admin-address", f"127.0.0.1:{admin}"),
        ],
        cwd=clone,
    )
    try:
        printed = "".join(process.read_line(30) for _ in range(4))
        assert "Copied the example targets/ to var/targets" in printed, printed
        assert "Demo targets: var/targets (kept across runs; to start again" in printed, printed
        opener, base = _session(f"http://127.0.0.1:{admin}")
        edit = f"{base}/targets/average_handle_time_seconds/edit"
        data = _form(opener, edit, quantifier="or_less", value="280", reason="demo test")
        saved = opener.open(edit, data=data, timeout=10)
        assert saved.url.endswith("/targets?tab=operations#average_handle_time_seconds")
        wanted = 'kpi_target{kpi="average_handle_time_seconds",level="site",quantifier="or_less"}'
        wanted += " 280"

        def in_force() -> bool | None:
            return True if wanted in http_get(f"http://127.0.0.1:{metrics}/metrics")[1] else None

        wait_for("the saved target on /metrics", in_force, timeout=20)
    finally:
        assert process.stop() == 0, process.stderr
    assert "value: 280" in (clone / "var/targets/targets.yaml").read_text()
    assert (clone / "targets/targets.yaml").read_text() == _git(
        clone, "show", "HEAD:targets/targets.yaml"
    )
    assert json.loads((clone / "var/targets/audit.jsonl").read_text())["user"] == "ada"
    assert _git(clone, "status", "--porcelain") == ""
