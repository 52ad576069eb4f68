"""The durable journal of accepted HTTP events: SQLite in WAL mode with ``synchronous=FULL``.

An event acknowledged to a client is in this journal first, so a restarted exporter replays it.
Rows are keyed by the client's event id (a retried batch is recognised, not counted twice) and
numbered by an ever-growing sequence, the order they are replayed in. Rows older than the
retention window (by the time they were received) are pruned, which keeps the file bounded and
also bounds how long an id is remembered for deduplication.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_RETENTION_SECONDS = 48 * 3600.0
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    -- AUTOINCREMENT: a sequence number is never reused, even after the newest rows are pruned,
    -- so a reader's "everything after seq N" cursor cannot skip a new row.
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    received_at REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_received_at ON events (received_at);
"""


class JournalError(RuntimeError):
    """The journal file cannot be opened or has an unexpected shape."""


@dataclass(frozen=True, slots=True)
class JournalEntry:
    seq: int
    event_id: str
    received_at: float
    body: str  # the event's canonical JSON


class EventJournal:
    """Append-once event storage shared by the HTTP handler threads and the source's thread."""

    def __init__(
        self,
        path: Path,
        *,
        retention_seconds: float = DEFAULT_RETENTION_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if retention_seconds <= 0:
            raise ValueError(f"retention_seconds must be > 0, got {retention_seconds}")
        self.path = path
        self.retention_seconds = retention_seconds
        self._clock = clock
        # One connection shared under a lock: writes are serialised by SQLite anyway, and the
        # lock also keeps a multi-statement transaction from interleaving with another thread's.
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._open()
        except sqlite3.DatabaseError as error:
            raise JournalError(f"cannot open event journal {path}: {error}") from error

    def _open(self) -> None:
        mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal":
            raise JournalError(f"event journal {self.path}: SQLite refused WAL mode ({mode})")
        # FULL: the WAL is fsynced at every commit, so a commit survives a power cut, not only
        # a crash of this process.
        self._db.execute("PRAGMA synchronous=FULL")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            raise JournalError(
                f"event journal {self.path} has schema version {version}; "
                f"this version of kpi-targets reads version {SCHEMA_VERSION}"
            )
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def append(self, items: Sequence[tuple[str, str]]) -> list[bool]:
        """Store ``(event_id, body)`` pairs in one transaction; for each, True when it is new and
        False when its id is already journaled (or repeated earlier in ``items``). Durable on
        return."""
        received_at = self._clock()
        stored: list[bool] = []
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for event_id, body in items:
                    cursor = self._db.execute(
                        "INSERT INTO events (event_id, received_at, body) VALUES (?, ?, ?) "
                        "ON CONFLICT (event_id) DO NOTHING",
                        (event_id, received_at, body),
                    )
                    stored.append(cursor.rowcount == 1)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return stored

    def entries_after(self, seq: int, limit: int = 1000) -> list[JournalEntry]:
        """Up to ``limit`` rows with a sequence number above ``seq``, in sequence order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, event_id, received_at, body FROM events WHERE seq > ? "
                "ORDER BY seq LIMIT ?",
                (seq, limit),
            ).fetchall()
        return [JournalEntry(*row) for row in rows]

    def prune(self, *, up_to_seq: int | None = None) -> int:
        """Delete rows received before the retention window (and, when given, at or below
        ``up_to_seq``, so rows not yet delivered stay); the number deleted."""
        cutoff = self._clock() - self.retention_seconds
        with self._lock:
            if up_to_seq is None:
                cursor = self._db.execute("DELETE FROM events WHERE received_at < ?", (cutoff,))
            else:
                cursor = self._db.execute(
                    "DELETE FROM events WHERE received_at < ? AND seq <= ?", (cutoff, up_to_seq)
                )
        return cursor.rowcount

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM events").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
