"""The admin web app (served on the admin port): the HTTP events API and the targets UI.

Paths under ``/api/`` always answer JSON, errors included; the other paths are HTML pages rendered
by Jinja with autoescaping on. With a ``store`` the UI is registered, one blueprint per page family:
``auth`` (``/login``), ``targets`` (``/targets``), ``preview``, ``history`` and ``calendar_page``
(``/settings``). Every UI page needs a login (``exporter.admin.auth``); every form carries a CSRF
token (Flask-WTF); every response carries the security headers of ``exporter.admin.security``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from flask import Blueprint, Flask, Response, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from exporter.admin.api import DEFAULT_MAX_EVENTS_PER_BATCH, events_blueprint, json_error
from exporter.admin.attainment import AttainmentReader
from exporter.admin.context import AdminContext
from exporter.admin.security import SessionOverHttps
from exporter.sources.http_events import HttpEventSource
from exporter.targets.store import TargetStore

DEFAULT_MAX_CONTENT_LENGTH = 1024 * 1024


def create_app(
    *,
    http_events: HttpEventSource | None,
    events_token: str | None,
    max_content_length: int = DEFAULT_MAX_CONTENT_LENGTH,
    max_events_per_batch: int = DEFAULT_MAX_EVENTS_PER_BATCH,
    secret_key: str | None = None,
    blueprints: Iterable[Blueprint] = (),
    store: TargetStore | None = None,
    state_dir: Path | None = None,
    clock: Callable[[], float] = time.time,
    seen_labels: Callable[[], Mapping[str, Iterable[str]]] | None = None,
    secure_cookies: bool = False,
    attainment: AttainmentReader | None = None,
) -> Flask:
    """The admin app. The events API exists only with ``http_events``, and refuses every request
    (503) while ``events_token`` is None: it is never open by default.

    The targets UI exists with ``store`` and ``state_dir`` (users file and the persisted session
    key). ``clock`` gives "now" in Unix seconds (the exporter's clock, so the preview matches
    ``/metrics``); ``seen_labels`` the label values the exporter has seen, offered as suggestions;
    ``secure_cookies`` marks the session cookie Secure (behind HTTPS); ``attainment`` reads the
    met hours per target from Prometheus (None: the pages say how to configure it).
    """
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = max_content_length
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep "accepted" first
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"  # links from Grafana keep the session
    app.config["SESSION_COOKIE_SECURE"] = secure_cookies
    app.config["SESSION_COOKIE_NAME"] = "kpi_targets_session"
    app.config["WTF_CSRF_TIME_LIMIT"] = None  # tied to the session instead
    csrf = CSRFProtect(app)
    app.session_interface = SessionOverHttps()

    if store is not None:
        from exporter.admin.users import load_or_create_secret_key

        if state_dir is None:
            raise ValueError("the targets UI needs a state directory (users, session key)")
        app.config["SECRET_KEY"] = secret_key or load_or_create_secret_key(state_dir)
    else:
        # Sessions are used only by the UI; without it a random key per process is enough.
        app.config["SECRET_KEY"] = secret_key or secrets.token_hex(32)

    if http_events is not None:
        api = events_blueprint(
            http_events, token=events_token, max_events_per_batch=max_events_per_batch
        )
        csrf.exempt(api)  # a bearer-token JSON API, not a browser form
        app.register_blueprint(api)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)

    if store is not None and state_dir is not None:
        _register_ui(app, AdminContext.build(store, state_dir, clock, seen_labels, attainment))
    else:

        @app.get("/")
        def index() -> str:
            return render_template("index.html", events_enabled=bool(http_events and events_token))

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok"})

    from exporter.admin.security import add_security_headers

    app.after_request(add_security_headers)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response | HTTPException | tuple[str, int]:
        if request.path.startswith("/api/"):
            return json_error(error.code or 500, _describe(error, max_content_length))
        code = error.code or 500
        if isinstance(error, CSRFError):
            message = (
                "The form was not accepted: its security token is missing, expired or not from "
                "this site (CSRF check). Reload the page and try again; nothing was saved."
            )
        else:
            message = _describe(error, max_content_length)
        return render_template("error.html", code=code, title=error.name, message=message), code

    return app


def _register_ui(app: Flask, context: AdminContext) -> None:
    from exporter.admin import auth, calendar_page, history, preview, targets

    app.extensions["kpi_targets"] = context
    auth.init(app)
    for module in (auth, targets, preview, history, calendar_page):
        app.register_blueprint(module.blueprint)

    @app.context_processor
    def read_only() -> dict[str, object]:
        """Why saves are refused (the built-in example targets), said at the top of every page."""
        return {"read_only": context.store.read_only}

    @app.get("/")
    def index() -> BaseResponse:
        return redirect(url_for("targets.page"))


def _describe(error: HTTPException, max_content_length: int) -> str:
    if error.code == 413:
        return f"the request body is larger than the limit of {max_content_length} bytes"
    if error.code == 405:
        allowed = ", ".join(sorted(getattr(error, "valid_methods", None) or ()))
        return f"method {request.method} is not allowed here" + (
            f"; allowed: {allowed}" if allowed else ""
        )
    return f"{error.name}: {error.description}"
