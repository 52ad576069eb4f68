"""``/preview``: the targets in force now with where each came from, and the week grid of one KPI
and scope (every half hour of the coming 7 days), both from the exporter's resolver and clock."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, render_template, request

from exporter import catalog, staffing
from exporter.admin.auth import requires
from exporter.admin.context import admin_context
from exporter.admin.users import Role
from exporter.staffing_collector import StaffingRow
from exporter.targets import display
from exporter.targets.resolve import resolve
from exporter.targets.weekgrid import week_grid

blueprint = Blueprint("preview", __name__)


@dataclass(frozen=True)
class ScopeField:
    """One scope field of the week grid's form. Every label any KPI uses has one; those the
    chosen metric does not use are sent hidden and disabled, and ``preview.js`` shows the ones of
    the metric picked (without JavaScript, Show renders the picked metric's own fields)."""

    label: str
    title: str
    value: str
    seen: list[str]
    active: bool


@dataclass(frozen=True)
class InForce:
    title: str
    scope: str
    value: str
    quantifier: str
    source: str


@blueprint.get("/preview")
@requires(Role.VIEWER)
def page() -> str:
    context = admin_context()
    target_set = context.store.current().target_set
    now = context.now()
    in_force = [
        InForce(
            catalog.get(resolved.kpi).title,
            display.scope_on_screen(resolved.scope, catalog.find(resolved.kpi)),
            display.format_value(resolved.value, catalog.find(resolved.kpi)),
            display.QUANTIFIER_WORDS[resolved.quantifier],
            resolved.source,
        )
        for resolved in resolve(target_set, now).all()
    ]
    eligible = [kpi for kpi in catalog.CATALOG if kpi.eligible]
    first = target_set.targets[0] if target_set.targets else None
    kpi_name = request.args.get("kpi") or (first.kpi if first else eligible[0].name)
    kpi = catalog.find(kpi_name)
    if kpi is None or not kpi.eligible:
        abort(404, f"there is no eligible KPI called {kpi_name!r}")
    if "kpi" in request.args:
        labels = {
            label: request.args.get(label, "").strip()
            for label in kpi.scope_labels
            if request.args.get(label, "").strip()
        }
    else:
        labels = dict(first.scope) if first is not None and first.kpi == kpi.name else {}
    grid = week_grid(target_set, kpi.name, labels, now)
    local_now = now.astimezone(target_set.calendar.timezone)
    now_slot = (
        local_now.date(),
        local_now.time().replace(minute=local_now.minute // 30 * 30, second=0, microsecond=0),
    )
    suggestions = context.suggestions()
    staffing_rows = current_app.config.get("STAFFING_ROWS")
    return render_template(
        "preview.html",
        in_force=in_force,
        local_now=local_now.strftime("%a %d %b %Y %H:%M %Z"),
        simulated_clock=current_app.config.get("SIMULATED_CLOCK"),
        agents_needed=[agents_sentence(row) for row in staffing_rows()] if staffing_rows else None,
        timezone=target_set.calendar.timezone.key,
        kpis=[(k.name, k.title, " ".join(k.scope_labels)) for k in eligible],
        kpi=kpi,
        scope_fields=[
            ScopeField(
                label,
                label.capitalize(),
                labels.get(label, ""),
                suggestions.get(label, []),
                label in kpi.scope_labels,
            )
            for label in _all_labels(eligible)
        ],
        scope_words=display.scope_on_screen(tuple(sorted(labels.items())), kpi),
        grid=grid,
        day_titles=[day.strftime("%a %d %b") for day in grid.days],
        now_slot=now_slot,
    )


def _all_labels(kpis: list[catalog.Kpi]) -> list[str]:
    """Every scope label of ``kpis``, in the order they first appear."""
    return list(dict.fromkeys(label for kpi in kpis for label in kpi.scope_labels))


def agents_sentence(row: StaffingRow) -> str:
    """ "Sales (voice): service level 85 % in 20 s needs 14 agents at 200 calls/h and 180 s AHT
    (Erlang C; 12 with Erlang A); 12 on duty."."""
    kpi = catalog.get(row.kpi)
    goal = display.format_value(row.target, kpi)
    if row.kpi == staffing.SERVICE_LEVEL:
        goal += f" in {_duration(row.threshold_seconds)}"
    where = f"{row.queue} ({row.channel})"
    on_duty = f"{row.on_duty} on duty"
    if not row.required or row.calls_per_hour is None or row.handle_seconds is None:
        return f"{where}: {kpi.title.lower()} {goal}: no estimate ({row.problem}); {on_duty}."

    def agents(count: int, capped: bool) -> str:
        return f"over {count} agents" if capped else f"{count} agent{'s' if count != 1 else ''}"

    (_, first, first_capped), *others = row.required
    models = "; ".join(
        ["Erlang C"] + [f"{agents(n, capped)} with Erlang A" for _, n, capped in others]
    )
    return (
        f"{where}: {kpi.title.lower()} {goal} needs {agents(first, first_capped)} at "
        f"{row.calls_per_hour:.0f} calls/h and {row.handle_seconds:.0f} s AHT ({models}); "
        f"{on_duty}."
    )


def _duration(seconds: float) -> str:
    """A threshold as people say it: 20 s, 2 min, 4 h."""
    for unit, size in (("h", 3600.0), ("min", 60.0)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"
