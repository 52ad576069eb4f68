"""The SQLite event journal: dedup by id, one transaction per batch, order, retention, reopening."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from exporter.sources.journal import EventJournal, JournalEntry, JournalError
from tests.conftest import Clock


def test_append_reports_new_and_duplicate_ids(tmp_path: Path) -> None:
    journal = EventJournal(tmp_path / "j.sqlite", clock=Clock(10.0))
    assert journal.append([("a", "{1}"), ("b", "{2}"), ("a", "{1 again}")]) == [True, True, False]
    assert journal.append([("b", "{2}"), ("c", "{3}")]) == [False, True]
    entries = journal.entries_after(0)
    assert [(e.event_id, e.received_at, e.body) for e in entries] == [
        ("a", 10.0, "{1}"),
        ("b", 10.0, "{2}"),
        ("c", 10.0, "{3}"),
    ]
    # A refused duplicate may use up a sequence number: gaps are fine, order is what counts.
    assert entries[0].seq < entries[1].seq < entries[2].seq
    assert journal.count() == 3


def test_entries_after_pages_in_sequence_order(tmp_path: Path) -> None:
    journal = EventJournal(tmp_path / "j.sqlite")
    journal.append([(f"e{n}", str(n)) for n in range(5)])
    assert [entry.event_id for entry in journal.entries_after(1, limit=2)] == ["e1", "e2"]
    assert [entry.event_id for entry in journal.entries_after(4)] == ["e4"]
    assert journal.entries_after(5) == []


def test_a_failed_batch_stores_nothing(tmp_path: Path) -> None:
    journal = EventJournal(tmp_path / "j.sqlite")
    # The second body cannot be bound: the transaction fails after the first insert ran.
    with pytest.raises(sqlite3.Error):
        journal.append([("ok", "{}"), ("bad", object())])  # type: ignore[list-item]
    assert journal.count() == 0
    assert journal.append([("ok", "{}")]) == [True]


def test_wal_mode_and_full_sync(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    journal = EventJournal(path)
    with sqlite3.connect(path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # synchronous is per connection: read it on the journal's own (2 = FULL).
    assert journal._db.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_rows_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "j.sqlite"
    first = EventJournal(path)
    first.append([("a", "x")])
    first.close()
    second = EventJournal(path)
    assert [entry.body for entry in second.entries_after(0)] == ["x"]
    assert second.append([("a", "x")]) == [False]


def test_prune_drops_rows_received_before_the_window(tmp_path: Path) -> None:
    clock = Clock(0.0)
    journal = EventJournal(tmp_path / "j.sqlite", retention_seconds=50.0, clock=clock)
    journal.append([("old", "1")])
    clock.at = 100.0
    journal.append([("new", "2")])
    clock.at = 120.0
    # cutoff = 120 - 50 = 70: "old" (received at 0) goes, "new" (at 100) stays.
    assert journal.prune() == 1
    assert [entry.event_id for entry in journal.entries_after(0)] == ["new"]
    # A pruned id is forgotten: it is new again.
    assert journal.append([("old", "1")]) == [True]


def test_prune_keeps_rows_not_yet_delivered(tmp_path: Path) -> None:
    clock = Clock(0.0)
    journal = EventJournal(tmp_path / "j.sqlite", retention_seconds=10.0, clock=clock)
    journal.append([("a", "1"), ("b", "2"), ("c", "3")])
    clock.at = 1000.0
    assert journal.prune(up_to_seq=2) == 2
    assert [entry.event_id for entry in journal.entries_after(0)] == ["c"]


def test_sequence_numbers_are_never_reused_after_pruning(tmp_path: Path) -> None:
    clock = Clock(0.0)
    journal = EventJournal(tmp_path / "j.sqlite", retention_seconds=10.0, clock=clock)
    journal.append([("a", "1"), ("b", "2")])
    clock.at = 100.0
    assert journal.prune() == 2
    journal.append([("c", "3")])
    # A reader whose cursor is at 2 must still see "c".
    assert journal.entries_after(2) == [JournalEntry(3, "c", 100.0, "3")]


def test_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    path.write_bytes(b"this is not sqlite, just some text that is long enough" * 20)
    with pytest.raises(JournalError, match=r"cannot open event journal .*j\.sqlite"):
        EventJournal(path)


def test_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with sqlite3.connect(path) as other:
        other.execute("PRAGMA user_version=7")
    with pytest.raises(JournalError, match=r"schema version 7; .* reads version 1"):
        EventJournal(path)


def test_refuses_a_non_positive_retention(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"retention_seconds must be > 0, got 0"):
        EventJournal(tmp_path / "j.sqlite", retention_seconds=0)
