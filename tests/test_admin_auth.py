"""The admin UI's access rules through Flask's test client: login, roles, CSRF, headers, limits."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from exporter.admin import create_app
from exporter.admin.security import LoginThrottle
from exporter.admin.users import Role, UserFile, load_or_create_secret_key
from exporter.targets.store import TargetStore
from tests.conftest import PASSWORD, csrf_token, form_fields, login

PAGES = ["/targets", "/targets?tab=team", "/preview", "/history", "/settings",
         "/targets/service_level_ratio/edit?channel=voice",
         "/targets/service_level_ratio/delete?channel=voice"]  # fmt: skip


@pytest.mark.parametrize("url", PAGES)
def test_every_page_needs_a_login(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


@pytest.mark.parametrize(
    "url",
    ["/targets/service_level_ratio/edit", "/targets/service_level_ratio/delete", "/settings"],
)
def test_no_change_without_a_login_even_with_a_valid_token(client: FlaskClient, url: str) -> None:
    token = csrf_token(client, "/login")
    response = client.post(url, data={"csrf_token": token, "reason": "r", "value": "50"})
    assert response.status_code == 302 and response.location.startswith("/login")


def test_wrong_password_and_unknown_user_get_the_same_answer(client: FlaskClient) -> None:
    token = csrf_token(client, "/login")
    wrong = client.post("/login", data={"name": "ada", "password": "nope", "csrf_token": token})
    unknown = client.post("/login", data={"name": "zed", "password": "x", "csrf_token": token})
    assert wrong.status_code == unknown.status_code == 401
    assert b"Wrong user name or password." in wrong.data
    assert b"Wrong user name or password." in unknown.data


def test_a_refused_login_keeps_the_name_typed_but_never_echoes_the_password(
    client: FlaskClient,
) -> None:
    token = csrf_token(client, "/login")
    refused = client.post(
        "/login", data={"name": "ada", "password": "s3cret typo", "csrf_token": token}
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 401
    fields = form_fields(html, ("csrf_token", token))
    assert fields["name"] == ["ada"] and fields["password"] == [""]
    assert "s3cret typo" not in html


def test_failed_logins_are_throttled_then_allowed_again(app: Flask) -> None:
    now = [1000.0]
    app.extensions["kpi_targets"].throttle = LoginThrottle(limit=3, window=60, clock=lambda: now[0])
    client = app.test_client()
    token = csrf_token(client, "/login")
    for _ in range(3):
        bad = client.post("/login", data={"name": "ada", "password": "no", "csrf_token": token})
        assert bad.status_code == 401
    right = {"name": "ada", "password": PASSWORD, "csrf_token": token}
    refused = client.post("/login", data=right)
    assert refused.status_code == 429
    assert b"Too many failed logins. Try again in 60 seconds." in refused.data
    now[0] += 61
    assert client.post("/login", data=right).status_code == 302


def test_login_without_csrf_token_is_refused(client: FlaskClient) -> None:
    response = client.post("/login", data={"name": "ada", "password": PASSWORD})
    assert response.status_code == 400
    assert b"security token is missing" in response.data


def test_a_forged_csrf_token_is_refused_and_nothing_saved(
    as_editor: FlaskClient, targets_dir: Path
) -> None:
    before = (targets_dir / "targets.yaml").read_bytes()
    response = as_editor.post(
        "/targets/average_handle_time_seconds/edit",
        data={"csrf_token": "forged", "quantifier": "or_less", "value": "10", "reason": "x",
              "is_new": "0", "rows": "0"},
    )  # fmt: skip
    assert response.status_code == 400
    assert b"CSRF" in response.data
    assert (targets_dir / "targets.yaml").read_bytes() == before


def test_a_viewer_cannot_post_to_an_editors_route(
    as_viewer: FlaskClient, targets_dir: Path
) -> None:
    token = csrf_token(as_viewer, "/history")
    before = (targets_dir / "targets.yaml").read_bytes()
    for url in ("/targets/average_handle_time_seconds/edit",
                "/targets/average_handle_time_seconds/delete"):  # fmt: skip
        response = as_viewer.post(url, data={"csrf_token": token, "reason": "r", "value": "1"})
        assert response.status_code == 403
        assert b"this page needs the editor role; you are logged in as viewer" in response.data
    assert as_viewer.get("/settings").status_code == 403
    assert (targets_dir / "targets.yaml").read_bytes() == before


def test_an_editor_cannot_change_settings(as_editor: FlaskClient, targets_dir: Path) -> None:
    token = csrf_token(as_editor, "/targets")
    response = as_editor.post(
        "/settings",
        data={"csrf_token": token, "section": "timezone", "timezone": "UTC", "reason": "r"},
    )
    assert response.status_code == 403
    assert b"Europe/Rome" in (targets_dir / "calendar.yaml").read_bytes()


def test_security_headers_on_every_page(as_admin: FlaskClient) -> None:
    for url in [*PAGES, "/login", "/healthz", "/nowhere"]:
        headers = as_admin.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_pages_carry_no_inline_script_or_style(as_admin: FlaskClient) -> None:
    for url in PAGES:
        html = as_admin.get(url).get_data(as_text=True)
        inline = re.search(r"<script(?![^>]*\ssrc=)", html)  # a script file (src=) is allowed
        assert inline is None and "style=" not in html and "<style" not in html, url


def test_session_cookie_is_httponly_and_samesite(client: FlaskClient) -> None:
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"name": "ada", "password": PASSWORD,
                                           "csrf_token": token})  # fmt: skip
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if "kpi_targets_session" in c]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_secure_cookie_when_configured(store: TargetStore, state_dir: Path) -> None:
    app = create_app(http_events=None, events_token=None, store=store, state_dir=state_dir,
                     secure_cookies=True)  # fmt: skip
    client = app.test_client()
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"name": "ada", "password": PASSWORD,
                                           "csrf_token": token})  # fmt: skip
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if "kpi_targets_session" in c]
    assert "; Secure" in cookie


def test_secure_cookie_over_https(client: FlaskClient) -> None:
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", base_url="https://localhost",
        data={"name": "ada", "password": PASSWORD, "csrf_token": token},
    )  # fmt: skip
    [session] = [c for c in response.headers.getlist("Set-Cookie") if "kpi_targets_session" in c]
    assert "; Secure" in session


def test_the_secret_key_is_created_once_private_and_kept(tmp_path: Path) -> None:
    first = load_or_create_secret_key(tmp_path / "state")
    assert stat.S_IMODE((tmp_path / "state" / "secret_key").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700
    assert load_or_create_secret_key(tmp_path / "state") == first
    assert len(first) == 64


def test_a_session_survives_a_restart(store: TargetStore, state_dir: Path) -> None:
    first = create_app(http_events=None, events_token=None, store=store, state_dir=state_dir)
    client = login(first.test_client(), "vera")
    cookie = client.get_cookie("kpi_targets_session")
    assert cookie is not None
    second = create_app(http_events=None, events_token=None, store=store, state_dir=state_dir)
    other = second.test_client()
    other.set_cookie("kpi_targets_session", cookie.value)
    assert other.get("/targets").status_code == 200


def test_a_new_password_ends_the_session(as_viewer: FlaskClient, state_dir: Path) -> None:
    assert as_viewer.get("/targets").status_code == 200
    UserFile(state_dir).set_password("vera", "another password", rounds=4)
    assert as_viewer.get("/targets").status_code == 302


def test_removing_a_user_ends_the_session(as_editor: FlaskClient, state_dir: Path) -> None:
    assert as_editor.get("/targets").status_code == 200
    UserFile(state_dir).remove("eddie")
    assert as_editor.get("/targets").status_code == 302


def test_logout_needs_post_with_token(as_viewer: FlaskClient) -> None:
    assert as_viewer.get("/logout").status_code == 405
    token = csrf_token(as_viewer, "/targets")
    assert as_viewer.post("/logout", data={"csrf_token": token}).status_code == 302
    assert as_viewer.get("/targets").status_code == 302


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_login_never_redirects_off_site(client: FlaskClient, next_url: str) -> None:
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", query_string={"next": next_url},
        data={"name": "ada", "password": PASSWORD, "csrf_token": token},
    )  # fmt: skip
    assert response.status_code == 302
    assert response.location == "/targets"


def test_the_login_page_says_how_to_create_the_first_admin(
    store: TargetStore, tmp_path: Path
) -> None:
    app = create_app(http_events=None, events_token=None, store=store, state_dir=tmp_path / "s")
    page = app.test_client().get("/login").get_data(as_text=True)
    assert "No users yet" in page and "kpi-targets users add NAME --role admin" in page


def test_oversized_bodies_are_refused(as_editor: FlaskClient, targets_dir: Path) -> None:
    token = csrf_token(as_editor, "/targets")
    before = (targets_dir / "targets.yaml").read_bytes()
    response = as_editor.post(
        "/targets/average_handle_time_seconds/edit",
        data={"csrf_token": token, "reason": "x" * 100_000, "value": "1"},
    )
    assert response.status_code == 413
    assert b"larger than the limit of 65536 bytes" in response.data
    assert (targets_dir / "targets.yaml").read_bytes() == before


@pytest.mark.parametrize(
    "url",
    ["/targets/..%2f..%2fetc%2fpasswd/edit", "/targets/../../etc/passwd/edit",
     "/targets/no_such_kpi/edit", "/targets/ai_customer_experience_score/edit",
     "/targets/service_level_ratio/edit?agent=x", "/static/../users.json",
     "/static/%2e%2e/%2e%2e/targets/targets.yaml"],
)  # fmt: skip
def test_path_tricks_find_nothing(as_admin: FlaskClient, url: str) -> None:
    response = as_admin.get(url)
    assert response.status_code == 404
    assert b"root:" not in response.data and b"password_hash" not in response.data


def test_roles_order() -> None:
    assert Role.VIEWER < Role.EDITOR < Role.ADMIN


def test_a_broken_users_file_is_named_not_a_server_error(
    client: FlaskClient, state_dir: Path
) -> None:
    (state_dir / "users.json").write_text("{not json")
    response = client.get("/login")
    assert response.status_code == 503
    assert b"is not a valid users file" in response.data
