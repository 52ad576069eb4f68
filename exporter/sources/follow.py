"""Reading a text file line by line, once or by tailing it like ``tail -F``.

``read_lines`` reads a finished file. ``follow_lines`` reads the file from its start (so a restarted
exporter replays the window the file still holds), then keeps polling for appended lines. It
survives the two things log rotation does to a file:

- **rotation** (the file is renamed and a new one created under the same name): noticed as a
  different inode at that path; the old file is read to its end, then the new one from its start;
- **truncation** (``copytruncate``, or ``> file``): noticed as a size smaller than the position
  already read; reading starts again from 0.

Only complete lines are handed on: a line still being written (no newline yet) waits for the rest,
except at the end of a finished or rotated-away file, where nothing more can come.
A truncation followed by a rewrite past the old position within one poll cannot be seen by size;
like ``tail -F``, this reader does not guard against it. A path that cannot be opened (missing, a
directory, no permission) is waited for like a missing file, and logged once per reason.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger(__name__)

DEFAULT_POLL_INTERVAL_SECONDS = 0.25
_CHUNK_BYTES = 64 * 1024


# Not frozen: one is built per line read, and a frozen dataclass pays an object.__setattr__ call
# per field to build. Lines are read, never changed or hashed.
@dataclass(slots=True)
class Line:
    number: int  # 1-based within the file it came from (restarts after rotation or truncation)
    text: str  # without the line ending


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace").rstrip("\r")


def read_lines(path: Path, stop: threading.Event | None = None) -> Iterator[Line]:
    """Every line of a finished file, the last one even without a final newline."""
    with path.open("rb") as handle:
        for number, text in enumerate(texts(handle), start=1):
            if stop is not None and stop.is_set():
                return
            yield Line(number, text)


def texts(handle: BinaryIO) -> Iterator[str]:
    """The text of every line of an open file, without its line ending."""
    return chain.from_iterable(lines for lines, _ in text_blocks(handle))


# Why blocks: decoding and splitting a block at once costs a fraction of doing it line by line,
# and replay reads files of tens of millions of lines. Why 64 KiB (about a thousand lines): the
# block's lines then stay in the CPU cache until they are parsed (1 MiB blocks read 10 % slower).
_BLOCK_BYTES = 1 << 16
# What str.strip() removes from an ASCII text, and \r.
_ASCII_BLANKS = ("\r", " ", "\t", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f")


def text_blocks(handle: BinaryIO) -> Iterator[tuple[list[str], bool]]:
    """The lines of an open file as ``_decode`` gives them, the last one even without a final
    newline, in blocks of about ``_BLOCK_BYTES``; with each block, whether it is *plain*: ASCII
    without any character ``str.strip`` removes (and so without a \r), so that none of its lines
    needs stripping.

    Each block is decoded whole, up to its last newline: a newline is never part of a multi-byte
    character, and invalid UTF-8 is replaced the same way whether a line is decoded alone or with
    its neighbours (a newline always ends an invalid sequence)."""
    block_bytes = _BLOCK_BYTES  # read here, so that tests can make blocks small
    partial: list[bytes] = []  # the start of a line longer than a block
    while chunk := handle.read(block_bytes):
        end = chunk.rfind(b"\n")
        if end < 0:
            partial.append(chunk)
            continue
        if partial:
            partial.append(chunk[:end])
            block = b"".join(partial)
            partial = []
        else:
            block = chunk[:end]
        yield _split_block(block)
        if end + 1 < len(chunk):
            partial.append(chunk[end + 1 :])
    if partial:
        yield _split_block(b"".join(partial))


def _split_block(block: bytes) -> tuple[list[str], bool]:
    text = block.decode("utf-8", errors="replace")
    lines = text.split("\n")
    plain = text.isascii() and not any(blank in text for blank in _ASCII_BLANKS)
    if not plain and "\r" in text:
        lines = [line.rstrip("\r") for line in lines]
    return lines, plain


class _OpenFile:
    """One opened generation of the followed file, with the partial line read so far."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.inode = os.fstat(handle.fileno()).st_ino
        self.pending = b""
        self.line_number = 0

    def read_complete_lines(self) -> tuple[list[Line], bool]:
        """The complete lines now available, and whether anything at all was read."""
        chunk = self.handle.read(_CHUNK_BYTES)
        if not chunk:
            return [], False
        *complete, self.pending = (self.pending + chunk).split(b"\n")
        lines = []
        for raw in complete:
            self.line_number += 1
            lines.append(Line(self.line_number, _decode(raw)))
        return lines, True

    def final_line(self) -> Line | None:
        """The unterminated last line of a file nothing more will be written to."""
        if not self.pending:
            return None
        self.line_number += 1
        line = Line(self.line_number, _decode(self.pending))
        self.pending = b""
        return line

    def restart(self) -> None:
        self.handle.seek(0)
        self.pending = b""
        self.line_number = 0


def _open(path: Path, reported: set[str] | None = None) -> _OpenFile | None:
    """The file opened, or None while it cannot be (missing, a directory, no permission): the
    follower waits for it. Each distinct reason is logged once."""
    try:
        return _OpenFile(path.open("rb"))
    except FileNotFoundError:
        return None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        if reported is not None and reason not in reported:
            reported.add(reason)
            log.warning("cannot open %s (%s): waiting until it can be read", path, reason)
        return None


def _current_stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None


def follow_lines(
    path: Path,
    stop: threading.Event,
    *,
    poll_interval: float = DEFAULT_POLL_INTERVAL_SECONDS,
) -> Iterator[Line]:
    """Every line of ``path`` from its start, then every line appended, until ``stop`` is set.

    A missing file is waited for. Returns within about ``poll_interval`` of ``stop`` being set.
    """
    return (line for line in _follow(path, stop, poll_interval) if line is not None)


def follow_batches(
    path: Path,
    stop: threading.Event,
    *,
    poll_interval: float = DEFAULT_POLL_INTERVAL_SECONDS,
) -> Iterator[list[Line]]:
    """Like ``follow_lines``, grouped: each batch holds the lines read before the reader caught up
    with the file (the whole file at first, then what each poll found appended)."""
    batch: list[Line] = []
    for line in _follow(path, stop, poll_interval):
        if line is not None:
            batch.append(line)
        elif batch:
            yield batch
            batch = []
    if batch:
        yield batch


def _follow(path: Path, stop: threading.Event, poll_interval: float) -> Iterator[Line | None]:
    """The followed lines, with None each time the reader has caught up and is about to wait."""
    reported: set[str] = set()
    current = _open(path, reported)
    try:
        while not stop.is_set():
            if current is None:
                current = _open(path, reported)
                if current is None:
                    stop.wait(poll_interval)
                continue
            lines, got_data = current.read_complete_lines()
            yield from lines
            if got_data:
                continue
            on_disk = _current_stat(path)
            if on_disk is None or on_disk.st_ino != current.inode:
                # Rotated away (or deleted): the old handle still reads the old file to its end.
                yield from _drain(current)
                current.handle.close()
                current = None
            elif on_disk.st_size < current.handle.tell():
                current.restart()
            else:
                yield None
                stop.wait(poll_interval)
    finally:
        if current is not None:
            current.handle.close()


def _drain(current: _OpenFile) -> Iterator[Line]:
    while True:
        lines, got_data = current.read_complete_lines()
        yield from lines
        if not got_data:
            break
    final = current.final_line()
    if final is not None:
        yield final
