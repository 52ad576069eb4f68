"""The admin web app (served on the admin port): the HTTP events API today, the target editing UI
(login, CSRF, forms) in a later issue, registered through ``blueprints``.

Paths under ``/api/`` always answer JSON, errors included; the other paths are HTML pages rendered
by Jinja with autoescaping on.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from flask import Blueprint, Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from exporter.admin.api import DEFAULT_MAX_EVENTS_PER_BATCH, events_blueprint, json_error
from exporter.sources.http_events import HttpEventSource

DEFAULT_MAX_CONTENT_LENGTH = 1024 * 1024


def create_app(
    *,
    http_events: HttpEventSource | None,
    events_token: str | None,
    max_content_length: int = DEFAULT_MAX_CONTENT_LENGTH,
    max_events_per_batch: int = DEFAULT_MAX_EVENTS_PER_BATCH,
    secret_key: str | None = None,
    blueprints: Iterable[Blueprint] = (),
) -> Flask:
    """The admin app. The events API exists only with ``http_events``, and refuses every request
    (503) while ``events_token`` is None: it is never open by default."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = max_content_length
    # Sessions and CSRF tokens of the admin UI need a key; a random one per process is safe
    # (sessions just end at restart) until the UI issue makes it configurable for real.
    app.config["SECRET_KEY"] = secret_key or secrets.token_hex(32)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep "accepted" first

    if http_events is not None:
        app.register_blueprint(
            events_blueprint(
                http_events, token=events_token, max_events_per_batch=max_events_per_batch
            )
        )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok"})

    @app.get("/")
    def index() -> str:
        return render_template("index.html", events_enabled=bool(http_events and events_token))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response | HTTPException:
        if not request.path.startswith("/api/"):
            return error
        return json_error(error.code or 500, _describe(error, max_content_length))

    return app


def _describe(error: HTTPException, max_content_length: int) -> str:
    if error.code == 413:
        return f"the request body is larger than the limit of {max_content_length} bytes"
    if error.code == 405:
        allowed = ", ".join(sorted(getattr(error, "valid_methods", None) or ()))
        return f"method {request.method} is not allowed here" + (
            f"; allowed: {allowed}" if allowed else ""
        )
    return f"{error.name}: {error.description}"
