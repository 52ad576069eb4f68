"""The request side of ``--web.config.file``: a WSGI middleware in front of each port that applies,
in this order, the rate limit (429), the allowed client certificate SANs (403), basic auth (401)
and the configured response headers (on every response, the refusals included).

Basic auth against bcrypt hashes, without letting failing logins tie up the server:

- an unknown user name is checked against a dummy hash, so it costs what a wrong password costs
  and does not tell which names exist; the dummy's cost is the one most users have, at most
  ``DUMMY_COST_CAP`` (a single cost-18 user no longer makes every unknown name cost 20 s);
- a check's outcome is remembered (keyed by an HMAC of user, password and hash with a key of this
  process: no password is kept), so a scrape every 15 s costs one hash per run and the same wrong
  password twice costs one;
- at most ``PASSWORD_CHECKS`` bcrypt checks run at once; a request that gets no slot within
  ``SLOT_WAIT_SECONDS`` gets 503. A user whose password was already checked needs no slot, so
  scrapes by valid users are never starved by failing logins.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import math
import secrets
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import bcrypt

from exporter.web_config import RateLimit, WebConfig, bcrypt_cost

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# The WSGI environ key under which the TLS server puts the connection's ssl.SSLSocket.
TLS_SOCKET = "kpi_targets.tls_socket"

PASSWORD_CHECKS = 2  # bcrypt checks at once per port (the machine's cores, not the worker pool)
SLOT_WAIT_SECONDS = 1.0
DUMMY_COST_CAP = 12
REMEMBERED = 1000  # outcomes kept, of successes and of failures each

_dummy_hashes: dict[int, bytes] = {}
_dummy_lock = threading.Lock()


def dummy_hash(cost: int) -> bytes:
    """A bcrypt hash of cost ``cost`` of nothing anyone sends, made once per process and cost."""
    with _dummy_lock:
        if cost not in _dummy_hashes:
            _dummy_hashes[cost] = bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(cost))
        return _dummy_hashes[cost]


def dummy_cost(users: Mapping[str, bytes]) -> int:
    """The most common cost among ``users`` (the higher on a tie), at most DUMMY_COST_CAP."""
    counts = Counter(bcrypt_cost(hashed) for hashed in users.values())
    if not counts:
        return 10
    most = max(counts.values())
    return min(max(cost for cost, count in counts.items() if count == most), DUMMY_COST_CAP)


class TokenBucket:
    """``burst`` requests at once, refilled by one every ``interval`` seconds; pure but for the
    clock, which tests give."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval, self._burst, self._clock = limit.interval_seconds, limit.burst, clock
        self._tokens, self._at = float(limit.burst), clock()
        self._lock = threading.Lock()

    def take(self) -> float:
        """0 when a request may go ahead (and counts it), else the seconds until one may."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self._burst, self._tokens + (now - self._at) / self._interval)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) * self._interval


class _Remembered:
    """A bounded set of keys, the least recently used forgotten first."""

    def __init__(self) -> None:
        self._items: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, key: object) -> bool:
        with self._lock:
            if key not in self._items:
                return False
            self._items.move_to_end(key)  # type: ignore[arg-type]
            return True

    def add(self, key: bytes) -> None:
        with self._lock:
            self._items[key] = None
            while len(self._items) > REMEMBERED:
                self._items.popitem(last=False)


class PasswordCheck:
    """``check(user, password)``: True, False, or None when no bcrypt slot came free in time."""

    def __init__(self, users: Mapping[str, bytes]) -> None:
        self._users = dict(users)
        self._dummy_cost = dummy_cost(users)
        self._key = secrets.token_bytes(32)
        # Apart, so that failures (which anyone can make) never push out a success.
        self._passed, self._failed = _Remembered(), _Remembered()
        self._slots = threading.BoundedSemaphore(PASSWORD_CHECKS)

    @property
    def enabled(self) -> bool:
        return bool(self._users)

    def check(self, user: str, password: str) -> bool | None:
        hashed = self._users.get(user)
        secret = password.encode()
        key = hmac.digest(
            self._key, b"\0".join((user.encode(), secret, hashed or b"")), hashlib.sha256
        )
        if key in self._passed:
            return hashed is not None
        if key in self._failed:
            return False
        if not self._slots.acquire(timeout=SLOT_WAIT_SECONDS):
            return None
        try:
            against = hashed or dummy_hash(self._dummy_cost)
            try:
                ok = bcrypt.checkpw(secret, against) and hashed is not None
            except ValueError:  # bcrypt refuses passwords over 72 bytes
                ok = False
        finally:
            self._slots.release()
        (self._passed if ok else self._failed).add(key)
        return ok


def _peer_sans(environ: dict[str, Any]) -> list[str]:
    sock = environ.get(TLS_SOCKET)
    certificate = sock.getpeercert() if sock is not None else None
    return [str(value) for _kind, value in (certificate or {}).get("subjectAltName", ())]


def _san_allowed(found: list[str], allowed: Iterable[str]) -> bool:
    """Whether a SAN of the peer's certificate is one of ``allowed`` (IP addresses compared as
    addresses: Python writes an IPv6 SAN in full, Go compressed)."""

    def normal(value: str) -> str:
        try:
            return str(ipaddress.ip_address(value.strip()))
        except ValueError:
            return value

    wanted = {normal(value) for value in allowed}
    return any(normal(value) in wanted for value in found)


class WebGuard:
    """WSGI middleware for one port: rate limit, allowed SANs, basic auth and response headers
    from the web config; ``set_config`` swaps them in (SIGHUP). ``exempt`` paths skip basic auth
    (``POST /api/v1/events`` checks its own bearer token)."""

    def __init__(self, app: WsgiApp, config: WebConfig, *, exempt: Iterable[str] = ()) -> None:
        self._app = app
        self._exempt = frozenset(exempt)
        self.set_config(config)

    def set_config(self, config: WebConfig) -> None:
        limit = config.rate_limit
        # One assignment: a request in flight sees the old settings or the new, never a mix.
        self._settings = (
            TokenBucket(limit) if limit is not None else None,
            config.tls.client_allowed_sans if config.tls is not None else None,
            PasswordCheck(config.basic_auth_users),
            config.headers,
        )

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        bucket, sans, passwords, headers = self._settings

        def respond(status: str, response_headers: list[tuple[str, str]], *extra: Any) -> Any:
            present = {name.lower() for name, _value in response_headers}
            added = [(name, value) for name, value in headers if name.lower() not in present]
            return start_response(status, [*response_headers, *added], *extra)

        if bucket is not None:
            wait = bucket.take()
            if wait:
                return _refuse(
                    respond,
                    "429 Too Many Requests",
                    "Too many requests: the web config's rate_limit; retry later",
                    [("Retry-After", str(max(1, math.ceil(wait))))],
                )
        if sans is not None and not _san_allowed(_peer_sans(environ), sans):
            return _refuse(
                respond,
                "403 Forbidden",
                "Forbidden: the client certificate has none of the allowed SANs",
            )
        if passwords.enabled and environ.get("PATH_INFO") not in self._exempt:
            allowed = _basic_auth(environ, passwords)
            if allowed is None:
                return _refuse(
                    respond,
                    "503 Service Unavailable",
                    "Too many password checks at once; retry",
                    [("Retry-After", "1")],
                )
            if not allowed:
                return _refuse(
                    respond,
                    "401 Unauthorized",
                    "Unauthorized",
                    [("WWW-Authenticate", 'Basic realm="kpi-targets"')],
                )
        return self._app(environ, respond)


def _basic_auth(environ: dict[str, Any], passwords: PasswordCheck) -> bool | None:
    scheme, _, encoded = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, separator, password = (
            base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        )
    except (binascii.Error, UnicodeDecodeError):
        return False
    if not separator:
        return False
    return passwords.check(user, password)


def _refuse(
    respond: StartResponse, status: str, text: str, headers: Iterable[tuple[str, str]] = ()
) -> list[bytes]:
    respond(status, [("Content-Type", "text/plain; charset=utf-8"), *headers])
    return [f"{text}\n".encode()]
