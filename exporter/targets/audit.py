"""The audit log of target changes: one JSON object per line, appended and fsync'd per change.

Each line records when (ISO-8601 UTC), who, what (``set`` or ``delete``, the KPI and scope), the
target before and after (in the ``targets.yaml`` shape, ``null`` when absent), why, and the versions
of the targets files before and after. JSON Lines keeps the log greppable and ``jq``-friendly,
and an append of one line never rewrites what is already there.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from exporter.targets.atomic import append_line_durably
from exporter.targets.model import Scope

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

    def append(self, entry: AuditEntry) -> None:
        append_line_durably(self.path, entry.to_json())

    def check_writable(self) -> None:
        """Raise ``OSError`` now if appending would fail (no such directory, no permission).

        Called before a change is written, so a change is not saved without its audit line.
        """
        os.close(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644))

    def entries(self) -> list[dict[str, Any]]:
        """Every entry, oldest first; a line that is not JSON raises ``ValueError`` naming it."""
        if not self.path.exists():
            return []
        entries = []
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    entries.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise ValueError(f"{self.path}:{number}: not a JSON line: {error}") from None
        return entries

    def last(self) -> dict[str, Any] | None:
        """The newest entry, reading only the end of the file; None if the log is empty or torn."""
        try:
            with self.path.open("rb") as handle:
                handle.seek(0, os.SEEK_END)
                size = handle.tell()
                handle.seek(max(0, size - _TAIL_BYTES))
                tail = handle.read()
        except FileNotFoundError:
            return None
        lines = [line for line in tail.splitlines() if line.strip()]
        if not lines:
            return None
        try:
            entry = json.loads(lines[-1])
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None
        return entry if isinstance(entry, dict) else None
