"""``kpi-targets serve`` settings, each declared once: its field in ``ServeSettings`` gives the
default, the help text, the parser, and from its name the flag (``--metrics-address``), the config
file key (``metrics_address``) and the environment variable (``KPI_TARGETS_METRICS_ADDRESS``).

Precedence, lowest first: the default, the config file (``--config serve.yaml``), the environment,
the flags given on the command line. Every invalid value is refused with where it came from (file
and line, variable, or flag) and what is wrong, all problems at once. Secrets are never a setting's
value: settings name the files that hold them (``events_token_file``, ``web_config_file``).

To add a setting, add one field with ``setting(...)`` below: the flag, the config key, the
environment variable, ``--help``, the README's flag reference (a test compares them) and
``kpi-targets init``'s ``serve.yaml`` follow. A section of the config file (a mapping with its own
keys, no flag) is a field with ``setting(..., section=True)`` whose parser takes the YAML node.

Pure logic but for ``load_config_file`` and ``SettingsSource.load`` (which reads the file the same
way on SIGHUP); the environment is handed in.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import textwrap
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from exporter.config_errors import ConfigError  # raised here, and the settings API re-exports it
from exporter.engine.types import ServiceLevelVariant
from exporter.simulator.center import SimulatorConfig
from exporter.simulator.yaml_section import parse_simulator_node
from exporter.targets import yamlload
from exporter.targets.problems import did_you_mean
from exporter.zones import load_zone

ENV_PREFIX = "KPI_TARGETS_"
LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMATS = ("logfmt", "json")


@dataclass(frozen=True, slots=True)
class Address:
    """Where a server listens. ``host`` "" (written ``:PORT``) means every interface."""

    host: str
    port: int

    @property
    def is_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def url(self, path: str = "/", *, tls: bool = False) -> str:
        """A URL a browser on this machine can open (``localhost`` for every interface)."""
        host = self.host or "localhost"
        host = f"[{host}]" if ":" in host else host
        return f"{'https' if tls else 'http'}://{host}:{self.port}{path}"

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


# --- parsers: text (a flag, a variable, a YAML scalar) to value; ValueError saying why not -----


def parse_address(text: str) -> Address:
    """``HOST:PORT`` (``[::1]:9491`` for IPv6, ``:9491`` for every interface) as an Address."""
    host, separator, port_text = text.rpartition(":")
    if not separator:
        raise ValueError(f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:9491, or :9491 for all)")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"{text!r}: write an IPv6 host in brackets, e.g. [::1]:9491")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"{text!r}: the port must be a number from 1 to 65535")
    return Address(host, int(port_text))


def parse_timezone(text: str) -> ZoneInfo:
    return load_zone(text)


def parse_variant(text: str) -> ServiceLevelVariant:
    try:
        return ServiceLevelVariant(text)
    except ValueError:
        choices = ", ".join(variant.value for variant in ServiceLevelVariant)
        raise ValueError(f"{text!r} is not a service-level variant ({choices})") from None


def parse_instant(text: str) -> float:
    """An ISO-8601 instant with its UTC offset, as Unix seconds."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO-8601 date and time") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset (e.g. 2026-03-02T10:40:00+01:00)")
    return parsed.timestamp()


def parse_prometheus_url(text: str) -> str:
    """``http(s)://host:port[/prefix]``, without a trailing slash; ValueError saying why not."""
    parts = urllib.parse.urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{text!r} is not an http:// or https:// URL (e.g. http://127.0.0.1:9090)")
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            "the URL must not carry a user or password (it would be logged): put them in "
            "--prometheus-http-config-file (basic_auth)"
        )
    if parts.query or parts.fragment:
        raise ValueError(f"{text!r}: the URL must not have a query (?...) or a fragment (#...)")
    try:
        parts.port  # noqa: B018  # raises ValueError for a port out of range
    except ValueError:
        raise ValueError(f"{text!r}: the port must be a number from 1 to 65535") from None
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None


def _non_negative(text: str) -> float:
    value = _number(text)
    if not 0 <= value < math.inf:
        raise ValueError(f"{text!r} must be a number >= 0")
    return value


def _positive(text: str) -> float:
    value = _number(text)
    if not 0 < value < math.inf:
        raise ValueError(f"{text!r} must be a number > 0")
    return value


def _occupancy(text: str) -> float:
    value = _number(text)
    if not 0 < value <= 1:
        raise ValueError(f"{text!r} must be a ratio over 0 and at most 1 (0.85 = 85 %)")
    return value


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None


def _choice(options: tuple[str, ...], what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.lower() not in options:
            raise ValueError(f"{text!r} is not {what} ({', '.join(options)})")
        return text.lower()

    return parse


def _sources(value: Any) -> tuple[str, ...]:
    """A list (YAML), or one spec per flag, or comma-separated specs (environment)."""
    items = value.split(",") if isinstance(value, str) else value
    if (
        not isinstance(items, list | tuple)
        or not items
        or not all(isinstance(i, str) for i in items)
    ):
        raise ValueError("expected a list of source specs, e.g. [simulator]")
    return tuple(item.strip() for item in items)


# --- the settings -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """How one ServeSettings field is given: parser, help, and how the flag is spelled."""

    parse: Callable[..., Any]  # text -> value; for a section (node, file) -> value
    help: str
    metavar: str | None = None
    flag: str | None = None  # default: --name-with-dashes
    default_text: str | None = None  # what --help says the default is; default: str(default)
    is_list: bool = False  # a repeatable flag; a YAML list; comma-separated in the environment
    # A section: a mapping in the config file only (no flag, no variable), parsed from its YAML
    # node by parse(node, file), which raises ConfigError with one "file:line: ..." per problem.
    section: bool = False


def setting(default: Any, parse: Callable[..., Any], help: str, **spec: Any) -> Any:
    return field(default=default, metadata={"setting": SettingSpec(parse, help, **spec)})


@dataclass(frozen=True, slots=True)
class ServeSettings:
    metrics_address: Address = setting(
        Address("127.0.0.1", 9491),
        parse_address,
        "where /metrics listens; :PORT for every interface",
        metavar="HOST:PORT",
    )
    admin_address: Address = setting(
        Address("127.0.0.1", 9492),
        parse_address,
        "where the admin port (UI, POST /api/v1/events, /healthz) listens; :PORT for every "
        "interface",
        metavar="HOST:PORT",
    )
    web_config_file: Path | None = setting(
        None,
        Path,
        "TLS and basic auth for both ports, in the Prometheus exporter-toolkit format "
        "(tls_server_config, basic_auth_users with bcrypt hashes)",
        metavar="FILE",
        flag="--web.config.file",
        default_text="plain HTTP, no login",
    )
    targets: Path | None = setting(
        None,
        Path,
        "directory holding targets.yaml and calendar.yaml",
        metavar="DIR",
        default_text="./targets if it exists, else the built-in example (read-only)",
    )
    sources: tuple[str, ...] = setting(
        ("simulator",),
        _sources,
        "where contact data comes from: simulator | queue_log:PATH | records:PATH | http; "
        "repeatable",
        metavar="SPEC",
        flag="--source",
        default_text="simulator",
        is_list=True,
    )
    timezone: ZoneInfo | None = setting(
        None,
        parse_timezone,
        "time zone of Hourly KPIs",
        metavar="ZONE",
        default_text="the calendar's",
    )
    service_level_variant: ServiceLevelVariant | None = setting(
        None,
        parse_variant,
        "answered | answered_and_abandoned | abandoned_after_threshold | "
        "offered_minus_short_abandons | within_threshold",
        metavar="VARIANT",
        default_text="offered_minus_short_abandons",
    )
    short_abandon_seconds: float | None = setting(
        None,
        _non_negative,
        "abandons within this wait are misdials",
        metavar="SECONDS",
        default_text="5",
    )
    stale_waiting_seconds: float | None = setting(
        None,
        _positive,
        "a caller still waiting after this long is forgotten by the In Queue KPIs (its end was "
        "lost)",
        metavar="SECONDS",
        default_text="86400 (24 h)",
    )
    staffing_max_occupancy: float | None = setting(
        None,
        _occupancy,
        "the agents needed are at least the load over this occupancy (e.g. 0.85); none: Erlang "
        "alone",
        metavar="RATIO",
        default_text="none",
    )
    staffing_patience_seconds: float | None = setting(
        None,
        _positive,
        "callers' mean patience for Erlang A's agents needed; none: estimated per queue from its "
        "abandons and waits",
        metavar="SECONDS",
        default_text="estimated",
    )
    simulator_seed: int = setting(1, _whole, "simulator random seed", metavar="N")
    simulator_speed: float = setting(
        1.0,
        _positive,
        "simulated seconds per wall-clock second; above 1 the exporter's clock runs that fast too",
        metavar="X",
    )
    simulator_start: float | None = setting(
        None,
        parse_instant,
        "simulated instant to start at, e.g. 2026-03-02T10:40:00+01:00",
        metavar="ISO-8601",
        default_text="now, or the last time the calendar was on duty if it is off duty now",
    )
    events_token_file: Path | None = setting(
        None,
        Path,
        "file holding the bearer token for POST /api/v1/events (or the variable "
        "KPI_TARGETS_EVENTS_TOKEN holding the token itself)",
        metavar="FILE",
        default_text="none: the HTTP source is off",
    )
    state_dir: Path = setting(
        Path("var"),
        Path,
        "state directory: the event journal, the admin UI's users and session key",
        metavar="DIR",
    )
    prometheus_url: str | None = setting(
        None,
        parse_prometheus_url,
        "the Prometheus that scrapes this exporter, for the admin UI's attainment (met hours) "
        "next to each target, e.g. http://127.0.0.1:9090",
        metavar="URL",
        default_text="none: the admin UI shows no attainment",
    )
    prometheus_http_config_file: Path | None = setting(
        None,
        Path,
        "how to connect to that Prometheus: basic_auth, authorization, tls_config, in "
        "Prometheus's HTTP client format (promtool's --http.config.file)",
        metavar="FILE",
        default_text="no login, the system's CAs",
    )
    prometheus_timeout: float = setting(
        1.0,
        _positive,
        "how long the admin UI waits for Prometheus's answer before showing the page without it",
        metavar="SECONDS",
    )
    # Checked line by line where the simulator defines it.
    simulator: SimulatorConfig | None = setting(
        None,
        parse_simulator_node,
        "the simulated contact center: queues, teams, campaigns, handle time, patience",
        section=True,
        default_text="the built-in demo center",
    )
    log_level: str = setting(
        "info", _choice(LOG_LEVELS, "a log level"), " | ".join(LOG_LEVELS), metavar="LEVEL"
    )
    log_format: str = setting(
        "logfmt", _choice(LOG_FORMATS, "a log format"), " | ".join(LOG_FORMATS), metavar="FORMAT"
    )


def settings_specs(*, sections: bool = True) -> Iterator[tuple[str, Any, SettingSpec]]:
    """(name, default, spec) of every setting in declaration order (without the config file's
    sections when ``sections`` is False: those are the ones with a flag and a variable)."""
    for item in fields(ServeSettings):
        spec = item.metadata.get("setting")
        if spec is not None and (sections or not spec.section):
            yield item.name, item.default, spec


SPECS: dict[str, SettingSpec] = {name: spec for name, _default, spec in settings_specs()}
CONFIG_KEYS = tuple(SPECS)


def flag_of(name: str) -> str:
    return SPECS[name].flag or "--" + name.replace("_", "-")


def env_of(name: str) -> str:
    return ENV_PREFIX + name.upper()


def default_text(name: str) -> str:
    spec = SPECS[name]
    if spec.default_text is not None:
        return spec.default_text
    return str(ServeSettings.__dataclass_fields__[name].default)


def convert(name: str, value: Any) -> Any:
    """One setting's value from its text (flags, environment) or YAML value (config file)."""
    spec = SPECS[name]
    if spec.is_list:
        return spec.parse(value)
    if isinstance(value, bool | list | dict) or value is None:
        raise ValueError(f"{value!r} is not a single value")
    if isinstance(value, float) and spec.parse is _whole:
        raise ValueError(f"{value!r} is not a whole number")
    return spec.parse(str(value))


def _refuse_hostile_yaml(text: str, file: str) -> None:
    """``ConfigError`` with ``file:line`` for what plain PyYAML would crash on or misread (control
    characters, deep nesting, alias cycles and bombs, tags, huge numbers, duplicate keys: see
    ``yamlload``; and settings left empty), before the settings are read from the document."""
    try:
        document = yamlload.load(text)
    except yamlload.YamlSyntaxError as error:
        raise ConfigError(f"{file}:{error.line}: {error.message}") from None
    problems = [f"{file}:{issue.line}: {issue.message}" for issue in document.issues]
    if not problems and isinstance(document.data, yamlload.LineMap):
        problems += [
            f"{file}:{document.data.line_of(key)}: {key}: no value (leave the setting out instead)"
            for key, value in document.data.items()
            if value is None
        ]
    if problems:
        raise ConfigError("\n".join(problems))


def parse_config_text(text: str, file: str) -> dict[str, Any]:
    """The settings a config file sets, converted; ConfigError with ``file:line`` otherwise."""
    _refuse_hostile_yaml(text, file)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{file}{line}: not valid YAML: {error}") from None
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(f"{file}:{root.start_mark.line + 1}: expected a mapping of settings")
    problems: list[str] = []
    settings: dict[str, Any] = {}
    for key_node, value_node in root.value:
        line = key_node.start_mark.line + 1
        key = key_node.value
        if key not in SPECS:
            hint = did_you_mean(key, CONFIG_KEYS) or f" (known: {', '.join(CONFIG_KEYS)})"
            problems.append(f"{file}:{line}: unknown setting {key!r}{hint}")
            continue
        if key in settings:
            problems.append(f"{file}:{line}: {key} is set twice")
            continue
        if SPECS[key].section:
            try:
                settings[key] = SPECS[key].parse(value_node, file)
            except ConfigError as error:
                problems.extend(str(error).splitlines())
            continue
        try:
            # A tagged scalar PyYAML cannot build (``!!int 08``) raises ValueError here.
            value = yaml.safe_load(yaml.serialize(value_node))
        except (yaml.YAMLError, ValueError) as error:
            problems.append(f"{file}:{line}: {key}: not a value YAML can read: {error}")
            continue
        try:
            settings[key] = convert(key, value)
        except ValueError as error:
            problems.append(f"{file}:{line}: {key}: {error}")
    if problems:
        raise ConfigError("\n".join(problems))
    return settings


def parse_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings ``KPI_TARGETS_*`` variables set, converted; ConfigError naming each bad one."""
    given = {
        name: environ[env_of(name)]
        for name, _default, _spec in settings_specs(sections=False)
        if env_of(name) in environ
    }
    return _converted(given, env_of)


def parse_flags(given: Mapping[str, Any]) -> dict[str, Any]:
    """The settings given as flags (name -> text, or list of texts), converted."""
    return _converted(given, flag_of)


def _converted(given: Mapping[str, Any], where: Callable[[str], str]) -> dict[str, Any]:
    """Each value converted; ConfigError with one ``where(name): problem`` line per bad one."""
    problems: list[str] = []
    settings: dict[str, Any] = {}
    for name, value in given.items():
        try:
            settings[name] = convert(name, value)
        except ValueError as error:
            problems.append(f"{where(name)}: {error}")
    if problems:
        raise ConfigError("\n".join(problems))
    return settings


def load_config_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the config file: {error.strerror}") from None
    except UnicodeDecodeError as error:
        line = error.object[: error.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text") from None
    return parse_config_text(text, str(path))


def build_settings(*layers: Mapping[str, Any]) -> ServeSettings:
    """The defaults, then each layer on top (config file, environment, flags)."""
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update(layer)
    return replace(ServeSettings(), **merged)


def example_config() -> str:
    """A ``serve.yaml`` listing every setting, commented out at its default, with its help."""
    lines = [
        "# kpi-targets serve --config serve.yaml",
        "# Every setting, at its default (uncomment to change). Precedence: this file, then the",
        f"# environment ({ENV_PREFIX}<KEY IN CAPITALS>), then flags.",
    ]
    for name, default, spec in settings_specs():
        lines.append("")
        about = spec.help if spec.section else f"{spec.help} ({flag_of(name)}, {env_of(name)})"
        lines.extend(textwrap.wrap(about, width=98, initial_indent="# ", subsequent_indent="# "))
        if spec.section:
            lines.append(f"# {name}:    # a section of its own: see the README")
        elif spec.is_list:
            lines.append(f"# {name}: [{', '.join(default)}]")
        elif default is None:
            lines.append(f"# {name}:    # default: {default_text(name)}")
        else:
            lines.append(f"# {name}: {default}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class SettingsSource:
    """Where the settings come from, kept so SIGHUP can read them again."""

    config_file: Path | None = None
    flags: Mapping[str, Any] = field(default_factory=dict)
    environ: Mapping[str, str] = field(default_factory=dict)

    def load(self) -> ServeSettings:
        """Defaults, file, environment, flags; ConfigError listing every problem of all three."""
        layers: list[dict[str, Any]] = []
        problems: list[str] = []
        readers: list[Callable[[], dict[str, Any]]] = [
            lambda: load_config_file(self.config_file) if self.config_file else {},
            lambda: parse_environment(self.environ),
            lambda: parse_flags(self.flags),
        ]
        for read in readers:
            try:
                layers.append(read())
            except ConfigError as error:
                problems.append(str(error))
        if problems:
            raise ConfigError("\n".join(problems))
        return build_settings(*layers)


def log_level_number(level: str) -> int:
    return int(getattr(logging, level.upper()))
