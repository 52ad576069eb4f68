"""The targets store on real files: saves, refusals, audit log, reloads, crashes, concurrency."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from exporter.targets.model import Quantifier, Schedule, Target
from exporter.targets.parse import load_dir
from exporter.targets.store import (
    InvalidTargetsError,
    StaleVersionError,
    StoreError,
    TargetNotFoundError,
    TargetStore,
    content_version,
)
from tests.presets import calendar_yaml, targets_yaml, write_targets

TARGETS_YAML = targets_yaml("hand_written")
CALENDAR_YAML = calendar_yaml("rome")

SL_VOICE_DICT = {
    "kpi": "service_level_ratio",
    "scope": {"channel": "voice"},
    "quantifier": "or_more",
    "schedules": [{"value": 0.8}],
}


def make_directory(path: Path, targets: str = "hand_written") -> Path:
    return write_targets(path, targets, "rome")


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file in the directory and its bytes (the lock file is empty and allowed to appear)."""
    return {
        p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.name != ".kpi-targets.lock"
    }


def audit_lines(directory: Path) -> list[dict[str, object]]:
    path = directory / "audit.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def sl_target(value: float, scope: dict[str, str] | None = None) -> Target:
    return Target(
        kpi="service_level_ratio",
        quantifier=Quantifier.OR_MORE,
        schedules=(Schedule(value=value),),
        scope=tuple(sorted((scope or {"channel": "voice"}).items())),
    )


# --- version and loading -------------------------------------------------------------------------


def test_version_is_a_short_sha256_of_both_files_and_tells_them_apart() -> None:
    expected = hashlib.sha256(
        (2).to_bytes(8, "big") + b"ab" + (1).to_bytes(8, "big") + b"c"
    ).hexdigest()[:16]
    assert content_version(b"ab", b"c") == expected
    # the same bytes split differently between the two files are a different version
    assert content_version(b"a", b"bc") != content_version(b"ab", b"c")


def test_loading_validates_and_versions_the_files(tmp_path: Path) -> None:
    store = TargetStore(make_directory(tmp_path))
    loaded = store.current()
    assert [(t.kpi, dict(t.scope)) for t in loaded.target_set.targets] == [
        ("service_level_ratio", {"channel": "voice"}),
        ("average_handle_time_seconds", {}),
    ]
    assert loaded.version == content_version(TARGETS_YAML.encode(), CALENDAR_YAML.encode())
    assert (store.reloads, store.reload_errors, store.last_reload_error) == (0, 0, None)


def test_a_missing_file_is_a_clear_store_error(tmp_path: Path) -> None:
    (tmp_path / "targets.yaml").write_text(TARGETS_YAML)
    with pytest.raises(StoreError, match=r"calendar\.yaml does not exist"):
        TargetStore(tmp_path)


def test_an_invalid_file_stops_construction_with_its_problems(tmp_path: Path) -> None:
    make_directory(tmp_path, TARGETS_YAML.replace("value: 0.8", "value: 1.5"))
    with pytest.raises(InvalidTargetsError) as raised:
        TargetStore(tmp_path)
    assert [(Path(p.file).name, p.line) for p in raised.value.problems] == [("targets.yaml", 7)]
    assert "targets.yaml:7: error:" in str(raised.value)


# --- saves ---------------------------------------------------------------------------------------


def test_set_adds_a_target_writes_the_managed_header_and_audits_it(tmp_path: Path) -> None:
    store = TargetStore(make_directory(tmp_path))
    before_version = store.current().version
    chat = sl_target(0.9, {"channel": "chat"})
    version = store.set_target(chat, user="alice", reason="chat SLA", base_version=before_version)

    written = (tmp_path / "targets.yaml").read_bytes()
    assert written.startswith(b"# hand-written")  # the round-trip save keeps comments
    assert version == content_version(written, CALENDAR_YAML.encode())
    assert store.current().version == version
    reparsed = load_dir(tmp_path)
    assert reparsed.target_set is not None
    assert [(t.kpi, dict(t.scope), t.schedules[0].value) for t in reparsed.target_set.targets] == [
        ("service_level_ratio", {"channel": "voice"}, 0.8),
        ("average_handle_time_seconds", {}, 300.0),
        ("service_level_ratio", {"channel": "chat"}, 0.9),
    ]
    [entry] = audit_lines(tmp_path)
    assert entry.pop("at").endswith("Z")  # type: ignore[union-attr]
    assert entry == {
        "user": "alice",
        "action": "set",
        "kpi": "service_level_ratio",
        "scope": {"channel": "chat"},
        "before": None,
        "after": {
            "kpi": "service_level_ratio",
            "scope": {"channel": "chat"},
            "quantifier": "or_more",
            "schedules": [{"value": 0.9}],
        },
        "reason": "chat SLA",
        "version_before": before_version,
        "version_after": version,
    }


def test_set_replaces_the_target_with_the_same_kpi_and_scope_in_place(tmp_path: Path) -> None:
    store = TargetStore(make_directory(tmp_path))
    store.set_target(sl_target(0.85), user="bob", reason="raise", base_version=None)
    targets = store.current().target_set.targets
    assert [(t.kpi, t.schedules[0].value) for t in targets] == [
        ("service_level_ratio", 0.85),
        ("average_handle_time_seconds", 300.0),
    ]
    [entry] = audit_lines(tmp_path)
    assert entry["before"] == SL_VOICE_DICT
    assert entry["after"] == {**SL_VOICE_DICT, "schedules": [{"value": 0.85}]}


def test_delete_removes_the_target_and_audits_what_it_was(tmp_path: Path) -> None:
    store = TargetStore(make_directory(tmp_path))
    store.delete_target(
        "service_level_ratio",
        (("channel", "voice"),),
        user="carol",
        reason="gone",
        base_version=None,
    )
    assert [t.kpi for t in store.current().target_set.targets] == ["average_handle_time_seconds"]
    [entry] = audit_lines(tmp_path)
    assert (entry["action"], entry["before"], entry["after"]) == ("delete", SL_VOICE_DICT, None)


def test_deleting_a_missing_target_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    store = TargetStore(make_directory(tmp_path))
    before = snapshot(tmp_path)
    with pytest.raises(TargetNotFoundError, match=r"no target for service_level_ratio with scope"):
        store.delete_target(
            "service_level_ratio", (("channel", "chat"),), user="a", reason="r", base_version=None
        )
    assert snapshot(tmp_path) == before


def test_a_stale_version_is_refused_naming_who_changed_it_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    store = TargetStore(make_directory(tmp_path))
    old_version = store.current().version
    new_version = store.set_target(
        sl_target(0.85), user="alice", reason="Q2", base_version=old_version
    )
    before = snapshot(tmp_path)
    with pytest.raises(StaleVersionError) as raised:
        store.set_target(sl_target(0.7), user="bob", reason="mine", base_version=old_version)
    message = str(raised.value)
    assert f"changed since version {old_version}" in message
    assert f"now version {new_version}, last saved by alice" in message
    assert "reload the targets" in message
    assert snapshot(tmp_path) == before


def test_a_hand_edit_makes_an_old_version_stale_too(tmp_path: Path) -> None:
    store = TargetStore(make_directory(tmp_path))
    old_version = store.current().version
    (tmp_path / "targets.yaml").write_text(TARGETS_YAML.replace("300", "280"))
    with pytest.raises(StaleVersionError, match="changed outside kpi-targets"):
        store.delete_target(
            "average_handle_time_seconds", (), user="a", reason="r", base_version=old_version
        )


def test_without_a_base_version_a_save_builds_on_the_files_on_disk(tmp_path: Path) -> None:
    store = TargetStore(make_directory(tmp_path))
    (tmp_path / "targets.yaml").write_text(TARGETS_YAML.replace("300", "280"))  # not reloaded yet
    store.set_target(sl_target(0.9), user="a", reason="r", base_version=None)
    values = [t.schedules[0].value for t in store.current().target_set.targets]
    assert values == [0.9, 280.0]  # the hand edit is kept, not overwritten from memory


def test_an_invalid_change_leaves_both_files_byte_identical(tmp_path: Path) -> None:
    store = TargetStore(make_directory(tmp_path))
    before = snapshot(tmp_path)
    with pytest.raises(InvalidTargetsError) as raised:
        store.set_target(sl_target(1.5), user="a", reason="typo", base_version=None)
    assert len(raised.value.problems) == 1
    assert "(after this change)" in raised.value.problems[0].file
    assert "nothing was saved" in str(raised.value)
    assert snapshot(tmp_path) == before  # no temp file, no audit line either
    assert store.current().target_set.targets[0].schedules[0].value == 0.8


def test_an_ineligible_kpi_is_refused(tmp_path: Path) -> None:
    store = TargetStore(make_directory(tmp_path))
    before = snapshot(tmp_path)
    target = Target("ai_customer_experience_score", Quantifier.OR_MORE, (Schedule(value=4.0),))
    with pytest.raises(InvalidTargetsError):
        store.set_target(target, user="a", reason="r", base_version=None)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(("user", "reason", "missing"), [("", "r", "user"), ("a", "  ", "reason")])
def test_a_change_needs_a_user_and_a_reason(
    tmp_path: Path, user: str, reason: str, missing: str
) -> None:
    store = TargetStore(make_directory(tmp_path))
    before = snapshot(tmp_path)
    with pytest.raises(StoreError, match=f"a {missing}"):
        store.set_target(sl_target(0.9), user=user, reason=reason, base_version=None)
    assert snapshot(tmp_path) == before


def test_every_save_is_one_audit_line_chaining_the_versions(tmp_path: Path) -> None:
    store = TargetStore(make_directory(tmp_path))
    first = store.current().version
    second = store.set_target(sl_target(0.81), user="a", reason="1", base_version=first)
    third = store.set_target(sl_target(0.82), user="b", reason="2", base_version=second)
    fourth = store.delete_target("average_handle_time_seconds", (), user="c", reason="3",
                                 base_version=third)  # fmt: skip
    assert [
        (e["user"], e["version_before"], e["version_after"]) for e in audit_lines(tmp_path)
    ] == [
        ("a", first, second),
        ("b", second, third),
        ("c", third, fourth),
    ]


def test_the_audit_log_can_live_elsewhere(tmp_path: Path) -> None:
    directory = tmp_path / "targets"
    directory.mkdir()
    store = TargetStore(make_directory(directory), audit_path=tmp_path / "log" / "audit.jsonl")
    (tmp_path / "log").mkdir()
    store.set_target(sl_target(0.9), user="a", reason="r", base_version=None)
    assert len((tmp_path / "log" / "audit.jsonl").read_text().splitlines()) == 1
    assert not (directory / "audit.jsonl").exists()


def test_an_unwritable_audit_log_refuses_the_change_before_writing_it(tmp_path: Path) -> None:
    directory = tmp_path / "targets"
    directory.mkdir()
    store = TargetStore(make_directory(directory), audit_path=tmp_path / "missing" / "audit.jsonl")
    before = snapshot(directory)
    with pytest.raises(StoreError, match=r"cannot append to the audit log .*nothing was saved"):
        store.set_target(sl_target(0.9), user="a", reason="r", base_version=None)
    assert snapshot(directory) == before
    assert store.current().target_set.targets[0].schedules[0].value == 0.8


# --- reloads of changes made by anyone ---------------------------------------------------------


def test_a_valid_hand_edit_becomes_current_on_reload(tmp_path: Path) -> None:
    store = TargetStore(make_directory(tmp_path))
    assert store.reload_if_changed() is False  # nothing changed yet
    (tmp_path / "targets.yaml").write_text(TARGETS_YAML.replace("300", "280"))
    assert store.reload_if_changed() is True
    assert store.current().target_set.targets[1].schedules[0].value == 280.0
    assert store.current().version == content_version(
        TARGETS_YAML.replace("300", "280").encode(), CALENDAR_YAML.encode()
    )
    assert (store.reloads, store.reload_errors) == (1, 0)
    assert store.reload_if_changed() is False


def test_an_invalid_hand_edit_keeps_the_last_good_targets(tmp_path: Path) -> None:
    store = TargetStore(make_directory(tmp_path))
    good = store.current()
    (tmp_path / "calendar.yaml").write_text("timezone: Mars/Olympus_Mons\n")
    assert store.reload_if_changed() is False
    assert store.current() is good
    assert store.reload_errors == 1
    assert store.last_reload_error is not None
    assert "calendar.yaml:1: error:" in store.last_reload_error
    # the same bad content is reported once, not at every poll
    assert store.reload_if_changed() is False
    assert store.reload_errors == 1
    (tmp_path / "calendar.yaml").write_text("timezone: Europe/Paris\n")
    assert store.reload_if_changed() is True
    assert str(store.current().target_set.calendar.timezone) == "Europe/Paris"
    assert (store.reloads, store.reload_errors, store.last_reload_error) == (1, 1, None)


def test_a_file_deleted_under_a_running_store_keeps_the_targets(tmp_path: Path) -> None:
    store = TargetStore(make_directory(tmp_path))
    (tmp_path / "targets.yaml").unlink()
    assert store.reload_if_changed() is False
    assert store.reload_errors == 1
    assert "targets.yaml does not exist" in (store.last_reload_error or "")
    assert len(store.current().target_set.targets) == 2


def test_watch_picks_up_an_edit_within_seconds(tmp_path: Path) -> None:
    store = TargetStore(make_directory(tmp_path))
    stop = threading.Event()
    watcher = threading.Thread(target=store.watch, args=(stop, 0.05), daemon=True)
    watcher.start()
    try:
        (tmp_path / "targets.yaml").write_text(TARGETS_YAML.replace("300", "240"))
        deadline = time.monotonic() + 5.0
        while store.reloads == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert store.reloads == 1
        assert store.current().target_set.targets[1].schedules[0].value == 240.0
    finally:
        stop.set()
        watcher.join(timeout=5)
    assert not watcher.is_alive()


# --- separate processes ------------------------------------------------------------------------

_SAVER_SCRIPT = """
import sys
from pathlib import Path
from exporter.targets.model import Quantifier, Schedule, Target
from exporter.targets.store import TargetStore
directory, worker, rounds = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
store = TargetStore(directory)
for round_number in range(rounds):
    target = Target(
        kpi="average_handle_time_seconds",
        quantifier=Quantifier.OR_LESS,
        schedules=(Schedule(value=float(worker * 1000 + round_number)),),
        scope=(("queue", f"q{worker}"),),
    )
    store.set_target(target, user=f"worker{worker}", reason=f"round {round_number}",
                     base_version=None)
"""


def test_concurrent_processes_lose_no_save_and_never_leave_a_broken_file(tmp_path: Path) -> None:
    make_directory(tmp_path)
    initial_version = TargetStore(tmp_path).current().version
    workers, rounds = 4, 12
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _SAVER_SCRIPT, str(tmp_path), str(worker), str(rounds)]
        )
        for worker in range(workers)
    ]
    reads = 0
    while any(child.poll() is None for child in children):
        # a reader during the saves only ever sees a complete, valid file
        result = load_dir(tmp_path)
        assert result.ok, [str(problem) for problem in result.problems]
        reads += 1
    assert [child.wait(timeout=120) for child in children] == [0] * workers
    assert reads > 0

    final = load_dir(tmp_path)
    assert final.target_set is not None
    by_queue = {
        dict(t.scope)["queue"]: t.schedules[0].value
        for t in final.target_set.targets
        if dict(t.scope).get("queue")
    }
    # each worker's last round is 11: worker w wrote w * 1000 + 11 last
    assert by_queue == {"q0": 11.0, "q1": 1011.0, "q2": 2011.0, "q3": 3011.0}

    entries = audit_lines(tmp_path)
    assert len(entries) == workers * rounds  # 4 x 12 = 48, one per save
    assert sorted(str(e["user"]) for e in entries) == sorted(
        f"worker{w}" for w in range(workers) for _ in range(rounds)
    )
    # saves were serialised: each one starts from the version the previous one wrote
    versions = [initial_version] + [str(e["version_after"]) for e in entries]
    assert [str(e["version_before"]) for e in entries] == versions[:-1]
    assert versions[-1] == content_version(
        (tmp_path / "targets.yaml").read_bytes(), CALENDAR_YAML.encode()
    )


def test_a_read_only_store_refuses_every_save_and_writes_nothing(tmp_path: Path) -> None:
    directory = make_directory(tmp_path)
    before = snapshot(directory)
    store = TargetStore(directory, read_only="the built-in example targets are read-only")
    version = store.current().version
    with pytest.raises(StoreError, match=r"^the built-in example targets are read-only$"):
        store.set_target(sl_target(0.9), user="ann", reason="raise it", base_version=version)
    with pytest.raises(StoreError, match=r"^the built-in example targets are read-only$"):
        scope = sl_target(0.8).scope
        store.delete_target(scope=scope, kpi="service_level_ratio", user="a", reason="x",
                            base_version=version)  # fmt: skip
    assert snapshot(directory) == before
    assert store.current().version == version
