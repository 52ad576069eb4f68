"""``kpi-targets serve`` settings: defaults, an optional YAML config file, and flags on top.

The config file uses the flags' names with underscores (``metrics_address: 127.0.0.1:9491``,
``sources: [simulator, "queue_log:/var/log/asterisk/queue_log"]``); a flag given on the command
line wins over the file. Every invalid value is refused with the file, the line and what is wrong.
Pure logic: reading the file is the caller's job (``load_config_file`` is the one I/O helper).
"""

from __future__ import annotations

import ipaddress
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from exporter.engine.types import ServiceLevelVariant
from exporter.targets import yamlload
from exporter.zones import load_zone

DEFAULT_METRICS_ADDRESS = "127.0.0.1:9491"
DEFAULT_ADMIN_ADDRESS = "127.0.0.1:9492"
LOG_LEVELS = ("debug", "info", "warning", "error")


class ConfigError(ValueError):
    """A setting that cannot be used; the message says where and what."""


@dataclass(frozen=True, slots=True)
class Address:
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

    def url(self, path: str = "/") -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class ServeSettings:
    metrics_address: Address = Address("127.0.0.1", 9491)
    admin_address: Address = Address("127.0.0.1", 9492)
    targets: Path = Path("targets")
    sources: tuple[str, ...] = ("simulator",)
    timezone: ZoneInfo | None = None  # None: the calendar's
    service_level_variant: ServiceLevelVariant | None = None  # None: the engine's default
    short_abandon_seconds: float | None = None  # None: the engine's default
    simulator_seed: int = 1
    simulator_speed: float = 1.0
    simulator_start: float | None = None  # Unix seconds; None: now
    events_token_file: Path | None = None
    state_dir: Path = Path("var")
    log_level: str = "info"
    check_only: bool = False


def parse_address(text: str) -> Address:
    """``HOST:PORT`` (``[::1]:9491`` for IPv6) as an Address; ValueError saying why not."""
    host, separator, port_text = text.rpartition(":")
    if not separator or not host:
        raise ValueError(f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:9491)")
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


def _non_negative(text: str) -> float:
    value = float(text)
    if not 0 <= value < math.inf:
        raise ValueError(f"{text!r} must be a number >= 0")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if not 0 < value < math.inf:
        raise ValueError(f"{text!r} must be a number > 0")
    return value


def _log_level(text: str) -> str:
    if text.lower() not in LOG_LEVELS:
        raise ValueError(f"{text!r} is not a log level ({', '.join(LOG_LEVELS)})")
    return text.lower()


def _sources(value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise ValueError("expected a list of source specs, e.g. [simulator]")
    return tuple(items)


# Setting name -> how a text (or, from YAML, a value) becomes the setting's value.
_CONVERTERS: dict[str, Any] = {
    "metrics_address": parse_address,
    "admin_address": parse_address,
    "targets": Path,
    "sources": _sources,
    "timezone": parse_timezone,
    "service_level_variant": parse_variant,
    "short_abandon_seconds": _non_negative,
    "simulator_seed": int,
    "simulator_speed": _positive,
    "simulator_start": parse_instant,
    "events_token_file": Path,
    "state_dir": Path,
    "log_level": _log_level,
}
CONFIG_KEYS = tuple(_CONVERTERS)
assert set(CONFIG_KEYS) <= {f.name for f in fields(ServeSettings)}


def convert(name: str, value: Any) -> Any:
    """One setting's value from its text (flags) or YAML value (config file)."""
    converter = _CONVERTERS[name]
    if name == "sources":
        return converter(value)
    if isinstance(value, bool | list | dict) or value is None:
        raise ValueError(f"{value!r} is not a single value")
    if name == "simulator_seed" and isinstance(value, float):
        raise ValueError(f"{value!r} is not a whole number")
    try:
        return converter(str(value))
    except ValueError as error:
        message = str(error)
        if "could not convert" in message or "invalid literal" in message:
            raise ValueError(f"{value!r} is not a number") from None
        raise


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
        if key not in _CONVERTERS:
            problems.append(
                f"{file}:{line}: unknown setting {key!r}; known: {', '.join(CONFIG_KEYS)}"
            )
            continue
        if key in settings:
            problems.append(f"{file}:{line}: {key} is set twice")
            continue
        value = yaml.safe_load(yaml.serialize(value_node))
        try:
            settings[key] = convert(key, value)
        except ValueError as error:
            problems.append(f"{file}:{line}: {key}: {error}")
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


def build_settings(
    file_settings: Mapping[str, Any], flag_settings: Mapping[str, Any]
) -> ServeSettings:
    """Defaults, then the config file, then the flags given on the command line."""
    return replace(ServeSettings(), **{**file_settings, **flag_settings})


def log_level_number(level: str) -> int:
    return int(getattr(logging, level.upper()))
