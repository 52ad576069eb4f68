"""Closed periods: the judging rule (a schedule boundary inside the hour, an hour partly on duty,
off duty, a closed holiday, DST), the verdicts (low volume, no data), the engine's last closed
hour, and the collector's kpi_last_period_* series and kpi_target_periods_total counters (at 0
from the first scrape, each hour counted once, never an hour that ended before the start)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from engine_fixtures import answered, instant
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from exporter import names
from exporter.collector import KpiCollector
from exporter.engine import EngineConfig, KpiEngine
from exporter.engine.clock import LocalHours
from exporter.events import Event
from exporter.targets.model import Quantifier, ResolvedTarget, TargetSet
from exporter.targets.parse import parse_texts
from exporter.targets.periods import PeriodJudge, PeriodResult, judging_instants, result_of
from exporter.targets.resolve import Resolution, resolve

ZONE = "Europe/Rome"
SL = "service_level_ratio"
TARGETS = """\
targets:
  - kpi: service_level_ratio
    quantifier: or_more
    schedules:
      - value: 0.80
      - days: [mon, tue, wed, thu, fri]
        from: "08:00"
        to: "08:30"
        value: 0.82
      - days: [mon, tue, wed, thu, fri]
        from: "08:30"
        to: "17:00"
        value: 0.85
      - days: [sun]
        from: "02:30"
        to: "03:00"
        value: 0.90
"""
CALENDAR = """\
timezone: Europe/Rome
operating_hours:
  default: {mon-fri: "08:00-16:30", sun: "00:00-06:00"}
exceptions:
  - {date: 2026-03-04, name: Carnival, closed: true}
"""
SALES = {"queue": "sales", "channel": "voice"}


def target_set() -> TargetSet:
    result = parse_texts(TARGETS, CALENDAR)
    assert result.target_set is not None, [str(problem) for problem in result.problems]
    return result.target_set


def local(text: str) -> float:
    return instant(text, ZONE)


def judged_value(start: str, end: str) -> float | None:
    """The value of the target judging the sales queue's hour [start, end) (local times)."""
    judge = PeriodJudge(target_set(), local(start), local(end))
    found = judge.target_for(SL, SALES)
    return None if found is None else found.value


# --- the judging rule (exporter.targets.periods) -------------------------------------------------


def test_an_hour_split_by_a_schedule_boundary_is_judged_by_the_later_schedule() -> None:
    # Monday 2026-03-02: 08:00-08:30 asks 82 %, 08:30-09:00 asks 85 %: the hour ends at 85 %.
    assert judged_value("2026-03-02 08:00", "2026-03-02 09:00") == 0.85


def test_an_hour_partly_on_duty_is_judged_by_its_last_on_duty_minute() -> None:
    # On duty until 16:30: at 16:59 no target is in force, at 16:29 the 85 % one is.
    assert resolve(target_set(), _utc("2026-03-02 16:59")).for_series(SL, SALES) is None
    assert judged_value("2026-03-02 16:00", "2026-03-02 17:00") == 0.85


def test_an_hour_off_duty_and_an_hour_of_a_closed_holiday_are_not_judged() -> None:
    assert judged_value("2026-03-02 17:00", "2026-03-02 18:00") is None  # after 16:30
    assert judged_value("2026-03-04 10:00", "2026-03-04 11:00") is None  # Carnival, closed
    assert judged_value("2026-03-03 10:00", "2026-03-03 11:00") == 0.85  # the day before: judged


def test_a_kpi_without_any_target_is_not_judged() -> None:
    judge = PeriodJudge(target_set(), local("2026-03-02 10:00"), local("2026-03-02 11:00"))
    assert judge.target_for("average_speed_of_answer_seconds", SALES) is None


def test_the_two_hours_of_a_dst_fall_back_are_each_judged_on_their_own_minutes() -> None:
    # 2026-10-25: 02:00-03:00 happens twice (CEST 00:00-01:00 UTC, CET 01:00-02:00 UTC); both end
    # in the Sunday 02:30-03:00 schedule (90 %), the hour before them in the at-all-times 80 %.
    first, second = _utc_instant("2026-10-25 00:00"), _utc_instant("2026-10-25 01:00")
    for start in (first, second):
        minutes = list(judging_instants(start, start + 3600))
        assert (len(minutes), minutes[0], minutes[-1]) == (60, start + 3540, start)
        judge = PeriodJudge(target_set(), start, start + 3600)
        assert _value(judge.target_for(SL, SALES)) == 0.90
    judge = PeriodJudge(target_set(), first - 3600, first)  # 01:00-02:00 CEST
    assert _value(judge.target_for(SL, SALES)) == 0.80


def test_a_period_of_a_dst_spring_forward_counts_its_real_minutes() -> None:
    # Australia/Lord_Howe moves by 30 minutes: on 2026-10-04 at 02:00 (UTC+10:30) the clock
    # jumps to 02:30 (UTC+11), so the 02:00 hour lasts 30 minutes, as the engine keys it.
    hours = LocalHours(ZoneInfo("Australia/Lord_Howe"))
    start, end = hours.bounds(_utc_instant("2026-10-03 15:45"))
    assert (start, end) == (_utc_instant("2026-10-03 15:30"), _utc_instant("2026-10-03 16:00"))
    assert len(list(judging_instants(start, end))) == 30


def test_verdicts_no_data_low_volume_met_missed() -> None:
    target = ResolvedTarget(SL, (), 0.85, Quantifier.OR_MORE, "test")
    assert result_of(None, None, target, 20) is PeriodResult.NO_DATA  # no contacts at all
    assert result_of(float("nan"), 0, target, 20) is PeriodResult.NO_DATA
    assert result_of(1.0, 3, target, 20) is PeriodResult.LOW_VOLUME  # 3 contacts < 20
    assert result_of(0.85, 20, target, 20) is PeriodResult.MET  # equality is met
    assert result_of(0.84, 20, target, 20) is PeriodResult.MISSED
    less = ResolvedTarget("average_handle_time_seconds", (), 300, Quantifier.OR_LESS, "test")
    assert result_of(300.0, 10, less, 10) is PeriodResult.MET
    assert result_of(301.0, None, less, None) is PeriodResult.MISSED


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


def _utc_instant(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def _value(target: ResolvedTarget | None) -> float | None:
    return None if target is None else target.value


# --- the engine's last closed hour --------------------------------------------------------------


def contacts(start: str, within: int, beyond: int, prefix: str) -> list[Event]:
    """``within`` answers after 10 s and ``beyond`` after 30 s (voice threshold 20 s), a minute
    apart from ``start`` (local time), in the sales queue."""
    at = local(start)
    events: list[Event] = []
    for number in range(within + beyond):
        wait = 10.0 if number < within else 30.0
        events.append(answered(at + 60 * number, f"{prefix}{number}", wait))
    return events


def engine() -> KpiEngine:
    return KpiEngine(EngineConfig(timezone=ZoneInfo(ZONE), out_of_order_tolerance_seconds=300))


def site_value(engine: KpiEngine, now: float) -> float | None:
    last = engine.snapshot(now).last_period
    assert last is not None
    found = [sample.value for sample in last.kpis if sample.kpi == SL and sample.labels == ()]
    return found[0] if found else None


def test_the_last_period_is_the_hour_at_its_last_instant_and_a_late_event_leaves_it() -> None:
    kpis = engine()
    for event in contacts("2026-03-02 08:00", 17, 3, "a"):  # 08:00 to 08:19
        assert kpis.ingest(event) is None
    assert kpis.ingest(answered(local("2026-03-02 09:00:30"), "n", 10.0)) is None
    assert site_value(kpis, local("2026-03-02 09:00:40")) == 0.85  # 17 / 20
    # An answer stamped 08:59:50 that arrives after the hour was taken (within the tolerance):
    # the raw counters count it, the closed hour stays as it was at its last instant.
    assert kpis.ingest(answered(local("2026-03-02 08:59:50"), "late", 30.0)) is None
    assert site_value(kpis, local("2026-03-02 09:30")) == 0.85
    last = kpis.snapshot(local("2026-03-02 09:30")).last_period
    assert last is not None
    assert (last.start, last.end) == (local("2026-03-02 08:00"), local("2026-03-02 09:00"))


def test_an_hour_dropped_before_any_snapshot_is_taken_as_it_was_dropped() -> None:
    kpis = engine()
    for event in [
        *contacts("2026-03-02 08:00", 10, 10, "a"),
        # 09:20: the cut (09:15) passes 09:00 and the 08:00 bucket is dropped, unasked.
        *contacts("2026-03-02 09:20", 5, 0, "b"),
    ]:
        assert kpis.ingest(event) is None
    assert kpis.memory_stats()["hour_buckets"] == 1
    assert site_value(kpis, local("2026-03-02 09:30")) == 0.5  # 10 / 20


def test_hours_closed_across_a_dst_fall_back_are_each_their_own_period() -> None:
    kpis = engine()
    first, second = _utc_instant("2026-10-25 00:00"), _utc_instant("2026-10-25 01:00")
    for number in range(4):  # the first 02:00 (CEST): 1 of 4 within the threshold
        wait = 30.0 if number else 10.0
        assert kpis.ingest(answered(first + 60 * number, f"a{number}", wait)) is None
    # At 02:10 CET (the second 02:00), the last period is the first 02:00, not an empty one.
    assert site_value(kpis, second + 600) == 0.25
    last = kpis.snapshot(second + 600).last_period
    assert last is not None and (last.start, last.end) == (first, second)


# --- the collector: kpi_last_period_* and kpi_target_periods_total -------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def scrape(collector: KpiCollector, clock: Clock, at: str) -> dict[tuple[str, tuple], float]:
    clock.now = local(at)
    registry = CollectorRegistry()
    registry.register(collector)
    found = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for sample in family.samples:
            if sample.name.startswith(("kpi_last_period_", names.KPI_TARGET_PERIODS)):
                found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def periods(found: dict[tuple[str, tuple], float], kpi: str = SL, **scope: str) -> dict[str, float]:
    """The counters of one scope, by result."""
    level = "queue" if "queue" in scope else "channel" if scope else "site"
    wanted = {names.KPI: kpi, names.LEVEL: level, **scope}
    counted = {}
    for (name, labels), value in found.items():
        labels_dict = dict(labels)
        result = labels_dict.pop(names.RESULT, None)
        if name == names.KPI_TARGET_PERIODS and labels_dict == wanted:
            counted[str(result)] = value
    return counted


def last(found: dict[tuple[str, tuple], float], name: str, **labels: str) -> float | None:
    for (series, series_labels), value in found.items():
        if series == name and dict(series_labels) == {names.KPI: SL, **labels}:
            return value
    return None


ZERO = {"met": 0.0, "missed": 0.0, "low_volume": 0.0, "no_data": 0.0}
SITE = {"level": "site"}
QUEUE = {"level": "queue", **SALES}


def feed(kpis: KpiEngine, events: list[Event]) -> None:
    for event in events:
        assert kpis.ingest(event) is None


@pytest.fixture
def hours() -> list[Event]:
    """Monday 2026-03-02: 08:00 met (17 of 20 within: 85 %), 09:00 three contacts (low volume),
    10:00 none (no data), 11:00 missed (10 of 20), 16:00 (on duty until 16:30) missed (0 of 20),
    17:00 off duty (20 of 20, not judged)."""
    return [
        *contacts("2026-03-02 08:00", 17, 3, "a"),
        *contacts("2026-03-02 09:10", 3, 0, "b"),
        *contacts("2026-03-02 11:00", 10, 10, "c"),
        *contacts("2026-03-02 16:35", 0, 20, "d"),
        *contacts("2026-03-02 17:00", 20, 0, "e"),
    ]


def test_counters_count_each_judged_hour_once_by_result(hours: list[Event]) -> None:
    kpis, clock, targets = engine(), Clock(), target_set()
    collector = KpiCollector(kpis, lambda: targets, resolve, clock=clock)
    assert scrape(collector, clock, "2026-03-02 07:30") == {}  # nothing known yet
    steps = [
        # (feed until, scrape at, counters of the sales queue, last period's value, its target)
        ("08:10", "08:10", ZERO, None, None),
        ("09:00", "09:00:05", ZERO | {"met": 1.0}, 0.85, 0.85),
        ("09:30", "09:30", ZERO | {"met": 1.0}, 0.85, 0.85),  # counted once, shown all hour
        ("10:00", "10:00:05", ZERO | {"met": 1.0, "low_volume": 1.0}, 1.0, 0.85),
        ("11:00", "11:00:05", ZERO | {"met": 1.0, "low_volume": 1.0, "no_data": 1.0}, None, None),
        (
            "12:00",
            "12:00:05",
            ZERO | {"met": 1.0, "missed": 1.0, "low_volume": 1.0, "no_data": 1.0},
            0.5,
            0.85,
        ),
    ]
    fed = 0
    for until, at, counted, value, target in steps:
        while fed < len(hours) and hours[fed].at < local(f"2026-03-02 {until}"):
            assert kpis.ingest(hours[fed]) is None
            fed += 1
        found = scrape(collector, clock, f"2026-03-02 {at}")
        assert periods(found, **SALES) == counted, at
        assert last(found, names.KPI_LAST_PERIOD_VALUE, **QUEUE) == value, at
        assert last(found, names.KPI_LAST_PERIOD_TARGET, quantifier="or_more", **QUEUE) == target
    # 11:00 was missed: 10 of 20 within, 0.5 < 0.85.
    assert last(found, names.KPI_LAST_PERIOD_MET, **QUEUE) == 0.0


def test_an_hour_partly_on_duty_is_counted_and_an_off_duty_hour_is_not(
    hours: list[Event],
) -> None:
    kpis, clock, targets = engine(), Clock(), target_set()
    collector = KpiCollector(kpis, lambda: targets, resolve, clock=clock)
    feed(kpis, [event for event in hours if event.at < local("2026-03-02 08:05")])
    scrape(collector, clock, "2026-03-02 08:05")  # the start: the sales queue is known
    feed(
        kpis,
        [
            event
            for event in hours
            if local("2026-03-02 08:05") <= event.at < local("2026-03-02 16:00")
        ],
    )
    before = periods(scrape(collector, clock, "2026-03-02 16:00:05"), **SALES)
    feed(kpis, [event for event in hours if local("2026-03-02 16:00") <= event.at])
    at_five = scrape(collector, clock, "2026-03-02 17:00:05")
    # 16:00-17:00, on duty until 16:30, judged by 85 %: 0 of 20 within, missed.
    assert periods(at_five, **SALES) == before | {"missed": before["missed"] + 1}
    assert last(at_five, names.KPI_LAST_PERIOD_VALUE, **QUEUE) == 0.0
    assert last(at_five, names.KPI_LAST_PERIOD_MET, **QUEUE) == 0.0
    at_six = scrape(collector, clock, "2026-03-02 18:00:05")
    # 17:00-18:00 is off duty: counted nowhere, and no kpi_last_period_* series at all.
    assert periods(at_six, **SALES) == periods(at_five, **SALES)
    assert not [key for key in at_six if key[0].startswith("kpi_last_period_")]


def test_every_result_exists_at_0_for_every_hourly_kpi_scope_from_its_first_scrape() -> None:
    kpis, clock, targets = engine(), Clock(), target_set()
    collector = KpiCollector(kpis, lambda: targets, resolve, clock=clock)
    feed(kpis, contacts("2026-03-02 08:00", 1, 0, "a"))
    found = scrape(collector, clock, "2026-03-02 08:05")
    for scope in ({}, {"channel": "voice"}, SALES):
        assert periods(found, **scope) == ZERO
        # A KPI without a target has its counters too (a target may be set for it later).
        assert periods(found, "average_speed_of_answer_seconds", **scope) == ZERO
    # Live and In Queue KPIs have no closed periods.
    assert periods(found, "contacts_waiting") == {}


def test_a_restart_never_counts_an_hour_the_run_before_counted(hours: list[Event]) -> None:
    # The first run counted 08:00 to 11:00 (the test above). A restart at 12:00:05 that re-reads
    # the day's data publishes the 11:00 hour but counts nothing until an hour ends after it.
    kpis, clock, targets = engine(), Clock(), target_set()
    feed(kpis, [event for event in hours if event.at < local("2026-03-02 12:00")])
    collector = KpiCollector(kpis, lambda: targets, resolve, clock=clock)
    found = scrape(collector, clock, "2026-03-02 12:00:05")
    assert periods(found, **SALES) == ZERO
    assert last(found, names.KPI_LAST_PERIOD_VALUE, **QUEUE) == 0.5
    assert last(found, names.KPI_LAST_PERIOD_MET, **QUEUE) == 0.0
    # 12:00-13:00 ends while it runs: counted (no contact in it, a target in force: no data).
    found = scrape(collector, clock, "2026-03-02 13:00:05")
    assert periods(found, **SALES) == ZERO | {"no_data": 1.0}
    assert periods(found) == ZERO | {"no_data": 1.0}  # the site too


def test_without_targets_nothing_is_judged_but_the_counters_exist() -> None:
    kpis, clock = engine(), Clock()
    collector = KpiCollector(kpis, lambda: None, resolve, clock=clock)
    scrape(collector, clock, "2026-03-02 07:59")
    feed(kpis, contacts("2026-03-02 08:00", 20, 0, "a"))
    found = scrape(collector, clock, "2026-03-02 09:00:05")
    assert periods(found, **SALES) == ZERO
    assert not [key for key in found if key[0].startswith("kpi_last_period_")]


def test_a_date_exception_with_its_own_value_judges_the_hours_of_its_date() -> None:
    calendar = CALENDAR.replace(
        "exceptions:\n",
        "exceptions:\n"
        "  - date: 2026-03-05\n"
        "    name: Trade fair\n"
        "    values:\n"
        "      - {kpi: service_level_ratio, value: 0.70}\n",
    )
    result = parse_texts(TARGETS, calendar)
    assert result.target_set is not None, [str(problem) for problem in result.problems]
    for day, value in (("2026-03-05", 0.70), ("2026-03-06", 0.85)):
        judge = PeriodJudge(result.target_set, local(f"{day} 10:00"), local(f"{day} 11:00"))
        assert _value(judge.target_for(SL, SALES)) == value, day


def test_overlapping_scrapes_count_an_hour_once_and_each_sees_it_judged_whole() -> None:
    kpis, clock, targets = engine(), Clock(), target_set()

    def slow_resolve(target_set: TargetSet, at: datetime) -> Resolution:
        time.sleep(0.01)  # the other scrapes arrive while the first one judges
        return resolve(target_set, at)

    collector = KpiCollector(kpis, lambda: targets, slow_resolve, clock=clock)
    feed(kpis, contacts("2026-03-02 08:00", 20, 0, "a"))
    scrape(collector, clock, "2026-03-02 08:30")
    clock.now = local("2026-03-02 09:00:05")
    barrier = threading.Barrier(4)
    seen: list[float | None] = []

    def one_scrape() -> None:
        barrier.wait()
        registry = CollectorRegistry()
        registry.register(collector)
        text = generate_latest(registry).decode()
        found = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        seen.append(last(found, names.KPI_LAST_PERIOD_VALUE, **QUEUE))

    threads = [threading.Thread(target=one_scrape) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [1.0] * 4  # 20 of 20 within: every scrape shows the whole judged hour
    found = scrape(collector, clock, "2026-03-02 09:00:10")
    assert periods(found, **SALES) == ZERO | {"met": 1.0}


def test_declared_scopes_have_every_result_at_0_from_the_first_scrape() -> None:
    kpis, clock, targets = engine(), Clock(), target_set()
    kpis.declare(queue="vip", channel="voice", team="gold", agent="ann")
    kpis.declare(campaign="winback")
    collector = KpiCollector(kpis, lambda: targets, resolve, clock=clock)
    found = scrape(collector, clock, "2026-03-02 08:05")  # no event at all yet
    assert periods(found, queue="vip", channel="voice") == ZERO
    assert periods(found, channel="voice") == ZERO
    assert periods(found, "average_handle_time_seconds") == ZERO  # the site
    team = {
        str(labels): value
        for (name, labels), value in found.items()
        if name == names.KPI_TARGET_PERIODS and ("team", "gold") in labels
    }
    assert len(team) == 4 * 2 * 5  # 4 results, team and team+agent, 5 team KPIs judged
    assert set(team.values()) == {0.0}
    campaign = [labels for name, labels in found if ("campaign", "winback") in labels]
    assert len(campaign) == 4 * 4  # 4 results of the 4 outbound KPIs
    # The first hour after the start is counted for them: no contact in vip, a target in force.
    found = scrape(collector, clock, "2026-03-02 09:00:05")
    assert periods(found, queue="vip", channel="voice") == ZERO | {"no_data": 1.0}
