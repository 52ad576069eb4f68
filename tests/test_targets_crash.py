"""A save killed with SIGKILL at each of its steps, in a real process: afterwards there is either
no change and no audit line, or the change and exactly one audit line for it; never a temporary
file, a torn targets file or an unaudited change. A torn last audit line (power lost mid-append)
never makes the log unreadable."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_targets_store import audit_lines as audit_entries

from exporter.targets.audit import AuditLog
from exporter.targets.model import Quantifier, Schedule, Target
from exporter.targets.parse import load_dir
from exporter.targets.store import StaleVersionError, TargetStore, content_version
from tests.presets import calendar_yaml, targets_yaml, write_targets

# The child saves 0.95 and SIGKILLs itself when the store reaches STEP.
_KILLED_SAVER = """
import os, signal, sys
from pathlib import Path
from exporter.targets.model import Quantifier, Schedule, Target
from exporter.targets.store import TargetStore

directory, step = Path(sys.argv[1]), sys.argv[2]

def checkpoint(reached):
    print(reached, flush=True)
    if reached == step:
        os.kill(os.getpid(), signal.SIGKILL)

store = TargetStore(directory)
store.checkpoint = checkpoint
target = Target("service_level_ratio", Quantifier.OR_MORE, (Schedule(value=0.95),),
                (("channel", "voice"),))
store.set_target(target, user="doomed", reason="crash test", base_version=None)
print("saved", flush=True)
"""

# step -> whether the change is in place once the killed save is recovered
STEPS = {
    "before_temp": False,  # nothing written yet
    "temp_written": False,  # the new file is complete in a temporary file
    "pending_written": False,  # ... and its audit line is recorded as pending
    "renamed": True,  # the new file is in place; its line is not appended yet
    "audited": True,  # the line is appended; the pending record is still there
}


def sl_value(directory: Path) -> float:
    loaded = load_dir(directory)
    assert loaded.target_set is not None, loaded.problems
    return loaded.target_set.targets[0].schedules[0].value


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith((".tmp", ".pending")))


def kill_a_save_at(directory: Path, step: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_SAVER, str(directory), step],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    reached = done.stdout.split()
    assert reached[-1] == step and "saved" not in reached
    return reached


@pytest.mark.parametrize("step", list(STEPS))
def test_a_save_killed_at_each_step_leaves_the_change_with_its_line_or_neither(
    tmp_path: Path, step: str
) -> None:
    write_targets(tmp_path, "hand_written", "rome")
    initial = content_version(targets_yaml("hand_written").encode(), calendar_yaml("rome").encode())

    reached = kill_a_save_at(tmp_path, step)
    assert reached == list(STEPS)[: list(STEPS).index(step) + 1]
    # Right after the kill, readers see the old file or the new one, whole.
    assert sl_value(tmp_path) == (0.95 if STEPS[step] else 0.8)

    store = TargetStore(tmp_path)  # opening the directory finishes or drops the killed save
    changed = STEPS[step]
    assert store.current().target_set.targets[0].schedules[0].value == (0.95 if changed else 0.8)
    entries = audit_entries(tmp_path)
    if changed:
        assert [(e["user"], e["version_before"], e["version_after"]) for e in entries] == [
            ("doomed", initial, store.current().version)
        ]
        assert entries[0]["after"] == {
            "kpi": "service_level_ratio",
            "scope": {"channel": "voice"},
            "quantifier": "or_more",
            "schedules": [{"value": 0.95}],
        }
    else:
        assert entries == []
        assert store.current().version == initial
        assert (tmp_path / "targets.yaml").read_text() == targets_yaml("hand_written")
    # The next save finds no debris (temporary files of a killed writer go with it).
    after_kill = Target("service_level_ratio", Quantifier.OR_MORE, (Schedule(value=0.9),))
    store.set_target(after_kill, user="next", reason="after the crash", base_version=None)
    assert leftovers(tmp_path) == []
    assert [e["user"] for e in audit_entries(tmp_path)] == (
        ["doomed", "next"] if changed else ["next"]
    )

    # An edit based on the version before the crash is stale; the refusal names the last saver
    # (never "a hand edit or git" for a change made through the store).
    with pytest.raises(StaleVersionError, match="last saved by next"):
        store.set_target(after_kill, user="late", reason="stale", base_version=initial)


def test_a_killed_save_is_also_finished_by_the_next_save_in_a_running_store(
    tmp_path: Path,
) -> None:
    write_targets(tmp_path, "hand_written", "rome")
    running = TargetStore(tmp_path)  # opened before the crash, as serve's store is
    kill_a_save_at(tmp_path, "renamed")
    assert audit_entries(tmp_path) == []  # unaudited for now...
    other = Target("abandonment_ratio", Quantifier.OR_LESS, (Schedule(value=0.05),))
    running.set_target(other, user="next", reason="after the crash", base_version=None)
    assert [e["user"] for e in audit_entries(tmp_path)] == ["doomed", "next"]  # ...not for long
    assert leftovers(tmp_path) == []
    assert sl_value(tmp_path) == 0.95


def test_a_torn_last_audit_line_is_skipped_by_readers_and_cut_by_the_next_save(
    tmp_path: Path,
) -> None:
    write_targets(tmp_path, "hand_written", "rome")
    store = TargetStore(tmp_path)
    store.set_target(
        Target("abandonment_ratio", Quantifier.OR_LESS, (Schedule(value=0.05),)),
        user="ann",
        reason="first",
        base_version=None,
    )
    log_path = tmp_path / "audit.jsonl"
    with log_path.open("ab") as handle:
        handle.write(b'{"at": "2026-11-30T10:00:00Z", "user": "bo')  # power lost mid-append
    audit = AuditLog(log_path)
    assert [e["user"] for e in audit.entries()] == ["ann"]
    assert audit.last() is not None and audit.last()["user"] == "ann"

    store.set_target(
        Target("abandonment_ratio", Quantifier.OR_LESS, (Schedule(value=0.04),)),
        user="cy",
        reason="second",
        base_version=store.current().version,
    )
    lines = log_path.read_bytes().split(b"\n")
    assert lines[-1] == b""
    assert [json.loads(line)["user"] for line in lines[:-1]] == ["ann", "cy"]


def test_a_damaged_line_inside_the_log_is_named_not_skipped(tmp_path: Path) -> None:
    log_path = tmp_path / "audit.jsonl"
    log_path.write_text('{"user": "ann"}\nnot json\n{"user": "cy"}\n')
    with pytest.raises(ValueError, match=r"audit.jsonl:2: not a JSON line"):
        AuditLog(log_path).entries()
