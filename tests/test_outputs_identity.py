"""Every output users see stays byte-identical: ``bench/record_outputs.py --lines 20000`` (metrics,
replay, backfill, rules, dashboards, catalog) digested and compared with the committed
``tests/fixtures/identity/outputs.sha256``, recorded from main at 3b786d8.

A change that is meant to alter an output re-records the digests (and says so in its commit):

    python bench/record_outputs.py OUT --lines 20000
    python bench/record_outputs.py --digests OUT > tests/fixtures/identity/outputs.sha256
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "bench" / "record_outputs.py"
COMMITTED = ROOT / "tests" / "fixtures" / "identity" / "outputs.sha256"
LINES = 20_000


def _parse(text: str) -> dict[str, str]:
    """Name -> SHA-256 of ``sha256  name`` lines."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        digest, name = line.split("  ", 1)
        found[name] = digest
    return found


def _run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(RECORD), *args], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0, f"record_outputs.py {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def _difference(name: str, now: dict[str, str], committed: dict[str, str]) -> str:
    if name not in now:
        return f"{name}: missing now"
    if name not in committed:
        return f"{name}: new (not in the committed digests)"
    return f"{name}: differs"


def test_outputs_match_the_committed_digests(tmp_path: Path) -> None:
    out = tmp_path / "outputs"
    _run(str(out), "--lines", str(LINES))
    now = _parse(_run("--digests", str(out)))
    committed = _parse(COMMITTED.read_text(encoding="utf-8"))
    assert len(committed) > 50, f"{COMMITTED} holds only {len(committed)} digests"
    differing = sorted(
        _difference(name, now, committed)
        for name in committed.keys() | now.keys()
        if now.get(name) != committed.get(name)
    )
    assert not differing, (
        f"{len(differing)} of {len(committed | now)} outputs differ from {COMMITTED.name} "
        f"(inspect them with `record_outputs.py OUT` and `--compare`):\n" + "\n".join(differing)
    )
