"""Following real files: appended lines, partial lines, rotation, truncation, prompt stop.

The source runs in a thread as it does in the exporter; the tests wait on deadlines for what they
expect instead of sleeping fixed times.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.events import ContactEvent, Event
from exporter.sources.base import IngestStats
from exporter.sources.follow import (
    _ASCII_BLANKS,
    Line,
    follow_batches,
    read_lines,
    text_blocks,
    texts,
)
from exporter.sources.queue_log import QueueLogSource

POLL = 0.05
DEADLINE_SECONDS = 5.0


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {DEADLINE_SECONDS} s: {what}")
        time.sleep(0.01)


def enter(epoch: int, call: str) -> str:
    return f"{epoch}|{call}|support|NONE|ENTERQUEUE||555|1\n"


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


class RunningSource:
    """A followed QueueLogSource in its own thread, collecting what it hands on."""

    def __init__(self, path: Path) -> None:
        self.source = QueueLogSource(path, follow=True, poll_interval=POLL)
        self.stats = IngestStats()
        self.stop = threading.Event()
        self.events: list[Event] = []
        self.thread = threading.Thread(
            target=self.source.run, args=(self.events.append, self.stats, self.stop), daemon=True
        )

    def calls(self) -> list[str]:
        return [event.contact_id for event in self.events if isinstance(event, ContactEvent)]

    def wait_for_calls(self, expected: list[str]) -> None:
        wait_until(lambda: self.calls() == expected, f"calls {expected}, have {self.calls()}")


@pytest.fixture
def running(tmp_path: Path) -> Iterator[RunningSource]:
    path = tmp_path / "queue_log"
    path.write_text(enter(1000, "c1") + enter(1001, "c2"))
    runner = RunningSource(path)
    runner.thread.start()
    yield runner
    runner.stop.set()
    runner.thread.join(timeout=DEADLINE_SECONDS)
    assert not runner.thread.is_alive(), "the source did not stop"


def test_reads_the_existing_lines_then_picks_up_appended_ones(
    running: RunningSource, tmp_path: Path
) -> None:
    running.wait_for_calls(["c1", "c2"])
    append(tmp_path / "queue_log", enter(1002, "c3"))
    running.wait_for_calls(["c1", "c2", "c3"])


def test_a_partial_line_waits_for_its_end(running: RunningSource, tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    running.wait_for_calls(["c1", "c2"])
    # Read early, "1003|c4|support|NONE|ENTER" would be a valid line of an unknown event, and c4
    # would be lost. Giving the reader a few polls is a chance to fail, not a correctness wait
    # (test_batches_hold_complete_lines_only checks the same deterministically).
    append(path, "1003|c4|support|NONE|ENTER")
    time.sleep(4 * POLL)
    append(path, "QUEUE||555|1\n" + enter(1005, "c6"))
    running.wait_for_calls(["c1", "c2", "c4", "c6"])
    assert running.stats.rejected_counts() == {}


def test_rotation_finishes_the_old_file_then_reads_the_new_one(
    running: RunningSource, tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    running.wait_for_calls(["c1", "c2"])
    path.rename(tmp_path / "queue_log.1")
    # Asterisk may still write to the renamed file before it reopens its log.
    append(tmp_path / "queue_log.1", enter(1003, "c3"))
    path.write_text(enter(1004, "c4"))
    running.wait_for_calls(["c1", "c2", "c3", "c4"])
    append(path, enter(1005, "c5"))
    running.wait_for_calls(["c1", "c2", "c3", "c4", "c5"])


def test_truncation_starts_again_from_the_top(running: RunningSource, tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    running.wait_for_calls(["c1", "c2"])
    path.write_text(enter(1010, "c9"))  # truncated and rewritten shorter, same inode
    running.wait_for_calls(["c1", "c2", "c9"])


def test_stop_returns_promptly_while_waiting_for_a_missing_file(tmp_path: Path) -> None:
    runner = RunningSource(tmp_path / "not-yet")
    runner.thread.start()
    started = time.monotonic()
    runner.stop.set()
    runner.thread.join(timeout=DEADLINE_SECONDS)
    assert not runner.thread.is_alive()
    assert time.monotonic() - started < 1.0  # a few poll intervals of 0.05 s at most


def test_a_file_created_later_is_read_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / "late"
    runner = RunningSource(path)
    runner.thread.start()
    try:
        path.write_text(enter(1000, "c1"))
        runner.wait_for_calls(["c1"])
    finally:
        runner.stop.set()
        runner.thread.join(timeout=DEADLINE_SECONDS)


def test_batches_hold_complete_lines_only(tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    path.write_text("a\nb\npart")
    stop = threading.Event()
    safety = threading.Timer(DEADLINE_SECONDS, stop.set)
    safety.start()
    try:
        batches = follow_batches(path, stop, poll_interval=POLL)
        assert next(batches) == [Line(1, "a"), Line(2, "b")]
        append(path, "ial\r\nc\n")
        assert next(batches) == [Line(3, "partial"), Line(4, "c")]
    finally:
        stop.set()
        safety.cancel()


def test_read_lines_keeps_an_unterminated_last_line(tmp_path: Path) -> None:
    path = tmp_path / "done"
    path.write_bytes(b"one\r\ntwo")
    assert list(read_lines(path)) == [Line(1, "one"), Line(2, "two")]


# Bytes that make reading in blocks hard: line ends, carriage returns, blanks that str.strip()
# removes, multi-byte characters (split across blocks when blocks are small) and invalid UTF-8.
AWKWARD_BYTES = [
    *(b"\n", b"\r", b"\r\n", b" ", b"\t", b"\x1c", b"\x0c", b"|", b"a", b"12"),
    *(text.encode() for text in ("é", "€", "😀", "\u2028", "\u00a0", "\x85")),
    *(b"\xe2\x82", b"\xff", b"\xc3", b"\x80"),
]


def _lines_one_by_one(raw: bytes) -> list[str]:
    """What reading line by line gives: the reference ``text_blocks`` must match."""
    return [
        line.rstrip(b"\n").decode("utf-8", errors="replace").rstrip("\r")
        for line in io.BytesIO(raw)
    ]


@settings(max_examples=300, deadline=None)
@given(
    raw=st.binary(max_size=200)
    | st.lists(st.sampled_from(AWKWARD_BYTES), max_size=80).map(b"".join),
    block_bytes=st.integers(1, 40),
)
def test_blocks_hold_the_lines_read_one_by_one(raw: bytes, block_bytes: int) -> None:
    with patch("exporter.sources.follow._BLOCK_BYTES", block_bytes):
        blocks = list(text_blocks(io.BytesIO(raw)))
    assert [line for lines, _ in blocks for line in lines] == _lines_one_by_one(raw)
    assert list(texts(io.BytesIO(raw))) == _lines_one_by_one(raw)
    for lines, plain in blocks:
        if plain:  # no line needs stripping, and no field of it either
            assert all(not character.isspace() for line in lines for character in line)


def test_blocks_split_lines_where_the_file_does(tmp_path: Path) -> None:
    raw = "1|é|x\r\n2|€\n\n3|😀 \n".encode() + b"4|\xff\r\r\n" + b"5|last, no newline"
    with patch("exporter.sources.follow._BLOCK_BYTES", 3):
        blocks = list(text_blocks(io.BytesIO(raw)))
    lines = [line for lines, _ in blocks for line in lines]
    assert lines == ["1|é|x", "2|€", "", "3|😀 ", "4|\ufffd", "5|last, no newline"]
    assert list(text_blocks(io.BytesIO(b"1|a\n2|b\n"))) == [(["1|a", "2|b"], True)]
    assert list(text_blocks(io.BytesIO(b"1|a\r\n2| b\n"))) == [(["1|a", "2| b"], False)]
    assert list(text_blocks(io.BytesIO(b""))) == []


def test_only_the_space_is_both_a_blank_and_printable() -> None:
    """Why a plain block is ASCII: outside it, blanks are many (see ``follow._ASCII_BLANKS``)."""
    assert [c for c in map(chr, range(128)) if c.isspace()] == sorted(set(_ASCII_BLANKS) | {"\n"})
