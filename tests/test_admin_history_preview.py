"""``/history`` (the audit log, filtered, readable) and ``/preview`` (targets in force now and the
week grid) through Flask's test client, with the app's clock set by the test."""

from __future__ import annotations

import re
from datetime import datetime, time
from pathlib import Path

from flask.testing import FlaskClient

from exporter.targets.model import Quantifier, Schedule, Target, TimeRange
from exporter.targets.store import TargetStore
from tests.conftest import ROME, TARGETS_YAML, Clock, form_fields


def save_two_changes(store: TargetStore) -> None:
    store.set_target(
        Target("abandonment_ratio", Quantifier.OR_LESS, (Schedule(0.05),)),
        user="eddie", reason="new contract", base_version=None,
    )  # fmt: skip
    store.set_target(
        Target("service_level_ratio", Quantifier.OR_MORE, (Schedule(0.9),), (("channel", "chat"),)),
        user="ada", reason="chat SLA", base_version=None,
    )  # fmt: skip


def articles(html: str) -> list[str]:
    return [part.split("</article>")[0] for part in html.split("<article")[1:]]


MARK = '<mark class="changed"><span class="visually-hidden">changed: </span>'


def table(article: str) -> list[tuple[str, ...]]:
    """The before/after table of a history entry: (change, before, after) per line, what is
    marked changed in [brackets]."""
    body = (
        article.split("<tbody>")[1].split("</tbody>")[0].replace(MARK, "[").replace("</mark>", "]")
    )
    return [
        tuple(
            re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)
        )
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_history_is_newest_first_with_who_why_before_and_after(
    as_viewer: FlaskClient, store: TargetStore
) -> None:
    save_two_changes(store)
    entries = articles(as_viewer.get("/history").get_data(as_text=True))
    assert len(entries) == 2
    assert "Target saved: Service level" in entries[0] and "(channel chat)" in entries[0]
    assert "by <strong>ada</strong>: “chat SLA”" in entries[0]
    assert table(entries[0]) == [("Added", "Not set", "[90 % or more, At all times]")]
    assert "What changed:</strong> 90 % or more, At all times added" in entries[0]
    assert "Abandonment rate" in entries[1]
    assert table(entries[1]) == [("Added", "Not set", "[5 % or less, At all times]")]


def test_a_changed_schedule_is_marked_on_both_sides_next_to_those_unchanged(
    as_viewer: FlaskClient, store: TargetStore
) -> None:
    weekdays = Schedule(0.85, frozenset(range(5)), TimeRange(time(9), time(17)))
    voice = (("channel", "voice"),)
    store.set_target(
        Target("service_level_ratio", Quantifier.OR_MORE, (Schedule(0.8), weekdays), voice),
        user="eddie", reason="weekdays", base_version=None,
    )  # fmt: skip
    store.set_target(
        Target("service_level_ratio", Quantifier.OR_MORE, (Schedule(0.82), weekdays), voice),
        user="eddie", reason="a little more", base_version=None,
    )  # fmt: skip
    newest = articles(as_viewer.get("/history").get_data(as_text=True))[0]
    assert "What changed:</strong> At all times: 80 % or more -&gt; 82 % or more</p>" in newest
    assert table(newest) == [
        ("Changed", "[80 % or more], At all times", "[82 % or more], At all times"),
        ("Unchanged", "85 % or more, Mon-Fri 09:00-17:00", "85 % or more, Mon-Fri 09:00-17:00"),
    ]


def test_a_settings_change_reads_in_words_with_the_difference_marked(
    as_viewer: FlaskClient, store: TargetStore
) -> None:
    eve = (
        '  - date: 2026-12-24\n    name: Christmas Eve\n    hours: "08:00-13:00"\n'
        "    values:\n      - {kpi: service_level_ratio, scope: {channel: voice}, value: 0.70}\n"
    )
    store.edit_calendar(lambda text: text + eve, user="ada", reason="eve", base_version=None)
    shorter = eve.replace("08:00-13:00", "08:00-12:00").replace("0.70", "0.65")
    store.edit_calendar(
        lambda text: text.replace(eve, shorter), user="ada", reason="shorter", base_version=None
    )
    entry, added = articles(as_viewer.get("/history").get_data(as_text=True))
    assert (
        "What changed:</strong> Exception 2026-12-24 Christmas Eve: hours 08:00-13:00; "
        "service level (channel voice) 70 % added</p>"
    ) in added
    assert table(added) == [
        (
            "Added",
            "none",
            "[Exception 2026-12-24 Christmas Eve: hours 08:00-13:00; "
            "service level (channel voice) 70 %]",
        )
    ]
    assert "Settings saved: Calendar (settings)" in entry
    assert (
        "What changed:</strong> Exception 2026-12-24 Christmas Eve: hours 08:00-13:00 -&gt; "
        "08:00-12:00; service level (channel voice) 70 % -&gt; 65 %</p>"
    ) in entry
    assert table(entry) == [
        (
            "Changed",
            "Exception 2026-12-24 Christmas Eve: [hours 08:00-13:00]; "
            "[service level (channel voice) 70 %]",
            "Exception 2026-12-24 Christmas Eve: [hours 08:00-12:00]; "
            "[service level (channel voice) 65 %]",
        )
    ]


def test_history_filters(as_viewer: FlaskClient, store: TargetStore) -> None:
    save_two_changes(store)

    def count(**query: str) -> int:
        return len(articles(as_viewer.get("/history", query_string=query).get_data(as_text=True)))

    assert count(kpi="abandonment_ratio") == 1
    assert count(user="ADA") == 1
    assert count(scope="channel=chat") == 1
    assert count(scope="channel=voice") == 0
    assert count(**{"from": "2000-01-01", "to": "2999-12-31"}) == 2
    assert count(to="2000-01-01") == 0
    bad = as_viewer.get("/history", query_string={"scope": "chat"})
    assert bad.status_code == 400 and "is not label=value" in bad.get_data(as_text=True)
    us_date = as_viewer.get("/history", query_string={"from": "12/01/2026"})
    assert us_date.status_code == 400 and (
        "From date: &#39;12/01/2026&#39; is not a date; write it as YYYY-MM-DD, e.g. 2026-12-01"
        in us_date.get_data(as_text=True)
    )
    assert as_viewer.get("/history", query_string={"to": "2026-02-30"}).status_code == 400


def test_a_hand_edit_is_recorded_by_the_running_exporter_as_outside(
    as_viewer: FlaskClient, targets_dir: Path
) -> None:
    watching = TargetStore(targets_dir, record_outside_changes=True)
    (targets_dir / "targets.yaml").write_text(TARGETS_YAML.replace("value: 300", "value: 240"))
    assert watching.reload_if_changed()
    html = as_viewer.get("/history").get_data(as_text=True)
    [entry] = articles(html)
    assert "Changed outside kpi-targets: Average handle time" in entry
    assert "(outside kpi-targets)" in entry
    assert table(entry) == [
        ("Changed", "[300 s or less], At all times", "[240 s or less], At all times")
    ]
    # a comment-only edit is recorded too, as such
    (targets_dir / "targets.yaml").write_text(
        TARGETS_YAML.replace("value: 300", "value: 240") + "# note\n"
    )
    assert watching.reload_if_changed()
    newest = articles(as_viewer.get("/history").get_data(as_text=True))[0]
    assert "Targets files" in newest and "Only comments or layout changed; no value did." in newest


def test_a_save_by_another_kpi_targets_process_is_not_recorded_twice(
    targets_dir: Path,
) -> None:
    watching = TargetStore(targets_dir, record_outside_changes=True)
    other = TargetStore(targets_dir)  # e.g. `kpi-targets targets set`
    other.set_target(
        Target("abandonment_ratio", Quantifier.OR_LESS, (Schedule(0.05),)),
        user="cli", reason="scripted", base_version=None,
    )  # fmt: skip
    assert watching.reload_if_changed()
    lines = (targets_dir / "audit.jsonl").read_text().splitlines()
    assert len(lines) == 1 and '"user": "cli"' in lines[0]


def test_preview_lists_the_targets_in_force_with_where_they_come_from(
    as_viewer: FlaskClient,
) -> None:
    html = as_viewer.get("/preview").get_data(as_text=True)
    assert "Mon 21 Dec 2026 10:00 CET" in html
    assert "targets.yaml:8 schedule at all times, scope channel=voice" in html
    assert '<td data-label="Target">300 s</td>' in html


def test_the_grid_heading_names_the_scope_of_the_metric_and_every_field_is_there(
    as_viewer: FlaskClient,
) -> None:
    html = as_viewer.get(
        "/preview", query_string={"kpi": "occupancy_ratio", "channel": "voice"}
    ).get_data(as_text=True)
    assert "<strong>Team occupancy, All teams and agents:</strong>" in html
    assert "All contacts" not in html.split('id="next-change"')[1]
    # the metric's own fields are sent; the others wait, hidden and disabled, for preview.js
    assert '<p data-scope-label="team">' in html and '<p data-scope-label="agent">' in html
    assert '<p data-scope-label="channel" hidden>' in html
    assert 'name="channel" value="" list="seen-channel" size="12" maxlength="128" disabled>' in html
    assert '<option value="occupancy_ratio" data-labels="agent team" selected>' in html
    assert '<script src="/static/preview.js" defer></script>' in html
    campaign = as_viewer.get("/preview", query_string={"kpi": "outbound_answer_ratio"})
    assert "<strong>Outbound answer rate, All campaigns:</strong>" in campaign.get_data(
        as_text=True
    )
    voice = as_viewer.get("/preview", query_string={"kpi": "service_level_ratio",
                                                    "channel": "voice"})  # fmt: skip
    assert "<strong>Service level, channel voice:</strong>" in voice.get_data(as_text=True)


def test_the_week_grid_and_its_next_change(as_viewer: FlaskClient, clock: Clock) -> None:
    clock.at = datetime(2026, 12, 24, 19, 0, tzinfo=ROME)  # Thursday evening
    html = as_viewer.get(
        "/preview", query_string={"kpi": "service_level_ratio", "channel": "voice"}
    ).get_data(as_text=True)
    assert "80 % until 20:00, then off duty." in html
    assert html.count(">closed: Christmas<") == 48  # every half hour of Friday 25th
    assert '<td class="value now" title="targets.yaml:8 schedule at all times' in html
    grid = html.split('<table class="grid">')[1]
    assert grid.count("<tr>") == 49  # header + 48 half hours


def test_preview_refuses_an_unknown_kpi(as_viewer: FlaskClient) -> None:
    response = as_viewer.get("/preview", query_string={"kpi": "../etc"})
    assert response.status_code == 404


def test_refused_history_and_preview_filters_keep_what_was_typed(as_viewer: FlaskClient) -> None:
    typed = {"kpi": "service_level_ratio", "scope": "channel", "user": "eddie",
             "from": "2026-12-01", "to": "2026-12-31"}  # fmt: skip
    response = as_viewer.get("/history", query_string=typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Scope: &#39;channel&#39; is not label=value" in html
    fields = form_fields(html, ("user", "eddie"))
    assert {name: fields[name] for name in typed} == {k: [v] for k, v in typed.items()}
    preview = as_viewer.get("/preview", query_string={"kpi": "service_level_ratio",
                                                      "queue": "slaes"})  # fmt: skip
    assert form_fields(preview.get_data(as_text=True), ("queue", "slaes"))["kpi"] == [
        "service_level_ratio"
    ]


def test_preview_names_the_simulated_clock(as_viewer: FlaskClient) -> None:
    html = as_viewer.get("/preview").get_data(as_text=True)
    assert "Now: Mon 21 Dec 2026 10:00 CET (Europe/Rome)." in html
    assert as_viewer.application.config.get("SIMULATED_CLOCK") is None
    as_viewer.application.config["SIMULATED_CLOCK"] = (
        "the simulation started at the last on-duty moment"
    )
    html = as_viewer.get("/preview").get_data(as_text=True)
    assert (
        "Simulated time: Mon 21 Dec 2026 10:00 CET (Europe/Rome; the simulation started at the "
        "last on-duty moment)." in html
    )
