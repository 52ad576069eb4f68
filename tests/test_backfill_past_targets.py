"""Targets and calendar as they were: the audit log's changes undone in reverse order, on a real
store.

The changes are made through ``TargetStore`` (so the audit lines are real); their ``at`` is then set
to chosen instants T1 < T2 < T3, since a test cannot wait days between saves.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from exporter.backfill.past_targets import CURRENT_FILES, History, rebuild
from exporter.scope import Scope
from exporter.targets import calendar_edit
from exporter.targets.model import Calendar, Quantifier, Schedule, Target, TargetSet
from exporter.targets.parse import parse_texts
from exporter.targets.resolve import resolve
from exporter.targets.store import TargetStore
from tests import presets

CALENDAR_YAML = presets.calendar_yaml("rome")
TARGETS_YAML = presets.targets_yaml("voice_sl")
T1, T2, T3 = 1_772_000_000.0, 1_772_100_000.0, 1_772_200_000.0
VOICE = (("channel", "voice"),)
ROME = ZoneInfo("Europe/Rome")


@pytest.fixture
def store(tmp_path: Path) -> TargetStore:
    return _store(tmp_path, TARGETS_YAML, CALENDAR_YAML)


def _store(
    directory: Path, targets_yaml: str, calendar_yaml: str, *, watching: bool = False
) -> TargetStore:
    """``watching``: as the running exporter's store, which audits changes made outside it."""
    presets.write_targets(directory, targets_yaml, calendar_yaml)
    return TargetStore(directory, record_outside_changes=watching)


def _set(store: TargetStore, kpi: str, value: float, scope: Scope = ()) -> None:
    quantifier = Quantifier.OR_LESS if kpi.endswith("_seconds") else Quantifier.OR_MORE
    target = Target(kpi, quantifier, (Schedule(float(value)),), scope)
    store.set_target(target, user="ann", reason="plan", base_version=None)


def _history(store: TargetStore, *instants: float) -> History:
    entries = store.audit.entries()
    assert len(entries) == len(instants)
    for entry, at in zip(entries, instants, strict=True):
        entry["at"] = _iso(at)
    calendar_text = store.calendar_path.read_text(encoding="utf-8")
    return rebuild(store.current().target_set, calendar_text, entries)


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")


def _rome(day: int, hour: int) -> float:
    """An instant of March 2026 in Rome (UTC+1 all month before the 29th)."""
    return datetime(2026, 3, day, hour, tzinfo=ROME).timestamp()


def _in_force(history: History, at: float) -> dict[str, float]:
    """KPI -> the value in force then, judged with the targets and calendar of that instant."""
    resolution = resolve(history.at(at), datetime.fromtimestamp(at, UTC))
    return {found.kpi: found.value for found in resolution.all()}


def _close(store: TargetStore, day: date, name: str) -> None:
    store.edit_calendar(
        lambda text: calendar_edit.add_exception(text, day, name, closed=True),
        user="ann",
        reason=f"{name} closed",
        base_version=None,
    )


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


def test_a_change_of_comments_only_has_nothing_to_undo(tmp_path: Path) -> None:
    store = _store(tmp_path, TARGETS_YAML, CALENDAR_YAML, watching=True)
    _set(store, "service_level_ratio", 0.85, VOICE)  # T1
    (tmp_path / "calendar.yaml").write_text(CALENDAR_YAML + "# a holiday list, one day\n")
    store.reload_if_changed()  # T2: audited as an outside change with nothing nameable
    noop = store.audit.entries()[1]
    assert (noop["action"], noop["kpi"], noop["before"], noop["after"]) == (
        "outside",
        "",
        None,
        None,
    )
    history = _history(store, T1, T2)
    assert [(p.start, p.end) for p in history.periods] == [(-math.inf, T1), (T1, math.inf)]
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


def test_a_holiday_holds_from_the_settings_save_that_added_it(store: TargetStore) -> None:
    _close(store, date(2026, 3, 5), "Founders Day")  # saved ahead, Tuesday 3 March 12:00
    _set(store, "service_level_ratio", 0.85, VOICE)  # Tuesday 3 March 18:00
    _close(store, date(2026, 3, 2), "Strike")  # saved late, Wednesday 4 March 12:00
    history = _history(store, _rome(3, 12), _rome(3, 18), _rome(4, 12))
    assert history.notes == ()
    # The current files alone would close 2 March; on 2 March nobody had said so yet.
    assert _in_force(history, _rome(2, 10)) == {"service_level_ratio": 0.8}
    assert _in_force(history, _rome(3, 10)) == {"service_level_ratio": 0.8}
    assert _in_force(history, _rome(3, 15)) == {"service_level_ratio": 0.8}
    assert _in_force(history, _rome(4, 10)) == {"service_level_ratio": 0.85}
    assert _in_force(history, _rome(5, 10)) == {}  # Founders Day, known since 3 March: closed
    assert _in_force(history, _rome(6, 10)) == {"service_level_ratio": 0.85}
    assert [sorted(p.target_set.calendar.exceptions) for p in history.periods] == [
        [],
        [date(2026, 3, 5)],
        [date(2026, 3, 5)],
        [date(2026, 3, 2), date(2026, 3, 5)],
    ]
    assert history.periods[0].origin == (
        "as before audit.jsonl:1 (edit calendar.yaml at 2026-03-03T11:00:00Z by ann:"
        " Founders Day closed)"
    )
    current_only = rebuild(store.current().target_set, store.calendar_path.read_text(), [])
    assert _in_force(current_only, _rome(2, 10)) == {}


def test_an_outside_change_is_undone_like_a_save(tmp_path: Path) -> None:
    targets_yaml = TARGETS_YAML + (
        "  - kpi: average_handle_time_seconds\n"
        "    quantifier: or_less\n"
        "    schedules:\n"
        "      - value: 300\n"
    )
    calendar_yaml = CALENDAR_YAML + (
        "exceptions:\n"
        "  - date: 2026-03-05\n"
        "    name: Launch day\n"
        "    values:\n"
        "      - {kpi: average_handle_time_seconds, value: 400}\n"
    )
    store = _store(tmp_path, targets_yaml, calendar_yaml, watching=True)
    # By hand (or git pull), while the exporter watches: the handle-time target goes with its
    # launch-day value, and the service level rises.
    (tmp_path / "targets.yaml").write_text(TARGETS_YAML.replace("0.8", "0.9"))
    (tmp_path / "calendar.yaml").write_text(CALENDAR_YAML)
    assert store.reload_if_changed()
    entries = store.audit.entries()
    assert [(e["action"], e["kpi"]) for e in entries] == [
        ("outside", "service_level_ratio"),
        ("outside", "average_handle_time_seconds"),
        ("outside", ""),
    ]
    changed = _rome(6, 12)
    history = _history(store, changed, changed, changed)
    assert history.notes == ()
    # One change, one boundary: the lines are undone together (undone one by one, the calendar
    # would name a target that the targets do not hold yet).
    assert [(p.start, p.end) for p in history.periods] == [
        (-math.inf, changed),
        (changed, math.inf),
    ]
    assert _in_force(history, _rome(4, 10)) == {
        "service_level_ratio": 0.8,
        "average_handle_time_seconds": 300,
    }
    assert _in_force(history, _rome(5, 10)) == {
        "service_level_ratio": 0.8,
        "average_handle_time_seconds": 400,
    }
    assert _in_force(history, _rome(6, 13)) == {"service_level_ratio": 0.9}
    assert history.periods[0].origin.startswith(
        "as before audit.jsonl:1 (outside service_level_ratio scope channel=voice at "
        "2026-03-06T11:00:00Z by (outside kpi-targets): changed outside kpi-targets"
    )


def test_a_calendar_edited_while_no_exporter_watched_stops_the_rebuild(
    store: TargetStore, tmp_path: Path
) -> None:
    _close(store, date(2026, 3, 5), "Founders Day")  # T1
    (tmp_path / "calendar.yaml").write_text(CALENDAR_YAML.replace("Rome", "Berlin"))
    history = _history(TargetStore(tmp_path), T1)  # as backfill opens it: nobody audited that
    assert [p.origin for p in history.periods] == [CURRENT_FILES, CURRENT_FILES]
    assert history.at(T1 - 1).calendar.timezone == ZoneInfo("Europe/Berlin")
    (note,) = history.notes
    assert note.startswith(
        "audit.jsonl:1 cannot be undone (calendar.yaml does not hold the calendar it saved)"
    )


# Dates and times unquoted in it, as people write them; the exception named 10:30 is one YAML 1.1
# would read as the base-60 integer 630.
RICH_CALENDAR = presets.calendar_yaml("rich_new_york")


def test_a_calendar_rebuilt_from_the_audit_log_parses_as_the_file_did(tmp_path: Path) -> None:
    store = _store(tmp_path, TARGETS_YAML, RICH_CALENDAR)
    store.edit_calendar(
        lambda text: calendar_edit.set_timezone(text, "Europe/Rome"),
        user="ann",
        reason="moved",
        base_version=None,
    )  # T1
    history = _history(store, T1)
    assert history.notes == ()
    rebuilt = history.at(T1 - 1).calendar
    parsed = parse_texts(TARGETS_YAML, RICH_CALENDAR).target_set
    assert parsed is not None
    assert _without_lines(rebuilt) == _without_lines(parsed.calendar)
    assert rebuilt.exceptions[date(2026, 12, 31)].name == "10:30"
    assert history.at(T1).calendar.timezone == ROME


def _without_lines(calendar: Calendar) -> Calendar:
    """Line numbers differ between the file and the rebuilt text; everything else must not."""
    exceptions = {
        day: dataclasses.replace(
            exception,
            line=0,
            values=tuple(dataclasses.replace(value, line=0) for value in exception.values),
        )
        for day, exception in calendar.exceptions.items()
    }
    return dataclasses.replace(calendar, exceptions=exceptions)
