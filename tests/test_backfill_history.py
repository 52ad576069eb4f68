"""Targets as they were: the audit log's changes undone in reverse order, on a real store.

The changes are made through ``TargetStore`` (so the audit lines are real); their ``at`` is then set
to chosen instants T1 < T2 < T3, since a test cannot wait days between saves.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import pytest

from exporter.backfill.history import CURRENT_FILES, History, rebuild
from exporter.targets.model import Quantifier, Schedule, Scope, Target, TargetSet
from exporter.targets.store import TargetStore

CALENDAR_YAML = "timezone: Europe/Rome\n"
TARGETS_YAML = """\
targets:
  - kpi: service_level_ratio
    scope: {channel: voice}
    quantifier: or_more
    schedules:
      - value: 0.8
"""
T1, T2, T3 = 1_772_000_000.0, 1_772_100_000.0, 1_772_200_000.0
VOICE = (("channel", "voice"),)


@pytest.fixture
def store(tmp_path: Path) -> TargetStore:
    (tmp_path / "targets.yaml").write_text(TARGETS_YAML)
    (tmp_path / "calendar.yaml").write_text(CALENDAR_YAML)
    return TargetStore(tmp_path)


def _set(store: TargetStore, kpi: str, value: float, scope: Scope = ()) -> None:
    quantifier = Quantifier.OR_LESS if kpi.endswith("_seconds") else Quantifier.OR_MORE
    target = Target(kpi, quantifier, (Schedule(float(value)),), scope)
    store.set_target(target, user="ann", reason="plan", base_version=None)


def _history(store: TargetStore, *instants: float) -> History:
    entries = store.audit.entries()
    assert len(entries) == len(instants)
    for entry, at in zip(entries, instants, strict=True):
        entry["at"] = _iso(at)
    return rebuild(store.current().target_set, CALENDAR_YAML, entries)


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")


def _values(target_set: TargetSet) -> dict[str, float]:
    return {target.kpi: target.schedules[0].value for target in target_set.targets}


def test_without_an_audit_log_the_current_files_hold_for_all_time(store: TargetStore) -> None:
    history = _history(store)
    (period,) = history.periods
    assert (period.start, period.end, period.origin) == (-math.inf, math.inf, CURRENT_FILES)
    assert _values(history.at(0.0)) == {"service_level_ratio": 0.8}


def test_each_change_is_undone_in_reverse_order(store: TargetStore) -> None:
    _set(store, "service_level_ratio", 0.85, VOICE)  # T1: replaces 0.8
    _set(store, "average_handle_time_seconds", 300)  # T2: a new target
    store.delete_target(
        "service_level_ratio", VOICE, user="bob", reason="gone", base_version=None
    )  # T3
    history = _history(store, T1, T2, T3)
    assert [(p.start, p.end) for p in history.periods] == [
        (-math.inf, T1),
        (T1, T2),
        (T2, T3),
        (T3, math.inf),
    ]
    assert _values(history.at(T1 - 1)) == {"service_level_ratio": 0.8}
    assert _values(history.at(T1)) == {"service_level_ratio": 0.85}
    assert _values(history.at(T2 + 1)) == {
        "service_level_ratio": 0.85,
        "average_handle_time_seconds": 300,
    }
    assert _values(history.at(T3)) == {"average_handle_time_seconds": 300}
    origins = [p.origin for p in history.periods]
    assert origins[-1] == CURRENT_FILES
    assert origins[0] == (
        "as before audit.jsonl:1 (set service_level_ratio scope channel=voice"
        f" at {_iso(T1)} by ann: plan)"
    )
    assert origins[2] == (
        "as before audit.jsonl:3 (delete service_level_ratio scope channel=voice"
        f" at {_iso(T3)} by bob: gone)"
    )
    assert history.notes == ()


def test_a_hand_edit_stops_the_rebuild_and_earlier_instants_use_the_current_files(
    store: TargetStore, tmp_path: Path
) -> None:
    _set(store, "service_level_ratio", 0.85, VOICE)  # T1
    _set(store, "average_handle_time_seconds", 300)  # T2
    # By hand, unaudited: the service level target the T1 change saved is no longer there.
    text = (tmp_path / "targets.yaml").read_text().replace("value: 0.85", "value: 0.9")
    (tmp_path / "targets.yaml").write_text(text)
    store.reload_if_changed()
    history = _history(store, T1, T2)
    assert [(p.start, p.end) for p in history.periods] == [
        (-math.inf, T1),
        (T1, T2),
        (T2, math.inf),
    ]
    assert [p.origin for p in history.periods][::2] == [CURRENT_FILES, CURRENT_FILES]
    current = {"service_level_ratio": 0.9, "average_handle_time_seconds": 300}
    assert _values(history.at(T1 - 1)) == current
    assert _values(history.at(T1)) == {"service_level_ratio": 0.9}  # T2's change undone
    assert _values(history.at(T2)) == current
    (note,) = history.notes
    assert note.startswith("audit.jsonl:1 cannot be undone (the targets do not hold the")
    assert "instants before" in note


def test_a_calendar_edit_does_not_stop_the_rebuild(store: TargetStore, tmp_path: Path) -> None:
    _set(store, "service_level_ratio", 0.85, VOICE)
    (tmp_path / "calendar.yaml").write_text(CALENDAR_YAML + "# a holiday list, one day\n")
    store.reload_if_changed()
    history = _history(store, T1)
    assert _values(history.at(T1 - 1)) == {"service_level_ratio": 0.8}
    assert history.notes == ()


def test_a_torn_audit_line_stops_the_rebuild_with_a_note(store: TargetStore) -> None:
    _set(store, "service_level_ratio", 0.85, VOICE)
    entries = store.audit.entries()
    entries[0]["at"] = "yesterday"
    history = rebuild(store.current().target_set, CALENDAR_YAML, entries)
    assert len(history.periods) == 1
    assert history.notes[0].startswith("audit.jsonl:1 cannot be undone (its time 'yesterday'")


def test_between_lists_the_periods_overlapping_a_range(store: TargetStore) -> None:
    _set(store, "service_level_ratio", 0.85, VOICE)
    history = _history(store, T1)
    assert len(history.between(T1 - 10, T1 - 1)) == 1
    assert len(history.between(T1 - 10, T1 + 10)) == 2
    assert len(history.between(T1, T1 + 10)) == 1
