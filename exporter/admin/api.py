"""``POST /api/v1/events``: the HTTP events endpoint (bearer token, size limits, per-event results).

The status says whether the request as a whole was read: 200 whenever the batch was processed,
even if some or all of its events were refused (the body lists them by index), so a client can
tell "retry the request" (4xx/5xx: nothing was stored) from "fix these events" (200 with
``rejected``). 207 Multi-Status is WebDAV's XML contract and 422 would read as "nothing stored"
while the valid events of the same batch were stored.
"""

from __future__ import annotations

import hmac
import json
import sqlite3
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from exporter.sources.event_json import (
    BatchShapeError,
    EventError,
    batch_items,
    parse_batch,
)
from exporter.sources.http_events import TOKEN_ENVIRONMENT_VARIABLE, HttpEventSource

DEFAULT_MAX_EVENTS_PER_BATCH = 1000
_AUTH_REALM = 'Bearer realm="kpi-targets events"'


def json_error(status: int, message: str, **extra: Any) -> Response:
    response = jsonify({"error": message, **extra})
    response.status_code = status
    return response


def events_blueprint(
    source: HttpEventSource,
    *,
    token: str | None,
    max_events_per_batch: int = DEFAULT_MAX_EVENTS_PER_BATCH,
) -> Blueprint:
    blueprint = Blueprint("events_api", __name__, url_prefix="/api/v1")
    expected = token.encode("utf-8") if token else None

    @blueprint.post("/events")
    def post_events() -> Response:
        if expected is None:
            return json_error(
                503,
                "HTTP events are disabled: no token is configured. Set "
                f"{TOKEN_ENVIRONMENT_VARIABLE} (or pass a token file) and restart.",
            )
        refusal = _check_bearer(expected)
        if refusal is not None:
            return refusal
        if request.mimetype != "application/json":
            return json_error(
                415,
                f"Content-Type must be application/json, got {request.mimetype or 'none'!r}",
            )
        body = _read_body()  # 413 over MAX_CONTENT_LENGTH, chunked bodies included
        try:
            document = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
        except UnicodeDecodeError as error:
            return json_error(400, f"the body is not UTF-8: byte {error.start} is invalid")
        except json.JSONDecodeError as error:
            return json_error(
                400,
                f"the body is not valid JSON: {error.msg} at line {error.lineno} "
                f"column {error.colno} (char {error.pos})",
                line=error.lineno,
                column=error.colno,
                position=error.pos,
            )
        except RecursionError:
            return json_error(400, "the body is not usable JSON: nested too deeply")
        except ValueError as error:  # NaN/Infinity (_refuse_constant), an integer of 4300+ digits
            return json_error(400, f"the body is not valid JSON: {error}")
        try:
            items = batch_items(document)
        except BatchShapeError as error:
            return json_error(400, str(error))
        if len(items) > max_events_per_batch:
            return json_error(
                413,
                f"the batch has {len(items)} events; at most {max_events_per_batch} "
                "are allowed per request: split it",
            )
        batch_number = source.next_batch_number()
        parsed = parse_batch(items, now=source.clock())
        try:
            result = source.accept(parsed.events)
        except sqlite3.Error as error:
            return json_error(
                503,
                f"the event journal cannot store events ({error}); nothing was stored, retry",
            )
        _count_rejections(source, batch_number, parsed.errors, parsed.rejected_indexes)
        return jsonify(
            {
                "accepted": result.accepted,
                "duplicates": len(result.duplicate_ids),
                "duplicate_ids": result.duplicate_ids,
                "rejected": [error.to_json() for error in parsed.errors],
            }
        )

    return blueprint


def _read_body() -> bytes:
    """The request body; ``RequestEntityTooLarge`` (413) when it is over the app's limit. A body
    with a Content-Length is checked by werkzeug; a chunked one is read here up to one byte past
    the limit, so an oversized batch is refused, never silently cut to the limit."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None or limit is None:
        return request.get_data(cache=False)
    stream = request.environ["wsgi.input"]
    body = bytearray()
    while len(body) <= limit:
        chunk = stream.read(min(65536, limit + 1 - len(body)))
        if not chunk:
            break
        body += chunk
    if len(body) > limit:
        raise RequestEntityTooLarge()
    return bytes(body)


def _check_bearer(expected: bytes) -> Response | None:
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        response = json_error(401, "authentication required: send Authorization: Bearer <token>")
        response.headers["WWW-Authenticate"] = _AUTH_REALM
        return response
    if not hmac.compare_digest(presented.strip().encode("utf-8"), expected):
        response = json_error(401, "the bearer token is not valid")
        response.headers["WWW-Authenticate"] = f'{_AUTH_REALM}, error="invalid_token"'
        return response
    return None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _count_rejections(
    source: HttpEventSource, batch: int, errors: list[EventError], rejected: list[int]
) -> None:
    by_index: dict[int, list[EventError]] = {}
    for error in errors:
        by_index.setdefault(error.index, []).append(error)
    for index in rejected:
        problems = by_index[index]
        detail = "; ".join(f"{e.field or 'event'}: {e.message}" for e in problems)
        source.reject(problems[0].code, where=f"batch {batch} event {index}", detail=detail)
