"""The backfill's parts alone: stepping through events, the OpenMetrics text, the progress line."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from prometheus_client.metrics_core import Metric
from prometheus_client.samples import Sample

from exporter.backfill.feed import Feed, merged
from exporter.backfill.openmetrics import OpenMetricsWriter, SplitWriter
from exporter.backfill.progress import Progress
from exporter.commands.backfill import parse_duration
from exporter.engine import KpiEngine
from exporter.events import ContactEvent, ContactKind, Event, StopFeeding


def _offer(at: float, contact: str = "c") -> ContactEvent:
    return ContactEvent(ContactKind.OFFERED, at, contact)


class _Seen:
    """Stands in for the engine in ``Feed``: records the time of each event counted."""

    def __init__(self) -> None:
        self.ats: list[float] = []
        self.counted = 0
        self.refused: Counter[str] = Counter()

    def count(self, event: Event) -> None:
        self.ats.append(event.at)
        self.counted += 1

    count_contact = count_agent_state = count  # not called: these tests hand Event objects


def _run(feed: Feed, events: Iterable[Event]) -> None:
    """What ``feed_sources`` does with Event objects."""
    try:
        for event in events:
            feed.event(event)
    except StopFeeding:
        pass
    feed.finish()


def _step(events: Iterable[Event], start: float, end: float, step: float) -> list[tuple]:
    """What the engine had seen when each step was sampled: (step, ats counted so far)."""
    seen = _Seen()
    steps: list[tuple] = []
    feed = Feed(
        seen,  # type: ignore[arg-type]
        start=start,
        end=end,
        step=step,
        sample=lambda at: steps.append((at, tuple(seen.ats))),
    )
    _run(feed, events)
    assert feed.steps == len(steps)
    return steps


def test_a_step_sees_every_event_at_or_before_it_and_none_after() -> None:
    events: list[Event] = [_offer(at) for at in (5.0, 10.0, 10.0, 11.0, 25.0)]
    assert _step(events, 0.0, 30.0, 10.0) == [
        (0.0, ()),
        (10.0, (5.0, 10.0, 10.0)),
        (20.0, (5.0, 10.0, 10.0, 11.0)),
        (30.0, (5.0, 10.0, 10.0, 11.0, 25.0)),
    ]


def test_events_before_the_start_are_counted_and_after_the_end_not_read() -> None:
    read: list[float] = []

    def events() -> Iterator[Event]:
        for at in (1.0, 50.0, 105.0, 130.0, 999.0):
            read.append(at)
            yield _offer(at)

    assert _step(list(events()), 100.0, 120.0, 10.0) == [
        (100.0, (1.0, 50.0)),
        (110.0, (1.0, 50.0, 105.0)),
        (120.0, (1.0, 50.0, 105.0)),
    ]
    read.clear()
    _step(events(), 100.0, 120.0, 10.0)
    assert read == [1.0, 50.0, 105.0, 130.0]  # stopped at the first event past the end


def test_an_end_between_steps_counts_events_up_to_it_and_no_later() -> None:
    seen = _Seen()
    feed = Feed(seen, start=0.0, end=25.0, step=10.0, sample=lambda at: None)  # type: ignore[arg-type]
    _run(feed, [_offer(at) for at in (21.0, 24.0, 25.0, 26.0, 27.0)])
    assert seen.ats == [21.0, 24.0, 25.0]
    assert feed.steps == 3  # 0, 10, 20


def test_replay_counts_what_was_written_by_the_instant_and_reads_on_past_it() -> None:
    seen = _Seen()
    feed = Feed.until(seen, 7200.5)  # type: ignore[arg-type]
    # A line stamped 7100 but written after one past --at (7201) was not there at --at: left
    # out, as backfill's sample at 7200.5 leaves it out. Replay reads on, counting what it skips.
    _run(feed, [_offer(at) for at in (3.0, 3600.0, 7200.5, 7201.0, 7100.0, 9000.0)])
    assert seen.ats == [3.0, 3600.0, 7200.5]
    assert (feed.counted, feed.later) == (3, 3)


def test_steps_do_not_drift_over_many_steps() -> None:
    steps = _step([], 0.0, 1.0, 0.1)
    assert [at for at, _ in steps] == [index * 0.1 for index in range(11)]


def test_the_engines_refusals_are_tallied_by_reason() -> None:
    engine = KpiEngine()
    feed = Feed(engine, start=0.0, end=2000.0, step=1000.0, sample=lambda at: None)
    _run(feed, [_offer(1000.0, "a"), _offer(1.0, "b"), _offer(1001.0, "c")])
    # 1.0 is more than the 300 s out-of-order tolerance older than 1000.0.
    assert (feed.counted, dict(feed.refused), feed.steps) == (2, {"too_old": 1}, 3)


def test_merged_streams_come_in_time_order() -> None:
    first = iter([_offer(1.0, "a"), _offer(4.0, "a")])
    second = iter([_offer(2.0, "b"), _offer(3.0, "b")])
    assert [event.at for event in merged([first, second])] == [1.0, 2.0, 3.0, 4.0]


def _family(name: str, kind: str, samples: list[tuple[str, dict[str, str], float]]) -> Metric:
    metric = Metric(name, f"The {name}.", kind)
    metric.samples.extend(Sample(n, labels, value) for n, labels, value in samples)
    return metric


def test_openmetrics_groups_each_family_with_timestamps_and_job_instance(tmp_path: Path) -> None:
    out = tmp_path / "history.om"
    writer = OpenMetricsWriter(out, job="kpi-targets", instance='pbx "1"')
    voice = {"kpi": "service_level_ratio", "channel": "voice"}
    offered = {"queue": "sales\\north"}
    for at, value, count in ((60.0, 0.8, 3.0), (120.0, 0.75, 1234567.0)):
        writer.add(
            [
                _family("kpi_value", "gauge", [("kpi_value", voice, value)]),
                _family(
                    "contacts_offered", "counter", [("contacts_offered_total", offered, count)]
                ),
            ],
            at,
        )
    writer.add([_family("kpi_value", "gauge", [("kpi_value", voice, float("nan"))])], 180.5)
    writer.add([_family("kpi_value", "gauge", [("kpi_value", voice, float("inf"))])], 181.0)
    writer.finish()
    job = 'job="kpi-targets",instance="pbx \\"1\\""'
    assert out.read_text().splitlines() == [
        "# TYPE kpi_value gauge",
        "# HELP kpi_value The kpi_value.",
        f'kpi_value{{kpi="service_level_ratio",channel="voice",{job}}} 0.8 60',
        f'kpi_value{{kpi="service_level_ratio",channel="voice",{job}}} 0.75 120',
        f'kpi_value{{kpi="service_level_ratio",channel="voice",{job}}} NaN 180.5',
        f'kpi_value{{kpi="service_level_ratio",channel="voice",{job}}} +Inf 181',
        "# TYPE contacts_offered counter",
        "# HELP contacts_offered The contacts_offered.",
        f'contacts_offered_total{{queue="sales\\\\north",{job}}} 3.0 60',
        f'contacts_offered_total{{queue="sales\\\\north",{job}}} 1234567.0 120',
        "# EOF",
    ]
    assert writer.samples == 6
    assert [path.name for path in tmp_path.iterdir()] == ["history.om"]  # no spool left


def test_an_interrupted_write_leaves_no_output(tmp_path: Path) -> None:
    out = tmp_path / "history.om"
    out.write_text("the previous run\n")
    writer = OpenMetricsWriter(out, job="j", instance="i")
    writer.add([_family("kpi_value", "gauge", [("kpi_value", {}, 1.0)])], 1.0)
    writer.close()  # as on Ctrl-C: finish never ran
    assert out.read_text() == "the previous run\n"
    assert [path.name for path in tmp_path.iterdir()] == ["history.om"]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("60", 60.0), ("15s", 15.0), ("5m", 300.0), ("1h", 3600.0), ("1d", 86400.0), ("500ms", 0.5)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["0s", "-1m", "1w", "fast", ""])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_duration(text, "--split")
    assert str(refused.value) == f"--split: {text!r} is not a duration like 15s, 1m, 1h or 1d"


def test_progress_line_says_events_time_rate_and_time_left() -> None:
    stream = io.StringIO()
    progress = Progress(stream, "backfill", end=1_772_496_000.0, enabled=True)
    progress.update(0, 1_772_409_600.0)  # 2026-03-02 00:00 UTC: the first instant
    line = progress.line(120_000, 1_772_452_800.0, elapsed=4.0)  # half way, in 4 s
    assert line == (
        "backfill: 120,000 events, reached 2026-03-02 12:00 UTC, 30,000 events/s, about 4 s left"
    )


def test_progress_is_quiet_off_a_terminal() -> None:
    stream = io.StringIO()  # not a tty
    progress = Progress(stream, "backfill", end=100.0)
    progress.update(10, 50.0)
    progress.finish()
    assert stream.getvalue() == ""


def test_split_files_hold_each_period_of_history(tmp_path: Path) -> None:
    out = tmp_path / "history.om"
    writer = SplitWriter(
        out, job="j", instance="i", start=0.0, every=86400.0, zone=ZoneInfo("Europe/Rome")
    )
    for at in (0.0, 43200.0, 86400.0, 90000.0):
        writer.add([_family("kpi_value", "gauge", [("kpi_value", {}, at)])], at)
    writer.finish()
    assert writer.samples == 4
    assert [path.name for path in writer.paths] == [
        "history-19700101T0100.om",  # 00:00 UTC is 01:00 in Rome
        "history-19700102T0100.om",
    ]
    first, second = (path.read_text().splitlines() for path in writer.paths)
    assert first[2:] == [
        'kpi_value{job="j",instance="i"} 0.0 0',
        'kpi_value{job="j",instance="i"} 43200.0 43200',
        "# EOF",
    ]
    assert second[2:] == [
        'kpi_value{job="j",instance="i"} 86400.0 86400',
        'kpi_value{job="j",instance="i"} 90000.0 90000',
        "# EOF",
    ]
    assert not out.exists()


def test_without_a_split_one_file_is_written(tmp_path: Path) -> None:
    out = tmp_path / "history.om"
    writer = SplitWriter(out, job="j", instance="i", start=0.0, every=None, zone=ZoneInfo("UTC"))
    for at in (0.0, 1e9):
        writer.add([_family("kpi_value", "gauge", [("kpi_value", {}, 1.0)])], at)
    writer.finish()
    assert writer.paths == [out]
    assert out.read_text().count("kpi_value{") == 2
