"""What Grafana does with a panel query before sending it to Prometheus, for the tests that run
every query of the committed dashboards: find them, and substitute the variables."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DASHBOARDS = ROOT / "grafana" / "dashboards"
VARIABLES = ("channel", "queue", "team", "agent")
ALL = ".*"  # the variables' allValue
# The roles (refIds) of queries that show a target, a verdict or judged hours: Show KPI Targets
# Off empties them.
TARGET_ROLES = ("target", "met", "missed", "state", "attainment", "periods", "hours")
# The agents-needed panels' roles: shown only with Show KPI Targets On too.
STAFFING_ROLES = ("required", "on_duty", "gap", "short", "spare")
_REGEX_SPECIALS = re.compile(r"([\\.^$*+?()\[\]{}|])")


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    role: str  # the refId: value, target, met, missed, neutral, range, state, attainment, ...
    expr: str
    instant: bool

    def uses(self, variable: str) -> bool:
        return f"${variable}" in self.expr


def panel_queries() -> list[PanelQuery]:
    found = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        board = json.loads(path.read_text(encoding="utf-8"))
        for panel in _panels(board["panels"]):
            for target in panel.get("targets", []):
                found.append(
                    PanelQuery(
                        board["title"],
                        panel["title"],
                        target["refId"],
                        target["expr"],
                        bool(target.get("instant")),
                    )
                )
    return found


def _panels(panels: list[dict[str, object]]) -> Iterator[dict[str, object]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))  # type: ignore[arg-type]


def one_value(value: str) -> str:
    """A single selected value, as Grafana writes it into a regex matcher."""
    return _REGEX_SPECIALS.sub(r"\\\1", value)


def several(values: list[str]) -> str:
    return "(" + "|".join(one_value(value) for value in values) + ")"


def substitute(
    expr: str, selected: Mapping[str, str], show_targets: bool, range_seconds: int = 300
) -> str:
    """``expr`` as Grafana sends it: ``selected`` maps variables to their regex (All = .*)."""
    values = {name: selected.get(name, ALL) for name in VARIABLES}
    values["show_targets"] = "1" if show_targets else "0"
    values["__range"] = f"{range_seconds}s"

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return values[name] if name in values else match.group(0)

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", replace, expr)
