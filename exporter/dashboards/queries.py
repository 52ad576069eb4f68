"""The PromQL behind every dashboard panel: pure strings, with Grafana's variables left in.

Variables: ``$channel``, ``$queue``, ``$team``, ``$agent`` (multi-value, All = ``.*``, so always
matched with ``=~``) and ``$show_targets`` (1 On, 0 Off). Every query that shows a target or a
verdict ends with ``and on() (vector($show_targets) == 1)``: with the switch Off it returns
nothing, so no target line and no target colour are drawn anywhere.

Each query has a *role*, used as its Grafana ``refId`` so a panel's colour overrides (and the
integration test) can tell them apart:

- ``value``: the KPI now, at one level (``level="queue"``: one plain matcher per level);
- ``target``: the target in force (a dashed step line on time series);
- ``met`` / ``missed`` / ``neutral``: the value split by the exporter's ``kpi_target_met``
  (equality is met), neutral when no target is in force or the switch is Off;
- ``range``: a ratio over the selected range, rebuilt from the raw counters and summed across
  every exporter first, so sharded exporters give the figure one exporter would;
- ``state``: the overview's state column (met / missed / not set / off duty / closed: <name>);
- ``attainment``, ``periods``, ``hours``: the closed hours judged over the range
  (``kpi_target_periods_total``): the share met, the counts by result, and one cell per hour.
"""

from __future__ import annotations

import enum

from exporter import names
from exporter.catalog import Kpi
from exporter.catalog.promql import Range, matchers

SHOW_TARGETS = "on() (vector($show_targets) == 1)"
# The variables each level is filtered by.
_LEVEL_VARIABLES: dict[str, tuple[str, ...]] = {
    "site": (),
    "channel": ("channel",),
    "queue": ("queue", "channel"),
    "team": ("team",),
    "agent": ("team", "agent"),
    "campaign": (),
}
ALL_VARIABLES: tuple[str, ...] = ("channel", "queue", "team", "agent")
# The labels that tell one KPI series from another once job/instance are summed away.
_KEYS = "instance, kpi, level, channel, queue, team, agent, campaign"


class Role(enum.StrEnum):
    VALUE = "value"
    TARGET = "target"
    MET = "met"
    MISSED = "missed"
    NEUTRAL = "neutral"
    RANGE = "range"
    STATE = "state"
    ATTAINMENT = "attainment"
    PERIODS = "periods"
    HOURS = "hours"


def _selector(kpi: str, level: str) -> str:
    parts = [f'kpi="{kpi}"', f'level="{level}"']
    filters = matchers(*_LEVEL_VARIABLES[level])
    return "{" + ", ".join([*parts, filters] if filters else parts) + "}"


def value(kpi: str, level: str) -> str:
    return f"{names.KPI_VALUE}{_selector(kpi, level)}"


def target(kpi: str, level: str) -> str:
    return f"{names.KPI_TARGET}{_selector(kpi, level)} and {SHOW_TARGETS}"


def met(kpi: str, level: str) -> str:
    return (
        f"{value(kpi, level)} and ({names.KPI_TARGET_MET}{_selector(kpi, level)} == 1) "
        f"and {SHOW_TARGETS}"
    )


def missed(kpi: str, level: str) -> str:
    return (
        f"{value(kpi, level)} and ({names.KPI_TARGET_MET}{_selector(kpi, level)} == 0) "
        f"and {SHOW_TARGETS}"
    )


def neutral(kpi: str, level: str) -> str:
    met_selector = f"{names.KPI_TARGET_MET}{_selector(kpi, level)}"
    return f"{value(kpi, level)} unless ({met_selector} and {SHOW_TARGETS})"


# --- over the selected range, from the counters ------------------------------------------------

QUEUE_VARIABLES = ("queue", "channel")
HANDLER_VARIABLES = ("queue", "channel", "team", "agent")
_OPERATIONS_RANGE = Range(QUEUE_VARIABLES)
_TEAM_RANGE = Range(HANDLER_VARIABLES)


def range_query(kpi: Kpi, *, team: bool) -> str | None:
    """The KPI over ``$__range`` from the counters (its catalog entry's ``over_range``, filtered
    by the dashboard's variables), or None when counters cannot rebuild it (Live, In Queue and
    occupancy)."""
    if kpi.over_range is None:
        return None
    return kpi.over_range(_TEAM_RANGE if team else _OPERATIONS_RANGE)


# --- the overview table -------------------------------------------------------------------------

OVERVIEW_FILTERS = matchers(*ALL_VARIABLES)


def overview_value() -> str:
    return (
        f"max by ({_KEYS}) ({names.KPI_VALUE}{{{OVERVIEW_FILTERS}}})\n"
        f"* on(kpi) group_left(title, unit) max by (kpi, title, unit) ({names.KPI_INFO})"
    )


def overview_target() -> str:
    return (
        f"max by ({_KEYS}, quantifier) ({names.KPI_TARGET}{{{OVERVIEW_FILTERS}}})\n"
        f"and {SHOW_TARGETS}"
    )


def overview_state() -> str:
    """Met / missed (from kpi_target_met) with the target's source, else why there is none."""
    in_force = f'{names.KPI_TARGET_STATUS}{{{OVERVIEW_FILTERS}, status="in_force"}}'
    other = f'{names.KPI_TARGET_STATUS}{{{OVERVIEW_FILTERS}, status!="in_force"}}'

    def verdict(flag: int, word: str) -> str:
        joined = f"{in_force} and ignoring(status, detail) ({names.KPI_TARGET_MET} == {flag})"
        return f'label_replace(max by ({_KEYS}, detail) ({joined}), "state", "{word}", "", "")'

    why_not = (
        f'label_replace(label_replace(max by ({_KEYS}, detail) ({other}), "state", "$1", '
        '"detail", "(.*)"), "detail", "", "", "")'
    )
    either = "\nor\n  ".join((verdict(1, "met"), verdict(0, "missed"), why_not))
    return f"(\n  {either}\n)\nand {SHOW_TARGETS}"


TARGETS_CHANGED = f"max by (version) ({names.TARGETS_VERSION_TIMESTAMP}) > time() - 900"


# --- closed hours: attainment over the range, and one cell per hour ------------------------------

# The code of each result in the hours query (0: the hour was not judged: no target in force).
HOUR_CODES: dict[str, int] = {result: code for code, result in enumerate(names.PERIOD_RESULTS, 1)}
# The hours query reads, at an hour's start H, the counters' increase over (H + 2m, H + 1h + 2m]:
# hour H is counted at the first scrape after it ends (H + 1h + a scrape interval), the hour
# before it by H + 2m (for scrape intervals up to 2m). Evaluated at whole hours (the panel's 1h
# interval; Grafana aligns range queries to the step), each cell is drawn at its own hour.
HOUR_LOOKAHEAD = "-62m"


def _periods(kpi: str, level: str, result: str, window: str, offset: str = "") -> str:
    selector = _selector(kpi, level)[:-1] + f", {names.RESULT}{result}}}"
    shift = f" offset {offset}" if offset else ""
    return f"increase({names.KPI_TARGET_PERIODS}{selector}[{window}]{shift})"


def _by_scope(level: str) -> str:
    return f"sum by (kpi, level{''.join(', ' + label for label in _LEVEL_LABELS[level])})"


_LEVEL_LABELS: dict[str, tuple[str, ...]] = {
    "site": (),
    "channel": ("channel",),
    "queue": ("queue", "channel"),
    "team": ("team",),
    "agent": ("team", "agent"),
    "campaign": ("campaign",),
}


def attainment(kpi: str, level: str) -> str:
    """Per scope, the share of the judged hours (met or missed) of the range that met the
    target, summed across exporters; nothing where no hour was judged."""
    by = _by_scope(level)
    met_hours = _periods(kpi, level, '="met"', "$__range")
    judged = _periods(kpi, level, '=~"met|missed"', "$__range")
    return f"{by} ({met_hours})\n/\n({by} ({judged}) > 0)\nand {SHOW_TARGETS}"


def periods(kpi: str, level: str) -> str:
    """The hours counted over the range by result, over the selected scopes of the level."""
    counted = _periods(kpi, level, '=~".+"', "$__range")
    return f"round(sum by ({names.RESULT}) ({counted}))\nand {SHOW_TARGETS}"


def hours(kpi: str, level: str) -> str:
    """Per scope, at each hour's start, the code of its result (``HOUR_CODES``; 0 not judged):
    each result's counter rose in the hour's window or not (``> bool 0.5``, whatever
    ``increase()`` extrapolates), times its code."""
    by = _by_scope(level)
    terms = []
    for result, code in HOUR_CODES.items():
        counted = _periods(kpi, level, f'="{result}"', "1h", HOUR_LOOKAHEAD)
        terms.append(f"{code} * ({by} ({counted}) > bool 0.5)")
    joined = "\n+ ".join(terms)
    return f"(\n  {joined}\n)\nand {SHOW_TARGETS}"


# --- agents needed now (exporter.staffing_collector) --------------------------------------------


# Roles of the agents-needed panels' queries (their refIds).
class StaffingRole(enum.StrEnum):
    REQUIRED = "required"
    ON_DUTY = "on_duty"
    GAP = "gap"
    SHORT = "short"
    SPARE = "spare"


_QUEUE_FILTERS = matchers(*QUEUE_VARIABLES)


def agents_required() -> str:
    """Per queue, the agents its binding target needs: the most any target in force needs, each
    by the fewest any model says (as KpiUnderstaffed counts them)."""
    required = f'{names.AGENTS_REQUIRED}{{level="queue", {_QUEUE_FILTERS}}}'
    return f"max without ({names.KPI}) (min without ({names.MODEL}) ({required}))"


def agents_on_duty() -> str:
    return f'{names.AGENTS_ON_DUTY}{{level="queue", {_QUEUE_FILTERS}}}'


def staffing(role: StaffingRole) -> str:
    """Each agents-needed query, shown only with Show KPI Targets On (the series themselves
    exist only while a target is in force)."""
    required, on_duty = agents_required(), agents_on_duty()
    expr = {
        StaffingRole.REQUIRED: required,
        StaffingRole.ON_DUTY: f"{on_duty} and {required}",
        StaffingRole.GAP: f"{on_duty} - {required}",
        StaffingRole.SHORT: f"({required} - {on_duty}) > 0",
        StaffingRole.SPARE: f"({on_duty} - {required}) >= 0",
    }[role]
    return f"({expr}) and {SHOW_TARGETS}"
