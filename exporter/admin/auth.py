"""Logging in and out (``/login``, ``/logout``) and the role each page needs.

Sessions are Flask-Login's, in a signed cookie (HttpOnly, SameSite=Lax, Secure behind HTTPS).
A session names the user and a piece of the password hash, so removing a user or changing the
password ends their sessions. Failed logins are throttled per user name and per client address.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from werkzeug.wrappers import Response

from exporter.admin.context import admin_context
from exporter.admin.users import Role, User, UserError

log = logging.getLogger(__name__)
blueprint = Blueprint("auth", __name__)

P = ParamSpec("P")
R = TypeVar("R")


class SessionUser(UserMixin):  # type: ignore[misc]
    def __init__(self, user: User) -> None:
        self.name = user.name
        self.role = user.role
        self._session_id = user.session_id

    def get_id(self) -> str:
        return self._session_id

    def may(self, role: Role) -> bool:
        return self.role >= role


def init(app: Flask) -> None:
    manager = LoginManager(app)
    manager.login_view = "auth.login"
    manager.login_message = "Log in to see this page."
    manager.session_protection = "strong"

    @manager.user_loader  # type: ignore[untyped-decorator]
    def load(session_id: str) -> SessionUser | None:
        name = session_id.rpartition(":")[0]
        try:
            user = admin_context().users.get(name)
        except UserError as error:
            log.error("%s", error)
            return None
        if user is None or user.session_id != session_id:
            return None
        return SessionUser(user)

    @app.context_processor
    def roles() -> dict[str, object]:
        return {"Role": Role}


def requires(role: Role) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """Logged in (else to the login page) with at least ``role`` (else 403)."""

    def decorate(view: Callable[P, R]) -> Callable[P, R | Response]:
        @functools.wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not current_user.may(role):
                abort(
                    403,
                    f"this page needs the {role.word} role; "
                    f"you are logged in as {current_user.role.word}",
                )
            return view(*args, **kwargs)

        return wrapped

    return decorate


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no "//"), else the targets page."""
    if not target:
        return url_for("targets.page")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("targets.page")
    if "\\" in target:
        return url_for("targets.page")
    return target


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    context = admin_context()
    try:
        no_users = not context.users.users()
    except UserError as broken:
        log.error("%s", broken)
        abort(503, f"logins are unavailable: {broken}; fix it with `kpi-targets users`")
    if request.method == "GET":
        return render_template("login.html", no_users=no_users, error=None, name="")
    name = request.form.get("name", "").strip()
    password = request.form.get("password", "")
    keys = (f"user:{name.lower()}", f"address:{request.remote_addr}")
    wait = context.throttle.wait_seconds(*keys)
    if wait > 0:
        error = f"Too many failed logins. Try again in {math.ceil(wait)} seconds."
        return render_template("login.html", no_users=no_users, error=error, name=name), 429
    user = context.users.authenticate(name, password) if name else None
    if user is None:
        context.throttle.failed(*keys)
        log.warning("failed login for %r from %s", name, request.remote_addr)
        error = "Wrong user name or password."
        return render_template("login.html", no_users=no_users, error=error, name=name), 401
    context.throttle.succeeded(*keys)
    login_user(SessionUser(user))
    log.info("%s logged in from %s", user.name, request.remote_addr)
    return redirect(_safe_next(request.args.get("next")))


@blueprint.post("/logout")
def logout() -> Response:
    logout_user()
    flash("You are logged out.")
    return redirect(url_for("auth.login"))
