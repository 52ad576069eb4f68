"""Benchmark target resolution: ``resolve()`` at one instant and ``for_series`` over many series.

Builds 1,000 targets (varied KPIs, scopes and schedules) and a calendar in memory, then reports the
median of several runs next to a floor measured in the same run: the least work any resolver must
do (convert the instant once and compare one time range per target; one dictionary look-up per
series). Run: ``.venv/bin/python bench/bench_resolve.py [--runs 7] [--series 10000]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time as clock
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from exporter import catalog
from exporter.scope import scope_of
from exporter.targets.model import (
    Calendar,
    DateException,
    ExceptionValue,
    OperatingHours,
    Quantifier,
    Schedule,
    Target,
    TargetSet,
    TimeRange,
)
from exporter.targets.resolve import resolve

WEEKDAYS = frozenset(range(5))
CHANNELS = ("voice", "chat", "email")
INSTANT = datetime(2026, 12, 23, 9, 30, tzinfo=UTC)  # Wed 10:30 in Rome: business hours


def build_targets(count: int, rng: random.Random) -> tuple[Target, ...]:
    kpis = [kpi for kpi in catalog.CATALOG if kpi.eligible and "queue" in kpi.scope_labels]
    targets: dict[tuple[str, tuple[tuple[str, str], ...]], Target] = {}
    while len(targets) < count:
        kpi = rng.choice(kpis)
        shape = rng.choice(((), ("channel",), ("queue",), ("queue", "channel")))
        labels = {
            label: rng.choice(CHANNELS) if label == "channel" else f"q{rng.randrange(100)}"
            for label in shape
        }
        scope = scope_of(labels)
        low = kpi.minimum or 0.0
        value = round(rng.uniform(low, kpi.maximum if kpi.maximum is not None else 600.0), 3)
        schedules = [Schedule(value)]
        if rng.random() < 0.6:
            schedules.append(Schedule(value, WEEKDAYS, TimeRange(time(9), time(17))))
        if rng.random() < 0.3:
            schedules.append(Schedule(value, WEEKDAYS, TimeRange(time(22), time(6))))
        if rng.random() < 0.3:
            schedules.append(Schedule(value, frozenset({5, 6}), None))
        quantifier = (
            Quantifier.OR_LESS if kpi.direction is catalog.Direction.LOWER else Quantifier.OR_MORE
        )
        targets.setdefault((kpi.name, scope), Target(kpi.name, quantifier, tuple(schedules), scope))
    return tuple(targets.values())


def build_calendar(targets: tuple[Target, ...]) -> Calendar:
    business = dict.fromkeys(range(5), (TimeRange(time(8), time(20)),))
    around_the_clock = dict.fromkeys(range(7), (TimeRange(time(0), time(0)),))
    hours = OperatingHours(
        default=business,
        teams={"night": dict.fromkeys(range(7), (TimeRange(time(22), time(6)),))},
        queues={f"q{number}": around_the_clock for number in range(0, 100, 10)},
    )
    values = tuple(ExceptionValue(t.kpi, t.schedules[0].value, t.scope) for t in targets[:50])
    exceptions = {
        date(2026, 12, 23): DateException(date(2026, 12, 23), "Busy day", values=values),
        date(2026, 12, 25): DateException(date(2026, 12, 25), "Christmas", closed=True),
    }
    return Calendar(ZoneInfo("Europe/Rome"), hours, exceptions)


def build_series(count: int, rng: random.Random) -> list[tuple[str, dict[str, str]]]:
    kpis = [kpi.name for kpi in catalog.CATALOG if kpi.eligible and "queue" in kpi.scope_labels]
    series: list[tuple[str, dict[str, str]]] = []
    for _ in range(count):
        labels = {"queue": f"q{rng.randrange(100)}", "channel": rng.choice(CHANNELS)}
        if rng.random() < 0.2:
            labels["team"] = rng.choice(("night", "day"))
        series.append((rng.choice(kpis), labels))
    return series


def median_ms(action: Callable[[], object], runs: int) -> float:
    durations = []
    for _ in range(runs):
        start = clock.perf_counter()
        action()
        durations.append(clock.perf_counter() - start)
    return statistics.median(durations) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--series", type=int, default=10_000)
    args = parser.parse_args()

    rng = random.Random(20261223)
    targets = build_targets(args.targets, rng)
    target_set = TargetSet(targets, build_calendar(targets))
    series = build_series(args.series, rng)

    def resolve_only() -> object:
        return resolve(target_set, INSTANT)

    def resolve_and_all_series() -> int:
        resolution = resolve(target_set, INSTANT)
        return sum(resolution.for_series(kpi, labels) is not None for kpi, labels in series)

    warm = resolve(target_set, INSTANT)
    for kpi, labels in series:  # fill the on-duty cache: the steady state of one scrape
        warm.for_series(kpi, labels)

    def series_only() -> int:
        return sum(warm.for_series(kpi, labels) is not None for kpi, labels in series)

    # Floors: the least work any resolver must do for the same inputs.
    zone = target_set.calendar.timezone
    first_ranges = [TimeRange(time(9), time(17)) for _ in targets]

    def floor_resolve() -> int:
        now = INSTANT.astimezone(zone).time()
        return sum(hours.start <= now < hours.end for hours in first_ranges)

    lookup = {(t.kpi, t.scope): t for t in targets}
    keys = [(kpi, (("channel", labels["channel"]),)) for kpi, labels in series]

    def floor_series() -> int:
        return sum(lookup.get(key) is not None for key in keys)

    rows = [
        ("resolve() at one instant", len(targets), median_ms(resolve_only, args.runs),
         median_ms(floor_resolve, args.runs)),
        ("for_series, warm Resolution", len(series), median_ms(series_only, args.runs),
         median_ms(floor_series, args.runs)),
        ("resolve() + for_series (one scrape)", len(series),
         median_ms(resolve_and_all_series, args.runs),
         median_ms(floor_resolve, args.runs) + median_ms(floor_series, args.runs)),
    ]  # fmt: skip
    matched = resolve_and_all_series()
    print(f"{len(targets)} targets, {len(series)} series ({matched} with a target in force), "
          f"median of {args.runs} runs")  # fmt: skip
    print(f"{'operation':<38}{'items':>8}{'ms':>10}{'floor ms':>10}{'x floor':>9}{'µs/item':>9}")
    for name, items, measured, floor in rows:
        print(
            f"{name:<38}{items:>8}{measured:>10.2f}{floor:>10.2f}{measured / floor:>9.1f}"
            f"{measured * 1000 / items:>9.2f}"
        )


if __name__ == "__main__":
    main()
