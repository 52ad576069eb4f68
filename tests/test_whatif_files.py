"""The what-if's past from files: every closed hour's value equals what replay prints at the hour's
last instant (HH:59:59.999), across the DST night, an hour with no call, and a late line."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from processes import KPI_TARGETS

from exporter.backfill.feed import Feed, feed_sources
from exporter.engine import EngineConfig, KpiEngine
from exporter.sources.base import IngestStats
from exporter.sources.queue_log import QueueLogSource
from exporter.sources.records import RecordsSource
from exporter.sources.spec import build_source, parse_source_spec
from exporter.targets.periods import periods_judged
from exporter.whatif.past_files import closed_hours

ROME = ZoneInfo("Europe/Rome")
SL = "service_level_ratio"
JUDGED = frozenset(kpi.name for kpi in periods_judged())


def local(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ROME).timestamp()


def write_calls(path: Path, hours: list[tuple[float, tuple[int, ...]]]) -> None:
    """Per hour start, the waits of calls entering evenly from :01 to :51; a wait < 0 abandons."""
    lines: list[tuple[float, str]] = [
        (hours[0][0], f"{hours[0][0]:.0f}|NONE|sales|SIP/1|ADDMEMBER|")
    ]
    number = 0
    for start, waits in hours:
        for slot, wait in enumerate(waits):
            number += 1
            call, entered = f"c{number}", start + 60 + slot * (3000 // len(waits))
            lines.append((entered, f"{entered:.0f}|{call}|sales|NONE|ENTERQUEUE||555|1"))
            if wait < 0:
                left = entered - wait
                lines.append((left, f"{left:.0f}|{call}|sales|NONE|ABANDON|1|1|{-wait}"))
                continue
            answered, ended = entered + wait, entered + wait + 60
            lines.append((answered, f"{answered:.0f}|{call}|sales|SIP/1|CONNECT|{wait}|b|1"))
            lines.append((ended, f"{ended:.0f}|{call}|sales|SIP/1|COMPLETECALLER|{wait}|60|1"))
    lines.sort(key=lambda pair: pair[0])
    path.write_text("".join(text + "\n" for _, text in lines), encoding="utf-8")


def sources(path: Path) -> list[QueueLogSource | RecordsSource]:
    return [build_source(parse_source_spec(f"queue_log:{path}"), follow=False, timezone=ROME)]


def replayed(path: Path, at: float) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """What replay counts at ``at``, through replay's own Feed.until."""
    engine = KpiEngine(EngineConfig(timezone=ROME))
    feed_sources(sources(path), Feed.until(engine, at), IngestStats())
    return {
        (sample.kpi, sample.labels): sample.value
        for sample in engine.snapshot(at).kpis
        if sample.kpi in JUDGED
    }


def test_each_closed_hour_equals_replay_at_its_last_instant(tmp_path: Path) -> None:
    queue_log = tmp_path / "calls.queue_log"
    # Sunday 29 March 2026: 01:00, then 03:00 (no 02:00), 04:00 without a call, 05:00.
    hours = [
        (local("2026-03-29 00:00"), (10, 30, -40)),
        (local("2026-03-29 01:00"), (5, 5, 5, 50)),
        (local("2026-03-29 03:00"), (25,)),
        (local("2026-03-29 05:00"), (10, -12)),
    ]
    write_calls(queue_log, hours)
    start, end = local("2026-03-29 00:00"), local("2026-03-29 06:00")
    found = closed_hours(
        KpiEngine(EngineConfig(timezone=ROME)), sources(queue_log), JUDGED, start=start, end=end
    )
    assert found.hours == 5  # 00, 01, 03, 04, 05: the DST night has five hours to 06:00
    by_scope = found.by_kpi[SL]
    queue = (("channel", "voice"), ("queue", "sales"))
    starts = sorted(by_scope[queue])
    # the hour with no call has no value; the others each one
    assert starts == [
        local("2026-03-29 00:00"),
        local("2026-03-29 01:00"),
        local("2026-03-29 03:00"),
        local("2026-03-29 05:00"),
    ]
    # Service level worked out by hand (20 s threshold): 1 of 3, 3 of 4, 0 of 1, 1 of 2.
    assert [by_scope[queue][at].value for at in starts] == [1 / 3, 3 / 4, 0.0, 1 / 2]
    assert [by_scope[queue][at].sample_size for at in starts] == [3, 4, 1, 2]
    hour_ends = {
        local("2026-03-29 00:00"): local("2026-03-29 01:00"),
        local("2026-03-29 01:00"): local("2026-03-29 03:00"),
        local("2026-03-29 03:00"): local("2026-03-29 04:00"),
        local("2026-03-29 05:00"): local("2026-03-29 06:00"),
    }
    for at in starts:
        replay = replayed(queue_log, hour_ends[at] - 0.001)
        for kpi, scopes in found.by_kpi.items():
            for scope, values in scopes.items():
                if at in values:
                    assert values[at].value == replay[(kpi, scope)], (kpi, scope, at)


def test_the_replay_command_agrees_for_one_hour(tmp_path: Path) -> None:
    queue_log = tmp_path / "calls.queue_log"
    write_calls(queue_log, [(local("2026-03-02 10:00"), (10, 25, -30, 15))])
    found = closed_hours(
        KpiEngine(EngineConfig(timezone=ROME)),
        sources(queue_log),
        JUDGED,
        start=local("2026-03-02 10:00"),
        end=local("2026-03-02 11:00"),
    )
    completed = subprocess.run(
        [
            *KPI_TARGETS,
            "replay",
            f"queue_log:{queue_log}",
            "--timezone",
            "Europe/Rome",
            "--at",
            "2026-03-02T10:59:59.999",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    printed = {
        (row["kpi"], tuple(sorted(row["labels"].items()))): row["value"]
        for row in json.loads(completed.stdout)
        if row["kpi"] in JUDGED
    }
    ours = {
        (kpi, scope): values[local("2026-03-02 10:00")].value
        for kpi, scopes in found.by_kpi.items()
        for scope, values in scopes.items()
    }
    assert ours and ours == {key: printed[key] for key in ours}
    # 10 s and 15 s within 20 s, of 4 offered (the 30 s abandon is not a short one)
    assert ours[(SL, (("channel", "voice"), ("queue", "sales")))] == 2 / 4
