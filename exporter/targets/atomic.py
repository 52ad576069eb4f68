"""Crash-safe file replacement and a lock that serialises writers across processes and threads.

A reader (the exporter polling for changes, ``git diff``, an editor) must only ever see the old
file or the new one, never a half-written one, even if the writer is killed or the machine loses
power: the new bytes go to a temporary file in the same directory, are flushed and fsync'd, the
temporary file is renamed over the old one (atomic on POSIX), and the directory is fsync'd so that
the rename itself is durable.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

TEMP_SUFFIX = ".tmp"

# Called with the temporary file's path once it is complete and fsync'd, just before the rename:
# the one instant a crash leaves both files on disk. Tests use it to kill a writer right there.
BeforeReplace = Callable[[Path], None]


def temp_prefix(path: Path) -> str:
    """Prefix of the temp files written for ``path`` (hidden: globbing ``*.yaml`` skips them)."""
    return f".{path.name}."


def fsync_directory(directory: Path) -> None:
    """Make a rename or a new file in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _mode_for(path: Path) -> int:
    """Keep the permissions of the file being replaced; a new file gets the umask's default."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path: Path, data: bytes, *, before_replace: BeforeReplace | None = None) -> None:
    """Replace ``path`` with ``data`` so that readers see either the old bytes or the new ones."""
    directory = path.parent
    fd, temp_name = tempfile.mkstemp(dir=directory, prefix=temp_prefix(path), suffix=TEMP_SUFFIX)
    temp_path = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), _mode_for(path))
            os.fsync(handle.fileno())
        if before_replace is not None:
            before_replace(temp_path)
        os.replace(temp_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp_path.unlink()
        raise
    fsync_directory(directory)


def remove_leftover_temp_files(path: Path) -> list[Path]:
    """Delete temporary files a killed writer left behind for ``path``; returns what was removed.

    Call it only while holding the writers' lock: then no live writer owns any of them.
    """
    removed = []
    for leftover in path.parent.glob(f"{temp_prefix(path)}*{TEMP_SUFFIX}"):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
            removed.append(leftover)
    return removed


def append_line_durably(path: Path, line: str) -> None:
    """Append one line (adding the newline) and fsync: an acknowledged append survives a crash."""
    existed = path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        payload = (line + "\n").encode("utf-8")
        written = 0
        while written < len(payload):
            written += os.write(fd, payload[written:])
        os.fsync(fd)
    finally:
        os.close(fd)
    if not existed:
        fsync_directory(path.parent)


class WriterLock:
    """Exclusive lock for writers: ``flock`` on a lock file (other processes) plus a thread lock.

    ``flock`` locks belong to an open file description, so two threads of one process using
    separate descriptors would also exclude each other; the thread lock makes that explicit and
    cheap. The lock file is never deleted: deleting it would let two writers lock different inodes.
    """

    def __init__(self, lock_path: Path) -> None:
        self.lock_path = lock_path
        self._thread_lock = threading.Lock()

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        with self._thread_lock:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
