"""The ``simulator:`` section of ``serve.yaml``: the user's own contact center, validated.

The keys are the field names of the dataclasses in ``exporter.simulator.center`` (one name per
fact), read from the YAML node so that every problem is reported as ``file:line: what``::

    simulator:
      timezone: UTC                       # of the hourly profiles and staffing
      breaks: null                        # or {interval_seconds: 7200, duration_mean_seconds: 600}
      queues:
        - name: support
          channel: voice                  # voice, chat, email
          arrivals_per_hour: 200          # mean arrivals in the busiest hour
          hourly_profile: [0, 0, ...]     # 24 shares of that peak by local hour; default all 1
          handling: {talk_mean_seconds: 180, talk_shape: 1, hold_probability: 0,
                     acw_mean_seconds: 0}
          patience_mean_seconds: 180      # null: nobody abandons; patience_shape: k (Erlang-k)
          survey: {response_probability: 0.3}   # null: no survey
          bot: {containment_probability: 0.65}  # a bot in front; leave out for none
      teams:
        - {name: blue, queues: [support], staffing: 12}   # or 24 hourly agent counts
      campaigns: []                       # outbound: {name, team, pacing_ratio, ...}

Pure: parsing only; the caller reads the file (``exporter.config``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import MISSING, fields
from typing import Any, TypeVar

import yaml

from exporter.config_errors import ConfigError
from exporter.events import Channel
from exporter.simulator.center import (
    HOURS_PER_DAY,
    ArrivalCurve,
    BotConfig,
    BreakConfig,
    CampaignConfig,
    HandlingConfig,
    QueueConfig,
    SimulatorConfig,
    SurveyConfig,
    TeamConfig,
)

_NESTED: dict[str, type] = {
    "handling": HandlingConfig,
    "survey": SurveyConfig,
    "bot": BotConfig,
}
_QUEUE_KEYS = ("arrivals_per_hour", "hourly_profile")  # read into QueueConfig.arrivals
_TOP_KEYS = ("timezone", "breaks", "queues", "teams", "campaigns")


class SimulatorSettingsError(ConfigError):
    """Every problem of a ``simulator:`` section, each as ``file:line: message``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _Reader:
    """Walks YAML nodes, collecting problems with their line instead of stopping at the first."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[str] = []

    def problem(self, node: yaml.Node, message: str) -> None:
        self.problems.append(f"{self.file}:{node.start_mark.line + 1}: {message}")

    def mapping(self, node: yaml.Node, what: str, known: tuple[str, ...]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{what}: expected a mapping")
            return {}
        found: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(known)}"
                self.problem(key_node, f"{what}: unknown key {key!r}{hint}")
            elif key in found:
                self.problem(key_node, f"{what}: {key} is set twice")
            else:
                found[key] = value_node
        return found

    def items(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null"):
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, f"{what}: expected a list")
            return []
        return list(node.value)

    def value(self, node: yaml.Node, what: str, kind: str) -> Any:
        """A scalar (or a list of numbers for ``kind="numbers"``) of the kind a field declares;
        ``_INVALID`` after recording a problem."""
        value = yaml.safe_load(yaml.serialize(node))
        optional = kind.endswith(" | None")
        base = kind.removesuffix(" | None")
        if value is None and optional:
            return None
        checks: dict[str, tuple[Any, str]] = {
            "float": (_number, "a number"),
            "int": (_whole, "a whole number"),
            "bool": (_bool, "true or false"),
            "str": (_text, "a name"),
            "Channel": (_channel, "voice, chat or email"),
            "tuple[str, ...]": (_names, "a list of names"),
        }
        convert, expected = checks[base]
        converted = convert(value)
        if converted is _INVALID:
            self.problem(node, f"{what}: expected {expected}, got {value!r}")
        return converted


_INVALID: Any = object()


def _number(value: Any) -> Any:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value == value
    return float(value) if ok else _INVALID


def _whole(value: Any) -> Any:
    return value if isinstance(value, int) and not isinstance(value, bool) else _INVALID


def _bool(value: Any) -> Any:
    return value if isinstance(value, bool) else _INVALID


def _text(value: Any) -> Any:
    return value if isinstance(value, str) and value.strip() else _INVALID


def _channel(value: Any) -> Any:
    return Channel(value) if value in tuple(Channel) else _INVALID


def _names(value: Any) -> Any:
    ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
    return tuple(value) if ok else _INVALID


def _dataclass(
    reader: _Reader,
    node: yaml.Node,
    cls: type,
    what: str,
    extra: tuple[str, ...] = (),
) -> tuple[dict[str, Any], dict[str, yaml.Node]]:
    """The fields of ``cls`` a mapping node sets (nested dataclasses read too), and the nodes
    of the ``extra`` keys the caller reads itself."""
    declared = {f.name: f for f in fields(cls)}
    special = ("arrivals", "staffing") if cls in (QueueConfig, TeamConfig) else ()
    known = tuple(name for name in declared if name not in special) + extra
    nodes = reader.mapping(node, what, known)
    values: dict[str, Any] = {}
    for name, value_node in nodes.items():
        if name in extra:
            continue
        label = f"{what}.{name}"
        nested = _NESTED.get(name)
        if nested is not None:
            if isinstance(value_node, yaml.ScalarNode) and value_node.tag.endswith(":null"):
                values[name] = None
            else:
                values[name] = nested(**_dataclass(reader, value_node, nested, label)[0])
            continue
        value = reader.value(value_node, label, str(declared[name].type))
        if value is not _INVALID:
            values[name] = value
    missing = [
        name
        for name, f in declared.items()
        if f.default is MISSING and f.default_factory is MISSING and name not in values
    ]
    for name in missing:
        if name not in special and name not in nodes:
            reader.problem(node, f"{what}: {name} is required")
    return values, {name: nodes[name] for name in extra if name in nodes}


def _hourly(reader: _Reader, node: yaml.Node, what: str, kind: str) -> tuple[float, ...] | None:
    """One value for every hour, or a list of 24 (``kind`` = "float" or "int")."""
    if isinstance(node, yaml.SequenceNode):
        values = [reader.value(item, f"{what}[{i}]", kind) for i, item in enumerate(node.value)]
        if len(values) != HOURS_PER_DAY:
            reader.problem(node, f"{what}: expected 24 values (hours 0-23), got {len(values)}")
            return None
        if any(value is _INVALID for value in values):
            return None
        return tuple(values)
    value = reader.value(node, what, kind)
    return None if value is _INVALID else (value,) * HOURS_PER_DAY


def _queue(reader: _Reader, node: yaml.Node, index: int) -> QueueConfig | None:
    what = f"simulator.queues[{index}]"
    values, extra = _dataclass(reader, node, QueueConfig, what, _QUEUE_KEYS)
    peak_node = extra.get("arrivals_per_hour")
    if peak_node is None:
        reader.problem(node, f"{what}: arrivals_per_hour is required")
        return None
    peak = reader.value(peak_node, f"{what}.arrivals_per_hour", "float")
    profile: tuple[float, ...] | None = (1.0,) * HOURS_PER_DAY
    if "hourly_profile" in extra:
        profile = _hourly(reader, extra["hourly_profile"], f"{what}.hourly_profile", "float")
    if peak is _INVALID or profile is None or not {"name", "channel"} <= values.keys():
        return None
    return QueueConfig(arrivals=ArrivalCurve.shaped(peak, profile), **values)


def _team(reader: _Reader, node: yaml.Node, index: int) -> TeamConfig | None:
    what = f"simulator.teams[{index}]"
    values, extra = _dataclass(reader, node, TeamConfig, what, ("staffing",))
    if "staffing" not in extra:
        reader.problem(node, f"{what}: staffing is required (agents on duty, or 24 counts)")
        return None
    staffing = _hourly(reader, extra["staffing"], f"{what}.staffing", "int")
    if staffing is None or not {"name", "queues"} <= values.keys():
        return None
    return TeamConfig(staffing=tuple(int(count) for count in staffing), **values)


def _campaign(reader: _Reader, node: yaml.Node, index: int) -> CampaignConfig | None:
    values, _ = _dataclass(reader, node, CampaignConfig, f"simulator.campaigns[{index}]")
    return CampaignConfig(**values) if {"name", "team"} <= values.keys() else None


Item = TypeVar("Item", QueueConfig, TeamConfig, CampaignConfig)


def _each(
    reader: _Reader,
    top: dict[str, yaml.Node],
    key: str,
    parse: Callable[[_Reader, yaml.Node, int], Item | None],
    lines: dict[str, yaml.Node],
) -> tuple[Item, ...]:
    """Every valid item of the list ``key``; ``lines`` learns where each one is written (as
    ``queue 'name'``, the way model-level problems name it)."""
    items = reader.items(top[key], f"simulator.{key}") if key in top else []
    found = []
    for index, node in enumerate(items):
        item = parse(reader, node, index)
        if item is not None:
            found.append(item)
            lines[f"{key.removesuffix('s')} {item.name!r}"] = node
    return tuple(found)


def parse_simulator_node(node: yaml.Node, file: str) -> SimulatorConfig:
    """The ``SimulatorConfig`` a ``simulator:`` node describes; SimulatorSettingsError lists
    every problem with its line."""
    reader = _Reader(file)
    top = reader.mapping(node, "simulator", _TOP_KEYS)
    lines: dict[str, yaml.Node] = {}  # "queue 'x'" -> its node, to place model-level problems
    for required in ("queues", "teams"):
        if required not in top and isinstance(node, yaml.MappingNode):
            reader.problem(node, f"simulator: {required} is required")
    queues = _each(reader, top, "queues", _queue, lines)
    teams = _each(reader, top, "teams", _team, lines)
    campaigns = _each(reader, top, "campaigns", _campaign, lines)
    options: dict[str, Any] = {}
    if "timezone" in top:
        zone = reader.value(top["timezone"], "simulator.timezone", "str")
        if zone is not _INVALID:
            options["timezone"] = zone
    else:
        options["timezone"] = "UTC"
    if "breaks" in top:
        breaks_node = top["breaks"]
        if isinstance(breaks_node, yaml.ScalarNode) and breaks_node.tag.endswith(":null"):
            options["breaks"] = None
        else:
            values, _ = _dataclass(reader, breaks_node, BreakConfig, "simulator.breaks")
            options["breaks"] = BreakConfig(**values)
    if reader.problems:
        raise SimulatorSettingsError(reader.problems)
    try:
        return SimulatorConfig(queues=queues, teams=teams, campaigns=campaigns, **options)
    except ValueError as error:
        text = str(error).removeprefix("invalid simulator configuration: ")
        for problem in text.split("; "):
            where = re.match(r"(queue|team|campaign) '[^']*'", problem)
            located = lines.get(where.group(0), node) if where else node
            reader.problem(located, f"simulator: {problem}")
        raise SimulatorSettingsError(reader.problems) from None
