"""Prometheus alert rules for KPI Targets, generated from one source (this module).

``kpi-targets rules`` writes ``prometheus/rules/kpi-targets.rules.yml``; the committed file is
checked against a fresh generation by the tests, so edit the rules here, never the YAML.

Breach alerts carry one name per quantifier, ``KpiBelowTarget`` (an ``or_more`` target not met) and
``KpiAboveTarget`` (an ``or_less`` target not met), because Alertmanager routes on labels (``kpi``,
``queue``, ``team``, ``severity``) and per-KPI alert names would add names, not routing power. The
rules behind each name are generated per KPI all the same: each KPI has its own minimum-volume
guard and its own way of writing a value in words (a percentage, a duration, a score).

Every breach rule joins ``kpi_value`` with ``kpi_target`` one to one ``ignoring(quantifier)``, so:
no target in force means no ``kpi_target`` series and nothing fires; equality is no breach (strict
``<`` / ``>``); and ``kpi_sample_size`` below the KPI's minimum silences the rule, so a quiet hour
with three contacts pages nobody. A breach is ``warning``; a breach beyond the KPI's critical
margin is also ``critical`` (route both, inhibit the warning by the critical). Each breach carries
a ``dashboard_url`` annotation: the KPI's Grafana dashboard with the breach's scope selected.
The minimum sample and what it counts come from ``exporter.presentation`` (one place per KPI).

Attainment alerts (``KpiTargetAttainmentLow``, on by default, one rule per KPI whose hours are
judged): the share of judged hours met over a window, ``increase(met) / increase(met + missed)``
of ``kpi_target_periods_total``, below a level, once at least a few hours were judged in it
(low-volume and no-data hours are judged neither way). Defaults: 80 % over 7 days, from 10 judged
hours; ``kpi-targets rules --attainment-level 0`` leaves them out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from exporter import names, presentation
from exporter.catalog import CATALOG, Kpi, Unit
from exporter.presentation import Presentation
from exporter.targets.model import Quantifier
from exporter.targets.periods import periods_judged

RULES_FILE_NAME = "kpi-targets.rules.yml"
DEFAULT_FOR = "10m"
DEFAULT_JOB = "kpi-targets"
DEFAULT_GRAFANA_URL = "http://localhost:3000"
# Dashboard variables a breach's labels fill in its dashboard_url (the others stay All).
_DASHBOARD_VARIABLES = ("channel", "queue", "team", "agent")
DEFAULT_STALL_MINUTES = 15
DOWN_FOR = "3m"
REJECTED_RATIO = 0.05
DEFAULT_ATTAINMENT_LEVEL = 0.8
DEFAULT_ATTAINMENT_WINDOW = "7d"
ATTAINMENT_MIN_JUDGED = 10
ATTAINMENT_FOR = "15m"

_DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")

# Critical when off by more than this. Bounded KPIs (ratios, scores): a tenth of their range, in
# the KPI's unit (10 points of service level, 0.4 of CSAT). Unbounded ones (seconds, counts):
# half the target (an AHT 50 % over target, a count at half of it).
_CRITICAL_SHARE_OF_RANGE = 0.10
_CRITICAL_RELATIVE = 0.5

# The labels of a breach that are not the scope: the alert text leaves them out. (The comparison
# keeps kpi_value's metric name in $labels.)
_NON_SCOPE_LABELS = (
    "__name__",
    names.KPI,
    names.LEVEL,
    names.QUANTIFIER,
    names.JOB,
    names.INSTANCE,
)


@dataclass(frozen=True, slots=True)
class BreachPolicy:
    """How breaches of one KPI alert (the minimum sample comes from ``exporter.presentation``)."""

    presentation: Presentation
    critical_margin: float  # absolute (bounded KPIs) or relative to the target (unbounded)
    critical_is_relative: bool

    @property
    def kpi(self) -> Kpi:
        return self.presentation.kpi

    @property
    def min_sample_size(self) -> float | None:
        return self.presentation.min_sample_size


def breach_policy(kpi: Kpi) -> BreachPolicy:
    shown = presentation.of(kpi.name)
    if kpi.minimum is not None and kpi.maximum is not None:
        margin = round((kpi.maximum - kpi.minimum) * _CRITICAL_SHARE_OF_RANGE, 6)
        return BreachPolicy(shown, margin, critical_is_relative=False)
    return BreachPolicy(shown, _CRITICAL_RELATIVE, critical_is_relative=True)


def dashboard_url(shown: Presentation, grafana_url: str) -> str:
    """A Go template: the KPI's dashboard with the breach's scope selected (the rest All)."""
    variables = "&".join(
        f"var-{label}={{{{ with $labels.{label} }}}}{{{{ . | urlquery }}}}"
        "{{ else }}$__all{{ end }}"
        for label in _DASHBOARD_VARIABLES
    )
    return f"{grafana_url.rstrip('/')}/d/{shown.dashboard}?{variables}"


def validate_duration(text: str) -> str:
    """``text`` when it is a Prometheus duration (``10m``, ``1h30m``), else ValueError."""
    if not _DURATION.match(text):
        raise ValueError(f"{text!r} is not a Prometheus duration such as 30s, 10m or 1h30m")
    return text


def _format_value(unit: Unit, expression: str) -> str:
    """A Go template pipeline writing ``expression``'s value in the KPI's unit."""
    if unit is Unit.RATIO:
        return f"{expression} | humanizePercentage"
    if unit is Unit.SECONDS:
        return f"{expression} | humanizeDuration"
    if unit is Unit.SCORE:
        return f'{expression} | printf "%.2f"'
    return f'{expression} | printf "%.0f"'


# Go templates (Prometheus alert annotations). $labels holds the breach's labels: kpi, quantifier,
# the scope labels, job and instance.
_SCOPE_TEMPLATE = (
    '{{- $scope := "" -}}'
    "{{- range $name, $value := $labels -}}"
    + "{{- if and "
    + " ".join(f'(ne $name "{label}")' for label in _NON_SCOPE_LABELS)
    + " -}}"
    '{{- if $scope }}{{ $scope = printf "%s, " $scope }}{{ end -}}'
    '{{- $scope = printf "%s%s=%s" $scope $name $value -}}'
    "{{- end -}}"
    "{{- end -}}"
    '{{- if not $scope }}{{ $scope = "the whole site" }}{{ end -}}'
)
_TARGET_SELECTOR_TEMPLATE = (
    '{{- $selector := "" -}}'
    "{{- range $name, $value := $labels -}}"
    '{{- if ne $name "__name__" }}{{ $selector = printf "%s%s=%q," $selector $name $value }}'
    "{{ end -}}"
    "{{- end -}}"
)


def _target_in_words(unit: Unit, wanted: str) -> str:
    """The target in force for the breach's series, read back with a query, e.g. "80% or more"."""
    return (
        '{{ with printf "'
        + names.KPI_TARGET
        + '{%s}" $selector | query }}{{ '
        + _format_value(unit, ". | first | value")
        + " }} "
        + wanted
        + "{{ else }}no longer in force{{ end }}"
    )


def _breach_rule(
    policy: BreachPolicy,
    quantifier: Quantifier,
    *,
    critical: bool,
    for_duration: str,
    job: str,
    grafana_url: str,
) -> dict[str, Any]:
    kpi = policy.kpi
    below = quantifier is Quantifier.OR_MORE
    comparison = "<" if below else ">"
    target = f'{names.KPI_TARGET}{{job="{job}", kpi="{kpi.name}", quantifier="{quantifier}"}}'
    if critical:
        if policy.critical_is_relative:
            factor = 1 - policy.critical_margin if below else 1 + policy.critical_margin
            target = f"({target} * {factor:g})"
        else:
            sign = "-" if below else "+"
            target = f"({target} {sign} {policy.critical_margin:g})"
    expression = (
        f'{names.KPI_VALUE}{{job="{job}", kpi="{kpi.name}"}}\n'
        f"  {comparison} ignoring(quantifier) group_left(quantifier)\n"
        f"{target}"
    )
    if policy.min_sample_size is not None:
        expression = (
            f"(\n{_indent(expression)}\n)\n"
            f"and ignoring(quantifier)\n"
            f'{names.KPI_SAMPLE_SIZE}{{job="{job}", kpi="{kpi.name}"}} '
            f">= {policy.min_sample_size:g}"
        )
    direction = "below" if below else "above"
    wanted = "or more" if below else "or less"
    value = "{{ " + _format_value(kpi.unit, "$value") + " }}"
    if critical:
        margin = (
            f"{policy.critical_margin:.0%} of the target"
            if policy.critical_is_relative
            else f"{policy.critical_margin:g}"
        )
        how_far = f" by more than {margin}"
    else:
        how_far = ""
    guard = (
        f" (alerting from {policy.min_sample_size:g} "
        f"{policy.presentation.volume_noun} in the period)"
        if policy.min_sample_size is not None
        else ""
    )
    return {
        "alert": "KpiBelowTarget" if below else "KpiAboveTarget",
        "expr": expression + "\n",
        "for": for_duration,
        # The kpi label is in the result already; repeating it keeps rules of one name distinct.
        "labels": {"severity": "critical" if critical else "warning", "kpi": kpi.name},
        "annotations": {
            "summary": (
                f"{_SCOPE_TEMPLATE}{kpi.title} {direction} target{how_far} for {{{{ $scope }}}}"
            ),
            "description": (
                f"{_SCOPE_TEMPLATE}{_TARGET_SELECTOR_TEMPLATE}"
                f"{kpi.title} ({kpi.period}) is {value} for {{{{ $scope }}}}; "
                f"the target in force is {_target_in_words(kpi.unit, wanted)}{guard}."
            ),
            "dashboard_url": dashboard_url(policy.presentation, grafana_url),
        },
    }


def _attainment_rule(
    shown: Presentation, *, level: float, window: str, job: str, grafana_url: str
) -> dict[str, Any]:
    kpi = shown.kpi
    series = f'{names.KPI_TARGET_PERIODS}{{job="{job}", kpi="{kpi.name}", {names.RESULT}'
    judged = f'sum without ({names.RESULT}) (increase({series}=~"met|missed"}}[{window}]))'
    met = f'sum without ({names.RESULT}) (increase({series}="met"}}[{window}]))'
    expression = (
        f"(\n  {met}\n/\n  {judged}\n) < {level:g}\nand\n{judged} >= {ATTAINMENT_MIN_JUDGED}\n"
    )
    return {
        "alert": "KpiTargetAttainmentLow",
        "expr": expression,
        "for": ATTAINMENT_FOR,
        "labels": {"severity": "warning", "kpi": kpi.name},
        "annotations": {
            "summary": (
                f"{_SCOPE_TEMPLATE}{kpi.title} target met in too few hours for {{{{ $scope }}}}"
            ),
            "description": (
                f"{_SCOPE_TEMPLATE}{kpi.title} met its target in {{{{ $value | "
                f"humanizePercentage }}}} of the judged hours of the last {window} for "
                f"{{{{ $scope }}}}, under {level:.0%} (judged hours: met or missed, on duty, with "
                f"enough {shown.volume_noun}; alerting from {ATTAINMENT_MIN_JUDGED} of them)."
            ),
            "dashboard_url": dashboard_url(shown, grafana_url),
        },
    }


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


def _exporter_rules(job: str, stall_minutes: int) -> list[dict[str, Any]]:
    stall_seconds = stall_minutes * 60
    return [
        {
            "alert": "KpiTargetsExporterDown",
            "expr": f'{names.UP}{{job="{job}"}} == 0 or absent({names.UP}{{job="{job}"}})\n',
            "for": DOWN_FOR,
            "labels": {"severity": "critical"},
            "annotations": {
                "summary": (
                    "KPI Targets exporter{{ with $labels.instance }} {{ . }}{{ end }} is down"
                ),
                "description": (
                    f"Prometheus has not scraped the {job} job{{{{ with $labels.instance }}}} "
                    f"on {{{{ . }}}}{{{{ end }}}} for {DOWN_FOR}: KPI values, targets and breach "
                    "alerts are missing."
                ),
            },
        },
        {
            "alert": "KpiTargetsSourceStalled",
            "expr": (
                f'time() - {names.SOURCE_LAST_EVENT_TIMESTAMP}{{job="{job}"}} '
                f"> {stall_seconds}\n"
                "and on(job, instance)\n"
                f'(count by (job, instance) ({names.KPI_TARGET}{{job="{job}"}}) > 0)\n'
            ),
            "for": "5m",
            "labels": {"severity": "warning"},
            "annotations": {
                "summary": "Source {{ $labels.source }} on {{ $labels.instance }} has stalled",
                "description": (
                    "No event from source {{ $labels.source }} for {{ $value | humanizeDuration }}"
                    " while targets are in force (operating hours): the KPIs are going stale."
                ),
            },
        },
        {
            "alert": "KpiTargetsInputRejected",
            "expr": (
                "sum by (job, instance, source) "
                f'(rate({names.EVENTS_REJECTED}{{job="{job}"}}[15m]))\n'
                "/\n"
                "sum by (job, instance, source) "
                f'(rate({names.EVENTS_READ}{{job="{job}"}}[15m]))\n'
                f"> {REJECTED_RATIO:g}\n"
            ),
            "for": "15m",
            "labels": {"severity": "warning"},
            "annotations": {
                "summary": "Source {{ $labels.source }} rejects much of its input",
                "description": (
                    "{{ $value | humanizePercentage }} of the events read from source "
                    "{{ $labels.source }} on {{ $labels.instance }} were rejected over 15 minutes "
                    "(the exporter's log says where and why)."
                ),
            },
        },
        {
            "alert": "KpiTargetsTargetsInvalid",
            "expr": f'{names.TARGETS_VALID}{{job="{job}"}} == 0\n',
            "for": "5m",
            "labels": {"severity": "warning"},
            "annotations": {
                "summary": "The target files on {{ $labels.instance }} are invalid",
                "description": (
                    "An edit to the target or calendar files was refused; the last good targets "
                    "stay in force. Run `kpi-targets check` to see every problem."
                ),
            },
        },
        {
            "alert": "KpiTargetsSourceDown",
            "expr": f'{names.SOURCE_UP}{{job="{job}"}} == 0\n',
            "for": "5m",
            "labels": {"severity": "warning"},
            "annotations": {
                "summary": "Source {{ $labels.source }} on {{ $labels.instance }} keeps failing",
                "description": (
                    "Source {{ $labels.source }} stopped with an error and has not run since "
                    f"(it is started again with backoff; {names.SOURCE_FAILURES} counts "
                    "the failures and the exporter's log says why)."
                ),
            },
        },
    ]


def _staffing_rules(job: str, for_duration: str) -> list[dict[str, Any]]:
    """``KpiUnderstaffed``: fewer agents on duty than the fewest any model says the target in
    force needs (``exporter.staffing_collector``); its series exist only while a service-level or
    ASA target is in force, so it is silent off duty, on closed dates and without a target."""
    required = f'{names.AGENTS_REQUIRED}{{job="{job}"}}'
    on_duty = f'{names.AGENTS_ON_DUTY}{{job="{job}", level="queue"}}'
    return [
        {
            "alert": "KpiUnderstaffed",
            "expr": (
                f"min without ({names.MODEL}) ({required})\n"
                f"- ignoring({names.KPI}) group_left()\n"
                f"{on_duty}\n"
                "> 0\n"
            ),
            "for": for_duration,
            "labels": {"severity": "warning"},
            "annotations": {
                "summary": (
                    "Queue {{ $labels.queue }} ({{ $labels.channel }}) is short "
                    "{{ $value }} agents for its {{ $labels.kpi }} target"
                ),
                "description": (
                    "At the traffic of the last 30 minutes, Erlang C (and Erlang A with the "
                    "queue's patience, the fewer of the two) needs {{ $value }} more agents than "
                    f"are on duty on {{{{ $labels.queue }}}} to meet the {{{{ $labels.kpi }}}} "
                    f"target in force ({names.AGENTS_REQUIRED}, {names.AGENTS_ON_DUTY})."
                ),
            },
        }
    ]


def build_rules(
    *,
    for_duration: str = DEFAULT_FOR,
    job: str = DEFAULT_JOB,
    stall_minutes: int = DEFAULT_STALL_MINUTES,
    grafana_url: str = DEFAULT_GRAFANA_URL,
    attainment_level: float = DEFAULT_ATTAINMENT_LEVEL,
    attainment_window: str = DEFAULT_ATTAINMENT_WINDOW,
) -> dict[str, Any]:
    """The rules file as a YAML-ready mapping; no attainment group when ``attainment_level`` is
    0."""
    validate_duration(for_duration)
    validate_duration(attainment_window)
    if not 0 <= attainment_level <= 1:
        raise ValueError(f"{attainment_level:g} is not a share between 0 and 1 (0 turns it off)")
    breach_rules = [
        _breach_rule(
            breach_policy(kpi),
            quantifier,
            critical=critical,
            for_duration=for_duration,
            job=job,
            grafana_url=grafana_url,
        )
        for kpi in CATALOG
        if kpi.eligible
        for quantifier in Quantifier
        for critical in (False, True)
    ]
    groups = [
        {"name": "kpi-targets-breaches", "rules": breach_rules},
        {"name": "kpi-targets-exporter", "rules": _exporter_rules(job, stall_minutes)},
    ]
    if attainment_level > 0:
        attainment_rules = [
            _attainment_rule(
                presentation.of(kpi.name),
                level=attainment_level,
                window=attainment_window,
                job=job,
                grafana_url=grafana_url,
            )
            for kpi in periods_judged()
        ]
        groups.append({"name": "kpi-targets-attainment", "rules": attainment_rules})
    groups.append({"name": "kpi-targets-staffing", "rules": _staffing_rules(job, for_duration)})
    return {"groups": groups}


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (PromQL) as literal blocks, so the file reads like hand-written rules."""


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_str)

_HEADER = (
    "# Generated by `kpi-targets rules` from exporter/rules.py: edit that, then regenerate.\n"
    "# Breach alerts fire only while a target is in force (kpi_target exists) and the period has\n"
    "# enough volume (kpi_sample_size); equality with the target is no breach.\n"
)


def render_rules(**options: Any) -> str:
    """The rules file's text."""
    body = yaml.dump(
        build_rules(**options), Dumper=_Dumper, sort_keys=False, width=1000, allow_unicode=True
    )
    return _HEADER + body
