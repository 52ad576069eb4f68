"""The Grafana dashboards, generated with grafana-foundation-sdk (the Grafana 11.6 build).

``kpi-targets dashboards`` writes them to ``grafana/dashboards/``; the committed JSON is checked
against a fresh generation by the tests, so edit this module, never the JSON.

- **Contact Center Operations** and **Team Performance**: one per tab of the catalog, every
  eligible KPI of the tab (``exporter.presentation`` says where, in which unit): a row of stat
  panels "now", coloured met / missed / neutral against the target in force; a row of time series
  "today" with the target as a dashed step line that follows its schedule; on Operations, a row of
  agents needed per queue against agents on duty (``_staffing_row``); a row "over the selected
  range" rebuilt from the counters (summed across exporters); a row "judged hours" for the KPIs
  whose hours close: per scope the share of judged hours met over the range (coloured by the
  share, green from the attainment alerts' default level), the hours counted by result, and a
  state timeline with one cell per hour where it happened (met, missed, low volume, no data, no
  target). Every target panel, these included, is empty with Show KPI Targets Off.
- **KPI Targets**: a table of every KPI and scope with its value, target, quantifier, state and
  the target's source.

Every dashboard has the variables datasource, channel, queue (chained on channel), team, agent
(chained on team) and Show KPI Targets (On/Off), a "Targets changed" annotation, pinned uids,
tags and links between them.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as builders
from grafana_foundation_sdk.builders import stat, statetimeline, table, timeseries
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

from exporter.dashboards import queries
from exporter.dashboards.queries import Role, StaffingRole
from exporter.names import KPI_VALUE as VALUE
from exporter.presentation import Dashboard, Presentation, on_dashboard
from exporter.rules import DEFAULT_ATTAINMENT_LEVEL
from exporter.targets.periods import periods_judged

DATASOURCE_UID = "kpi-targets-prometheus"  # pinned by grafana/provisioning/datasources/
DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="${datasource}")
TAG = "kpi-targets"
TITLES: dict[Dashboard, str] = {
    Dashboard.OPERATIONS: "Contact Center Operations",
    Dashboard.TEAM: "Team Performance",
    Dashboard.OVERVIEW: "KPI Targets",
}
FILE_NAMES: dict[Dashboard, str] = {
    Dashboard.OPERATIONS: "contact-center-operations.json",
    Dashboard.TEAM: "team-performance.json",
    Dashboard.OVERVIEW: "kpi-targets.json",
}
COLOURS: dict[Role, str] = {
    Role.MET: "green",
    Role.MISSED: "red",
    Role.NEUTRAL: "text",
}
_LEGENDS: dict[str, str] = {
    "site": "site",
    "channel": "{{channel}}",
    "queue": "{{queue}} ({{channel}})",
    "team": "{{team}}",
    "agent": "{{agent}} ({{team}})",
    "campaign": "{{campaign}}",
}
_WIDTH = 24


class _Layout:
    """Places panels left to right, wrapping at the grid's 24 columns; numbers them."""

    def __init__(self) -> None:
        self.x = self.y = self.row_height = 0
        self.next_id = 1

    def row(self) -> tuple[int, model.GridPos]:
        self.newline()
        place = model.GridPos(h=1, w=_WIDTH, x=0, y=self.y)
        self.y += 1
        return self._id(), place

    def panel(self, width: int, height: int) -> tuple[int, model.GridPos]:
        if self.x + width > _WIDTH:
            self.newline()
        place = model.GridPos(h=height, w=width, x=self.x, y=self.y)
        self.x += width
        self.row_height = max(self.row_height, height)
        return self._id(), place

    def newline(self) -> None:
        self.y += self.row_height
        self.x = self.row_height = 0

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


def _query(role: str, expr: str, legend: str, *, instant: bool) -> Dataquery:
    query = Dataquery().ref_id(str(role)).expr(expr).legend_format(legend).datasource(DATASOURCE)
    return query.instant() if instant else query.range()


def _fixed_colour(role: Role) -> list[model.DynamicConfigValue]:
    return [
        model.DynamicConfigValue(
            id_val="color", value={"mode": "fixed", "fixedColor": COLOURS[role]}
        )
    ]


_Panel = TypeVar("_Panel", stat.Panel, timeseries.Panel)


def _with_unit(panel: _Panel, shown: Presentation) -> _Panel:
    panel = panel.unit(shown.grafana_unit)
    if shown.decimals is not None:
        panel = panel.decimals(shown.decimals)
    if shown.min is not None:
        panel = panel.min(shown.min)
    if shown.max is not None:
        panel = panel.max(shown.max)
    return panel


def _stat(shown: Presentation, layout: _Layout, description: str) -> stat.Panel:
    panel_id, place = layout.panel(4, 5)
    return (
        stat.Panel()
        .id(panel_id)
        .grid_pos(place)
        .title(shown.kpi.title)
        .description(description)
        .datasource(DATASOURCE)
        .graph_mode(common.BigValueGraphMode.NONE)
        .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )


def _now_stat(shown: Presentation, layout: _Layout) -> stat.Panel:
    """The KPI now, coloured by the quantifier against the target in force."""
    kpi, level = shown.kpi.name, shown.level
    legend = _LEGENDS[level]
    panel = (
        _stat(
            shown,
            layout,
            f"{shown.description} Green: the target in force is met (equality counts as met); "
            "red: missed; neutral: no target in force or Show KPI Targets is Off.",
        )
        .with_target(_query(Role.MET, queries.met(kpi, level), legend, instant=True))
        .with_target(_query(Role.MISSED, queries.missed(kpi, level), legend, instant=True))
        .with_target(_query(Role.NEUTRAL, queries.neutral(kpi, level), legend, instant=True))
        .color_mode(common.BigValueColorMode.BACKGROUND)
        .text_mode(common.BigValueTextMode.VALUE_AND_NAME)
        .color_scheme(builders.FieldColor().mode(model.FieldColorModeId.FIXED).fixed_color("text"))
        .no_value("no data in this period")
    )
    for role in (Role.MET, Role.MISSED, Role.NEUTRAL):
        panel = panel.override_by_query(str(role), _fixed_colour(role))
    return _with_unit(panel, shown)


def _time_series(shown: Presentation, level: str, layout: _Layout) -> timeseries.Panel:
    """The KPI through the selected range with its target as a dashed step line."""
    kpi = shown.kpi.name
    legend = _LEGENDS[level]
    panel_id, place = layout.panel(12, 8)
    target_style = [
        model.DynamicConfigValue(
            id_val="custom.lineStyle", value={"fill": "dash", "dash": [10, 10]}
        ),
        model.DynamicConfigValue(id_val="custom.lineInterpolation", value="stepAfter"),
        model.DynamicConfigValue(id_val="custom.fillOpacity", value=0),
        model.DynamicConfigValue(id_val="custom.lineWidth", value=2),
    ]
    level_words = "" if level == shown.level else f" by {level}"
    panel = (
        timeseries.Panel()
        .id(panel_id)
        .grid_pos(place)
        .title(f"{shown.kpi.title}{level_words}")
        .description(
            f"{shown.description} Dashed: the target in force, step by step as its schedule "
            "and the calendar change it (none off duty, on closed dates, or with Show KPI "
            "Targets Off)."
        )
        .datasource(DATASOURCE)
        .with_target(_query(Role.VALUE, queries.value(kpi, level), legend, instant=False))
        .with_target(
            _query(
                Role.TARGET,
                queries.target(kpi, level),
                f"{legend} target ({{{{quantifier}}}})",
                instant=False,
            )
        )
        .line_interpolation(common.LineInterpolation.LINEAR)
        .legend(_bottom_legend())
        .tooltip(_all_series_tooltip())
        .override_by_query(str(Role.TARGET), target_style)
    )
    return _with_unit(panel, shown)


def _range_stat(shown: Presentation, expr: str, layout: _Layout) -> stat.Panel:
    panel = (
        _stat(
            shown,
            layout,
            "Over the selected time range, from the raw counters summed across every exporter "
            f"(the default service-level variant for service level). {shown.description}",
        )
        .with_target(_query(Role.RANGE, expr, shown.kpi.title, instant=True))
        .color_mode(common.BigValueColorMode.NONE)
        .text_mode(common.BigValueTextMode.VALUE)
        .no_value("no contacts in the range")
    )
    return _with_unit(panel, shown)


# How each result of a closed hour is drawn: its words and colour (hours query codes: 0 = the
# hour had no target in force).
_RESULT_STYLE: dict[str, tuple[str, str]] = {
    "met": ("met", "green"),
    "missed": ("missed", "red"),
    "low_volume": ("low volume", "yellow"),
    "no_data": ("no data", "purple"),
}
_NOT_JUDGED = ("no target", "transparent")
_TARGETS_OFF = " Empty with Show KPI Targets Off."


def _attainment_stat(shown: Presentation, layout: _Layout) -> stat.Panel:
    """Per scope, the share of the range's judged hours that met the target."""
    kpi, level = shown.kpi.name, shown.level
    thresholds = (
        builders.ThresholdsConfig()
        .mode(model.ThresholdsMode.ABSOLUTE)
        .steps(
            [
                model.Threshold(value=None, color="red"),
                model.Threshold(value=DEFAULT_ATTAINMENT_LEVEL, color="green"),
            ]
        )
    )
    panel = (
        _stat(
            shown,
            layout,
            f"Closed hours of the selected range that a target judged: the share met (met / "
            f"(met + missed)), summed across exporters; low-volume and no-data hours are judged "
            f"neither way, off-duty and closed hours not at all. Green from "
            f"{DEFAULT_ATTAINMENT_LEVEL:.0%} (the attainment alerts' default level)."
            + _TARGETS_OFF,
        )
        .title(f"{shown.kpi.title}: hours met")
        .with_target(
            _query(Role.ATTAINMENT, queries.attainment(kpi, level), _LEGENDS[level], instant=True)
        )
        .color_mode(common.BigValueColorMode.BACKGROUND)
        .text_mode(common.BigValueTextMode.VALUE_AND_NAME)
        .color_scheme(builders.FieldColor().mode(model.FieldColorModeId.THRESHOLDS))
        .thresholds(thresholds)
        .unit("percentunit")
        .decimals(0)
        .min(0)
        .max(1)
        .no_value("no judged hour in the range")
    )
    return panel


def _periods_stat(shown: Presentation, layout: _Layout) -> stat.Panel:
    """The hours behind the share: counted by result over the selected scopes."""
    kpi, level = shown.kpi.name, shown.level
    panel = (
        _stat(
            shown,
            layout,
            "Closed hours of the selected range counted by result, over the selected scopes: "
            "met, missed, low volume (fewer contacts than the KPI's alert minimum) and no data."
            + _TARGETS_OFF,
        )
        .title(f"{shown.kpi.title}: hours judged")
        .with_target(_query(Role.PERIODS, queries.periods(kpi, level), "{{result}}", instant=True))
        .color_mode(common.BigValueColorMode.VALUE)
        .text_mode(common.BigValueTextMode.VALUE_AND_NAME)
        .decimals(0)
        .unit("none")
        .no_value("no hour counted in the range")
    )
    for result, (words, colour) in _RESULT_STYLE.items():
        panel = panel.override_by_name(
            result,
            [
                model.DynamicConfigValue(id_val="displayName", value=words),
                model.DynamicConfigValue(
                    id_val="color", value={"mode": "fixed", "fixedColor": colour}
                ),
            ],
        )
    return panel


def _hours_timeline(shown: Presentation, layout: _Layout) -> statetimeline.Panel:
    """One cell per closed hour and scope, drawn at the hour it judges."""
    kpi, level = shown.kpi.name, shown.level
    panel_id, place = layout.panel(16, 5)
    mapped = {
        str(queries.HOUR_CODES[result]): model.ValueMappingResult(
            text=words, color=colour, index=index
        )
        for index, (result, (words, colour)) in enumerate(_RESULT_STYLE.items(), 1)
    }
    mapped["0"] = model.ValueMappingResult(text=_NOT_JUDGED[0], color=_NOT_JUDGED[1], index=0)
    return (
        statetimeline.Panel()
        .id(panel_id)
        .grid_pos(place)
        .title(f"{shown.kpi.title}: each hour")
        .description(
            "One cell per clock hour, where it happened: met, missed, low volume, no data, or "
            "no target (not set, off duty, closed). An hour is judged when it ends, by the target "
            "in force at its last on-duty minute." + _TARGETS_OFF
        )
        .datasource(DATASOURCE)
        .interval("1h")
        .with_target(_query(Role.HOURS, queries.hours(kpi, level), _LEGENDS[level], instant=False))
        .mappings([model.ValueMap(options=dict(sorted(mapped.items())))])
        .color_scheme(builders.FieldColor().mode(model.FieldColorModeId.FIXED).fixed_color("text"))
        .show_value(common.VisibilityMode.NEVER)
        .merge_values(False)
        .line_width(0)
        .fill_opacity(80)
    )


def _row(title: str, layout: _Layout) -> builders.Row:
    row_id, place = layout.row()
    return builders.Row(title).id(row_id).grid_pos(place)


def _variables() -> list[Any]:
    def chained(name: str, label: str, query: str) -> builders.QueryVariable:
        return (
            builders.QueryVariable(name)
            .label(label)
            .datasource(DATASOURCE)
            .query(query)
            .multi(True)
            .include_all(True)
            .all_value(".*")
            .current(model.VariableOption(selected=True, text="All", value="$__all"))
            .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
            .sort(model.VariableSort.ALPHABETICAL_ASC)
        )

    return [
        builders.DatasourceVariable("datasource")
        .label("Data source")
        .type("prometheus")
        .current(model.VariableOption(selected=True, text="Prometheus", value=DATASOURCE_UID)),
        chained("channel", "Channel", f'label_values({VALUE}{{level="channel"}}, channel)'),
        chained(
            "queue",
            "Queue",
            f'label_values({VALUE}{{level="queue", channel=~"$channel"}}, queue)',
        ),
        chained("team", "Team", f'label_values({VALUE}{{level="team"}}, team)'),
        chained("agent", "Agent", f'label_values({VALUE}{{level="agent", team=~"$team"}}, agent)'),
        builders.CustomVariable("show_targets")
        .label("Show KPI Targets")
        .description(
            "On: targets as dashed lines and values coloured met / missed. Off: plain values."
        )
        .values("On : 1,Off : 0")
        .current(model.VariableOption(selected=True, text="On", value="1"))
        .options(
            [
                model.VariableOption(selected=True, text="On", value="1"),
                model.VariableOption(selected=False, text="Off", value="0"),
            ]
        ),
    ]


def _base(which: Dashboard, description: str) -> builders.Dashboard:
    board = (
        builders.Dashboard(TITLES[which])
        .uid(str(which))
        .description(description)
        .tags([TAG])
        .readonly()  # provisioned from code: edit exporter/dashboards, not the UI
        .time("now/d", "now")
        .refresh("1m")
        .timezone("browser")
        .tooltip(model.DashboardCursorSync.CROSSHAIR)
        .link(
            builders.DashboardLink("KPI Targets dashboards")
            .type(model.DashboardLinkType.DASHBOARDS)
            .tags([TAG])
            .as_dropdown(False)
            .include_vars(True)
            .keep_time(True)
        )
        .annotation(
            builders.AnnotationQuery()
            .name("Annotations & Alerts")
            .datasource(model.DataSourceRef(type_val="grafana", uid="-- Grafana --"))
            .enable(True)
            .hide(True)
            .icon_color("rgba(0, 211, 255, 1)")
            .type("dashboard")
            .built_in(1)
        )
        .annotation(
            builders.AnnotationQuery()
            .name("Targets changed")
            .datasource(DATASOURCE)
            .enable(True)
            .hide(False)
            .icon_color("orange")
            .expr(queries.TARGETS_CHANGED)
        )
    )
    for variable in _variables():
        board = board.with_variable(variable)
    return board


def _tab_dashboard(which: Dashboard, description: str) -> builders.Dashboard:
    board = _base(which, description)
    layout = _Layout()
    shown_kpis = on_dashboard(which)
    team = which is Dashboard.TEAM
    board = board.with_row(_row("Now, against the target in force", layout))
    for shown in shown_kpis:
        board = board.with_panel(_now_stat(shown, layout))
    board = board.with_row(_row("Through the day, with the target as a dashed line", layout))
    for shown in shown_kpis:
        board = board.with_panel(_time_series(shown, shown.level, layout))
    if team:
        board = board.with_row(_row("Agents", layout))
        for shown in shown_kpis:
            if "agent" in shown.kpi.levels:
                board = board.with_panel(_time_series(shown, "agent", layout))
    if which is Dashboard.OPERATIONS:
        board = _staffing_row(board, layout)
    board = board.with_row(_row("Over the selected range, from the counters", layout))
    for shown in shown_kpis:
        expr = queries.range_query(shown.kpi, team=team)
        if expr is not None:
            board = board.with_panel(_range_stat(shown, expr, layout))
    judged = {kpi.name for kpi in periods_judged()}
    board = board.with_row(_row("Judged hours over the selected range, hour by hour", layout))
    for shown in shown_kpis:
        if shown.kpi.name in judged:
            board = board.with_panel(_attainment_stat(shown, layout))
            board = board.with_panel(_periods_stat(shown, layout))
            board = board.with_panel(_hours_timeline(shown, layout))
    return board


def _overview() -> builders.Dashboard:
    board = _base(
        Dashboard.OVERVIEW,
        "Every KPI and scope with its value now, the target in force, its quantifier, the state "
        "(met, missed, not set, off duty, closed: <name>) and where the target came from.",
    )
    layout = _Layout()
    panel_id, place = layout.panel(24, 24)
    hidden = ["Time", "instance", "level"]
    renamed = {
        "title": "KPI",
        "Value #value": "Value",
        "Value #target": "Target",
        "quantifier": "Quantifier",
        "state": "State",
        "detail": "Target from",
    }
    panel = (
        table.Panel()
        .id(panel_id)
        .grid_pos(place)
        .title("KPI targets now")
        # Grafana's defaults, spelled out: the 11.6 schema requires both.
        .frame_index(0)
        .show_header(True)
        .align(common.FieldTextAlignment.AUTO)
        .inspect(False)
        .description(
            "One row per KPI and scope (per exporter). Target, quantifier, state and source are "
            "shown while Show KPI Targets is On."
        )
        .datasource(DATASOURCE)
        .with_target(
            _query(Role.VALUE, queries.overview_value(), "", instant=True).format(
                PromQueryFormat.TABLE
            )
        )
        .with_target(
            _query(Role.TARGET, queries.overview_target(), "", instant=True).format(
                PromQueryFormat.TABLE
            )
        )
        .with_target(
            _query(Role.STATE, queries.overview_state(), "", instant=True).format(
                PromQueryFormat.TABLE
            )
        )
        .with_transformation(model.DataTransformerConfig(id_val="merge", options={}))
        .with_transformation(
            model.DataTransformerConfig(
                id_val="organize",
                options={
                    "excludeByName": {**dict.fromkeys(hidden, True), "Value #state": True},
                    "renameByName": renamed,
                    "indexByName": {},
                },
            )
        )
        .with_transformation(
            model.DataTransformerConfig(
                id_val="sortBy", options={"sort": [{"field": "kpi", "desc": False}]}
            )
        )
        .override_by_name(
            "State",
            [
                model.DynamicConfigValue(
                    id_val="mappings",
                    value=[
                        {
                            "type": "value",
                            "options": {
                                "met": {"color": "green", "index": 0},
                                "missed": {"color": "red", "index": 1},
                            },
                        }
                    ],
                ),
                model.DynamicConfigValue(
                    id_val="custom.cellOptions", value={"type": "color-background"}
                ),
            ],
        )
    )
    return board.with_panel(panel)


def _staffing_row(board: builders.Dashboard, layout: _Layout) -> builders.Dashboard:
    """Agents needed now, per queue: short or spare now, required and on duty through the day,
    and the gap filled (green spare, red short); shown with Show KPI Targets On."""
    legend = _LEGENDS["queue"]
    role = StaffingRole
    needed = (
        "the agents needed at the traffic of the last 30 minutes (Erlang C, and Erlang A with the "
        "queue's patience: the fewer of the two, for the target in force that needs the most)"
    )
    hidden = "Nothing off duty, without a target in force or with Show KPI Targets Off."
    board = board.with_row(_row("Agents needed now, for the targets in force", layout))
    panel_id, place = layout.panel(6, 8)
    now = (
        stat.Panel()
        .id(panel_id)
        .grid_pos(place)
        .title("Agents short or spare")
        .description(f"Per queue, agents on duty against {needed}. {hidden}")
        .datasource(DATASOURCE)
        .with_target(_query(role.SHORT, queries.staffing(role.SHORT), legend, instant=True))
        .with_target(_query(role.SPARE, queries.staffing(role.SPARE), legend, instant=True))
        .graph_mode(common.BigValueGraphMode.NONE)
        .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .color_mode(common.BigValueColorMode.BACKGROUND)
        .text_mode(common.BigValueTextMode.VALUE_AND_NAME)
        .decimals(0)
        .no_value("no target in force")
    )
    for which, colour, unit in (
        (role.SHORT, "red", "suffix: short"),
        (role.SPARE, "green", "suffix: spare"),
    ):
        now = now.override_by_query(
            str(which),
            [
                model.DynamicConfigValue(
                    id_val="color", value={"mode": "fixed", "fixedColor": colour}
                ),
                model.DynamicConfigValue(id_val="unit", value=unit),
            ],
        )
    panel_id, place = layout.panel(9, 8)
    dashed = [
        model.DynamicConfigValue(
            id_val="custom.lineStyle", value={"fill": "dash", "dash": [10, 10]}
        ),
        model.DynamicConfigValue(id_val="custom.lineInterpolation", value="stepAfter"),
    ]
    through_day = (
        _agents_time_series(panel_id, place, "Agents needed (dashed) and on duty")
        .description(f"Per queue, dashed: {needed}; solid: the agents on duty. {hidden}")
        .with_target(
            _query(
                role.REQUIRED, queries.staffing(role.REQUIRED), f"{legend} needed", instant=False
            )
        )
        .with_target(
            _query(role.ON_DUTY, queries.staffing(role.ON_DUTY), f"{legend} on duty", instant=False)
        )
        .override_by_query(str(role.REQUIRED), dashed)
    )
    panel_id, place = layout.panel(9, 8)
    gap = (
        _agents_time_series(panel_id, place, "Agents spare (+) or short (-)")
        .description(f"Per queue, agents on duty minus {needed}: filled, red below 0. {hidden}")
        .with_target(_query(role.GAP, queries.staffing(role.GAP), legend, instant=False))
        .fill_opacity(35)
        .gradient_mode(common.GraphGradientMode.SCHEME)
        .color_scheme(builders.FieldColor().mode(model.FieldColorModeId.THRESHOLDS))
        .thresholds(
            builders.ThresholdsConfig()
            .mode(model.ThresholdsMode.ABSOLUTE)
            .steps(
                [
                    model.Threshold(value=None, color="red"),
                    model.Threshold(value=0.0, color="green"),
                ]
            )
        )
    )
    return board.with_panel(now).with_panel(through_day).with_panel(gap)


def _agents_time_series(panel_id: int, place: model.GridPos, title: str) -> timeseries.Panel:
    return (
        timeseries.Panel()
        .id(panel_id)
        .grid_pos(place)
        .title(title)
        .datasource(DATASOURCE)
        .unit("short")
        .decimals(0)
        .line_interpolation(common.LineInterpolation.STEP_AFTER)
        .legend(_bottom_legend())
        .tooltip(_all_series_tooltip())
    )


def build_all() -> dict[Dashboard, model.Dashboard]:
    """Every dashboard, by its uid."""
    return {
        Dashboard.OPERATIONS: _tab_dashboard(
            Dashboard.OPERATIONS,
            "Queues and channels: service level, speed of answer, abandonment, handle time, "
            "surveys, bot and outbound KPIs, each next to its target in force.",
        ).build(),
        Dashboard.TEAM: _tab_dashboard(
            Dashboard.TEAM,
            "Teams and agents: occupancy, availability, contacts handled, handle time, "
            "resolution and CSAT, each next to its target in force.",
        ).build(),
        Dashboard.OVERVIEW: _overview().build(),
    }


def render(board: model.Dashboard) -> str:
    """A dashboard's JSON text, as committed (sorted keys, two-space indent, final newline)."""
    return JSONEncoder(sort_keys=True, indent=2).encode(board) + "\n"


def render_all() -> dict[str, str]:
    """File name -> JSON text of every dashboard."""
    return {FILE_NAMES[which]: render(board) for which, board in build_all().items()}


def as_json(board: model.Dashboard) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(render(board))
    return loaded


def _bottom_legend() -> common_builders.VizLegendOptions:
    """The time series panels' legend: a list under the graph, no calculations."""
    return (
        common_builders.VizLegendOptions()
        .show_legend(True)
        .display_mode(common.LegendDisplayMode.LIST)
        .placement(common.LegendPlacement.BOTTOM)
        .calcs([])
    )


def _all_series_tooltip() -> common_builders.VizTooltipOptions:
    """The time series panels' tooltip: every series at the hovered time, in legend order."""
    return (
        common_builders.VizTooltipOptions()
        .mode(common.TooltipDisplayMode.MULTI)
        .sort(common.SortOrder.NONE)
    )
