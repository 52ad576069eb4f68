"""``/settings`` through Flask's test client: each form changes one part of calendar.yaml through
the store (checked, version-checked, audited) and leaves the rest of the file as written."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CALENDAR_YAML


def post(client: FlaskClient, section: str, **fields: Any) -> Any:
    page = client.get("/settings").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    version = re.search(r'name="base_version" value="([^"]+)"', page)
    assert token and version
    data = {"csrf_token": token.group(1), "base_version": version.group(1), "section": section,
            "reason": "settings test", **fields}  # fmt: skip
    return client.post("/settings", data=data)


def calendar(targets_dir: Path) -> str:
    return (targets_dir / "calendar.yaml").read_text()


def last_audit(targets_dir: Path) -> dict[str, Any]:
    entry: dict[str, Any] = json.loads((targets_dir / "audit.jsonl").read_text().splitlines()[-1])
    return entry


def test_the_time_zone_changes_alone(as_admin: FlaskClient, targets_dir: Path) -> None:
    response = post(as_admin, "timezone", timezone="America/New_York")
    assert response.status_code == 302
    assert calendar(targets_dir) == CALENDAR_YAML.replace("Europe/Rome", "America/New_York")
    entry = last_audit(targets_dir)
    assert entry["action"] == "calendar" and entry["user"] == "ada"
    assert entry["before"]["timezone"] == "Europe/Rome"
    assert entry["after"]["timezone"] == "America/New_York"


def test_a_bad_time_zone_is_refused_next_to_its_field(
    as_admin: FlaskClient, targets_dir: Path
) -> None:
    response = post(as_admin, "timezone", timezone="Mars/Olympus")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="timezone-timezone-error">&#39;Mars/Olympus&#39; is not a time zone name' in html
    assert calendar(targets_dir) == CALENDAR_YAML


def test_operating_hours_per_team_and_queue(as_admin: FlaskClient, targets_dir: Path) -> None:
    rows = {
        "rows": "3",
        "hours-0-who": "default", "hours-0-days": "mon-fri", "hours-0-hours": "08:00-20:00",
        "hours-1-who": "teams", "hours-1-name": "night", "hours-1-days": "mon-sun",
        "hours-1-hours": "22:00-06:00",
        "hours-2-who": "queues", "hours-2-name": "vip", "hours-2-days": "sat,sun",
        "hours-2-hours": "08:00-12:00, 14:00-18:00",
    }  # fmt: skip
    assert post(as_admin, "hours", **rows).status_code == 302
    text = calendar(targets_dir)
    assert 'operating_hours:\n  default:\n    mon-fri: "08:00-20:00"\n  teams:\n' in text
    assert 'night: {mon-sun: "22:00-06:00"}' in text
    assert """vip: {'sat,sun': ["08:00-12:00", "14:00-18:00"]}""" in text
    assert text.startswith("# When we are open\n")
    assert "sat: " not in text  # the Saturday row was left out, so Saturday is off duty now


def test_bad_operating_hours_are_refused_per_row(as_admin: FlaskClient, targets_dir: Path) -> None:
    rows = {"rows": "2", "hours-0-who": "default", "hours-0-days": "weekdays",
            "hours-0-hours": "08:00-20:00", "hours-1-who": "teams", "hours-1-name": "",
            "hours-1-days": "sat", "hours-1-hours": "9-5"}  # fmt: skip
    response = post(as_admin, "hours", **rows)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "days: unknown day &#39;weekdays&#39;" in html
    assert "name the team" in html and "hours: bad time &#39;9&#39;: expected HH:MM" in html
    assert calendar(targets_dir) == CALENDAR_YAML


def test_removing_every_row_means_always_on_duty(as_admin: FlaskClient, targets_dir: Path) -> None:
    response = post(as_admin, "hours", rows="2", **{"hours-0-remove": "1", "hours-1-remove": "1"})
    assert response.status_code == 302
    assert "operating_hours" not in calendar(targets_dir)


def test_add_and_remove_an_exception(as_admin: FlaskClient, targets_dir: Path) -> None:
    added = post(as_admin, "exception", date="2026-12-24", name="Christmas Eve", kind="hours",
                 hours="08:00-13:00", value_kpi="service_level_ratio",
                 value_scope="channel=voice", value="70")  # fmt: skip
    assert added.status_code == 302, added.get_data(as_text=True)
    text = calendar(targets_dir)
    assert (
        'exceptions:\n  - date: 2026-12-24\n    name: Christmas Eve\n    hours: "08:00-13:00"\n'
        "    values:\n      - {kpi: service_level_ratio, scope: {channel: voice}, value: 0.7}\n"
        "  - {date: 2026-12-25, name: Christmas, closed: true}\n"
    ) in text
    page = as_admin.get("/settings").get_data(as_text=True)
    assert "Service level (channel voice): 70 %" in page
    assert post(as_admin, "remove", date="2026-12-24").status_code == 302
    assert calendar(targets_dir) == CALENDAR_YAML


def test_an_exception_value_for_a_missing_target_is_refused_with_the_checks_words(
    as_admin: FlaskClient, targets_dir: Path
) -> None:
    response = post(as_admin, "exception", date="2026-12-24", name="Eve", kind="usual",
                    value_kpi="abandonment_ratio", value="5")  # fmt: skip
    assert response.status_code == 400
    assert "no target for abandonment_ratio with no scope in targets.yaml" in response.get_data(
        as_text=True
    )
    assert calendar(targets_dir) == CALENDAR_YAML


def test_import_a_countrys_public_holidays(as_admin: FlaskClient, targets_dir: Path) -> None:
    response = post(as_admin, "holidays", country="IT", year="2026")
    assert response.status_code == 302
    text = calendar(targets_dir)
    assert "  - {date: 2026-12-08, name: Immaculate Conception, closed: true}\n" in text
    assert text.count("2026-12-25") == 1  # the existing Christmas entry is kept, not doubled
    assert "  - {date: 2026-01-01, name: New Year's Day, closed: true}\n" in text
    assert text.index("2026-01-01") < text.index("2026-12-08") < text.index("2026-12-25")
    assert "Imported the public holidays of IT for 2026" in as_admin.get("/settings").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"country": "XX", "year": "2026"}, "&#39;XX&#39; is not a country"),
     ({"country": "IT", "year": "soon"}, "give a year such as 2027"),
     ({"country": "US", "year": "2026", "subdivision": "ZZ"}, "subdivision")],
)  # fmt: skip
def test_bad_holiday_imports_say_why(
    as_admin: FlaskClient, targets_dir: Path, fields: dict[str, str], message: str
) -> None:
    response = post(as_admin, "holidays", **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert calendar(targets_dir) == CALENDAR_YAML


def test_a_stale_settings_form_is_refused(as_admin: FlaskClient, targets_dir: Path) -> None:
    page = as_admin.get("/settings").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    (targets_dir / "calendar.yaml").write_text(CALENDAR_YAML + "# hand edit\n")
    response = as_admin.post("/settings", data={
        "csrf_token": token.group(1), "base_version": "0000000000000000", "section": "timezone",
        "timezone": "UTC", "reason": "r"})  # fmt: skip
    assert response.status_code == 409
    assert "changed outside kpi-targets" in response.get_data(as_text=True)
    assert calendar(targets_dir) == CALENDAR_YAML + "# hand edit\n"


def test_a_reason_is_required_and_unknown_forms_are_refused(
    as_admin: FlaskClient, targets_dir: Path
) -> None:
    response = post(as_admin, "timezone", timezone="UTC", reason=" ")
    assert response.status_code == 400
    assert "say why (it goes to the history)" in response.get_data(as_text=True)
    assert post(as_admin, "../../etc", timezone="UTC").status_code == 400
    assert calendar(targets_dir) == CALENDAR_YAML


def test_names_with_script_tags_are_escaped(as_admin: FlaskClient) -> None:
    evil = "<script>alert(1)</script>"
    assert (
        post(as_admin, "exception", date="2026-12-31", name=evil, kind="closed").status_code == 302
    )
    for url in ("/settings", "/history", "/preview?kpi=service_level_ratio"):
        html = as_admin.get(url).get_data(as_text=True)
        assert evil not in html
    assert "&lt;script&gt;" in as_admin.get("/settings").get_data(as_text=True)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    section=st.sampled_from(["timezone", "hours", "exception", "remove", "holidays"]),
    values=st.lists(st.text(max_size=30), min_size=8, max_size=8),
)
def test_any_settings_input_gets_a_page_never_a_server_error(
    as_admin: FlaskClient, section: str, values: list[str]
) -> None:
    names = [
        "timezone",
        "rows",
        "hours-0-days",
        "hours-0-hours",
        "date",
        "hours",
        "country",
        "year",
    ]
    response = post(as_admin, section, **dict(zip(names, values, strict=True)), kind="hours",
                    value_kpi="service_level_ratio", value=values[0])  # fmt: skip
    assert response.status_code in (200, 302, 400, 409), response.status_code
