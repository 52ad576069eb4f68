"""Basic auth under failing logins, on a real cheroot port: a costly hash costs nothing at start,
unknown names cost what the users' usual hash costs (not the highest), and a valid scrape stays
fast while many failing logins run at once (bounded bcrypt checks, remembered successes)."""

from __future__ import annotations

import base64
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import bcrypt
import pytest
from processes import free_port

from exporter import web_guard
from exporter.config import Address
from exporter.http_server import HttpServer
from exporter.web_config import WebConfig
from exporter.web_guard import PASSWORD_CHECKS, PasswordCheck, WebGuard, dummy_cost

FAST = bcrypt.hashpw(b"scrape me", bcrypt.gensalt(rounds=4))
SLOW = bcrypt.hashpw(b"not this", bcrypt.gensalt(rounds=12))  # ~0.25 s a check
# A cost-18 hash (~20 s a check) in form only: nothing here may ever check it.
COST_18 = b"$2b$18$" + SLOW[7:]


def _hello(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello\n"]


@contextmanager
def serving(users: dict[str, bytes]) -> Iterator[int]:
    port = free_port()
    server = HttpServer(
        Address("127.0.0.1", port), WebGuard(_hello, WebConfig(basic_auth_users=users)), name="t"
    )
    server.start()
    try:
        yield port
    finally:
        server.stop()


def get(port: int, user: str, password: str) -> tuple[int, float]:
    """Status and seconds taken."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.monotonic() - started


def under_attack(port: int, attackers: list[tuple[str, str]]) -> tuple[float, list[int]]:
    """Seconds a valid scrape takes while ``attackers`` log in at once; their statuses."""
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda u=user, p=password: results.append(get(port, u, p)[0]))
        for user, password in attackers
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.3)  # the failing checks are running
    status, took = get(port, "prometheus", "scrape me")
    for thread in threads:
        thread.join()
    assert status == 200
    return took, results


def test_a_cost_18_user_costs_nothing_at_start_nor_for_unknown_names() -> None:
    users = {"prometheus": FAST, "bob": COST_18, "carol": SLOW, "dave": SLOW}
    assert dummy_cost(users) == 12  # the usual cost here, not bob's 18
    assert dummy_cost({"bob": COST_18}) == 12  # capped
    started = time.monotonic()
    with serving(users) as port:
        assert time.monotonic() - started < 2  # the old start-up hashed at cost 18: ~40 s
        assert get(port, "nobody", "x")[0] == 401  # makes the cost-12 dummy hash once
        status, took = get(port, "somebody", "y")
        assert status == 401
        assert took < 3  # the old dummy had bob's cost 18: ~20 s


def test_a_valid_scrape_is_not_starved_by_failing_logins() -> None:
    users = {"prometheus": FAST, "carol": SLOW, "dave": SLOW}
    with serving(users) as port:
        assert get(port, "prometheus", "scrape me")[0] == 200  # checked once, then remembered
        took, statuses = under_attack(port, [(f"nobody-{n}", "x") for n in range(9)])
        assert took < 1.0, f"a valid scrape took {took:.2f} s under 9 unknown-name logins"
        assert set(statuses) <= {401, 503} and statuses.count(401) >= PASSWORD_CHECKS
        # Distinct wrong passwords of a real user: a bcrypt check each, at most two at once.
        took, statuses = under_attack(port, [("carol", f"guess {n}") for n in range(9)])
        assert took < 1.5, f"a valid scrape took {took:.2f} s under 9 wrong passwords"
        assert set(statuses) <= {401, 503} and statuses.count(401) >= PASSWORD_CHECKS
        # The same wrong password again is remembered: no bcrypt, no slot.
        assert get(port, "carol", "once more")[0] == 401
        status, took = get(port, "carol", "once more")
        assert (status, took < 0.15) == (401, True), took


def test_bcrypt_checks_beyond_the_slots_are_answered_503_not_queued() -> None:
    users = {"prometheus": FAST, "carol": bcrypt.hashpw(b"z", bcrypt.gensalt(rounds=14))}
    with serving(users) as port:  # a cost-14 check takes ~1 s: longer than a slot is waited for
        assert get(port, "prometheus", "scrape me")[0] == 200
        took, statuses = under_attack(port, [("carol", f"guess {n}") for n in range(6)])
        assert 503 in statuses, statuses
        assert statuses.count(401) >= PASSWORD_CHECKS
        assert took < 1.5


def test_failures_however_many_never_push_a_remembered_success_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(web_guard, "REMEMBERED", 5)
    checks = PasswordCheck({"prometheus": FAST})
    assert checks.check("prometheus", "scrape me") is True
    for n in range(20):
        assert checks.check(f"nobody-{n}", "x") is False
        assert checks.check("prometheus", f"wrong {n}") is False
    checked: list[bytes] = []
    real = bcrypt.checkpw
    monkeypatch.setattr(bcrypt, "checkpw", lambda *a: checked.append(a[0]) or real(*a))
    assert checks.check("prometheus", "scrape me") is True
    assert checks.check("nobody-19", "x") is False
    assert checked == []  # both remembered: no bcrypt
    assert checks.check("nobody-0", "x") is False  # forgotten (5 kept): checked again
    assert checked == [b"x"]
