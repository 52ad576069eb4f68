"""The audit log of changes to the targets and the calendar (saves, and changes the running exporter
found outside kpi-targets): one JSON object per line, appended and fsync'd per change.

Each line records when (ISO-8601 UTC), who, what (``set``, ``delete``, ``calendar`` or ``outside``,
the KPI and scope), the target (for ``calendar``: the calendar) before and after (in the
``targets.yaml`` shape, ``null`` when absent), why, and the versions of the targets files before
and after. JSON Lines keeps the log greppable and ``jq``-friendly,
and an append of one line never rewrites what is already there.

**A change and its line go together, crash or not.** The file is replaced (a rename) before its
line can be appended, so a save first records its line as *pending* (``prepare``: a small file
next to the log naming the temporary file about to be renamed), and removes the record once the
line is appended (``commit``). ``recover``, run under the writers' lock before the next save and
when a store opens, finishes what a killed writer left: if the temporary file is still there, the
rename never happened, so the record is dropped (no change, no line); if it is gone, the change is
in place, so its line is appended unless it already is (the change and its line). A torn last line
(power lost mid-append: no final newline) is cut off by ``recover`` and skipped by readers.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from exporter.scope import Scope
from exporter.targets.atomic import (
    append_line_durably,
    atomic_write,
    fsync_directory,
    remove_leftover_temp_files,
)

# "calendar": a settings save; "outside": a change found on disk that no kpi-targets save made.
Action = Literal["set", "delete", "calendar", "outside"]

# How much of the log's end to read to find its last line; lines are a few hundred bytes.
_TAIL_BYTES = 65536


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    user: str
    action: Action
    kpi: str
    scope: Scope
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    reason: str
    version_before: str
    version_after: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "user": self.user,
            "action": self.action,
            "kpi": self.kpi,
            "scope": dict(self.scope),
            "before": None if self.before is None else dict(self.before),
            "after": None if self.after is None else dict(self.after),
            "reason": self.reason,
            "version_before": self.version_before,
            "version_after": self.version_after,
        }

    def to_json(self) -> str:
        # default=str: a YAML-loaded target may hold dates or times; the log keeps their text.
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=False, default=str)


class AuditLog:
    """Append-only JSON Lines file. Appends must happen under the store's writer lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pending_path = path.with_name(f".{path.name}.pending")

    def append(self, entry: AuditEntry) -> None:
        append_line_durably(self.path, entry.to_json())

    def prepare(self, entry: AuditEntry, temp_path: Path) -> None:
        """Durably record ``entry`` as the line of the change whose new file is ``temp_path``
        (complete, not yet renamed into place). Call ``commit`` once it is renamed."""
        record = {"temp": str(temp_path), "line": entry.to_json()}
        atomic_write(self.pending_path, json.dumps(record).encode("utf-8"))

    def commit(self) -> None:
        """Append the pending line (its change is in place) and drop the record."""
        record = self._pending()
        if record is not None:
            self._append_unless_last(record["line"])
        self._drop_pending()

    def recover(self) -> str | None:
        """Finish a save a crash interrupted (see the module docstring); under the writers'
        lock. Returns what was done, for the log, or None when there was nothing to do."""
        done = []
        cut = self._cut_torn_tail()
        if cut:
            done.append(f"cut a torn last line of {cut} bytes from {self.path}")
        if self.pending_path.exists():
            record = self._pending()
            if record is None or Path(record["temp"]).exists():
                done.append("dropped the record of a save that was never renamed into place")
            else:
                self._append_unless_last(record["line"])
                done.append(f"appended the audit line of a saved change to {self.path}")
            self._drop_pending()
        remove_leftover_temp_files(self.pending_path)  # a writer killed while recording it
        return "; ".join(done) or None

    def _pending(self) -> dict[str, str] | None:
        """The pending record; None when absent or torn (then its rename never happened: the
        record is complete before the rename starts)."""
        try:
            record = json.loads(self.pending_path.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or not all(
            isinstance(record.get(key), str) for key in ("temp", "line")
        ):
            return None
        return record

    def _drop_pending(self) -> None:
        try:
            self.pending_path.unlink()
        except FileNotFoundError:
            return
        fsync_directory(self.pending_path.parent)

    def _append_unless_last(self, line: str) -> None:
        last = self._last_line()
        if last is None or last.decode("utf-8", errors="replace") != line:
            append_line_durably(self.path, line)

    def _last_line(self) -> bytes | None:
        try:
            with self.path.open("rb") as handle:
                handle.seek(0, os.SEEK_END)
                size = handle.tell()
                handle.seek(max(0, size - _TAIL_BYTES))
                tail = handle.read()
        except FileNotFoundError:
            return None
        complete = tail.split(b"\n")[:-1]  # what follows the last newline is a torn line
        lines = [line for line in complete if line.strip()]
        return lines[-1] if lines else None

    def _cut_torn_tail(self) -> int:
        """Remove bytes after the last newline (an append cut short); how many were removed."""
        try:
            with self.path.open("r+b") as handle:
                size = handle.seek(0, os.SEEK_END)
                if size == 0:
                    return 0
                start = max(0, size - _TAIL_BYTES)
                handle.seek(start)
                tail = handle.read()
                if tail.endswith(b"\n"):
                    return 0
                newline = tail.rfind(b"\n")
                keep = start + newline + 1 if newline >= 0 else 0
                handle.truncate(keep)
                handle.flush()
                os.fsync(handle.fileno())
                return size - keep
        except FileNotFoundError:
            return 0

    def check_writable(self) -> None:
        """Raise ``OSError`` now if appending would fail (no such directory, no permission).

        Called before a change is written, so a change is not saved without its audit line.
        """
        os.close(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644))

    def entries(self) -> list[dict[str, Any]]:
        """Every entry, oldest first. A torn last line (no final newline: an append cut short)
        is skipped; any other line that is not a JSON object raises ``ValueError`` naming it."""
        if not self.path.exists():
            return []
        entries = []
        with self.path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    entry = json.loads(raw)
                except ValueError as error:
                    if not raw.endswith(b"\n"):
                        break  # the torn last line: recover() cuts it at the next save
                    raise ValueError(f"{self.path}:{number}: not a JSON line: {error}") from None
                if not isinstance(entry, dict):
                    raise ValueError(f"{self.path}:{number}: not a JSON object")
                entries.append(entry)
        return entries

    def last(self) -> dict[str, Any] | None:
        """The newest entry, reading only the end of the file; None if the log is empty."""
        line = self._last_line()
        if line is None:
            return None
        try:
            entry = json.loads(line)
        except ValueError:
            return None
        return entry if isinstance(entry, dict) else None
