"""The generated dashboards: fresh, lossless through grafana-foundation-sdk, and built as promised.

(The queries themselves run against a real Prometheus in ``test_dashboards_prometheus.py``.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models.dashboard import Dashboard as SdkDashboard
from grafana_queries import STAFFING_ROLES, TARGET_ROLES

from exporter import presentation
from exporter.catalog import CATALOG, Period, Tab
from exporter.cli import main
from exporter.dashboards.build import DATASOURCE_UID, FILE_NAMES, TITLES, render_all
from exporter.dashboards.queries import StaffingRole
from exporter.presentation import Dashboard

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "grafana" / "dashboards"


def _boards() -> dict[str, dict[str, Any]]:
    return {name: json.loads(text) for name, text in render_all().items()}


def _panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in board["panels"]:
        if panel["type"] != "row":
            yield panel
        yield from panel.get("panels", [])


def _key_paths(node: object, path: str = "") -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            found |= {f"{path}/{key}"} | _key_paths(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found |= _key_paths(value, f"{path}[{index}]")
    return found


def test_committed_dashboards_equal_a_fresh_generation() -> None:
    committed = {path.name: path.read_text(encoding="utf-8") for path in COMMITTED.glob("*.json")}
    assert committed == render_all(), "grafana/dashboards is stale: run `kpi-targets dashboards`"


@pytest.mark.parametrize("name", sorted(FILE_NAMES.values()))
def test_every_dashboard_round_trips_through_the_sdk_without_losing_a_key(name: str) -> None:
    register_default_plugins()
    raw = json.loads((COMMITTED / name).read_text(encoding="utf-8"))
    again = json.loads(JSONEncoder(sort_keys=True).encode(SdkDashboard.from_json(raw)))
    assert _key_paths(raw) - _key_paths(again) == set()
    assert again == raw


def test_the_round_trip_check_would_see_a_lost_key() -> None:
    register_default_plugins()
    raw = json.loads((COMMITTED / FILE_NAMES[Dashboard.TEAM]).read_text(encoding="utf-8"))
    raw["panels"][1]["fieldConfig"]["defaults"]["thresholdz"] = {}  # a typo the SDK drops
    again = json.loads(JSONEncoder(sort_keys=True).encode(SdkDashboard.from_json(raw)))
    assert _key_paths(raw) - _key_paths(again) == {"/panels[1]/fieldConfig/defaults/thresholdz"}


def test_pinned_uids_titles_tags_and_links() -> None:
    boards = {board["uid"]: board for board in _boards().values()}
    assert set(boards) == {
        "kpi-targets-operations",
        "kpi-targets-team",
        "kpi-targets-overview",
    }
    for which, title in TITLES.items():
        board = boards[str(which)]
        assert board["title"] == title
        assert board["tags"] == ["kpi-targets"]
        assert "id" not in board and board["editable"] is False
        (link,) = board["links"]
        assert (link["type"], link["tags"], link["includeVars"], link["keepTime"]) == (
            "dashboards",
            ["kpi-targets"],
            True,
            True,
        )
        ids = [panel["id"] for panel in board["panels"]]
        assert len(ids) == len(set(ids))


def test_every_eligible_kpi_of_a_tab_is_on_its_dashboard_with_its_presentation() -> None:
    boards = {board["uid"]: board for board in _boards().values()}
    for tab, which in ((Tab.OPERATIONS, Dashboard.OPERATIONS), (Tab.TEAM, Dashboard.TEAM)):
        panels = list(_panels(boards[str(which)]))
        stats = [p for p in panels if p["type"] == "stat" and p["targets"][0]["refId"] == "met"]
        lines = [p for p in panels if p["type"] == "timeseries"]
        eligible = [kpi for kpi in CATALOG if kpi.tab is tab and kpi.eligible]
        assert [p["title"] for p in stats] == [kpi.title for kpi in eligible]
        assert {p["title"] for p in lines} >= {kpi.title for kpi in eligible}
        for kpi, panel in zip(eligible, stats, strict=True):
            shown = presentation.of(kpi.name)
            defaults = panel["fieldConfig"]["defaults"]
            assert defaults["unit"] == shown.grafana_unit
            assert panel["description"].startswith(f"{kpi.period}: ")
            assert f'kpi="{kpi.name}", level="{shown.level}"' in panel["targets"][0]["expr"]
    everything = json.dumps(boards)
    assert "ai_customer_experience_score" not in everything  # not eligible for targets


def test_variables_are_chained_multi_value_with_all_and_the_switch() -> None:
    for board in _boards().values():
        variables = {v["name"]: v for v in board["templating"]["list"]}
        assert list(variables) == [
            "datasource",
            "channel",
            "queue",
            "team",
            "agent",
            "show_targets",
        ]
        assert variables["datasource"]["current"]["value"] == DATASOURCE_UID
        for name in ("channel", "queue", "team", "agent"):
            variable = variables[name]
            assert (variable["multi"], variable["includeAll"], variable["allValue"]) == (
                True,
                True,
                ".*",
            )
            assert variable["refresh"] == 2
        assert '$channel"' in variables["queue"]["query"]
        assert '$team"' in variables["agent"]["query"]
        switch = variables["show_targets"]
        assert (switch["label"], switch["query"]) == ("Show KPI Targets", "On : 1,Off : 0")


def test_targets_and_verdicts_obey_the_switch_and_targets_are_dashed_steps() -> None:
    staffing = set(STAFFING_ROLES)  # agents needed: shown with the switch On
    for board in _boards().values():
        for panel in _panels(board):
            refs = {query["refId"] for query in panel["targets"]}
            for query in panel["targets"]:
                guarded = query["expr"].endswith("and on() (vector($show_targets) == 1)")
                expected = query["refId"] in (*TARGET_ROLES, *staffing)
                assert guarded == expected, (panel["title"], query["refId"])
                assert query["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            if panel["type"] == "timeseries" and refs != {"gap"}:  # the gap is a filled area
                (override,) = panel["fieldConfig"]["overrides"]
                dashed = "required" if refs & staffing else "target"
                assert override["matcher"] == {"id": "byFrameRefID", "options": dashed}
                properties = {p["id"]: p["value"] for p in override["properties"]}
                assert properties["custom.lineInterpolation"] == "stepAfter"
                assert properties["custom.lineStyle"]["fill"] == "dash"


def test_the_staffing_roles_are_the_queries_roles() -> None:
    assert set(STAFFING_ROLES) == {str(role) for role in StaffingRole}


def test_stat_colours_follow_the_verdict() -> None:
    board = _boards()[FILE_NAMES[Dashboard.OPERATIONS]]
    stat = next(p for p in _panels(board) if p["type"] == "stat")
    colours = {
        o["matcher"]["options"]: o["properties"][0]["value"]["fixedColor"]
        for o in stat["fieldConfig"]["overrides"]
    }
    assert colours == {"met": "green", "missed": "red", "neutral": "text"}


def test_target_changes_are_annotated() -> None:
    for board in _boards().values():
        names = [a["name"] for a in board["annotations"]["list"]]
        assert names == ["Annotations & Alerts", "Targets changed"]
        assert (
            "kpi_targets_targets_version_timestamp_seconds"
            in board["annotations"]["list"][1]["expr"]
        )


def test_provisioning_pins_the_datasource_uid_the_dashboards_select() -> None:
    datasources = yaml.safe_load(
        (ROOT / "grafana/provisioning/datasources/prometheus.yaml").read_text(encoding="utf-8")
    )
    (datasource,) = datasources["datasources"]
    assert (datasource["uid"], datasource["type"]) == (DATASOURCE_UID, "prometheus")
    providers = yaml.safe_load(
        (ROOT / "grafana/provisioning/dashboards/kpi-targets.yaml").read_text(encoding="utf-8")
    )
    (provider,) = providers["providers"]
    assert (provider["type"], provider["allowUiUpdates"]) == ("file", False)


def test_dashboards_command_writes_the_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dashboards", "--output", str(tmp_path)]) == 0
    written = {path.name: path.read_text(encoding="utf-8") for path in tmp_path.iterdir()}
    assert written == render_all()
    assert capsys.readouterr().out == "".join(f"Wrote {tmp_path / name}\n" for name in render_all())


def test_both_kpi_dashboards_have_a_judged_hours_row_per_kpi_whose_hours_close() -> None:
    boards = _boards()
    for which, file_name in FILE_NAMES.items():
        if which is Dashboard.OVERVIEW:
            continue
        panels = boards[file_name]["panels"]  # rows and panels, in order
        titles = [panel["title"] for panel in panels]
        row = titles.index("Judged hours over the selected range, hour by hour")
        assert panels[row]["type"] == "row"
        judged = [
            shown.kpi.title
            for shown in presentation.on_dashboard(which)
            if shown.kpi.period is Period.HOURLY
        ]
        assert judged, which
        expected = [
            f"{title}: {part}"
            for title in judged
            for part in ("hours met", "hours judged", "each hour")
        ]
        assert titles[row + 1 : row + 1 + len(expected)] == expected
        for panel in panels[row + 1 : row + 1 + len(expected)]:
            (query,) = panel["targets"]
            assert query["refId"] in ("attainment", "periods", "hours")
            if query["refId"] == "hours":
                # One cell per hour: evaluated at whole hours, each code in words and colour.
                assert panel["type"] == "state-timeline" and panel["interval"] == "1h"
                (mapping,) = panel["fieldConfig"]["defaults"]["mappings"]
                words = {code: found["text"] for code, found in mapping["options"].items()}
                assert words == {
                    "0": "no target",
                    "1": "met",
                    "2": "missed",
                    "3": "low volume",
                    "4": "no data",
                }
            if query["refId"] == "attainment":
                steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
                assert [step["color"] for step in steps] == ["red", "green"]
                assert steps[1]["value"] == 0.8
