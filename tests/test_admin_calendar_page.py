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

from exporter.targets.store import TargetStore
from tests.conftest import CALENDAR_YAML, form_fields


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
    assert 'id="timezone-timezone-error"><span>&#39;Mars/Olympus&#39; is not a time zone' in html
    assert form_fields(html, ("section", "timezone"))["timezone"] == ["Mars/Olympus"]
    assert calendar(targets_dir) == CALENDAR_YAML


DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def week_fields(*weeks: tuple[str, str, dict[str, list[str]]]) -> dict[str, str]:
    """The week form's fields for (who, name, {"mon": ["08:00-20:00"], ...}); days not given are
    closed (no range)."""
    fields = {"weeks": str(len(weeks))}
    for s, (who, name, days) in enumerate(weeks):
        fields[f"w{s}-who"] = who
        fields[f"w{s}-name"] = name
        for day, d in DAYS.items():
            ranges = days.get(day, [])
            fields[f"w{s}-d{d}-n"] = str(len(ranges))
            for r, text in enumerate(ranges):
                start, end = text.split("-")
                fields[f"w{s}-d{d}-r{r}-from"] = start
                fields[f"w{s}-d{d}-r{r}-to"] = end
    return fields


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def test_the_page_shows_the_week_of_the_file(as_admin: FlaskClient) -> None:
    html = as_admin.get("/settings").get_data(as_text=True)
    fields = form_fields(html, ("section", "hours"))
    assert fields["weeks"] == ["1"] and fields["w0-who"] == ["default"]
    for d in range(5):  # mon-fri: "08:00-20:00"
        assert fields[f"w{d and 0}-d{d}-r0-from"] == ["08:00"]
        assert fields[f"w0-d{d}-r0-to"] == ["20:00"] and fields[f"w0-d{d}-n"] == ["1"]
    assert fields["w0-d5-r0-from"] == ["09:00"] and fields["w0-d5-r0-to"] == ["13:00"]
    assert fields["w0-d6-n"] == ["0"] and "w0-d6-r0-from" not in fields  # Sunday closed
    sunday = html.split('data-day="6"')[1].split("</li>")[0]
    assert '<span class="closed-day">Closed</span>' in sunday


def test_operating_hours_per_team_and_queue(as_admin: FlaskClient, targets_dir: Path) -> None:
    fields = week_fields(
        ("default", "", {day: ["08:00-20:00"] for day in WEEKDAYS}),
        ("teams", "night", {day: ["22:00-06:00"] for day in DAYS}),
        ("queues", "vip", {"sat": ["08:00-12:00", "14:00-18:00"],
                           "sun": ["08:00-12:00", "14:00-18:00"]}),
    )  # fmt: skip
    fields["confirmed-w2-name"] = "vip"  # a queue the exporter has not seen yet: confirmed
    assert post(as_admin, "hours", **fields).status_code == 302
    text = calendar(targets_dir)
    assert 'operating_hours:\n  default:\n    mon-fri: "08:00-20:00"\n  teams:\n' in text
    assert 'night: {mon-sun: "22:00-06:00"}' in text
    assert """vip: {'sat,sun': ["08:00-12:00", "14:00-18:00"]}""" in text
    assert text.startswith("# When we are open\n")
    assert "sat: " not in text  # Saturday was left without a range, so it is off duty now
    entry = last_audit(targets_dir)
    assert entry["action"] == "calendar" and entry["reason"] == "settings test"
    assert len((targets_dir / "audit.jsonl").read_text().splitlines()) == 1  # one line per save


# The same week typed in the week form and written by hand: split days (Monday and Wednesday),
# an overnight team, a closed Sunday; the comments of the file stay where they were.
HAND_WRITTEN = """\
# When we are open
timezone: Europe/Rome
operating_hours:
  default:
    mon,wed: ["08:00-12:00", "14:00-18:00"]
    tue,thu,fri: "09:00-17:00"
    sat: "09:00-13:00"
  teams:
    night: {mon-sat: "22:00-06:00"}
exceptions:
  - {date: 2026-12-25, name: Christmas, closed: true}
"""


def test_a_week_typed_in_the_form_saves_the_hand_written_calendar(
    as_admin: FlaskClient, targets_dir: Path
) -> None:
    split = ["08:00-12:00", "14:00-18:00"]
    fields = week_fields(
        ("default", "", {"mon": split, "tue": ["09:00-17:00"], "wed": split,
                         "thu": ["09:00-17:00"], "fri": ["09:00-17:00"], "sat": ["09:00-13:00"]}),
        ("teams", "night", {day: ["22:00-06:00"] for day in DAYS if day != "sun"}),
    )  # fmt: skip
    fields["confirmed-w1-name"] = "night"
    response = post(as_admin, "hours", **fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert calendar(targets_dir) == HAND_WRITTEN
    # and the page shows that file as the same week: saving it again changes nothing
    html = as_admin.get("/settings").get_data(as_text=True)
    shown = form_fields(html, ("section", "hours"))
    assert {k: v for k, v in shown.items() if k.startswith("w")} == {
        k: [v] for k, v in fields.items() if k.startswith("w")
    }
    assert '<span class="overnight">next day</span>' in html  # the overnight range says so
    assert post(as_admin, "hours", **fields).status_code == 302
    assert calendar(targets_dir) == HAND_WRITTEN


def test_bad_operating_hours_are_refused_per_day(as_admin: FlaskClient, targets_dir: Path) -> None:
    fields = week_fields(("default", "", {"mon": ["08:00-20:00"], "tue": ["8-17"]}),
                         ("teams", "", {"sat": ["22:00-25:00"]}))  # fmt: skip
    fields["w0-d2-n"] = "1"
    fields["w0-d2-r0-from"] = "09:00"  # Wednesday: From without To
    response = post(as_admin, "hours", **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert (
        'id="hours-w0-d1-error"><span>Everyone (default), Tuesday, range 1: From: bad time '
        "&#39;8&#39;: expected HH:MM"
    ) in html
    assert "Everyone (default), Wednesday, range 1: give both From and To (HH:MM)" in html
    assert 'id="hours-w1-name-error"><span>name the team</span>' in html
    assert (
        "Team (name it), Saturday, range 1: To: bad time &#39;25:00&#39;: hour 25 is over 23"
        in html
    )
    assert form_fields(html, ("section", "hours"))["w0-d1-r0-from"] == ["8"]  # as typed
    assert calendar(targets_dir) == CALENDAR_YAML


def test_removing_every_week_means_always_on_duty(as_admin: FlaskClient, targets_dir: Path) -> None:
    response = post(as_admin, "hours", weeks="0")
    assert response.status_code == 302
    text = calendar(targets_dir)
    assert "operating_hours" not in text and text.startswith("# When we are open\n")


def test_the_buttons_work_without_javascript_and_save_nothing(
    as_admin: FlaskClient, targets_dir: Path
) -> None:
    fields = week_fields(("default", "", {"mon": ["08:00-12:00", "14:00-18:00"]}))
    html = post(as_admin, "hours", **fields, op="add:0:0", reason="split Monday").get_data(
        as_text=True
    )
    shown = form_fields(html, ("section", "hours"))
    assert shown["w0-d0-n"] == ["3"] and shown["w0-d0-r2-from"] == [""]
    assert shown["reason"] == ["split Monday"]
    assert 'id="w0-d0-r2-from" name="w0-d0-r2-from" value="" placeholder="08:00"' in html
    assert "autofocus" in html.split('id="w0-d0-r2-from"')[1].split(">")[0]

    html = post(as_admin, "hours", **fields, op="remove:0:0:0").get_data(as_text=True)
    shown = form_fields(html, ("section", "hours"))
    assert shown["w0-d0-n"] == ["1"] and shown["w0-d0-r0-from"] == ["14:00"]

    html = post(as_admin, "hours", **fields, op="copy:0").get_data(as_text=True)
    shown = form_fields(html, ("section", "hours"))
    for d in range(1, 5):  # Tuesday to Friday get Monday's two ranges; the weekend stays closed
        assert shown[f"w0-d{d}-r1-to"] == ["18:00"] and shown[f"w0-d{d}-n"] == ["2"]
    assert shown["w0-d5-n"] == ["0"] and shown["w0-d6-n"] == ["0"]

    html = post(as_admin, "hours", **fields, op="add-week").get_data(as_text=True)
    shown = form_fields(html, ("section", "hours"))
    assert shown["weeks"] == ["2"] and shown["w1-who"] == ["teams"] and shown["w1-name"] == [""]
    html = post(as_admin, "hours", **fields, op="drop:0").get_data(as_text=True)
    assert form_fields(html, ("section", "hours"))["weeks"] == ["0"]
    html = post(as_admin, "hours", weeks="0", op="add-week").get_data(as_text=True)
    assert form_fields(html, ("section", "hours"))["w0-who"] == ["default"]  # the first: everyone
    assert calendar(targets_dir) == CALENDAR_YAML
    assert not (targets_dir / "audit.jsonl").exists()


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
    page = as_admin.get("/settings?tab=exceptions").get_data(as_text=True)
    assert "Service level (channel voice): 70 %" in page
    assert post(as_admin, "remove", date="2026-12-24").status_code == 302
    assert calendar(targets_dir) == CALENDAR_YAML


def test_an_exception_value_for_a_missing_target_is_refused_in_the_forms_words(
    as_admin: FlaskClient, targets_dir: Path
) -> None:
    response = post(as_admin, "exception", date="2026-12-24", name="Eve", kind="usual",
                    value_kpi="abandonment_ratio", value="5")  # fmt: skip
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert (
        'id="exception-value_kpi-error"><span>Abandonment rate has no target yet: set one on the '
        "targets page first"
    ) in html
    assert "targets.yaml" not in html
    assert calendar(targets_dir) == CALENDAR_YAML


def test_import_a_countrys_public_holidays_after_a_preview(
    as_admin: FlaskClient, targets_dir: Path
) -> None:
    preview = post(as_admin, "holidays", country="IT", year="2026", reason="Italian holidays")
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert calendar(targets_dir) == CALENDAR_YAML  # nothing saved yet
    assert "Italy (IT), 2026: 12 dates to add" in html  # 13 public holidays, Christmas listed
    assert 'Tue 2026-12-08</span> <span class="what"><strong>Immaculate Conception</strong>' in html
    assert "Already listed, kept as they are: 2026-12-25 Christmas." in html
    confirm = form_fields(html, ("reason", "Italian holidays"))  # the confirm form comes first
    assert confirm["reason"] == ["Italian holidays"] and confirm["country"] == ["IT"]
    response = as_admin.post("/settings", data={**confirm, "confirm": "1"})
    assert response.status_code == 302
    text = calendar(targets_dir)
    assert "  - {date: 2026-12-08, name: Immaculate Conception, closed: true}\n" in text
    assert text.count("2026-12-25") == 1  # the existing Christmas entry is kept, not doubled
    assert "  - {date: 2026-01-01, name: New Year's Day, closed: true}\n" in text
    assert text.index("2026-01-01") < text.index("2026-12-08") < text.index("2026-12-25")
    assert last_audit(targets_dir)["reason"] == "Italian holidays"
    page = as_admin.get("/settings?tab=holidays").get_data(as_text=True)
    assert "Imported the public holidays of IT for 2026 (12 dates added" in page


def test_country_names_read_as_people_write_them(as_admin: FlaskClient) -> None:
    html = as_admin.get("/settings?tab=holidays").get_data(as_text=True)
    for name in ("Hong Kong (HK)", "Democratic Republic of the Congo (DR Congo) (CD)",
                 "Antigua and Barbuda (AG)", "Saint Vincent and the Grenadines (VC)",
                 "United States (US)"):  # fmt: skip
        assert f">{name}</option>" in html, name
    assert "Hongkong" not in html and "Dr Congo" not in html


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
    for url in ("/settings?tab=exceptions", "/settings?tab=exceptions&date=2026-12-31",
                "/history", "/preview?kpi=service_level_ratio"):  # fmt: skip
        html = as_admin.get(url).get_data(as_text=True)
        assert evil not in html
    assert "&lt;script&gt;" in as_admin.get("/settings?tab=exceptions").get_data(as_text=True)


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
        "weeks",
        "w0-d0-r0-from",
        "op",
        "date",
        "hours",
        "country",
        "year",
    ]
    response = post(
        as_admin,
        section,
        **dict(zip(names, values, strict=True)),
        kind="hours",
        value_kpi="service_level_ratio",
        value=values[0],
        confirm=values[1],
        **{"w0-who": values[2], "w0-d0-n": values[1], "w0-d0-r0-to": values[3]},
    )
    assert response.status_code in (200, 302, 400, 409), response.status_code


# --- a refused form comes back as typed; every problem at once, in the form's words ----------

SPECIAL_HOURS = {"date": "2026-12-24", "name": "Christmas Eve", "kind": "hours",
                 "hours": "08:00-14:00", "value_kpi": "service_level_ratio",
                 "value_scope": "channel=voice", "value": "70"}  # fmt: skip


def resend(client: FlaskClient, html: str, section: str, **changes: str) -> Any:
    """Press the button of the refused form as it came back, with ``changes`` typed."""
    fields = form_fields(html, ("section", section))
    fields.update({name: [value] for name, value in changes.items()})
    return client.post("/settings", data=fields)


def test_a_refused_exception_comes_back_as_typed_and_the_next_press_saves_it(
    as_admin: FlaskClient, targets_dir: Path
) -> None:
    refused = post(as_admin, "exception", **SPECIAL_HOURS, reason="")
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    fields = form_fields(html, ("section", "exception"))
    assert {name: fields[name] for name in SPECIAL_HOURS} == {
        name: [value] for name, value in SPECIAL_HOURS.items()
    }
    assert 'id="kind-closed" name="kind" value="closed">' in html  # not checked
    assert calendar(targets_dir) == CALENDAR_YAML

    saved = resend(as_admin, html, "exception", reason="half day")
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert (
        '  - date: 2026-12-24\n    name: Christmas Eve\n    hours: "08:00-14:00"\n    values:\n'
        "      - {kpi: service_level_ratio, scope: {channel: voice}, value: 0.7}\n"
    ) in calendar(targets_dir)
    assert "closed: true" not in calendar(targets_dir).split("2026-12-25")[0]


def test_every_problem_of_an_exception_is_shown_at_once_in_the_forms_words(
    as_admin: FlaskClient, targets_dir: Path
) -> None:
    response = post(as_admin, "exception", **{**SPECIAL_HOURS, "value": "150", "name": "",
                                              "hours": "8-14"}, reason="")  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    summary = html.split('id="problems"')[1].split("</div>")[0]
    for message in (
        "150 % is over 100 %",
        "say why (it goes to the history)",
        "name the day, e.g. Christmas",
        "bad time &#39;8&#39;: expected HH:MM",
    ):
        assert message in summary, message  # fmt: skip
    assert 'id="exception-value-error"><span>150 % is over 100 %</span>' in html
    assert "out of range" not in html and "service_level_ratio:" not in html
    assert calendar(targets_dir) == CALENDAR_YAML


def test_a_scope_no_target_has_is_named_by_its_field(
    as_admin: FlaskClient, targets_dir: Path
) -> None:
    response = post(as_admin, "exception", **{**SPECIAL_HOURS, "value_scope": "channel=voise"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert (
        'id="exception-value_scope-error"><span>Scope of the target: Service level has no target '
        "for channel=voise (did you mean &#39;channel=voice&#39;?); its targets are for "
        "channel=voice</span>"
    ) in html
    assert "line " not in html.split('id="problems"')[1].split("</div>")[0]
    assert calendar(targets_dir) == CALENDAR_YAML


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [({"kind": "closed"}, "value_kpi", "no target is in force on a closed day"),
     ({"kind": "usual", "value_kpi": "", "value_scope": "", "value": ""}, "kind",
      "Usual hours change only a target value"),
     ({"value_kpi": ""}, "value_kpi", "choose the metric this value is for"),
     ({"kind": ""}, "kind", "choose Closed all day, Special hours or Usual hours"),
     ({"kind": "closed", "value_kpi": "", "value": "", "value_scope": ""}, "hours",
      "choose Special hours to open at these hours that day")],
)  # fmt: skip
def test_what_an_exception_would_not_save_as_meant_is_refused(
    as_admin: FlaskClient, targets_dir: Path, fields: dict[str, str], field: str, message: str
) -> None:
    response = post(as_admin, "exception", **{**SPECIAL_HOURS, **fields})
    assert response.status_code == 400
    assert f'id="exception-{field}-error"><span>{message}' in response.get_data(as_text=True)
    assert calendar(targets_dir) == CALENDAR_YAML


def test_a_ratio_typed_in_a_percent_field_is_asked_about_both_ways(
    as_admin: FlaskClient, targets_dir: Path
) -> None:
    asked = post(as_admin, "exception", **{**SPECIAL_HOURS, "value": "0.7"})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 400
    assert "0.7 % is less than 1 %: did you mean 70 % (the ratio 0.7)?" in html
    assert '<button type="submit" name="use-value" value="70">I mean 70 %</button>' in html
    assert 'name="confirmed-value" value="0.7">I mean 0.7 %</button>' in html
    assert calendar(targets_dir) == CALENDAR_YAML

    as_typed = resend(as_admin, html, "exception", **{"confirmed-value": "0.7"})
    assert as_typed.status_code == 302
    assert "value: 0.007}" in calendar(targets_dir)
    again = post(as_admin, "exception", **{**SPECIAL_HOURS, "value": "0.7"}).get_data(as_text=True)
    other = resend(as_admin, again, "exception", **{"use-value": "70"})
    assert other.status_code == 302
    assert "value: 0.7}" in calendar(targets_dir)


def test_a_confirmation_survives_another_refusal_but_not_a_new_value(
    as_admin: FlaskClient, targets_dir: Path
) -> None:
    confirmed = post(as_admin, "exception", **{**SPECIAL_HOURS, "value": "0.7"}, reason="",
                     **{"confirmed-value": "0.7"})  # fmt: skip
    html = confirmed.get_data(as_text=True)
    assert "did you mean 70 %" not in html and "say why" in html
    assert form_fields(html, ("section", "exception"))["confirmed-value"] == ["0.7"]
    changed = resend(as_admin, html, "exception", value="0.5", reason="r")
    assert "did you mean 50 %" in changed.get_data(as_text=True)
    assert calendar(targets_dir) == CALENDAR_YAML


def test_a_queue_the_exporter_never_saw_in_operating_hours_is_asked_about(
    as_admin: FlaskClient, targets_dir: Path
) -> None:
    fields = week_fields(("queues", "slaes", {day: ["08:00-20:00"] for day in WEEKDAYS}))
    asked = post(as_admin, "hours", **fields)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 400
    assert "never seen queue &#39;slaes&#39;: did you mean &#39;sales&#39;?" in html
    assert calendar(targets_dir) == CALENDAR_YAML
    used = resend(as_admin, html, "hours", **{"use-w0-name": "sales"})
    assert used.status_code == 302
    assert 'sales: {mon-fri: "08:00-20:00"}' in calendar(targets_dir)


def test_refused_hours_keep_their_fields_and_reason(
    as_admin: FlaskClient, targets_dir: Path
) -> None:
    fields = week_fields(("default", "", {"mon": ["08:00-20:00"], "tue": ["08:00-2000"]}),
                         ("teams", "night", {"sat": ["22:00-06:00"]}))  # fmt: skip
    refused = post(as_admin, "hours", **fields, reason="new hours")
    assert refused.status_code == 400
    shown = form_fields(refused.get_data(as_text=True), ("section", "hours"))
    assert {name: shown[name] for name in fields} == {k: [v] for k, v in fields.items()}
    assert shown["reason"] == ["new hours"]
    assert calendar(targets_dir) == CALENDAR_YAML


def test_refused_holiday_import_and_time_zone_keep_what_was_typed(
    as_admin: FlaskClient, targets_dir: Path
) -> None:
    typed = {"country": "US", "subdivision": "ZZ", "year": "2027"}
    html = post(as_admin, "holidays", **typed, reason="US offices").get_data(as_text=True)
    fields = form_fields(html, ("section", "holidays"))
    assert {name: fields[name] for name in typed} == {k: [v] for k, v in typed.items()}
    assert fields["reason"] == ["US offices"]
    both = post(as_admin, "holidays", country="XX", year="soon").get_data(as_text=True)
    assert "give a year such as 2027" in both and "&#39;XX&#39; is not a country" in both
    assert form_fields(both, ("section", "holidays"))["year"] == ["soon"]
    zone = post(as_admin, "timezone", timezone="", reason="r").get_data(as_text=True)
    assert form_fields(zone, ("section", "timezone"))["timezone"] == [""]
    assert calendar(targets_dir) == CALENDAR_YAML


def test_a_refused_removal_comes_back_as_typed_with_its_one_reason(
    as_admin: FlaskClient, targets_dir: Path
) -> None:
    edit = as_admin.get("/settings?tab=exceptions&date=2026-12-25").get_data(as_text=True)
    fields = form_fields(edit, ("section", "exception"))
    assert fields["date"] == ["2026-12-25"] and fields["name"] == ["Christmas"]
    assert 'name="remove_exception" value="1">Remove 2026-12-25</button>' in edit
    assert edit.count('name="reason"') == 1  # one reason on the tab, none per row
    (targets_dir / "calendar.yaml").write_text(CALENDAR_YAML + "# hand edit\n")  # stale form
    fields.update(reason=["open after all"], remove_exception=["1"])
    response = as_admin.post("/settings", data=fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert form_fields(page, ("section", "exception"))["reason"] == ["open after all"]
    assert "changed outside kpi-targets" in page
    assert calendar(targets_dir) == CALENDAR_YAML + "# hand edit\n"


def test_after_a_refusal_the_page_opens_on_the_focused_summary(as_admin: FlaskClient) -> None:
    html = post(as_admin, "exception", **SPECIAL_HOURS, reason="").get_data(as_text=True)
    assert html.count('id="problems"') == 1
    assert '<div class="error-box" role="alert" id="problems" tabindex="-1" autofocus>' in html
    assert html.index('id="problems"') > html.index(">Add an exception</h3>")
    assert 'id="problems"' not in as_admin.get("/settings?tab=exceptions").get_data(as_text=True)


# --- exceptions edited on the page: the same file as edited by hand, comments kept -----------

COMMENTED = """\
# When we are open
timezone: Europe/Rome
exceptions:
  # the Christmas week
  - date: 2026-12-24
    name: Christmas Eve
    hours: "08:00-13:00"  # half day
    values:
      - {kpi: service_level_ratio, scope: {channel: voice}, value: 0.70}
  - {date: 2026-12-25, name: Christmas, closed: true}  # closed
"""


def test_an_exception_opened_and_saved_unchanged_keeps_its_text(
    as_admin: FlaskClient, targets_dir: Path, store: TargetStore
) -> None:
    (targets_dir / "calendar.yaml").write_text(COMMENTED)
    assert store.reload_if_changed()  # as the running exporter notices within a second
    html = as_admin.get("/settings?tab=exceptions&date=2026-12-24").get_data(as_text=True)
    fields = form_fields(html, ("section", "exception"))
    assert {k: fields[k] for k in SPECIAL_HOURS} == {
        "date": ["2026-12-24"], "name": ["Christmas Eve"], "kind": ["hours"],
        "hours": ["08:00-13:00"], "value_kpi": ["service_level_ratio"],
        "value_scope": ["channel=voice"], "value": ["70"]}  # fmt: skip
    fields["reason"] = ["checked"]
    assert as_admin.post("/settings", data=fields).status_code == 302
    assert calendar(targets_dir) == COMMENTED  # 0.70 and the comments as written


def test_an_exception_changed_on_the_page_gives_the_hand_edited_file(
    as_admin: FlaskClient, targets_dir: Path, store: TargetStore
) -> None:
    (targets_dir / "calendar.yaml").write_text(COMMENTED)
    assert store.reload_if_changed()  # as the running exporter notices within a second
    html = as_admin.get("/settings?tab=exceptions&date=2026-12-25").get_data(as_text=True)
    fields = form_fields(html, ("section", "exception"))
    fields.update(kind=["hours"], hours=["09:00-12:00"], name=["Christmas Day"], reason=["open"])
    assert as_admin.post("/settings", data=fields).status_code == 302
    by_hand = COMMENTED.replace(
        "  - {date: 2026-12-25, name: Christmas, closed: true}  # closed\n",
        '  - {date: 2026-12-25, name: Christmas Day, hours: "09:00-12:00"}\n',
    )
    assert calendar(targets_dir) == by_hand


def test_a_week_given_twice_is_refused_in_words(as_admin: FlaskClient, targets_dir: Path) -> None:
    fields = week_fields(("teams", "night", {"mon": ["22:00-06:00"]}),
                         ("teams", "night", {"tue": ["22:00-06:00"]}))  # fmt: skip
    html = post(as_admin, "hours", **fields).get_data(as_text=True)
    assert 'id="hours-w1-name-error"><span>Team night is given twice: keep one week for it' in html
    assert calendar(targets_dir) == CALENDAR_YAML


def test_a_stale_week_is_refused_and_comes_back_as_typed(
    as_admin: FlaskClient, targets_dir: Path, store: TargetStore
) -> None:
    page = as_admin.get("/settings").get_data(as_text=True)
    fields = form_fields(page, ("section", "hours"))
    (targets_dir / "calendar.yaml").write_text(CALENDAR_YAML + "# another editor\n")
    assert store.reload_if_changed()
    fields.update({"w0-d6-n": ["1"], "w0-d6-r0-from": ["10:00"], "w0-d6-r0-to": ["14:00"],
                   "reason": ["Sunday too"]})  # fmt: skip
    response = as_admin.post("/settings", data=fields)
    assert response.status_code == 409
    shown = form_fields(response.get_data(as_text=True), ("section", "hours"))
    assert shown["w0-d6-r0-from"] == ["10:00"] and shown["reason"] == ["Sunday too"]
    assert calendar(targets_dir) == CALENDAR_YAML + "# another editor\n"


def test_every_tab_and_button_needs_the_csrf_token(
    as_admin: FlaskClient, targets_dir: Path
) -> None:
    for tab in ("hours", "exceptions", "holidays", "timezone"):
        html = as_admin.get(f"/settings?tab={tab}").get_data(as_text=True)
        assert 'name="csrf_token"' in html and "style=" not in html and "<style" not in html
    for fields in ({"section": "hours", "weeks": "0", "reason": "r"},
                   {"section": "hours", "weeks": "0", "op": "add-week"},
                   {"section": "holidays", "country": "IT", "year": "2026", "reason": "r",
                    "confirm": "1"},
                   {"section": "exception", "date": "2026-12-25", "remove_exception": "1",
                    "reason": "r"}):  # fmt: skip
        response = as_admin.post("/settings", data=fields)
        assert response.status_code == 400, fields
    assert calendar(targets_dir) == CALENDAR_YAML


def test_a_whole_day_shows_24_00_and_is_not_said_to_run_into_the_next_day(
    as_admin: FlaskClient, targets_dir: Path
) -> None:
    fields = week_fields(("default", "", {day: ["00:00-24:00"] for day in DAYS}))
    assert post(as_admin, "hours", **fields).status_code == 302
    assert 'operating_hours:\n  default:\n    mon-sun: "00:00-24:00"\nexceptions:' in calendar(
        targets_dir
    )
    html = as_admin.get("/settings").get_data(as_text=True)
    assert form_fields(html, ("section", "hours"))["w0-d3-r0-to"] == ["24:00"]
    assert "next day" not in html
