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
- ``state``: the overview's state column (met / missed / not set / off duty / closed: <name>).
"""

from __future__ import annotations

import enum

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


def matchers(*variables: str) -> str:
    return ", ".join(f'{variable}=~"${variable}"' for variable in variables)


def _selector(kpi: str, level: str) -> str:
    parts = [f'kpi="{kpi}"', f'level="{level}"']
    filters = matchers(*_LEVEL_VARIABLES[level])
    return "{" + ", ".join([*parts, filters] if filters else parts) + "}"


def value(kpi: str, level: str) -> str:
    return f"kpi_value{_selector(kpi, level)}"


def target(kpi: str, level: str) -> str:
    return f"kpi_target{_selector(kpi, level)} and {SHOW_TARGETS}"


def met(kpi: str, level: str) -> str:
    return (
        f"{value(kpi, level)} and (kpi_target_met{_selector(kpi, level)} == 1) and {SHOW_TARGETS}"
    )


def missed(kpi: str, level: str) -> str:
    return (
        f"{value(kpi, level)} and (kpi_target_met{_selector(kpi, level)} == 0) and {SHOW_TARGETS}"
    )


def neutral(kpi: str, level: str) -> str:
    return f"{value(kpi, level)} unless (kpi_target_met{_selector(kpi, level)} and {SHOW_TARGETS})"


# --- over the selected range, from the counters ------------------------------------------------


def _increase(counter: str, variables: tuple[str, ...], extra: str = "") -> str:
    filters = ", ".join(part for part in (matchers(*variables), extra) if part)
    return f"sum(increase(contact_center_{counter}_total{{{filters}}}[$__range]))"


def _ratio(numerator: str, denominator: str) -> str:
    """numerator / denominator, nothing (the panel's "no contacts") when the denominator is 0."""
    return f"{numerator}\n/\n({denominator} > 0)"


QUEUE_VARIABLES = ("queue", "channel")
HANDLER_VARIABLES = ("queue", "channel", "team", "agent")


def _range_formulas(scope: tuple[str, ...]) -> dict[str, str]:
    """The range formula of each KPI that counters can rebuild, filtered by ``scope``'s
    variables (queue counters carry queue and channel only)."""
    queue = tuple(v for v in scope if v in QUEUE_VARIABLES)

    def inc(counter: str, extra: str = "", variables: tuple[str, ...] = queue) -> str:
        return _increase(counter, variables, extra)

    outcomes = f"({inc('contacts_answered')} + {inc('contacts_abandoned')}"
    real_outcomes = f"{outcomes} - {inc('contacts_abandoned_short')})"

    def survey_mean(survey: str) -> str:
        extra = f'survey="{survey}"'
        return _ratio(inc("survey_score_points", extra, scope), inc("survey_answers", extra, scope))

    promoters = inc("nps_answers", 'category="promoter"', scope)
    detractors = inc("nps_answers", 'category="detractor"', scope)
    dials = "contact_center_outbound_dials_total"
    handle_time = _ratio(
        inc("handle_seconds", variables=scope), inc("contacts_handled", variables=scope)
    )
    first_contact_resolution = _ratio(
        inc("contacts_resolved", variables=scope),
        inc("contacts_resolution_known", variables=scope),
    )
    return {
        "service_level_ratio": _ratio(inc("contacts_answered_within_threshold"), real_outcomes),
        "average_speed_of_answer_seconds": _ratio(
            inc("answered_wait_seconds"), inc("contacts_answered")
        ),
        "abandonment_ratio": _ratio(
            f"({inc('contacts_abandoned')} - {inc('contacts_abandoned_short')})", real_outcomes
        ),
        "average_handle_time_seconds": handle_time,
        "first_contact_resolution_ratio": first_contact_resolution,
        "customer_satisfaction_score": survey_mean("csat"),
        "customer_effort_score": survey_mean("ces"),
        "net_promoter_score": "100 * "
        + _ratio(f"({promoters} - {detractors})", inc("nps_answers", variables=scope)),
        "bot_containment_ratio": _ratio(
            inc("bot_sessions", 'contained="true"'), inc("bot_sessions")
        ),
        "outbound_answer_ratio": _ratio(
            f'sum(increase({dials}{{outcome!="no_answer"}}[$__range]))',
            f"sum(increase({dials}[$__range]))",
        ),
        "outbound_contact_ratio": _ratio(
            f'sum(increase({dials}{{outcome=~"live|dropped"}}[$__range]))',
            f"sum(increase({dials}[$__range]))",
        ),
        "outbound_conversion_ratio": _ratio(
            "sum(increase(contact_center_outbound_converted_total[$__range]))",
            f'sum(increase({dials}{{outcome="live"}}[$__range]))',
        ),
        "outbound_drop_ratio": _ratio(
            f'sum(increase({dials}{{outcome="dropped"}}[$__range]))',
            f'sum(increase({dials}{{outcome=~"live|dropped"}}[$__range]))',
        ),
        "contacts_handled": inc("contacts_handled", variables=scope),
        "team_average_handle_time_seconds": handle_time,
        "team_first_contact_resolution_ratio": first_contact_resolution,
        "team_customer_satisfaction_score": survey_mean("csat"),
    }


OPERATIONS_RANGE = _range_formulas(QUEUE_VARIABLES)
TEAM_RANGE = _range_formulas(HANDLER_VARIABLES)


def range_query(kpi: str, *, team: bool) -> str | None:
    """The KPI over ``$__range`` from the counters, or None when counters cannot rebuild it
    (Live, In Queue and occupancy)."""
    return (TEAM_RANGE if team else OPERATIONS_RANGE).get(kpi)


# --- the overview table -------------------------------------------------------------------------

OVERVIEW_FILTERS = matchers(*ALL_VARIABLES)


def overview_value() -> str:
    return (
        f"max by ({_KEYS}) (kpi_value{{{OVERVIEW_FILTERS}}})\n"
        "* on(kpi) group_left(title, unit) max by (kpi, title, unit) (kpi_info)"
    )


def overview_target() -> str:
    return f"max by ({_KEYS}, quantifier) (kpi_target{{{OVERVIEW_FILTERS}}})\nand {SHOW_TARGETS}"


def overview_state() -> str:
    """Met / missed (from kpi_target_met) with the target's source, else why there is none."""
    in_force = f'kpi_target_status{{{OVERVIEW_FILTERS}, status="in_force"}}'
    other = f'kpi_target_status{{{OVERVIEW_FILTERS}, status!="in_force"}}'

    def verdict(flag: int, word: str) -> str:
        joined = f"{in_force} and ignoring(status, detail) (kpi_target_met == {flag})"
        return f'label_replace(max by ({_KEYS}, detail) ({joined}), "state", "{word}", "", "")'

    why_not = (
        f'label_replace(label_replace(max by ({_KEYS}, detail) ({other}), "state", "$1", '
        '"detail", "(.*)"), "detail", "", "", "")'
    )
    either = "\nor\n  ".join((verdict(1, "met"), verdict(0, "missed"), why_not))
    return f"(\n  {either}\n)\nand {SHOW_TARGETS}"


TARGETS_CHANGED = "max by (version) (kpi_targets_targets_version_timestamp_seconds) > time() - 900"
