"""Source specs: the one-string way users name a file source, ``KIND:PATH[?OPTION=VALUE&...]``.

==========================================  ===================================================
``queue_log:/var/log/asterisk/queue_log``   Asterisk queue_log, layout found from the first line
``queue_log:export.csv?layout=table``       options: ``layout`` (auto, file, table), ``follow``
                                            (yes/no), ``agent_teams`` (YAML file),
                                            ``agent_map`` (YAML file), ``timezone``
``records:contacts.csv``                    contact records, CSV or JSON Lines (by suffix)
``records:calls.csv?mapping=map.yaml``      options: ``mapping`` (YAML file or preset name),
                                            ``format`` (auto, csv, jsonl), ``follow``,
                                            ``timezone``
==========================================  ===================================================

Explicit arguments to ``build_source`` (command-line options) win over options in the spec.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from exporter.sources.queue_log import QueueLogSource
from exporter.sources.queue_log_agents import AgentMap, AgentMapError, agent_map_from_dict
from exporter.sources.records import RecordsSource
from exporter.sources.records_parse import PRESETS, RecordMapping, mapping_from_dict
from exporter.targets import yamlload
from exporter.zones import load_zone

SOURCE_OPTIONS: dict[str, frozenset[str]] = {
    "queue_log": frozenset({"layout", "follow", "agent_teams", "agent_map", "timezone"}),
    "records": frozenset({"mapping", "format", "follow", "timezone"}),
}
_CHOICES = {"layout": ("auto", "file", "table"), "format": ("auto", "csv", "jsonl")}
_YES = frozenset({"yes", "true", "1", "on"})
_NO = frozenset({"no", "false", "0", "off"})


class SourceSpecError(ValueError):
    """A source spec, mapping file or agent-teams file that cannot be used; says what and where."""


@dataclass(frozen=True, slots=True)
class SourceSpec:
    kind: str
    path: Path
    options: Mapping[str, str] = field(default_factory=dict)


def parse_source_spec(text: str) -> SourceSpec:
    kind, separator, rest = text.partition(":")
    if not separator or kind not in SOURCE_OPTIONS:
        raise SourceSpecError(
            f"source {text!r}: expected KIND:PATH with KIND one of "
            f"{', '.join(SOURCE_OPTIONS)} (e.g. queue_log:/var/log/asterisk/queue_log)"
        )
    path_text, _, query = rest.partition("?")
    if not path_text:
        raise SourceSpecError(f"source {text!r}: no file path after {kind}:")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise SourceSpecError(f"source {text!r}: options must be ?NAME=VALUE&NAME=VALUE") from None
    options = dict(pairs)
    unknown = sorted(set(options) - SOURCE_OPTIONS[kind])
    if unknown:
        raise SourceSpecError(
            f"source {text!r}: unknown option(s) {', '.join(unknown)} for {kind}; "
            f"known: {', '.join(sorted(SOURCE_OPTIONS[kind]))}"
        )
    for name, choices in _CHOICES.items():
        if name in options and options[name] not in choices:
            raise SourceSpecError(
                f"source {text!r}: {name}={options[name]} is not one of {', '.join(choices)}"
            )
    if "follow" in options and options["follow"].lower() not in _YES | _NO:
        raise SourceSpecError(f"source {text!r}: follow={options['follow']} is not yes or no")
    return SourceSpec(kind, Path(path_text), options)


def load_mapping(value: str) -> RecordMapping:
    """A records mapping from a YAML file, or a preset by name (a file of that name wins)."""
    path = Path(value)
    if not path.exists() and value in PRESETS:
        return PRESETS[value]
    data = _load_yaml(path, "mapping")
    if not isinstance(data, dict):
        raise SourceSpecError(f"{path}: a mapping file holds a YAML mapping (columns:, ...)")
    try:
        return mapping_from_dict(data, str(path))
    except ValueError as error:
        raise SourceSpecError(str(error)) from None


def load_agent_teams(path: Path) -> dict[str, str]:
    """Agent -> team from YAML: ``{SIP/1001: blue}``, or team -> agents ``{blue: [SIP/1001]}``."""
    data = _load_yaml(path, "agent teams")
    if not isinstance(data, dict):
        raise SourceSpecError(f"{path}: expected a YAML mapping of agent: team or team: [agents]")
    teams: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, list):
            teams.update({str(agent): str(key) for agent in value})
        elif isinstance(value, str | int):
            teams[str(key)] = str(value)
        else:
            raise SourceSpecError(f"{path}: {key}: expected a team name or a list of agents")
    return teams


def load_agent_map(path: Path) -> AgentMap:
    """Interface -> agent id from YAML (``pattern:`` and/or ``agents:``, see queue_log_agents)."""
    try:
        return agent_map_from_dict(_load_yaml(path, "agent map"), str(path))
    except AgentMapError as error:
        raise SourceSpecError(str(error)) from None


def _load_yaml(path: Path, what: str) -> object:
    """The file's YAML data; ``SourceSpecError`` naming ``path:line`` (never quoting the file:
    the path may name any file, and its content must not end up in a message or a log)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SourceSpecError(f"{path}: cannot read the {what} file: {error.strerror}") from None
    except UnicodeDecodeError:
        raise SourceSpecError(f"{path}: the {what} file is not UTF-8 text") from None
    try:
        document = yamlload.load(text)
    except yamlload.YamlSyntaxError as error:
        raise SourceSpecError(f"{path}:{error.line}: {error.message}") from None
    if document.issues:
        raise SourceSpecError(
            "\n".join(f"{path}:{issue.line}: {issue.message}" for issue in document.issues)
        )
    return document.data


def _zone(name: str) -> ZoneInfo:
    try:
        return load_zone(name)
    except ValueError as error:
        raise SourceSpecError(f"timezone: {error}") from None


def build_source(
    spec: SourceSpec,
    *,
    follow: bool | None = None,
    timezone: ZoneInfo | None = None,
    mapping: RecordMapping | None = None,
    agent_teams: Mapping[str, str] | None = None,
) -> QueueLogSource | RecordsSource:
    """The source a spec names; arguments given here win over the spec's options."""
    options = spec.options
    if follow is None:
        follow = options.get("follow", "no").lower() in _YES
    if timezone is None and "timezone" in options:
        timezone = _zone(options["timezone"])
    if spec.kind == "queue_log":
        if agent_teams is None and "agent_teams" in options:
            agent_teams = load_agent_teams(Path(options["agent_teams"]))
        layout = options.get("layout", "auto")
        agent_map = load_agent_map(Path(options["agent_map"])) if "agent_map" in options else None
        return QueueLogSource(
            spec.path,
            follow=follow,
            layout=layout,  # type: ignore[arg-type]  # checked by parse_source_spec
            agent_teams=agent_teams,
            agent_map=agent_map,
            timezone=timezone,
        )
    if mapping is None and "mapping" in options:
        mapping = load_mapping(options["mapping"])
    return RecordsSource(
        spec.path,
        mapping=mapping,
        follow=follow,
        timezone=timezone,
        record_format=options.get("format", "auto"),  # type: ignore[arg-type]
    )
