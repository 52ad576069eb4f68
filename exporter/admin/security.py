"""Security headers on every admin response, and the throttle on failed logins."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.wrappers import Response

# No inline script or style anywhere: the pages use only the app's own static files.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


class SessionOverHttps(SecureCookieSessionInterface):
    """The session cookie is Secure when configured so, and whenever the request came over HTTPS
    (``serve`` with TLS), so it is never sent back over plain HTTP."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(super().get_cookie_secure(app) or request.is_secure)


class LoginThrottle:
    """At most ``limit`` failed logins per ``window`` seconds for one user name, and for one
    client address; beyond that logins are refused until the oldest failure ages out."""

    def __init__(
        self,
        *,
        limit: int = 5,
        window: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait_seconds(self, *keys: str) -> float:
        """0 when a login may be tried now, else how long to wait."""
        now = self._clock()
        with self._lock:
            waits = []
            for key in keys:
                failures = self._recent(key, now)
                if len(failures) >= self.limit:
                    waits.append(failures[0] + self.window - now)
            return max(waits, default=0.0)

    def failed(self, *keys: str) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures
