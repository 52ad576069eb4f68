"""The collectors' exposition, exactly, for a real engine fed real events and real parsed targets.

The engine state (UTC, Monday 2026-03-02, the 10:00 hour; voice threshold 20 s; the default
service-level variant W / (answered + abandoned - short abandons); short abandons <= 5 s):

- c1 sales: offered 10:00:00, answered after 20 s (within: <= 20 is inclusive)
- c2 sales: offered 10:00:30, answered after 30 s (not within)
- c3 support: offered 10:00:40, abandoned after 3 s (a short abandon)
- c4 support: offered 10:00:50, still waiting at the scrape (10:01:40): 50 s

so service level = 1 / (2 + 1 - 1) = 0.5 for the site and for channel voice, 1 / 2 = 0.5 for
sales; support has no outcome left once the short abandon is excluded (no sample). ASA =
(20 + 30) / 2 = 25 s; abandonment = 0 / 2 (the short abandon is excluded).
"""

from __future__ import annotations

import gc
import math
import os
import platform
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from exporter import __version__
from exporter.catalog import CATALOG
from exporter.collector import (
    CatalogCollector,
    KpiCollector,
    SelfMetricsCollector,
    TargetVersionCollector,
    files_modified_at,
)
from exporter.engine import EngineConfig, EngineSnapshot, KpiEngine, KpiSample
from exporter.events import ContactEvent, ContactKind
from exporter.sources.base import IngestStats, SourceClock
from exporter.targets.model import Quantifier, Schedule, Target, TargetSet
from exporter.targets.parse import parse_texts
from exporter.targets.resolve import resolve
from exporter.targets.store import TargetStore
from tests.presets import calendar_yaml, targets_yaml, write_targets

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC).timestamp()  # a Monday
SCRAPE_AT = T0 + 100  # 10:01:40

TARGETS_YAML = targets_yaml("collector")
ON_DUTY_CALENDAR = calendar_yaml("on_duty_utc")  # Mon-Fri 08:00-20:00
OFF_DUTY_CALENDAR = calendar_yaml("off_duty_utc")  # Mon-Fri 12:00-20:00

EXPECTED_KPI_VALUES = """\
# HELP kpi_value The KPI over its measurement period (see kpi_info), one series per scope; \
level names the scope's level (site, channel, queue, team, agent, campaign).
# TYPE kpi_value gauge
kpi_value{kpi="service_level_ratio",level="site"} 0.5
kpi_value{channel="voice",kpi="service_level_ratio",level="channel"} 0.5
kpi_value{channel="voice",kpi="service_level_ratio",level="queue",queue="sales"} 0.5
kpi_value{kpi="average_speed_of_answer_seconds",level="site"} 25.0
kpi_value{channel="voice",kpi="average_speed_of_answer_seconds",level="channel"} 25.0
kpi_value{channel="voice",kpi="average_speed_of_answer_seconds",level="queue",queue="sales"} 25.0
kpi_value{kpi="abandonment_ratio",level="site"} 0.0
kpi_value{channel="voice",kpi="abandonment_ratio",level="channel"} 0.0
kpi_value{channel="voice",kpi="abandonment_ratio",level="queue",queue="sales"} 0.0
kpi_value{kpi="contacts_waiting",level="site"} 1.0
kpi_value{channel="voice",kpi="contacts_waiting",level="channel"} 1.0
kpi_value{channel="voice",kpi="contacts_waiting",level="queue",queue="sales"} 0.0
kpi_value{channel="voice",kpi="contacts_waiting",level="queue",queue="support"} 1.0
kpi_value{kpi="longest_wait_seconds",level="site"} 50.0
kpi_value{channel="voice",kpi="longest_wait_seconds",level="channel"} 50.0
kpi_value{channel="voice",kpi="longest_wait_seconds",level="queue",queue="sales"} 0.0
kpi_value{channel="voice",kpi="longest_wait_seconds",level="queue",queue="support"} 50.0
# HELP kpi_sample_size How many contacts (answers, dials, sessions) the kpi_value series is \
computed from, for minimum-volume guards; absent for Live and In Queue KPIs.
# TYPE kpi_sample_size gauge
kpi_sample_size{kpi="service_level_ratio",level="site"} 2.0
kpi_sample_size{channel="voice",kpi="service_level_ratio",level="channel"} 2.0
kpi_sample_size{channel="voice",kpi="service_level_ratio",level="queue",queue="sales"} 2.0
kpi_sample_size{kpi="average_speed_of_answer_seconds",level="site"} 2.0
kpi_sample_size{channel="voice",kpi="average_speed_of_answer_seconds",level="channel"} 2.0
kpi_sample_size{channel="voice",kpi="average_speed_of_answer_seconds",level="queue",\
queue="sales"} 2.0
kpi_sample_size{kpi="abandonment_ratio",level="site"} 2.0
kpi_sample_size{channel="voice",kpi="abandonment_ratio",level="channel"} 2.0
kpi_sample_size{channel="voice",kpi="abandonment_ratio",level="queue",queue="sales"} 2.0
"""
TARGET_HEADERS = """\
# HELP kpi_target The KPI target in force now for the kpi_value series with the same kpi and \
scope labels; absent when no target is in force (not set, outside operating hours, closed date).
# TYPE kpi_target gauge
"""
MET_HEADERS = """\
# HELP kpi_target_met 1 when kpi_value achieves kpi_target (or_more: value >= target, or_less: \
value <= target; equality is achieved), else 0; only while both exist.
# TYPE kpi_target_met gauge
"""
# At 10:01:40 the Monday 10:01-11:00 schedule gives channel voice 0.6; sales has its own 0.9
# (most specific scope wins); the site-wide service level has no target (none is unscoped).
# Met: 0.5 >= 0.6 no, 0.5 >= 0.9 no, 25 <= 25 yes (equality is achieved).
EXPECTED_TARGETS = (
    TARGET_HEADERS
    + """\
kpi_target{channel="voice",kpi="service_level_ratio",level="channel",quantifier="or_more"} 0.6
kpi_target{channel="voice",kpi="service_level_ratio",level="queue",\
quantifier="or_more",queue="sales"} 0.9
kpi_target{kpi="average_speed_of_answer_seconds",level="site",quantifier="or_less"} 25.0
kpi_target{channel="voice",kpi="average_speed_of_answer_seconds",level="channel",\
quantifier="or_less"} 25.0
kpi_target{channel="voice",kpi="average_speed_of_answer_seconds",level="queue",\
quantifier="or_less",queue="sales"} 25.0
"""
    + MET_HEADERS
    + """\
kpi_target_met{channel="voice",kpi="service_level_ratio",level="channel"} 0.0
kpi_target_met{channel="voice",kpi="service_level_ratio",level="queue",queue="sales"} 0.0
kpi_target_met{kpi="average_speed_of_answer_seconds",level="site"} 1.0
kpi_target_met{channel="voice",kpi="average_speed_of_answer_seconds",level="channel"} 1.0
kpi_target_met{channel="voice",kpi="average_speed_of_answer_seconds",level="queue",\
queue="sales"} 1.0
"""
)
STATUS_HEADERS = """\
# HELP kpi_target_status Why no target is in force for the kpi_value series with the same kpi and \
scope labels, or where the one in force came from: status in_force (detail: its source), not_set, \
off_duty or closed (detail: closed: <exception name>); always 1.
# TYPE kpi_target_status gauge
"""
# One status per kpi_value series: the targets above in force with where they came from (the
# voice 10:01 schedule at line 7, sales' own target at line 15, the unscoped ASA at line 19 for
# all three levels); nothing set for the site-wide service level and the other KPIs.
EXPECTED_STATUS = (
    STATUS_HEADERS
    + """\
kpi_target_status{detail="not set",kpi="service_level_ratio",level="site",status="not_set"} 1.0
kpi_target_status{channel="voice",detail="targets.yaml:7 schedule mon 10:01-11:00, scope \
channel=voice",kpi="service_level_ratio",level="channel",status="in_force"} 1.0
kpi_target_status{channel="voice",detail="targets.yaml:15 schedule at all times, scope \
channel=voice,queue=sales",kpi="service_level_ratio",level="queue",queue="sales",\
status="in_force"} 1.0
kpi_target_status{detail="targets.yaml:19 schedule at all times, no scope",\
kpi="average_speed_of_answer_seconds",level="site",status="in_force"} 1.0
kpi_target_status{channel="voice",detail="targets.yaml:19 schedule at all times, no scope",\
kpi="average_speed_of_answer_seconds",level="channel",status="in_force"} 1.0
kpi_target_status{channel="voice",detail="targets.yaml:19 schedule at all times, no scope",\
kpi="average_speed_of_answer_seconds",level="queue",queue="sales",status="in_force"} 1.0
kpi_target_status{detail="not set",kpi="abandonment_ratio",level="site",status="not_set"} 1.0
kpi_target_status{channel="voice",detail="not set",kpi="abandonment_ratio",level="channel",\
status="not_set"} 1.0
kpi_target_status{channel="voice",detail="not set",kpi="abandonment_ratio",level="queue",\
queue="sales",status="not_set"} 1.0
kpi_target_status{detail="not set",kpi="contacts_waiting",level="site",status="not_set"} 1.0
kpi_target_status{channel="voice",detail="not set",kpi="contacts_waiting",level="channel",\
status="not_set"} 1.0
kpi_target_status{channel="voice",detail="not set",kpi="contacts_waiting",level="queue",\
queue="sales",status="not_set"} 1.0
kpi_target_status{channel="voice",detail="not set",kpi="contacts_waiting",level="queue",\
queue="support",status="not_set"} 1.0
kpi_target_status{detail="not set",kpi="longest_wait_seconds",level="site",status="not_set"} 1.0
kpi_target_status{channel="voice",detail="not set",kpi="longest_wait_seconds",level="channel",\
status="not_set"} 1.0
kpi_target_status{channel="voice",detail="not set",kpi="longest_wait_seconds",level="queue",\
queue="sales",status="not_set"} 1.0
kpi_target_status{channel="voice",detail="not set",kpi="longest_wait_seconds",level="queue",\
queue="support",status="not_set"} 1.0
"""
)
CLOSED_CALENDAR = calendar_yaml("closed_utc")  # Monday 2026-03-02 closed


def _same_status(status: str, detail: str) -> str:
    """Every kpi_value series of EXPECTED_KPI_VALUES with one status (no target anywhere)."""
    lines = []
    for line in EXPECTED_KPI_VALUES.splitlines():
        if line.startswith("kpi_value{"):
            labels = line[len("kpi_value{") : line.index("}")].split(",")
            labels = sorted([*labels, f'detail="{detail}"', f'status="{status}"'])
            lines.append("kpi_target_status{" + ",".join(labels) + "} 1.0\n")
    return STATUS_HEADERS + "".join(lines)


# The raw counters with data (the other families print their HELP and TYPE only). A queue's
# counters appear together at its first event, at 0 until counted: support's answers, sales'
# abandons, and both queues' bot sessions exist, so a ratio of two of them is never absent.
EXPECTED_COUNTER_SAMPLES = """\
contact_center_contacts_offered_total{channel="voice",queue="sales"} 2.0
contact_center_contacts_offered_total{channel="voice",queue="support"} 2.0
contact_center_contacts_answered_total{channel="voice",queue="sales"} 2.0
contact_center_contacts_answered_total{channel="voice",queue="support"} 0.0
contact_center_contacts_answered_within_threshold_total{channel="voice",queue="sales"} 1.0
contact_center_contacts_answered_within_threshold_total{channel="voice",queue="support"} 0.0
contact_center_contacts_abandoned_total{channel="voice",queue="sales"} 0.0
contact_center_contacts_abandoned_total{channel="voice",queue="support"} 1.0
contact_center_queue_exits_total{channel="voice",queue="support",reason="abandoned"} 1.0
contact_center_contacts_abandoned_short_total{channel="voice",queue="sales"} 0.0
contact_center_contacts_abandoned_short_total{channel="voice",queue="support"} 1.0
contact_center_contacts_abandoned_within_threshold_total{channel="voice",queue="sales"} 0.0
contact_center_contacts_abandoned_within_threshold_total{channel="voice",queue="support"} 1.0
contact_center_answered_wait_seconds_total{channel="voice",queue="sales"} 50.0
contact_center_answered_wait_seconds_total{channel="voice",queue="support"} 0.0
contact_center_bot_sessions_total{channel="voice",contained="true",queue="sales"} 0.0
contact_center_bot_sessions_total{channel="voice",contained="false",queue="sales"} 0.0
contact_center_bot_sessions_total{channel="voice",contained="true",queue="support"} 0.0
contact_center_bot_sessions_total{channel="voice",contained="false",queue="support"} 0.0
"""


def _event(
    kind: ContactKind, offset: float, contact: str, queue: str, **fields: float
) -> ContactEvent:
    return ContactEvent(kind, T0 + offset, contact, queue=queue, channel="voice", **fields)


@pytest.fixture
def engine() -> KpiEngine:
    engine = KpiEngine(EngineConfig())
    events = [
        _event(ContactKind.OFFERED, 0, "c1", "sales"),
        _event(ContactKind.ANSWERED, 20, "c1", "sales", wait_seconds=20.0),
        _event(ContactKind.OFFERED, 30, "c2", "sales"),
        _event(ContactKind.OFFERED, 40, "c3", "support"),
        _event(ContactKind.ABANDONED, 43, "c3", "support", wait_seconds=3.0),
        _event(ContactKind.OFFERED, 50, "c4", "support"),
        _event(ContactKind.ANSWERED, 60, "c2", "sales", wait_seconds=30.0),
    ]
    assert [engine.ingest(event) for event in events] == [None] * len(events)
    return engine


def _target_set(calendar: str) -> TargetSet:
    result = parse_texts(TARGETS_YAML, calendar)
    assert result.target_set is not None, [str(p) for p in result.problems]
    return result.target_set


def _scrape(*collectors: object) -> str:
    registry = CollectorRegistry()
    for collector in collectors:
        registry.register(collector)  # type: ignore[arg-type]
    return generate_latest(registry).decode()


def _kpi_part(text: str) -> str:
    """The exposition up to the raw counters."""
    return text[: text.index("# HELP contact_center_")]


def test_kpi_values_targets_and_met_flags_exactly(engine: KpiEngine) -> None:
    target_set = _target_set(ON_DUTY_CALENDAR)
    text = _scrape(KpiCollector(engine, lambda: target_set, resolve, clock=lambda: SCRAPE_AT))
    assert _kpi_part(text) == EXPECTED_KPI_VALUES + EXPECTED_TARGETS + EXPECTED_STATUS


def test_raw_counters_are_counters_with_their_samples(engine: KpiEngine) -> None:
    text = _scrape(KpiCollector(engine, lambda: None, resolve, clock=lambda: SCRAPE_AT))
    counters = text[text.index("# HELP contact_center_") : text.index("# HELP kpi_last_period_")]
    samples = "".join(line + "\n" for line in counters.splitlines() if not line.startswith("#"))
    assert samples == EXPECTED_COUNTER_SAMPLES
    assert "# TYPE contact_center_contacts_offered_total counter\n" in counters


def test_no_target_series_outside_operating_hours(engine: KpiEngine) -> None:
    # Same instant, but the calendar's day starts at 12:00: no target, no met flag, never a fake 0.
    target_set = _target_set(OFF_DUTY_CALENDAR)
    text = _scrape(KpiCollector(engine, lambda: target_set, resolve, clock=lambda: SCRAPE_AT))
    assert _kpi_part(text) == (
        EXPECTED_KPI_VALUES + TARGET_HEADERS + MET_HEADERS + _same_status("off_duty", "off duty")
    )


def test_a_closed_date_names_its_exception(engine: KpiEngine) -> None:
    target_set = _target_set(CLOSED_CALENDAR)
    text = _scrape(KpiCollector(engine, lambda: target_set, resolve, clock=lambda: SCRAPE_AT))
    assert _kpi_part(text) == (
        EXPECTED_KPI_VALUES
        + TARGET_HEADERS
        + MET_HEADERS
        + _same_status("closed", "closed: Inventory day")
    )


def test_no_target_series_without_targets(engine: KpiEngine) -> None:
    text = _scrape(KpiCollector(engine, lambda: None, resolve, clock=lambda: SCRAPE_AT))
    assert _kpi_part(text) == (
        EXPECTED_KPI_VALUES + TARGET_HEADERS + MET_HEADERS + _same_status("not_set", "not set")
    )


def test_schedule_boundary_shows_on_the_next_scrape(engine: KpiEngine) -> None:
    # 10:00:50 is before the 10:01 schedule: channel voice is back to its at-all-times 0.5,
    # which 0.5 achieves (equality).
    target_set = _target_set(ON_DUTY_CALENDAR)
    text = _scrape(KpiCollector(engine, lambda: target_set, resolve, clock=lambda: T0 + 50))
    assert (
        'kpi_target{channel="voice",kpi="service_level_ratio",level="channel",quantifier="or_more"}'
        " 0.5\n" in text
    )
    assert 'kpi_target_met{channel="voice",kpi="service_level_ratio",level="channel"} 1.0\n' in text


def _series(text: str, family: str) -> list[dict[str, str]]:
    found = []
    for line in text.splitlines():
        if line.startswith(family + "{"):
            inside = line[len(family) + 1 : line.index("}")]
            found.append(dict(pair.split("=", 1) for pair in inside.split(",")))
    return found


def test_value_and_target_join_one_to_one_ignoring_quantifier(engine: KpiEngine) -> None:
    target_set = _target_set(ON_DUTY_CALENDAR)
    text = _scrape(KpiCollector(engine, lambda: target_set, resolve, clock=lambda: SCRAPE_AT))
    values = [frozenset(labels.items()) for labels in _series(text, "kpi_value")]
    targets = [
        frozenset((k, v) for k, v in labels.items() if k != "quantifier")
        for labels in _series(text, "kpi_target")
    ]
    met = [frozenset(labels.items()) for labels in _series(text, "kpi_target_met")]
    assert len(set(values)) == len(values)
    assert len(set(targets)) == len(targets) == 5
    assert set(targets) <= set(values)  # every target has exactly one value series
    assert met == targets  # a met flag exactly where both exist


def test_a_saved_edit_shows_on_the_next_scrape(engine: KpiEngine, tmp_path: Path) -> None:
    write_targets(tmp_path, "collector", "on_duty_utc")
    store = TargetStore(tmp_path)
    collector = KpiCollector(
        engine, lambda: store.current().target_set, resolve, clock=lambda: SCRAPE_AT
    )
    before = _scrape(collector)
    assert (
        'kpi_target{kpi="average_speed_of_answer_seconds"'
        ',level="site",quantifier="or_less"} 25.0' in before
    )
    store.set_target(
        Target("average_speed_of_answer_seconds", Quantifier.OR_LESS, (Schedule(20.0),)),
        user="test",
        reason="tighter",
        base_version=store.current().version,
    )
    after = _scrape(collector)
    assert (
        'kpi_target{kpi="average_speed_of_answer_seconds"'
        ',level="site",quantifier="or_less"} 20.0' in after
    )
    # 25 <= 20 fails now.
    assert 'kpi_target_met{kpi="average_speed_of_answer_seconds",level="site"} 0.0' in after


class _OneSnapshot:
    """A snapshot the engine never makes (a NaN value), to pin down the collector's guard."""

    def snapshot(self, now: float) -> EngineSnapshot:
        samples = [KpiSample("service_level_ratio", (("channel", "voice"),), math.nan, 3.0)]
        return EngineSnapshot(kpis=samples, counters=[])


def test_a_nan_value_gets_its_target_but_no_verdict() -> None:
    target_set = _target_set(ON_DUTY_CALENDAR)
    text = _scrape(KpiCollector(_OneSnapshot(), lambda: target_set, resolve, clock=lambda: T0))
    assert 'kpi_value{channel="voice",kpi="service_level_ratio",level="channel"} NaN\n' in text
    assert (
        'kpi_target{channel="voice",kpi="service_level_ratio"'
        ',level="channel",quantifier="or_more"} 0.5' in text
    )
    assert "kpi_target_met{" not in text


def test_catalog_info_for_every_kpi() -> None:
    text = _scrape(CatalogCollector(version="9.9.9"))
    info = _series(text, "kpi_info")
    assert [labels["kpi"] for labels in info] == [f'"{kpi.name}"' for kpi in CATALOG]
    assert (
        'kpi_info{direction="higher",eligible="true",kpi="service_level_ratio",period="Hourly",'
        'tab="Contact Center Operations",title="Service level",unit="ratio"} 1.0\n'
    ) in text
    assert 'eligible="false",kpi="ai_customer_experience_score"' in text
    assert text.endswith(
        "# HELP kpi_targets_build_info The running kpi-targets version, always 1.\n"
        "# TYPE kpi_targets_build_info gauge\n"
        f'kpi_targets_build_info{{python_version="{platform.python_version()}",'
        'version="9.9.9"} 1.0\n'
    )


def test_self_metrics_exactly(tmp_path: Path) -> None:
    write_targets(tmp_path, "collector", "on_duty_utc")
    store = TargetStore(tmp_path)
    (tmp_path / "targets.yaml").write_text("targets: [oops\n", encoding="utf-8")  # a bad hand edit
    assert store.reload_if_changed() is False
    stats = IngestStats()
    stats.read("simulator", 5)
    stats.rejected("simulator", "too_old")
    stats.rejected("simulator", "too_old")
    clock = SourceClock()
    clock.touch("simulator", 1700000000.5)
    stats.running("simulator")
    stats.running("http")
    stats.failed("http")  # stopped with an error, waiting for its retry
    collector = SelfMetricsCollector(stats, store, clock, ["simulator", "http"])
    assert _scrape(collector) == (
        "# HELP kpi_targets_events_read_total Events (lines, records) read, by source.\n"
        "# TYPE kpi_targets_events_read_total counter\n"
        'kpi_targets_events_read_total{source="http"} 0.0\n'
        'kpi_targets_events_read_total{source="simulator"} 5.0\n'
        "# HELP kpi_targets_events_rejected_total Events (lines, records) refused, by source and "
        "reason; each is logged with where.\n"
        "# TYPE kpi_targets_events_rejected_total counter\n"
        'kpi_targets_events_rejected_total{reason="too_old",source="simulator"} 2.0\n'
        "# HELP kpi_targets_source_last_event_timestamp_seconds When each source last delivered "
        "an event (wall clock, Unix seconds).\n"
        "# TYPE kpi_targets_source_last_event_timestamp_seconds gauge\n"
        'kpi_targets_source_last_event_timestamp_seconds{source="simulator"} 1.7000000005e+09\n'
        "# HELP kpi_targets_source_up 1 while the source reads its input, 0 after it failed until "
        "it is started again.\n"
        "# TYPE kpi_targets_source_up gauge\n"
        'kpi_targets_source_up{source="http"} 0.0\n'
        'kpi_targets_source_up{source="simulator"} 1.0\n'
        "# HELP kpi_targets_source_failures_total Times the source stopped with an error (each is "
        "logged and retried with backoff).\n"
        "# TYPE kpi_targets_source_failures_total counter\n"
        'kpi_targets_source_failures_total{source="http"} 1.0\n'
        'kpi_targets_source_failures_total{source="simulator"} 0.0\n'
        "# HELP kpi_targets_target_reloads_total Target files reloaded after a change.\n"
        "# TYPE kpi_targets_target_reloads_total counter\n"
        "kpi_targets_target_reloads_total 0.0\n"
        "# HELP kpi_targets_target_reload_errors_total Reloads refused because the target files "
        "were invalid (the last good targets stay).\n"
        "# TYPE kpi_targets_target_reload_errors_total counter\n"
        "kpi_targets_target_reload_errors_total 1.0\n"
        "# HELP kpi_targets_targets_valid 1 when the target files on disk are valid, 0 while an "
        "invalid edit is ignored.\n"
        "# TYPE kpi_targets_targets_valid gauge\n"
        "kpi_targets_targets_valid 0.0\n"
    )


def test_the_whole_exposition_passes_promtool_check_metrics(
    engine: KpiEngine, tmp_path: Path
) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is not installed (Debian package `prometheus`)"
    write_targets(tmp_path, "collector", "on_duty_utc")
    store = TargetStore(tmp_path)
    stats = IngestStats()
    stats.read("simulator")
    stats.rejected("simulator", "too_old")
    clock = SourceClock()
    clock.touch("simulator", SCRAPE_AT)
    text = _scrape(
        KpiCollector(engine, lambda: store.current().target_set, resolve, clock=lambda: SCRAPE_AT),
        CatalogCollector(version=__version__),
        SelfMetricsCollector(stats, store, clock, ["simulator"]),
    )
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_reused_labels_never_leak_into_the_next_scrape(engine: KpiEngine) -> None:
    # Two scrapes through one collector (its label caches warm) equal a fresh collector's, also
    # when the engine moved on in between (c4 answered: it no longer waits).
    target_set = _target_set(ON_DUTY_CALENDAR)
    collector = KpiCollector(engine, lambda: target_set, resolve, clock=lambda: SCRAPE_AT)
    _scrape(collector)
    answered = _event(ContactKind.ANSWERED, 90, "c4", "support", wait_seconds=40.0)
    assert engine.ingest(answered) is None
    fresh = KpiCollector(engine, lambda: target_set, resolve, clock=lambda: SCRAPE_AT)
    warm_text, fresh_text = _scrape(collector), _scrape(fresh)
    assert warm_text == fresh_text
    assert (
        'kpi_value{channel="voice",kpi="contacts_waiting"'
        ',level="queue",queue="support"} 0.0\n' in warm_text
    )


def test_cyclic_gc_rests_during_a_scrape_and_comes_back(engine: KpiEngine) -> None:
    assert gc.isenabled()
    collector = KpiCollector(engine, lambda: None, resolve, clock=lambda: SCRAPE_AT)
    families = collector.collect()
    next(families)
    assert not gc.isenabled()  # until the registry has serialised every family
    assert len(list(families)) > 1
    assert gc.isenabled()
    abandoned = collector.collect()
    next(abandoned)
    abandoned.close()  # a scrape cut short restores it too
    assert gc.isenabled()


def test_target_version_is_stamped_with_its_files_time(tmp_path: Path) -> None:
    targets, calendar = tmp_path / "targets.yaml", tmp_path / "calendar.yaml"
    targets.write_text("targets: []\n", encoding="utf-8")
    calendar.write_text("timezone: UTC\n", encoding="utf-8")
    os.utime(targets, (1000.0, 1000.0))
    os.utime(calendar, (900.0, 900.0))
    versions = ["v1"]
    collector = TargetVersionCollector(
        lambda: versions[0], files_modified_at(targets, calendar, tmp_path / "missing")
    )
    header = (
        "# HELP kpi_targets_targets_version_timestamp_seconds When the targets version in force "
        "was made (its files' modification time, Unix seconds).\n"
        "# TYPE kpi_targets_targets_version_timestamp_seconds gauge\n"
    )
    assert _scrape(collector) == (
        header + 'kpi_targets_targets_version_timestamp_seconds{version="v1"} 1000.0\n'
    )
    os.utime(calendar, (1075.0, 1075.0))  # written, but the store has not picked it up yet
    assert 'version="v1"} 1000.0' in _scrape(collector)
    versions[0] = "v2"  # picked up: stamped with the files' time
    assert _scrape(collector) == (
        header + 'kpi_targets_targets_version_timestamp_seconds{version="v2"} 1075.0\n'
    )
