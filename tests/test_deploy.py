"""The systemd unit shipped in ``deploy/`` passes ``systemd-analyze verify`` (with ExecStart
pointed at this environment's ``kpi-targets``, since /opt/kpi-targets is not installed here)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from processes import ROOT

UNIT = ROOT / "deploy" / "kpi-targets.service"


def _verify(unit: Path) -> subprocess.CompletedProcess[str]:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is not installed (Debian package `systemd`): scripts/test.sh"
    return subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, cwd=unit.parent
    )


def _installed_copy(tmp_path: Path, text: str) -> Path:
    kpi_targets = str(Path(sys.executable).parent / "kpi-targets")
    unit = tmp_path / "kpi-targets.service"
    unit.write_text(text.replace("/opt/kpi-targets/bin/kpi-targets", kpi_targets))
    return unit


def test_the_systemd_unit_verifies_without_a_warning(tmp_path: Path) -> None:
    text = UNIT.read_text(encoding="utf-8")
    assert "ExecStart=/opt/kpi-targets/bin/kpi-targets serve --config " in text
    assert "ExecReload=/bin/kill -HUP $MAINPID" in text  # systemctl reload = SIGHUP
    result = _verify(_installed_copy(tmp_path, text))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_verify_would_catch_a_mistake(tmp_path: Path) -> None:
    text = UNIT.read_text(encoding="utf-8").replace("Restart=on-failure", "Restart=sometimes")
    result = _verify(_installed_copy(tmp_path, text))
    assert "Failed to parse service restart specifier" in result.stderr
