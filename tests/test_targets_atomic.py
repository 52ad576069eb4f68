"""Atomic replacement, the writers' lock and the audit log, on real files and real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from exporter.targets.atomic import (
    WriterLock,
    append_line_durably,
    atomic_write,
    remove_leftover_temp_files,
)
from exporter.targets.audit import AuditEntry, AuditLog


def test_atomic_write_replaces_content_keeps_mode_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "targets.yaml"
    path.write_bytes(b"old\n")
    path.chmod(0o640)
    atomic_write(path, b"new\n")
    assert path.read_bytes() == b"new\n"
    assert path.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["targets.yaml"]


def test_atomic_write_creates_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "fresh.yaml"
    atomic_write(path, b"x: 1\n")
    assert path.read_bytes() == b"x: 1\n"


def test_failure_before_the_rename_keeps_the_old_file_and_removes_the_temp_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "targets.yaml"
    path.write_bytes(b"old\n")
    seen: list[bytes] = []

    def fail(temp_path: Path) -> None:
        seen.append(temp_path.read_bytes())  # complete and fsync'd by now
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        atomic_write(path, b"new\n", before_replace=fail)
    assert seen == [b"new\n"]
    assert path.read_bytes() == b"old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["targets.yaml"]


def test_remove_leftover_temp_files_removes_only_this_files_temps(tmp_path: Path) -> None:
    path = tmp_path / "targets.yaml"
    path.write_bytes(b"kept\n")
    (tmp_path / ".targets.yaml.abc123.tmp").write_bytes(b"half")
    (tmp_path / ".calendar.yaml.abc123.tmp").write_bytes(b"other file's")
    (tmp_path / "notes.tmp").write_bytes(b"not ours")
    removed = remove_leftover_temp_files(path)
    assert [p.name for p in removed] == [".targets.yaml.abc123.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".calendar.yaml.abc123.tmp",
        "notes.tmp",
        "targets.yaml",
    ]


def test_append_line_durably_appends_one_line_per_call(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    append_line_durably(path, '{"n": 1}')
    append_line_durably(path, '{"n": 2}')
    assert path.read_text() == '{"n": 1}\n{"n": 2}\n'


# A read-modify-write of a counter file: without mutual exclusion, concurrent increments get lost.
_INCREMENT_SCRIPT = """
import sys
from pathlib import Path
from exporter.targets.atomic import WriterLock, atomic_write
directory, rounds = Path(sys.argv[1]), int(sys.argv[2])
lock = WriterLock(directory / ".lock")
counter = directory / "counter"
for _ in range(rounds):
    with lock.hold():
        value = int(counter.read_text())
        atomic_write(counter, str(value + 1).encode())
"""


def test_writer_lock_serialises_separate_processes(tmp_path: Path) -> None:
    (tmp_path / "counter").write_text("0")
    processes, rounds = 4, 40
    children = [
        subprocess.Popen([sys.executable, "-c", _INCREMENT_SCRIPT, str(tmp_path), str(rounds)])
        for _ in range(processes)
    ]
    assert [child.wait(timeout=120) for child in children] == [0] * processes
    # 4 processes x 40 increments, none lost
    assert (tmp_path / "counter").read_text() == "160"


def test_writer_lock_serialises_threads_of_one_process(tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    counter.write_text("0")
    lock = WriterLock(tmp_path / ".lock")

    def increment(rounds: int) -> None:
        for _ in range(rounds):
            with lock.hold():
                atomic_write(counter, str(int(counter.read_text()) + 1).encode())

    threads = [threading.Thread(target=increment, args=(25,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert counter.read_text() == "100"  # 4 threads x 25


def _entry(user: str, version_after: str) -> AuditEntry:
    return AuditEntry(
        at=datetime(2026, 3, 2, 9, 30, 5, 123456, tzinfo=UTC),
        user=user,
        action="set",
        kpi="service_level_ratio",
        scope=(("channel", "voice"),),
        before=None,
        after={
            "kpi": "service_level_ratio",
            "quantifier": "or_more",
            "schedules": [{"value": 0.8}],
        },
        reason="Q2 objectives",
        version_before="aaaa",
        version_after=version_after,
    )


def test_audit_entry_is_one_json_object_in_the_documented_shape() -> None:
    assert json.loads(_entry("alice", "bbbb").to_json()) == {
        "at": "2026-03-02T09:30:05Z",
        "user": "alice",
        "action": "set",
        "kpi": "service_level_ratio",
        "scope": {"channel": "voice"},
        "before": None,
        "after": {
            "kpi": "service_level_ratio",
            "quantifier": "or_more",
            "schedules": [{"value": 0.8}],
        },
        "reason": "Q2 objectives",
        "version_before": "aaaa",
        "version_after": "bbbb",
    }


def test_audit_log_appends_and_reads_back(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    assert log.entries() == []
    assert log.last() is None
    log.append(_entry("alice", "v1"))
    log.append(_entry("bob", "v2"))
    assert [(e["user"], e["version_after"]) for e in log.entries()] == [
        ("alice", "v1"),
        ("bob", "v2"),
    ]
    assert log.last() is not None
    assert log.last()["user"] == "bob"  # type: ignore[index]
    assert (tmp_path / "audit.jsonl").read_text().count("\n") == 2


def test_audit_log_names_the_line_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_text('{"user": "alice"}\nnot json\n')
    with pytest.raises(ValueError, match=r"audit\.jsonl:2: not a JSON line"):
        AuditLog(path).entries()


def test_lock_file_is_left_in_place(tmp_path: Path) -> None:
    lock = WriterLock(tmp_path / ".lock")
    with lock.hold():
        pass
    assert os.path.exists(tmp_path / ".lock")
