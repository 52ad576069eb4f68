"""The KPI Targets page, editing and deleting through Flask's test client: what is shown, what is
saved (through the store, audited, only the edited target rewritten) and what is refused."""

from __future__ import annotations

import json
import re
from datetime import time
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.targets.model import Quantifier, Schedule, Target, TimeRange
from exporter.targets.store import TargetStore
from tests.conftest import CALENDAR_YAML, TARGETS_YAML, csrf_token, form_fields

EDIT_VOICE = "/targets/service_level_ratio/edit?channel=voice"
EDIT_AHT = "/targets/average_handle_time_seconds/edit"


def form(client: FlaskClient, url: str, **fields: Any) -> dict[str, Any]:
    """A complete edit form as the page sends it, with ``fields`` changed."""
    page = client.get(url).get_data(as_text=True)
    hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page))
    data: dict[str, Any] = {**hidden, "quantifier": "or_more", "value": "", "reason": "test"}
    data.update(fields)
    return data


def audit(targets_dir: Path) -> list[dict[str, Any]]:
    lines = (targets_dir / "audit.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def cells(html: str, kpi: str) -> list[str]:
    """The text of each cell of the row of ``kpi``, tags removed, spaces collapsed."""
    row = html.split(f'<tr id="{kpi}">')[1].split("</tr>")[0]
    parts = re.split(r"</t[hd]>", row)[:-1]
    return [" ".join(re.sub(r"<[^>]+>", " ", part).split()) for part in parts]


def test_the_page_lists_every_kpi_of_the_tab_with_the_seeds_columns(as_viewer: FlaskClient) -> None:
    html = as_viewer.get("/targets").get_data(as_text=True)
    for column in ("Metric", "KPI Targets", "Measurement Period"):
        assert re.search(f'<th scope="col"[^>]*>{column}</th>', html), column
    assert "Contact Center Operations" in html and "Team Performance" in html
    assert "Not set" in html and "Team occupancy" not in html
    assert "Not eligible for KPI targets: AI-powered assessment" in html
    team = as_viewer.get("/targets?tab=team").get_data(as_text=True)
    assert "Team occupancy" in team and "Service level" not in team
    # a viewer gets no action column at all, and the tab's name is not repeated as a heading
    assert "Action</th>" not in html and 'class="actions"' not in html and "Edit" not in html
    assert "<caption>" not in html and html.count("Contact Center Operations") == 1


def test_each_value_is_paired_with_its_schedule_under_its_scope(
    as_editor: FlaskClient, store: TargetStore
) -> None:
    store.set_target(
        Target("service_level_ratio", Quantifier.OR_MORE,
               (Schedule(0.82), Schedule(0.85, frozenset(range(5)), TimeRange(time(9), time(17))),
                Schedule(0.75, frozenset({5}))),
               (("channel", "voice"),)),
        user="eddie", reason="three schedules", base_version=None,
    )  # fmt: skip
    html = as_editor.get("/targets").get_data(as_text=True)
    assert cells(html, "service_level_ratio") == [
        "Service level",
        "channel voice 82 % or more, At all times 85 % or more, Mon-Fri 09:00-17:00 "
        "75 % or more, Sat Edit",
        "Hourly",
        "Add a target",
    ]
    row = html.split('<tr id="service_level_ratio">')[1].split("</tr>")[0]
    assert "<li>85 % or more, Mon-Fri 09:00-17:00</li>" in row
    assert 'aria-label="Edit Service level, channel voice"' in row
    assert 'aria-label="Add a target for Service level"' in row
    # where nothing is set the action says Set; the team tab's empty scope is its teams
    assert cells(html, "abandonment_ratio")[1:] == ["Not set", "Hourly", "Set"]
    assert 'aria-label="Set Abandonment rate"' in html
    assert cells(html, "ai_customer_experience_score")[-1] == ""  # not eligible: no action


def test_the_built_in_read_only_targets_are_flagged_and_their_actions_disabled(
    as_editor: FlaskClient, store: TargetStore
) -> None:
    from exporter.serve import BUILTIN_READ_ONLY

    assert "Read-only example" not in as_editor.get("/targets").get_data(as_text=True)
    store.read_only = BUILTIN_READ_ONLY
    for url in ("/targets", "/preview", "/history", EDIT_VOICE):
        html = as_editor.get(url).get_data(as_text=True)
        note = html.split('id="read-only"')[1].split("</div>")[0]
        assert "Read-only example:" in note and "Run <code>kpi-targets init</code>" in note, url
    html = as_editor.get("/targets").get_data(as_text=True)
    row = html.split('<tr id="service_level_ratio">')[1].split("</tr>")[0]
    assert 'class="action" href=' not in html
    assert (
        '<button type="button" class="action" disabled aria-label="Edit Service level, '
        'channel voice" aria-describedby="read-only">Edit</button>' in row
    )
    assert 'disabled aria-label="Set Abandonment rate" aria-describedby="read-only">Set<' in html


def test_saving_a_weekday_schedule_rewrites_only_that_target(
    as_editor: FlaskClient, targets_dir: Path
) -> None:
    data = form(as_editor, EDIT_VOICE, value="80", reason="weekday objective",
                **{"row-0-days": ["0", "1", "2", "3", "4"], "row-0-from": "09:00",
                   "row-0-to": "17:00", "row-0-value": "85"})  # fmt: skip
    response = as_editor.post(EDIT_VOICE, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.location == "/targets?tab=operations#service_level_ratio"
    written = (targets_dir / "targets.yaml").read_text()
    assert written == TARGETS_YAML.replace(
        "      - value: 0.80\n",
        '      - value: 0.80\n      - days: [mon-fri]\n        from: "09:00"\n'
        '        to: "17:00"\n        value: 0.85\n',
    )
    [entry] = audit(targets_dir)
    assert entry["user"] == "eddie" and entry["reason"] == "weekday objective"
    assert entry["after"]["schedules"][1] == {
        "days": ["mon-fri"], "from": "09:00", "to": "17:00", "value": 0.85,
    }  # fmt: skip
    page = as_editor.get("/targets").get_data(as_text=True)
    assert "85 % or more" in page and "Mon-Fri 09:00-17:00" in page


def test_the_user_in_the_audit_is_the_logged_in_one_never_typed(
    as_editor: FlaskClient, targets_dir: Path
) -> None:
    data = form(as_editor, EDIT_AHT, quantifier="or_less", value="280", user="mallory")
    assert as_editor.post(EDIT_AHT, data=data).status_code == 302
    assert audit(targets_dir)[0]["user"] == "eddie"


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"value": "lots"}, "value-error", "&#39;lots&#39; is not a number"),
        ({"value": "150"}, "value-error", "150 % is over 100 %"),
        ({"value": "-5"}, "value-error", "-5 % is below 0 %"),
        ({"value": "", "row-0-value": ""}, "value-error",
         "give a value at all times and/or at least one schedule row"),
        ({"quantifier": "sideways"}, "quantifier-error", "choose Or more or Or less"),
        ({"reason": "  "}, "reason-error", "say why (it goes to the history)"),
        ({"row-0-days": ["0"], "row-0-from": "25:00", "row-0-to": "26:00", "row-0-value": "85"},
         "row-0-error", "hour 25 is over 23"),
        ({"row-0-from": "09:00", "row-0-to": "17:00", "row-0-value": "85"},
         "row-0-error", "tick at least one day"),
        ({"row-0-days": ["0"], "row-0-from": "09:00", "row-0-value": "85"},
         "row-0-error", "give both From and To"),
    ],
)  # fmt: skip
def test_problems_are_shown_next_to_their_field_and_nothing_is_saved(
    as_editor: FlaskClient, targets_dir: Path, fields: dict[str, Any], field_id: str, message: str
) -> None:
    data = form(as_editor, EDIT_VOICE, value="80")
    data.update(fields)
    response = as_editor.post(EDIT_VOICE, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field_id}"' in html
    after_field = html.split(f'id="{field_id}"')[1][:400]
    assert message in after_field, after_field
    assert "Not saved. Please correct:" in html
    assert (targets_dir / "targets.yaml").read_text() == TARGETS_YAML
    assert not (targets_dir / "audit.jsonl").exists()


def test_overlapping_rows_are_refused_with_the_checks_words(
    as_editor: FlaskClient, targets_dir: Path
) -> None:
    data = form(as_editor, EDIT_VOICE, value="80", rows="2",
                **{"row-0-days": ["0", "1"], "row-0-from": "09:00", "row-0-to": "17:00",
                   "row-0-value": "85", "row-1-days": ["1"], "row-1-from": "16:00",
                   "row-1-to": "18:00", "row-1-value": "82"})  # fmt: skip
    response = as_editor.post(EDIT_VOICE, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert (
        "schedule overlaps schedule 1 (both apply on tue 16:00)"
        in html.split('id="row-1-error"')[1][:300]
    )
    assert (targets_dir / "targets.yaml").read_text() == TARGETS_YAML


def test_adding_and_removing_rows_in_the_page_saves_nothing(
    as_editor: FlaskClient, targets_dir: Path
) -> None:
    data = form(as_editor, EDIT_VOICE, value="80", add_row="1", rows="1",
                **{"row-0-days": ["5"], "row-0-value": "70"})  # fmt: skip
    html = as_editor.post(EDIT_VOICE, data=data).get_data(as_text=True)
    assert 'name="rows" value="2"' in html and 'id="row-1-from"' in html
    assert 'id="row-0-day-5" name="row-0-days" value="5" checked' in html
    data = form(as_editor, EDIT_VOICE, value="80", add_row="1", rows="2",
                **{"row-0-days": ["5"], "row-0-value": "70", "row-0-remove": "1"})  # fmt: skip
    html = as_editor.post(EDIT_VOICE, data=data).get_data(as_text=True)
    assert 'name="rows" value="2"' in html and 'value="70"' not in html
    assert (targets_dir / "targets.yaml").read_text() == TARGETS_YAML


def test_a_new_target_for_another_scope_and_the_seen_labels_suggested(
    as_editor: FlaskClient, targets_dir: Path
) -> None:
    url = "/targets/service_level_ratio/edit?new=1"
    html = as_editor.get(url).get_data(as_text=True)
    assert '<datalist id="seen-queue"><option value="sales"><option value="support">' in html
    data = form(as_editor, url, is_new="1", value="90", **{"scope-queue": "sales",
                                                         "scope-channel": "voice"})  # fmt: skip
    assert as_editor.post(url, data=data).status_code == 302
    written = (targets_dir / "targets.yaml").read_text()
    assert written.startswith(TARGETS_YAML)
    assert written.endswith(
        "  - kpi: service_level_ratio\n    scope: {channel: voice, queue: sales}\n"
        "    quantifier: or_more\n    schedules:\n      - value: 0.9\n"
    )


def test_a_new_target_may_not_replace_an_existing_one(
    as_editor: FlaskClient, targets_dir: Path
) -> None:
    url = "/targets/service_level_ratio/edit?new=1"
    data = form(as_editor, url, is_new="1", value="50", **{"scope-channel": "voice"})
    response = as_editor.post(url, data=data)
    assert response.status_code == 400
    assert "already has a target for channel voice" in response.get_data(as_text=True)
    assert (targets_dir / "targets.yaml").read_text() == TARGETS_YAML


def test_a_second_editor_on_an_old_version_is_refused_with_who_and_the_current_values(
    as_editor: FlaskClient, store: TargetStore, targets_dir: Path
) -> None:
    stale = form(as_editor, EDIT_AHT, quantifier="or_less", value="320", reason="mine")
    fresh = form(as_editor, EDIT_AHT, quantifier="or_less", value="280", reason="theirs")
    assert as_editor.post(EDIT_AHT, data=fresh).status_code == 302
    saved = (targets_dir / "targets.yaml").read_text()
    response = as_editor.post(EDIT_AHT, data=stale)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Not saved: someone else changed the targets first." in html
    assert "eddie saved at" in html and '("theirs")' in html
    assert "<li>280 s or less, At all times</li>" in html
    assert 'name="value" value="320"' in html  # what was typed is kept
    assert f'name="base_version" value="{store.current().version}"' in html
    assert (targets_dir / "targets.yaml").read_text() == saved


def test_a_hand_edit_in_between_is_a_conflict_too(
    as_editor: FlaskClient, targets_dir: Path
) -> None:
    data = form(as_editor, EDIT_AHT, quantifier="or_less", value="320")
    (targets_dir / "targets.yaml").write_text(TARGETS_YAML.replace("300", "310"))
    html = as_editor.post(EDIT_AHT, data=data).get_data(as_text=True)
    assert "someone, outside kpi-targets saved at" in html


def test_delete_asks_first_then_removes_the_target(
    as_editor: FlaskClient, targets_dir: Path
) -> None:
    url = "/targets/service_level_ratio/delete?channel=voice"
    page = as_editor.get(url).get_data(as_text=True)
    assert "Delete the target of Service level?" in page and "80 % or more" in page
    token = csrf_token(as_editor, url)
    refused = as_editor.post(url, data={"csrf_token": token, "reason": ""})
    assert refused.status_code == 400 and (targets_dir / "targets.yaml").read_text() == TARGETS_YAML
    done = as_editor.post(url, data={"csrf_token": token, "reason": "no more voice"})
    assert done.status_code == 302
    written = (targets_dir / "targets.yaml").read_text()
    assert "channel: voice" not in written and "# Our targets" in written
    assert "average_handle_time_seconds" in written
    row = as_editor.get("/targets").get_data(as_text=True).split('id="service_level_ratio"')[1]
    assert "Not set" in row.split("</tr>")[0]
    assert audit(targets_dir)[0]["action"] == "delete"
    assert as_editor.get(url).status_code == 404  # gone


def test_script_tags_are_escaped_everywhere_they_are_shown(
    as_editor: FlaskClient, as_admin: FlaskClient, targets_dir: Path
) -> None:
    evil = "<script>alert(1)</script>"
    url = "/targets/service_level_ratio/edit?new=1"
    data = form(as_editor, url, is_new="1", value="90", reason=evil,
                **{"scope-queue": evil, "scope-channel": "voice"})  # fmt: skip
    asked = as_editor.post(url, data=data)  # a queue the exporter has never seen: confirm first
    assert asked.status_code == 400
    assert evil not in asked.get_data(as_text=True)
    assert as_editor.post(url, data={**data, "confirmed-scope-queue": evil}).status_code == 302
    for page in ("/targets", "/history", "/preview?kpi=service_level_ratio&queue=" + evil):
        html = as_editor.get(page).get_data(as_text=True)
        assert evil not in html, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page
    bad = form(as_editor, EDIT_VOICE, value=evil)
    html = as_editor.post(EDIT_VOICE, data=bad).get_data(as_text=True)
    assert evil not in html and "&lt;script&gt;" in html
    login_page = as_admin.get("/login?next=" + evil).get_data(as_text=True)
    assert evil not in login_page


def test_what_the_calendar_says_reaches_the_form(
    as_editor: FlaskClient, targets_dir: Path, store: TargetStore
) -> None:
    """A target the calendar's exception names cannot be deleted: the check says why."""
    (targets_dir / "calendar.yaml").write_text(
        CALENDAR_YAML + "  - date: 2026-12-24\n    name: Eve\n    values:\n"
        "      - {kpi: service_level_ratio, scope: {channel: voice}, value: 0.7}\n"
    )
    assert store.reload_if_changed()  # what the exporter's watcher does every second
    url = "/targets/service_level_ratio/delete?channel=voice"
    token = csrf_token(as_editor, url)
    version = as_editor.get(url).get_data(as_text=True).split('base_version" value="')[1][:16]
    response = as_editor.post(url, data={"csrf_token": token, "reason": "r",
                                         "base_version": version})  # fmt: skip
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "no target for service_level_ratio with scope channel=voice in targets.yaml" in html


_TEXT = st.text(max_size=40)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    value=_TEXT, quantifier=_TEXT, start=_TEXT, end=_TEXT, row_value=_TEXT, rows=_TEXT,
    days=st.lists(_TEXT, max_size=3), scope=_TEXT, is_new=st.sampled_from(["0", "1", "x"]),
)  # fmt: skip
def test_any_form_input_gets_a_page_never_a_server_error(
    as_editor: FlaskClient,
    value: str, quantifier: str, start: str, end: str, row_value: str, rows: str,
    days: list[str], scope: str, is_new: str,
) -> None:  # fmt: skip
    data = form(as_editor, "/targets/service_level_ratio/edit?new=1", value=value,
                quantifier=quantifier, rows=rows, is_new=is_new,
                **{"row-0-from": start, "row-0-to": end, "row-0-value": row_value,
                   "row-0-days": days, "scope-queue": scope})  # fmt: skip
    response = as_editor.post("/targets/service_level_ratio/edit?new=1", data=data)
    assert response.status_code in (200, 302, 400, 409), response.status_code


def test_the_built_in_read_only_targets_refuse_a_save_with_what_to_do(
    as_editor: FlaskClient, store: TargetStore, targets_dir: Path
) -> None:
    from exporter.serve import BUILTIN_READ_ONLY

    store.read_only = BUILTIN_READ_ONLY  # as serve opens the targets carried in the package
    before = (targets_dir / "targets.yaml").read_bytes()
    response = as_editor.post(EDIT_VOICE, data=form(as_editor, EDIT_VOICE, value="90"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400  # the form again, with the reason on top
    assert "Not saved." in page and "read-only: run `kpi-targets init` for an editable" in page
    assert (targets_dir / "targets.yaml").read_bytes() == before
    assert not (targets_dir / "audit.jsonl").exists() or audit(targets_dir) == []


# --- what is saved is what was typed -------------------------------------------------------------

TYPED = {"quantifier": "or_more", "value": "80", "rows": "2",
         "row-0-days": ["0", "1", "2", "3", "4"], "row-0-from": "09:00", "row-0-to": "17:00",
         "row-0-value": "85", "row-1-days": ["5"], "row-1-from": "", "row-1-to": "",
         "row-1-value": "150"}  # fmt: skip


def fields_of(html: str, marker: tuple[str, str] = ("is_new", "0")) -> dict[str, list[str]]:
    return form_fields(html, marker)


def test_a_refused_target_comes_back_as_typed_with_every_problem_at_once(
    as_editor: FlaskClient, targets_dir: Path
) -> None:
    response = as_editor.post(EDIT_VOICE, data=form(as_editor, EDIT_VOICE, **TYPED, reason=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    fields = fields_of(html)
    expected = {k: v if isinstance(v, list) else [v] for k, v in TYPED.items()}
    assert {name: fields.get(name, [""]) for name in TYPED} == expected
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    assert "150 % is over 100 %" in summary and "say why (it goes to the history)" in summary
    assert "out of range" not in html
    assert (targets_dir / "targets.yaml").read_text() == TARGETS_YAML


def test_0_85_in_a_percent_field_is_asked_about_and_either_reading_can_be_saved(
    as_editor: FlaskClient, targets_dir: Path
) -> None:
    asked = as_editor.post(EDIT_VOICE, data=form(as_editor, EDIT_VOICE, value="0.85"))
    html = asked.get_data(as_text=True)
    assert asked.status_code == 400
    assert "0.85 % is less than 1 %: did you mean 85 % (the ratio 0.85)?" in html
    assert "Not saved yet. Please confirm:" in html
    assert (targets_dir / "targets.yaml").read_text() == TARGETS_YAML
    meant = {**fields_of(html), "use-value": "85"}
    assert as_editor.post(EDIT_VOICE, data=meant).status_code == 302
    assert "      - value: 0.85\n" in (targets_dir / "targets.yaml").read_text()

    again = as_editor.post(EDIT_VOICE, data=form(as_editor, EDIT_VOICE, value="0.85"))
    as_typed = {**fields_of(again.get_data(as_text=True)), "confirmed-value": "0.85"}
    assert as_editor.post(EDIT_VOICE, data=as_typed).status_code == 302
    assert "      - value: 0.0085\n" in (targets_dir / "targets.yaml").read_text()


def test_a_ratio_in_a_schedule_row_is_asked_about_and_85_with_a_sign_is_not(
    as_editor: FlaskClient, targets_dir: Path
) -> None:
    row = {"row-0-days": ["5"], "row-0-value": "0.7"}
    html = as_editor.post(EDIT_VOICE, data=form(as_editor, EDIT_VOICE, value="80", **row))
    page = html.get_data(as_text=True)
    assert 'id="doubt-row-0-value"' in page and "did you mean 70 %" in page
    signed = form(as_editor, EDIT_VOICE, value="0.5 %", **row, **{"confirmed-row-0-value": "0.7"})
    assert as_editor.post(EDIT_VOICE, data=signed).status_code == 302  # "%" typed: no question
    written = (targets_dir / "targets.yaml").read_text()
    assert "      - value: 0.005\n" in written and "value: 0.007\n" in written


def test_a_queue_the_exporter_never_saw_is_asked_about_with_did_you_mean(
    as_editor: FlaskClient, targets_dir: Path
) -> None:
    url = "/targets/service_level_ratio/edit?new=1"
    data = form(as_editor, url, is_new="1", value="90", **{"scope-queue": "slaes"})
    asked = as_editor.post(url, data=data)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 400
    assert "never seen queue &#39;slaes&#39;: did you mean &#39;sales&#39;?" in html
    assert '<button type="submit" name="use-scope-queue" value="sales">Use sales</button>' in html
    assert (targets_dir / "targets.yaml").read_text() == TARGETS_YAML
    used = {**fields_of(html, ("is_new", "1")), "use-scope-queue": "sales"}
    assert as_editor.post(url, data=used).status_code == 302
    assert "scope: {queue: sales}" in (targets_dir / "targets.yaml").read_text()
    far = as_editor.post(url, data={**data, "scope-queue": "zzz", "scope-channel": "chat"})
    assert "never seen queue &#39;zzz&#39; (it has seen &#39;sales&#39;, &#39;support&#39;)" in (
        far.get_data(as_text=True)
    )


def test_a_refused_delete_keeps_its_reason(as_editor: FlaskClient, targets_dir: Path) -> None:
    url = "/targets/service_level_ratio/delete?channel=voice"
    token = csrf_token(as_editor, url)
    stale = as_editor.post(url, data={"csrf_token": token, "reason": "no more voice",
                                      "base_version": "0000000000000000"})  # fmt: skip
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert form_fields(html, ("base_version", fields_of_version(html)))["reason"] == [
        "no more voice"
    ]
    assert (targets_dir / "targets.yaml").read_text() == TARGETS_YAML


def fields_of_version(html: str) -> str:
    found = re.search(r'name="base_version" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_an_attainment_when_known_is_shown_under_the_schedule_lines(as_viewer: FlaskClient) -> None:
    from flask import render_template

    from exporter import catalog
    from exporter.admin.targets import Action, MetricRow, TargetRow

    kpi = catalog.get("service_level_ratio")
    edit = Action("Edit", "Edit Service level, channel voice", "/edit")
    rows = [
        MetricRow(kpi, "Hourly", [
            TargetRow("channel voice", ["80 % or more, At all times"], edit, "Met 9 of 10 hours"),
            TargetRow("channel chat", ["90 % or more, At all times"], edit),
        ], None),
    ]  # fmt: skip
    with as_viewer.application.test_request_context("/targets"):
        html = render_template(
            "targets.html", tabs=[], tab_key="operations", rows=rows, may_edit=False, version="v"
        )
    voice, chat = html.split('<div class="target">')[1:]
    assert voice.index("80 % or more") < voice.index('<p class="attainment">Met 9 of 10 hours</p>')
    assert "attainment" not in chat
