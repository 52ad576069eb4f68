"""The agents-needed series (exporter.staffing_collector) from a real engine fed hand-made
traffic, with the figures worked out by hand (tests/test_staffing.py has the models' own checks),
scraped by a real Prometheus."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from processes import free_port, wait_for
from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_stack import prometheus

from exporter import names
from exporter.engine import EngineConfig, KpiEngine
from exporter.engine.recent import StaffingInputs
from exporter.events import AgentState, AgentStateEvent, ContactEvent, ContactKind
from exporter.staffing_collector import StaffingCollector, StaffingPolicy
from exporter.targets.model import TargetSet
from exporter.targets.parse import parse_texts
from exporter.targets.resolve import resolve

# A Monday, 10:40 UTC; the window is the 30 minutes before.
NOW = datetime(2026, 3, 2, 10, 40, tzinfo=UTC).timestamp()
WINDOW_START = NOW - 1800.0

TARGETS = """\
targets:
  - kpi: service_level_ratio
    scope: {channel: voice}
    quantifier: or_more
    schedules:
      - value: 0.8
  - kpi: average_speed_of_answer_seconds
    scope: {queue: sales, channel: voice}
    quantifier: or_less
    schedules:
      - value: 20
"""
ALWAYS = "timezone: UTC\n"
AFTERNOONS = 'timezone: UTC\noperating_hours:\n  default: {mon-fri: "12:00-20:00"}\n'


def targets(calendar: str = ALWAYS) -> TargetSet:
    result = parse_texts(TARGETS, calendar)
    assert result.target_set is not None, [str(p) for p in result.problems]
    return result.target_set


def contacts(
    engine: KpiEngine,
    queue: str,
    offered: int,
    *,
    handle: float = 180.0,
    wait: float = 0.0,
    abandon_every: int = 0,
    abandon_wait: float = 0.0,
    agents: tuple[str, ...] = (),
) -> None:
    """``offered`` contacts evenly over the window; every ``abandon_every``-th one abandons after
    ``abandon_wait`` s, the others are answered after ``wait`` s (by ``agents`` in turn, when
    given) and handled in ``handle`` s (150 s talk + the rest after-contact work)."""
    answered = 0
    for number in range(offered):
        at = WINDOW_START + number * 1800.0 / offered
        contact = f"{queue}-{number}"
        common = {"queue": queue, "channel": "voice"}
        assert engine.ingest(ContactEvent(ContactKind.OFFERED, at, contact, **common)) is None
        if abandon_every and number % abandon_every == abandon_every - 1:
            event = ContactEvent(
                ContactKind.ABANDONED, at + 0.5, contact, wait_seconds=abandon_wait, **common
            )
            assert engine.ingest(event) is None
            continue
        agent = agents[answered % len(agents)] if agents else ""
        answered += 1
        event = ContactEvent(
            ContactKind.ANSWERED, at + 0.5, contact, wait_seconds=wait, agent=agent, **common
        )
        assert engine.ingest(event) is None
        event = ContactEvent(
            ContactKind.ENDED,
            at + 1.0,
            contact,
            talk_seconds=min(handle, 150.0),
            after_contact_work_seconds=max(handle - 150.0, 0.0),
            **common,
        )
        assert engine.ingest(event) is None


def center() -> KpiEngine:
    # The window's events come in time order per queue, queue after queue.
    engine = KpiEngine(EngineConfig(out_of_order_tolerance_seconds=3600.0))
    # sales: 100 calls in 30 min of 180 s (10 Erlangs), nobody abandons; 13 agents declared
    # (as the simulator declares its teams), one of them paused: 12 on duty.
    for number in range(13):
        engine.declare(queue="sales", channel="voice", team="blue", agent=f"blue-{number:02d}")
        state = AgentState.PAUSED if number == 12 else AgentState.AVAILABLE
        engine.ingest(AgentStateEvent(WINDOW_START - 60, f"blue-{number:02d}", state, "blue"))
    contacts(engine, "sales", 100)
    # support: 100 offered, every 10th abandons after 72 s, the others are answered after 12 s by
    # 12 agents learned from their answers: patience = (90 x 12 + 10 x 72) / 10 = 180 s. One of
    # them logs out: 11 on duty.
    green = tuple(f"green-{number:02d}" for number in range(12))
    for agent in green:
        engine.ingest(AgentStateEvent(WINDOW_START - 60, agent, AgentState.AVAILABLE, "green"))
    contacts(engine, "support", 100, wait=12.0, abandon_every=10, abandon_wait=72.0, agents=green)
    engine.ingest(AgentStateEvent(NOW - 10, "green-11", AgentState.LOGGED_OUT, "green"))
    # billing: 5 calls, too few; zero: 20 calls of 0 s; flood: 2,000 calls of 30 min (2,000 E).
    contacts(engine, "billing", 5)
    contacts(engine, "zero", 20, handle=0.0)
    contacts(engine, "flood", 2000, handle=1800.0)
    return engine


def scrape(engine: KpiEngine, target_set: TargetSet, policy: StaffingPolicy | None = None) -> str:
    registry = CollectorRegistry()
    collector = StaffingCollector(engine, lambda: target_set, resolve, policy, clock=lambda: NOW)
    registry.register(collector)
    return generate_latest(registry).decode()


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


SL = {"kpi": "service_level_ratio", "level": "queue", "channel": "voice"}


@pytest.fixture(scope="module")
def engine() -> KpiEngine:
    return center()


def test_required_and_predicted_agents_by_hand(engine: KpiEngine) -> None:
    found = samples(scrape(engine, targets()))
    # sales: 10 Erlangs, 80 % in 20 s: 14 agents (13 give 79.6 %); 12 on duty give 64.0 %.
    sales = {**SL, "queue": "sales"}
    assert value(found, names.AGENTS_REQUIRED, **sales, model="erlang_c") == 14
    predicted = value(found, names.PREDICTED_VALUE, **sales, model="erlang_c")
    assert predicted == pytest.approx(0.6402, abs=1e-4)
    onduty = {"level": "queue", "queue": "sales", "channel": "voice"}
    assert value(found, names.AGENTS_ON_DUTY, **onduty) == 12
    # Nobody abandoned: no patience, no Erlang A, and the status says why.
    assert value(found, names.AGENTS_REQUIRED, **sales, model="erlang_a") is None
    status = {**sales, "model": "erlang_a", "status": "no_estimate"}
    detail = "too few abandons to estimate patience (0 of 5)"
    assert value(found, names.AGENTS_ESTIMATE_STATUS, **status, detail=detail) == 1
    # sales' ASA target, 20 s: 13 agents (ASA 17.1 s; 12 give 40.4 s).
    speed = {**sales, "kpi": "average_speed_of_answer_seconds"}
    assert value(found, names.AGENTS_REQUIRED, **speed, model="erlang_c") == 13
    assert value(found, names.PREDICTED_VALUE, **speed, model="erlang_c") == pytest.approx(
        40.44, abs=0.01
    )


def test_erlang_a_with_the_patience_the_queue_showed(engine: KpiEngine) -> None:
    found = samples(scrape(engine, targets()))
    support = {**SL, "queue": "support"}
    # 100 offered in 30 min, 90 handled of 180 s: 10 Erlangs offered; patience 180 s.
    assert value(found, names.AGENTS_REQUIRED, **support, model="erlang_c") == 14
    assert value(found, names.AGENTS_REQUIRED, **support, model="erlang_a") == 12
    # 11 on duty (12 answered, one logged out): 76.96 % of the answered within 20 s, 8.34 %
    # abandon: 0.7696 x 0.9166 = 70.5 % of the offered.
    onduty = {"level": "queue", "queue": "support", "channel": "voice"}
    assert value(found, names.AGENTS_ON_DUTY, **onduty) == 11
    predicted = value(found, names.PREDICTED_VALUE, **support, model="erlang_a")
    assert predicted == pytest.approx(0.7696 * (1 - 0.0834), abs=2e-4)
    # Team level: blue's 12 (one paused), green's 11.
    assert value(found, names.AGENTS_ON_DUTY, level="team", team="blue") == 12
    assert value(found, names.AGENTS_ON_DUTY, level="team", team="green") == 11


def test_too_little_data_zero_handle_time_and_a_flood_are_said(engine: KpiEngine) -> None:
    found = samples(scrape(engine, targets()))
    for queue, detail in (
        ("billing", "5 contacts offered in the window, fewer than 10"),
        ("zero", "handle time is 0 s"),
    ):
        labels = {**SL, "queue": queue}
        for model in ("erlang_c", "erlang_a"):
            assert value(found, names.AGENTS_REQUIRED, **labels, model=model) is None
            assert value(found, names.PREDICTED_VALUE, **labels, model=model) is None
            status = {**labels, "model": model, "status": "no_estimate", "detail": detail}
            assert value(found, names.AGENTS_ESTIMATE_STATUS, **status) == 1, queue
        # Agents on duty are a fact, published with a target in force: none serve these.
        onduty = {"level": "queue", "queue": queue, "channel": "voice"}
        assert value(found, names.AGENTS_ON_DUTY, **onduty) == 0
    flood = {**SL, "queue": "flood"}
    assert value(found, names.AGENTS_REQUIRED, **flood, model="erlang_c") == 1000
    status = {**flood, "model": "erlang_c", "status": "capped", "detail": "over 1000 agents"}
    assert value(found, names.AGENTS_ESTIMATE_STATUS, **status) == 1
    assert value(found, names.PREDICTED_VALUE, **flood, model="erlang_c") == 0.0
    detail = "too few abandons to estimate patience (0 of 5)"
    status = {**flood, "model": "erlang_a", "status": "no_estimate", "detail": detail}
    assert value(found, names.AGENTS_ESTIMATE_STATUS, **status) == 1


def test_occupancy_cap_and_configured_patience(engine: KpiEngine) -> None:
    policy = StaffingPolicy(max_occupancy=0.7, patience_seconds=1e12)
    found = samples(scrape(engine, targets(), policy))
    # 10 Erlangs at most 70 % busy: 10 / 0.7 = 14.3, so 15 agents.
    sales = {**SL, "queue": "sales"}
    assert value(found, names.AGENTS_REQUIRED, **sales, model="erlang_c") == 15
    # Endless patience configured: Erlang A is Erlang C, for sales too (no abandons needed).
    assert value(found, names.AGENTS_REQUIRED, **sales, model="erlang_a") == 15
    # With a patience, the flood's 2,000 Erlangs are past what Erlang A computes: said.
    flood = {**SL, "queue": "flood", "model": "erlang_a", "status": "no_estimate"}
    detail = "over 500 Erlangs, Erlang A is not computed"
    assert value(found, names.AGENTS_ESTIMATE_STATUS, **flood, detail=detail) == 1


def test_nothing_off_duty_or_without_targets(engine: KpiEngine) -> None:
    assert not [
        line for line in scrape(engine, targets(AFTERNOONS)).splitlines() if line[:1] != "#"
    ]
    none = parse_texts("targets: []\n", ALWAYS).target_set
    assert none is not None
    assert not [line for line in scrape(engine, none).splitlines() if line[:1] != "#"]


class _Counting:
    """The engine, counting the times the collector asks it for the staffing inputs."""

    def __init__(self, engine: KpiEngine) -> None:
        self.config = engine.config
        self._engine = engine
        self.calls = 0

    def staffing_inputs(self, now: float) -> StaffingInputs:
        self.calls += 1
        return self._engine.staffing_inputs(now)


def test_served_the_series_are_computed_outside_the_scrape(engine: KpiEngine) -> None:
    counting = _Counting(engine)
    target_set = targets()
    collector = StaffingCollector(counting, lambda: target_set, resolve, clock=lambda: NOW)
    registry = CollectorRegistry()
    registry.register(collector)
    stop = threading.Event()
    thread = threading.Thread(target=collector.run, args=(stop, 3600.0))
    thread.start()
    try:
        wait_for("the first computation", lambda: collector.refreshed_at, 10)
        assert collector.refreshed_at == NOW
        texts = [generate_latest(registry).decode() for _ in range(3)]
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()  # stop ends it at once, not after its hour
    assert counting.calls == 1  # three scrapes, one computation
    sales = {**SL, "queue": "sales", "model": "erlang_c"}
    for text in texts:
        assert value(samples(text), names.AGENTS_REQUIRED, **sales) == 14


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def served(engine: KpiEngine) -> Iterator[str]:
    registry = CollectorRegistry()
    target_set = targets()
    registry.register(StaffingCollector(engine, lambda: target_set, resolve, clock=lambda: NOW))
    port = free_port()
    server: WSGIServer = make_server(
        "127.0.0.1", port, make_wsgi_app(registry), handler_class=_Quiet
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join()


def test_a_real_prometheus_scrapes_the_series(served: str, tmp_path: Path) -> None:
    with prometheus([served], tmp_path) as server:
        query = 'kpi_agents_required{queue="sales",kpi="service_level_ratio"}'
        result = wait_for("a scrape", lambda: server.query(query) or None, 30)
        assert [(row["metric"]["model"], row["value"][1]) for row in result] == [("erlang_c", "14")]
        # The README's spare-or-short query: the binding target's count by the fewer model.
        gap = server.query(
            'kpi_agents_on_duty{level="queue"}\n'
            "  - max without (kpi) (min without (model) (kpi_agents_required))"
        )
        by_queue = {row["metric"]["queue"]: float(row["value"][1]) for row in gap}
        # sales: 12 on duty, 14 for its service level (13 for its ASA); support: 11 on duty,
        # Erlang A's 12; flood: nobody, 1000 (capped).
        assert by_queue == {"sales": -2.0, "support": -1.0, "flood": -1000.0}
