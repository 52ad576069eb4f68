"""The README as a newcomer pastes it: every ```` ```sh ```` block is run, and the flag reference is
the settings table of ``exporter.config``.

The rule (also in the README's Development section):

- every block fenced ```` ```sh ```` runs as pasted in a new shell after the README's two commands:
  one bash script (``set -euo pipefail``) in a fresh clone of the repository whose ``.venv`` is this
  environment and whose ``scripts/run.sh`` has made the demo's ``var/targets``, with a fresh
  environment (the system's PATH, a new HOME; nothing of the developer's shell);
- a block fenced ```` ```sh no-run ```` is shown, not run (it runs forever, needs files a
  contact center has, or changes the machine); say why next to it;
- a block that starts ``kpi-targets serve`` in the background waits for it itself (``curl
  --retry-connrefused``) and stops it (``kill $!``): a server still running when the block ends, or
  one that did not exit 0, fails it; so does a block that changes a tracked file of the clone.
  Ports 9491 and 9492 are replaced by free ones, which a ``serve`` without address flags also uses.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from processes import ROOT, free_port

from exporter.config import default_text, env_of, flag_of, settings_specs

README = ROOT / "README.md"
_FENCE = re.compile(r"^```sh( no-run)?\n(.*?)^```$", re.DOTALL | re.MULTILINE)
FRESH_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"

# After the block: every server it started in the background must have stopped, the last one with
# exit 0 (each block starts at most one).
_EPILOGUE = r"""
for _ in $(seq 100); do [ -z "$(jobs -rp)" ] && break; sleep 0.1; done
if [ -n "$(jobs -rp)" ]; then
    echo "the block left running: $(jobs -r)" >&2
    kill $(jobs -rp)
    exit 1
fi
if [ -n "${!:-}" ]; then  # the last server the block started (bash keeps its status)
    wait "$!" || { status=$?; echo "the background job $! exited $status" >&2; exit 1; }
fi
"""


def _clone(tmp_path: Path) -> Path:
    """A fresh clone after ``scripts/run.sh``: this environment as its .venv, var/targets made."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    (clone / ".venv").mkdir()
    # bin, lib and pyvenv.cfg, so .venv/bin/python is this environment's (with its packages), not
    # the base interpreter it links to.
    venv = Path(sys.prefix)
    for name in ("bin", "lib", "pyvenv.cfg"):
        (clone / ".venv" / name).symlink_to(venv / name)
    made = subprocess.run(
        ["scripts/run.sh", "--check-only"],
        cwd=clone,
        env={"PATH": FRESH_PATH, "HOME": str(tmp_path), "KPI_TARGETS_NO_INSTALL": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    assert (clone / "var" / "targets" / "targets.yaml").is_file()
    return clone


def blocks() -> list[tuple[int, bool, str]]:
    """(line number, runs?, text) of every ```sh block of the README."""
    text = README.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, match.start()) + 1, not match.group(1), match.group(2))
        for match in _FENCE.finditer(text)
    ]


def test_the_readme_has_blocks_to_run_and_marks_the_others() -> None:
    found = blocks()
    assert sum(runs for _line, runs, _text in found) >= 5
    every_fence = re.findall(r"^```(\S*.*)$", README.read_text(encoding="utf-8"), re.MULTILINE)
    shell = [info for info in every_fence if info.startswith(("sh", "bash", "shell", "console"))]
    assert sorted(set(shell)) == ["sh", "sh no-run"], "only ```sh and ```sh no-run blocks"


@pytest.mark.integration
@pytest.mark.parametrize(
    ("line", "script"),
    [pytest.param(line, text, id=f"README.md:{line}") for line, runs, text in blocks() if runs],
)
def test_readme_block_runs_as_pasted(line: int, script: str, tmp_path: Path) -> None:
    clone = _clone(tmp_path)
    metrics, admin = free_port(), free_port()
    script = script.replace("9491", str(metrics)).replace("9492", str(admin))
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": FRESH_PATH,
        "HOME": str(home),
        "USER": "readme",
        "LANG": "C.UTF-8",
        # A serve without address flags listens where the README's 9491 and 9492 now point.
        "KPI_TARGETS_METRICS_ADDRESS": f"127.0.0.1:{metrics}",
        "KPI_TARGETS_ADMIN_ADDRESS": f"127.0.0.1:{admin}",
    }
    done = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script + _EPILOGUE],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, (
        f"README.md:{line}: the block failed (exit {done.returncode})\n--- stdout\n"
        f"{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
    )
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=clone, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert changed == "", f"README.md:{line}: the block changed tracked files:\n{changed}"


def flag_reference() -> str:
    """The README's flag reference table, from the settings table."""
    rows = [
        "| flag | `serve.yaml` key | environment | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for name, _default, spec in settings_specs(sections=False):
        metavar = f" {spec.metavar}" if spec.metavar else ""
        cells = (default_text(name), spec.help)
        default, meaning = (cell.replace("|", "\\|") for cell in cells)  # | inside a cell
        rows.append(
            f"| `{flag_of(name)}{metavar}` | `{name}` | `{env_of(name)}` | {default} | {meaning} |"
        )
    return "\n".join(rows) + "\n"


def test_the_flag_reference_is_the_settings_table() -> None:
    expected = flag_reference()
    assert expected in README.read_text(encoding="utf-8"), (
        "README.md's flag reference differs from exporter.config; paste this table:\n" + expected
    )
