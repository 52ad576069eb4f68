"""Durability with real processes: an acknowledged batch survives ``kill -9`` and is replayed
exactly once by the restarted server; retrying it afterwards reports duplicates."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from processes import post_events

from exporter.sources.journal import EventJournal

SERVER_SCRIPT = Path(__file__).with_name("http_events_server.py")
TOKEN = "durability-token-42"

pytestmark = pytest.mark.timeout(120)


class Server:
    """``tests/http_events_server.py`` running as its own process on a journal."""

    def __init__(self, journal: Path, log: Path) -> None:
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, str(SERVER_SCRIPT), str(journal)],
            stdout=subprocess.PIPE,
            stderr=self._log,
            env={**os.environ, "KPI_TARGETS_EVENTS_TOKEN": TOKEN},
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith("listening "), f"server did not start: {line!r}, see {log}"
        self.url = line.split()[1]

    def post(self, events: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
        return post_events(f"{self.url}/api/v1/events", TOKEN, events)

    def delivered(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/test/delivered", timeout=10) as response:
            result: dict[str, Any] = json.load(response)
            return result

    def wait_delivered(self, count: int) -> dict[str, Any]:
        deadline = time.monotonic() + 20
        while True:
            report = self.delivered()
            if report["replay_done"] and len(report["contact_ids"]) >= count:
                return report
            assert time.monotonic() < deadline, f"only {report} after 20 s"
            time.sleep(0.05)

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: no shutdown code runs
        self.process.wait(10)
        self._log.close()


def contact(n: int) -> dict[str, Any]:
    return {
        "type": "contact",
        "id": f"evt-{n}",
        "kind": "offered",
        "at": 1_772_442_000 + n,
        "contact_id": f"c{n}",
        "queue": "sales",
        "channel": "voice",
    }


def test_an_acknowledged_batch_survives_kill_9_and_is_replayed_once(tmp_path: Path) -> None:
    journal = tmp_path / "events.sqlite"
    batch = [contact(n) for n in range(100)]
    batch.insert(50, {"type": "contact", "id": "bad", "kind": "offered", "at": -5})

    first = Server(journal, tmp_path / "server.log")
    status, result = first.post(batch)
    first.kill()
    assert status == 200
    assert (result["accepted"], result["duplicates"]) == (100, 0)
    assert [(error["index"], error["field"]) for error in result["rejected"]] == [
        (50, "at"),
        (50, "contact_id"),
    ]

    second = Server(journal, tmp_path / "server.log")
    try:
        report = second.wait_delivered(100)
        assert report["replayed"] == 100
        assert Counter(report["contact_ids"]) == Counter(f"c{n}" for n in range(100))

        status, retry = second.post(batch)
        assert status == 200
        assert (retry["accepted"], retry["duplicates"]) == (0, 100)
        assert retry["rejected"] == result["rejected"]

        # A new event after the retry: once it is delivered, nothing of the retry can follow.
        assert second.post([contact(100)])[1]["accepted"] == 1
        after = second.wait_delivered(101)
        assert Counter(after["contact_ids"]) == Counter(f"c{n}" for n in range(101))
    finally:
        second.kill()


def test_kill_9_under_load_loses_no_acknowledged_batch_and_splits_none(tmp_path: Path) -> None:
    journal = tmp_path / "events.sqlite"
    server = Server(journal, tmp_path / "server.log")
    acknowledged: list[int] = []
    attempted: list[int] = []
    surprises: list[object] = []  # a thread's failed assert would only be a warning

    def post_until_refused() -> None:
        for batch_number in range(10_000):
            attempted.append(batch_number)
            events = [contact(batch_number * 10 + k) for k in range(10)]
            try:
                status, result = server.post(events)
            except (OSError, http.client.HTTPException):  # the server died mid-request
                return
            if (status, result.get("accepted")) != (200, 10):
                surprises.append((batch_number, status, result))
                return
            acknowledged.append(batch_number)

    poster = threading.Thread(target=post_until_refused)
    poster.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill()
    poster.join(20)
    assert surprises == []
    assert len(acknowledged) >= 20

    opened = EventJournal(journal)
    stored_ids = [entry.event_id for entry in opened.entries_after(0, limit=1_000_000)]
    opened.close()
    assert len(stored_ids) == len(set(stored_ids))
    stored_batches = Counter(int(event_id.removeprefix("evt-")) // 10 for event_id in stored_ids)
    # Every acknowledged batch is whole; the one in flight at the kill is whole or absent.
    assert set(acknowledged) <= set(stored_batches)
    assert set(stored_batches) <= set(attempted)
    assert set(stored_batches.values()) == {10}

    restarted = Server(journal, tmp_path / "server.log")
    try:
        report = restarted.wait_delivered(len(stored_ids))
        assert report["replayed"] == len(stored_ids)
        assert Counter(report["contact_ids"]) == Counter(
            f"c{event_id.removeprefix('evt-')}" for event_id in stored_ids
        )
    finally:
        restarted.kill()
