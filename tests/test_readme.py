"""The README as a newcomer pastes it: every ```` ```sh ```` block is run, and the flag reference is
the settings table of ``exporter.config``.

The rule (also in the README's Development section):

- every block fenced ```` ```sh ```` runs as one bash script (``set -euo pipefail``), in a scratch
  directory holding what ``kpi-targets init`` writes (``targets/``, ``serve.yaml``,
  ``prometheus/``), with this environment's ``kpi-targets`` and ``python3`` first on PATH, as after
  ``. .venv/bin/activate``;
- a block fenced ```` ```sh no-run ```` is shown, not run (it runs forever, needs files a
  contact center has, or is the test command itself); say why next to it;
- ``kpi-targets serve`` (without ``--check-only``) runs until it prints its URLs, then the block
  goes on with it running (a trailing ``&`` changes nothing); it is stopped with SIGTERM at the
  next ``serve`` or at the end of the block and must exit 0. Ports 9491 and 9492 are replaced by
  free ones, which a ``serve`` without address flags also uses.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from processes import ROOT, free_port

from exporter.config import default_text, env_of, flag_of, settings_specs

README = ROOT / "README.md"
_BACKGROUND_SERVE = re.compile(r"^(kpi-targets serve\b.*?)\s*&\s*$", re.MULTILINE)
_FENCE = re.compile(r"^```sh( no-run)?\n(.*?)^```$", re.DOTALL | re.MULTILINE)

# Defines `kpi-targets` so that `serve` is started, waited for and stopped at the end.
_PRELUDE = r"""
set -euo pipefail
_serve_pids=()
_stop_serves() {
    local status=0 pid
    for pid in "${_serve_pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" || { echo "kpi-targets serve (pid $pid) exited $?" >&2; status=1; }
    done
    return $status
}
trap '_stop_serves || exit 1' EXIT
kpi-targets() {
    if [ "${1:-}" != serve ] || [[ " $* " == *" --check-only "* ]]; then
        command kpi-targets "$@"
        return
    fi
    _stop_serves || return 1  # one at a time: the next serve takes the same ports
    _serve_pids=()
    local out
    out=$(mktemp serve.XXXXXX)
    command kpi-targets "$@" >"$out" 2>"$out.err" &
    local pid=$!
    _serve_pids+=("$pid")
    for _ in $(seq 600); do
        grep -q '^Metrics: ' "$out" && { cat "$out"; return 0; }
        kill -0 "$pid" 2>/dev/null || { cat "$out" "$out.err" >&2; return 1; }
        sleep 0.1
    done
    echo "kpi-targets serve did not print its URLs within 60 s" >&2
    return 1
}
"""


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
    metrics, admin = free_port(), free_port()
    script = script.replace("9491", str(metrics)).replace("9492", str(admin))
    script = _BACKGROUND_SERVE.sub(r"\1", script)  # the wrapper backgrounds serve itself
    init = subprocess.run(
        [sys.executable, "-m", "exporter", "init"], cwd=tmp_path, capture_output=True, timeout=60
    )
    assert init.returncode == 0, init.stderr
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "USER": "readme",
    }
    env = {k: v for k, v in env.items() if not k.startswith("KPI_TARGETS_")}
    # A serve without address flags listens where the README's 9491 and 9492 now point.
    env["KPI_TARGETS_METRICS_ADDRESS"] = f"127.0.0.1:{metrics}"
    env["KPI_TARGETS_ADMIN_ADDRESS"] = f"127.0.0.1:{admin}"
    done = subprocess.run(
        ["bash", "-c", _PRELUDE + script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, (
        f"README.md:{line}: the block failed (exit {done.returncode})\n--- stdout\n"
        f"{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
    )


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
