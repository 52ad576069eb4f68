"""Agents needed now: per queue with a service-level or speed-of-answer target in force, the agents
the current traffic needs (``exporter.staffing``) against the agents on duty::

    kpi_agents_required{kpi="service_level_ratio",level="queue",queue="sales",channel="voice",
                        model="erlang_c"} 14
    kpi_agents_required{...,model="erlang_a"} 12
    kpi_predicted_value{kpi="service_level_ratio",level="queue",queue="sales",channel="voice",
                        model="erlang_c"} 0.796
    kpi_agents_on_duty{level="queue",queue="sales",channel="voice"} 13
    kpi_agents_on_duty{level="team",team="blue"} 9
    kpi_agents_estimate_status{kpi="service_level_ratio",level="queue",queue="sales",
                               channel="voice",model="erlang_a",status="no_estimate",
                               detail="too few abandons to estimate patience (3 of 5)"} 1

Traffic is the queue's last 30 minutes (``exporter.engine.recent``): arrival rate = contacts
offered / seconds covered, handle time = handle seconds / contacts handled, patience = wait of
those who left the queue / abandons (or the ``staffing_patience_seconds`` setting). Nothing is
published for a queue without a target in force (off duty, closed, not set); with a target but too
little data (fewer than ``MIN_OFFERED`` offered or ``MIN_HANDLED`` handled in the window, or less
than ``MIN_WINDOW_SECONDS`` of it seen) only ``kpi_agents_on_duty`` and the status saying why.
``status="capped"``: the model needs more than 1,000 agents (``kpi_agents_required`` is 1000).

Outside the scrape path: ``serve`` runs ``run`` in a thread that computes the series every
``REFRESH_SECONDS`` (15 s; estimates whose inputs did not change are reused), and a scrape takes
the last ones; without that thread (tests, benchmarks) a scrape computes them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from prometheus_client.metrics_core import Metric
from prometheus_client.samples import Sample

from exporter import names, staffing
from exporter.catalog.sums import ServiceLevelVariant
from exporter.collector import Resolver
from exporter.engine.recent import QueueTraffic, StaffingInputs
from exporter.engine.types import EngineConfig
from exporter.staffing import Estimate, Goal, Model, Traffic
from exporter.targets.model import Quantifier, TargetSet

MIN_OFFERED = 10
MIN_HANDLED = 5
MIN_ABANDONS = 5
MIN_WINDOW_SECONDS = 300.0
# How often ``run`` computes the series (a scrape then takes the last ones, at most this old).
REFRESH_SECONDS = 15.0

# The quantifier each staffed KPI's target must have for "the target is met" to mean "enough".
_QUANTIFIERS = {
    staffing.SERVICE_LEVEL: Quantifier.OR_MORE,
    staffing.SPEED_OF_ANSWER: Quantifier.OR_LESS,
}

REQUIRED_HELP = (
    "The fewest agents for which the model (erlang_c: no abandons; erlang_a: the queue's patience) "
    "predicts the target in force is met at the queue's traffic of the last 30 minutes; only "
    "while a service-level or speed-of-answer target is in force."
)
ON_DUTY_HELP = (
    "Agents logged in and not paused (busy, wrapping up or available) serving the queue (an agent "
    "serving several queues counts on each), or of the team; only while a target is in force."
)
PREDICTED_HELP = "The KPI the model predicts with the agents on duty, at the same traffic."
STATUS_HELP = (
    "Per kpi and model, whether kpi_agents_required is published: status estimated, capped (over "
    "1000 agents) or no_estimate, with the reason in detail."
)


class StaffingSource(Protocol):
    """What the collector needs of the KPI engine."""

    config: EngineConfig

    def staffing_inputs(self, now: float) -> StaffingInputs: ...


@dataclass(frozen=True, slots=True)
class StaffingPolicy:
    """The settings of the estimate (``exporter.config``: ``staffing_max_occupancy``,
    ``staffing_patience_seconds``)."""

    max_occupancy: float | None = None
    patience_seconds: float | None = None


_Key = tuple[Traffic, Goal, Model, int, float | None]


@dataclass(frozen=True, slots=True)
class StaffingRow:
    """One queue's agents needed for one target in force, in the figures a person reads (the
    admin UI's preview)."""

    queue: str
    channel: str
    kpi: str
    target: float
    threshold_seconds: float
    calls_per_hour: float | None  # None: too little data
    handle_seconds: float | None
    on_duty: int
    # (model, agents, capped) of every model that has an estimate, Erlang C first.
    required: tuple[tuple[Model, int, bool], ...]
    problem: str | None  # why Erlang C has no estimate


class StaffingCollector:
    def __init__(
        self,
        engine: StaffingSource,
        targets: Callable[[], TargetSet | None],
        resolver: Resolver,
        policy: StaffingPolicy | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._targets = targets
        self._resolver = resolver
        self._policy = policy or StaffingPolicy()
        self._clock = clock
        # The last computation's estimates by their inputs: a quiet queue is not computed again.
        self._estimates: dict[_Key, Estimate] = {}
        # The families ``run`` computed last, while it runs; None: a scrape computes them.
        self._latest: tuple[Metric, ...] | None = None
        self._latest_rows: list[StaffingRow] = []
        self._lock = threading.Lock()
        self.refreshed_at: float | None = None  # the clock's instant of run's last computation

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            latest = self._latest
        yield from latest if latest is not None else self.compute()

    def rows(self) -> list[StaffingRow]:
        """What the last computation found, per queue and target in force (computed now when
        ``run`` is not running)."""
        with self._lock:
            latest = self._latest_rows if self._latest is not None else None
        if latest is None:
            latest = self._compute()[1]
        return latest

    def run(self, stop: threading.Event, every: float = REFRESH_SECONDS) -> None:
        """Compute the families every ``every`` seconds until ``stop`` is set, for the scrapes to
        take as they are (``serve`` runs this in a thread): Erlang A costs about a millisecond
        per estimate, too much for a scrape of hundreds of busy queues."""
        while True:
            at = self._clock()
            families, rows = self._compute()
            with self._lock:
                self._latest, self._latest_rows = families, rows
                self.refreshed_at = at
            if stop.wait(every):
                return

    def compute(self) -> tuple[Metric, ...]:
        """The families at the clock's instant now."""
        return self._compute()[0]

    def _compute(self) -> tuple[tuple[Metric, ...], list[StaffingRow]]:
        now = self._clock()
        rows: list[StaffingRow] = []
        target_set = self._targets()
        families = (
            Metric(names.AGENTS_REQUIRED, REQUIRED_HELP, "gauge"),
            Metric(names.AGENTS_ON_DUTY, ON_DUTY_HELP, "gauge"),
            Metric(names.PREDICTED_VALUE, PREDICTED_HELP, "gauge"),
            Metric(names.AGENTS_ESTIMATE_STATUS, STATUS_HELP, "gauge"),
        )
        if target_set is not None:
            resolution = self._resolver(target_set, datetime.fromtimestamp(now, UTC))
            inputs = self._engine.staffing_inputs(now)
            estimates: dict[_Key, Estimate] = {}
            staffed = False
            for queue in inputs.queues:
                scope = dict(queue.scope)
                goals = []
                for kpi in staffing.STAFFED_KPIS:
                    target = resolution.for_series(kpi, scope)
                    if target is not None:
                        goals.append((kpi, target.value, target.quantifier))
                if goals:
                    staffed = True
                    rows.extend(self._queue(queue, goals, families, estimates))
            # A team's agents on duty, for staffing decisions across the queues it serves: while
            # some queue has a target in force and the team is on duty.
            for team, count in sorted(inputs.teams.items()) if staffed else ():
                if resolution.on_duty({names.TEAM: team}):
                    _add(families[1], {names.LEVEL: "team", names.TEAM: team}, float(count))
            self._estimates = estimates
        return families, rows

    def _queue(
        self,
        queue: QueueTraffic,
        goals: list[tuple[str, float, Quantifier]],
        families: tuple[Metric, ...],
        estimates: dict[_Key, Estimate],
    ) -> list[StaffingRow]:
        required_family, on_duty_family, predicted_family, status_family = families
        rows = []
        scope = dict(queue.scope)
        _add(on_duty_family, {names.LEVEL: "queue", **scope}, float(queue.on_duty))
        config = self._engine.config
        channel = scope[names.CHANNEL]
        threshold = config.thresholds_seconds.get(channel, config.default_threshold_seconds)
        over_offered = config.service_level_variant is not ServiceLevelVariant.ANSWERED
        data_problem = _data_problem(queue)
        traffic = None
        patience_problem = None
        if data_problem is None:
            patience = self._policy.patience_seconds
            if patience is None and queue.abandoned >= MIN_ABANDONS:
                patience = staffing.estimate_patience(queue.abandoned, queue.waited_seconds)
            if patience is None:
                patience_problem = (
                    f"too few abandons to estimate patience ({queue.abandoned} of {MIN_ABANDONS})"
                )
            traffic = Traffic(
                queue.offered / queue.seconds, queue.handle_seconds / queue.handled, patience
            )
        for kpi, value, quantifier in goals:
            labels = {names.KPI: kpi, names.LEVEL: "queue", **scope}
            goal = Goal(kpi, value, threshold, over_offered)
            required: list[tuple[Model, int, bool]] = []
            problems: dict[Model, str] = {}
            for model in Model:
                with_model = {**labels, names.MODEL: str(model)}
                problem = data_problem
                if problem is None and quantifier is not _QUANTIFIERS[kpi]:
                    problem = f"a target {quantifier} says no staffing is too much"
                if problem is None and model is Model.ERLANG_A and patience_problem:
                    problem = patience_problem
                if problem is None:
                    assert traffic is not None
                    problem = staffing.problem(traffic, goal, model)
                if problem is not None:
                    _status(status_family, with_model, "no_estimate", problem)
                    problems[model] = problem
                    continue
                assert traffic is not None
                key = (traffic, goal, model, queue.on_duty, self._policy.max_occupancy)
                found = self._estimates.get(key) or estimates.get(key)
                if found is None:
                    found = staffing.estimate(
                        traffic, goal, model, queue.on_duty, self._policy.max_occupancy
                    )
                estimates[key] = found
                required.append((model, found.required, found.capped))
                _add(required_family, with_model, float(found.required))
                if found.predicted is not None:
                    _add(predicted_family, with_model, found.predicted)
                if found.capped:
                    detail = f"over {staffing.MAX_AGENTS} agents"
                    _status(status_family, with_model, "capped", detail)
                else:
                    _status(status_family, with_model, "estimated", "")
            rows.append(
                StaffingRow(
                    scope[names.QUEUE],
                    channel,
                    kpi,
                    value,
                    threshold,
                    None if traffic is None else traffic.arrivals_per_second * 3600.0,
                    None if traffic is None else traffic.mean_handle_seconds,
                    queue.on_duty,
                    tuple(required),
                    problems.get(Model.ERLANG_C),
                )
            )
        return rows


def _data_problem(queue: QueueTraffic) -> str | None:
    """Why the queue's window is too little to estimate from, in words; None when enough."""
    if queue.seconds < MIN_WINDOW_SECONDS:
        return f"{queue.seconds:.0f} s of traffic seen, fewer than {MIN_WINDOW_SECONDS:.0f}"
    if queue.offered < MIN_OFFERED:
        return f"{queue.offered} contacts offered in the window, fewer than {MIN_OFFERED}"
    if queue.handled < MIN_HANDLED:
        return f"{queue.handled} contacts handled in the window, fewer than {MIN_HANDLED}"
    if queue.handle_seconds <= 0:
        return "handle time is 0 s"
    return None


def _add(family: Metric, labels: dict[str, str], value: float) -> None:
    family.samples.append(Sample(family.name, labels, value, None, None, None))


def _status(family: Metric, labels: dict[str, str], status: str, detail: str) -> None:
    _add(family, {**labels, names.STATUS: status, names.DETAIL: detail}, 1.0)
