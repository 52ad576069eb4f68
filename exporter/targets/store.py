"""The targets store: the one code path through which the admin UI, CLI and GitOps change targets.

It owns a directory holding ``targets.yaml`` and ``calendar.yaml``. The **version** is a hash of
both files' bytes, so any change (a save, a hand edit, a ``git pull``) changes it.

A save (``set_target`` / ``delete_target``) holds the writers' lock (``flock`` on a lock file in
the directory, so separate processes queue up), re-reads the files, refuses a stale
``base_version``, builds the new target list, validates the text it is about to write exactly as
a load would, writes it atomically (see ``exporter.targets.atomic``) and appends one line to the
audit log, recorded as pending before the rename so that a crash at any point leaves either no
change and no line or the change and its line (``exporter.targets.audit``; the next save, or the
next store opened on the directory, finishes or drops what a killed writer left). A refused change
writes nothing.

A running exporter calls ``reload_if_changed`` (or runs ``watch`` in a thread) to pick up changes
made by anyone: a valid change becomes current, an invalid one is reported and the last good targets
stay in force. Nothing is ever half-applied.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from exporter.scope import Scope
from exporter.targets import yamlsave
from exporter.targets.atomic import WriterLock, atomic_write, remove_leftover_temp_files
from exporter.targets.audit import Action, AuditEntry, AuditLog
from exporter.targets.changes import calendar_as_dict, changes_between, target_as_dict
from exporter.targets.model import Target, TargetSet
from exporter.targets.parse import ParseResult, Problem, parse_texts
from exporter.targets.wording import scope_in_message

logger = logging.getLogger(__name__)

TARGETS_FILE = "targets.yaml"
CALENDAR_FILE = "calendar.yaml"
AUDIT_FILE = "audit.jsonl"
LOCK_FILE = ".kpi-targets.lock"

OUTSIDE_USER = "(outside kpi-targets)"
OUTSIDE_REASON = "changed outside kpi-targets (hand edit or git)"


class StoreError(Exception):
    """A change or a load the store refused; the message says what and where."""


class StaleVersionError(StoreError):
    """The change was based on a version of the targets that is no longer the one on disk."""

    def __init__(
        self, base_version: str, current_version: str, last_change: dict[str, Any] | None
    ) -> None:
        self.base_version = base_version
        self.current_version = current_version
        self.last_change = last_change
        if last_change is not None:
            by = (
                f"last saved by {last_change.get('user')} at {last_change.get('at')}"
                f" ({last_change.get('action')} {last_change.get('kpi')}:"
                f" {last_change.get('reason')})"
            )
        else:
            by = "changed outside kpi-targets (hand edit or git)"
        super().__init__(
            f"the targets changed since version {base_version}: they are now version"
            f" {current_version}, {by}. Nothing was saved: reload the targets and make the"
            " change again on the current version."
        )


class InvalidTargetsError(StoreError):
    """The targets (on disk, or as a change would leave them) are invalid; ``problems`` says why."""

    def __init__(self, problems: Sequence[Problem], context: str) -> None:
        self.problems = list(problems)
        self.context = context
        listed = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"{context}:\n{listed}" if listed else context)


class TargetNotFoundError(StoreError):
    """A delete named a KPI and scope that has no target."""


@dataclass(frozen=True, slots=True)
class LoadedTargets:
    """The targets in force: the last good content of the files, its version and its warnings."""

    target_set: TargetSet
    version: str
    problems: list[Problem]


@dataclass(frozen=True, slots=True)
class _OnDisk:
    targets_bytes: bytes
    calendar_bytes: bytes
    version: str


def content_version(targets_bytes: bytes, calendar_bytes: bytes) -> str:
    """Short hash of both files; lengths are hashed too so bytes cannot shift between the files."""
    digest = hashlib.sha256()
    for data in (targets_bytes, calendar_bytes):
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()[:16]


def _decode(data: bytes, file: str) -> tuple[str | None, Problem | None]:
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return None, Problem(file, line, f"not UTF-8 text ({error.reason})", "error")


@dataclass(frozen=True)
class _Edit:
    """One change asked of the store: what it does to the list of targets, and for the audit."""

    action: Action
    kpi: str
    scope: Scope
    # The current targets -> the new list and the target it replaced or removed (None if new).
    change: Callable[[tuple[Target, ...]], tuple[list[Target], Target | None]]
    after: Target | None
    user: str
    reason: str
    base_version: str | None
    # (targets text, calendar text) -> the texts to write; by default the one target is replaced
    # in place (see ``yamlsave``), so comments and the order of everything else survive.
    rewrite: Callable[[str, str], tuple[str, str]] | None = None
    # A calendar edit is audited with the calendar before and after instead of a target.
    calendar_audit: bool = False


class TargetStore:
    """Loads, saves and watches the targets and calendar files of one directory."""

    def __init__(
        self,
        directory: Path,
        *,
        audit_path: Path | None = None,
        record_outside_changes: bool = False,
        read_only: str | None = None,
    ) -> None:
        self.directory = Path(directory)
        # Why saves are refused (the built-in example targets inside the package), or None.
        self.read_only = read_only
        # The running exporter audits changes it finds that no kpi-targets save made (hand edits,
        # git pull) as action "outside"; command-line tools leave that to it.
        self.record_outside_changes = record_outside_changes
        self.targets_path = self.directory / TARGETS_FILE
        self.calendar_path = self.directory / CALENDAR_FILE
        self.audit = AuditLog(audit_path if audit_path is not None else self.directory / AUDIT_FILE)
        self._writer_lock = WriterLock(self.directory / LOCK_FILE)
        self._state_lock = threading.Lock()  # guards the loaded targets and the counters
        # Test seam: called with each step of a save as it is reached ("before_temp",
        # "temp_written", "pending_written", "renamed", "audited"); tests kill the process there.
        self.checkpoint: Callable[[str], None] = lambda step: None
        self.reloads = 0
        self.reload_errors = 0
        self.last_reload_error: str | None = None
        self._failed_version: str | None = None  # an invalid version already reported once

        if self.audit.pending_path.exists():
            try:
                with self._writer_lock.hold():
                    self._recover()
            except OSError as error:
                logger.warning("cannot finish an interrupted save in %s: %s", self.directory, error)
        on_disk = self._read()
        result = self._parse(on_disk)
        if result.target_set is None:
            raise InvalidTargetsError(result.errors, f"the targets in {self.directory} are invalid")
        self._loaded = LoadedTargets(result.target_set, on_disk.version, list(result.problems))
        self._loaded_files = on_disk  # the bytes behind ``_loaded``, to word outside changes

    # --- reading ---------------------------------------------------------------------------------

    def current(self) -> LoadedTargets:
        """The targets in force (the last good content of the files)."""
        with self._state_lock:
            return self._loaded

    def _read(self) -> _OnDisk:
        contents = []
        for path in (self.targets_path, self.calendar_path):
            try:
                contents.append(path.read_bytes())
            except FileNotFoundError:
                raise StoreError(
                    f"{path} does not exist: a targets directory holds {TARGETS_FILE} and"
                    f" {CALENDAR_FILE} (`kpi-targets init` writes an editable example)"
                ) from None
            except OSError as error:
                raise StoreError(f"cannot read {path}: {error.strerror}") from None
        targets_bytes, calendar_bytes = contents
        return _OnDisk(
            targets_bytes, calendar_bytes, content_version(targets_bytes, calendar_bytes)
        )

    def _parse(self, on_disk: _OnDisk, *, targets_label: str | None = None) -> ParseResult:
        targets_file = targets_label or str(self.targets_path)
        calendar_file = str(self.calendar_path)
        targets_text, targets_problem = _decode(on_disk.targets_bytes, targets_file)
        calendar_text, calendar_problem = _decode(on_disk.calendar_bytes, calendar_file)
        if targets_text is None or calendar_text is None:
            problems = [p for p in (targets_problem, calendar_problem) if p is not None]
            return ParseResult(None, problems)
        return parse_texts(
            targets_text, calendar_text, targets_file=targets_file, calendar_file=calendar_file
        )

    # --- reloading changes made by anyone ---------------------------------------------------------

    def reload_if_changed(self) -> bool:
        """Load the files if their content changed; True when a new version became current.

        An invalid change keeps the last good targets in force and is counted and logged once.
        """
        with self._state_lock:
            seen_version = self._loaded.version
        try:
            on_disk = self._read()
        except StoreError as error:
            self._record_reload_failure(f"unreadable:{error}", str(error))
            return False
        if on_disk.version == seen_version:
            with self._state_lock:
                self._failed_version = None
                self.last_reload_error = None
            return False
        with self._state_lock:
            if on_disk.version == self._failed_version:
                return False
        try:
            result = self._parse(on_disk)
        except Exception as error:  # a parser bug must not look like valid files, nor log forever
            logger.debug("parsing %s failed", self.directory, exc_info=error)
            self._record_reload_failure(
                on_disk.version, f"{self.targets_path}: cannot be read ({type(error).__name__})"
            )
            return False
        if result.target_set is None:
            self._record_reload_failure(
                on_disk.version, "\n".join(str(problem) for problem in result.errors)
            )
            return False
        with self._state_lock:
            if self._loaded.version != seen_version:
                return False  # a save in this process got there first with newer content
            previous, previous_files = self._loaded, self._loaded_files
            self._loaded = LoadedTargets(result.target_set, on_disk.version, list(result.problems))
            self._loaded_files = on_disk
            self.reloads += 1
            self._failed_version = None
            self.last_reload_error = None
        logger.info("targets reloaded from %s: version %s", self.directory, on_disk.version)
        if self.record_outside_changes:
            self._audit_outside_change(previous, previous_files, self._loaded, on_disk)
        return True

    def _audit_outside_change(
        self, before: LoadedTargets, before_files: _OnDisk, after: LoadedTargets, files: _OnDisk
    ) -> None:
        """Audit a reloaded version that no kpi-targets save wrote (see ``changes``)."""
        entries = changes_between(
            before.target_set.targets,
            before_files.calendar_bytes.decode("utf-8"),
            after.target_set.targets,
            files.calendar_bytes.decode("utf-8"),
        )
        try:
            with self._writer_lock.hold():
                last = self.audit.last()
                if last is not None and last.get("version_after") == files.version:
                    return  # a kpi-targets save (another process) wrote it and audited it
                if self._read().version != files.version:
                    return  # changed again meanwhile: the next reload words it
                for kpi, scope, was, now in entries:
                    self.audit.append(
                        AuditEntry(
                            at=datetime.now(UTC),
                            user=OUTSIDE_USER,
                            action="outside",
                            kpi=kpi,
                            scope=scope,
                            before=was,
                            after=now,
                            reason=OUTSIDE_REASON,
                            version_before=before.version,
                            version_after=files.version,
                        )
                    )
        except (OSError, StoreError) as error:
            logger.warning("cannot audit the outside change to %s: %s", self.directory, error)

    def _record_reload_failure(self, failed_version: str, message: str) -> None:
        with self._state_lock:
            if failed_version == self._failed_version:
                return
            self._failed_version = failed_version
            self.reload_errors += 1
            self.last_reload_error = message
            kept = self._loaded.version
        logger.warning(
            "targets in %s not reloaded, version %s stays in force:\n%s",
            self.directory,
            kept,
            message,
        )

    def watch(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Reload changes every ``interval`` seconds until ``stop`` is set (run it in a thread)."""
        while not stop.is_set():
            try:
                self.reload_if_changed()
            except Exception:  # the watcher must outlive any one bad poll
                logger.exception("checking %s for changes failed", self.directory)
            stop.wait(interval)

    # --- saving ----------------------------------------------------------------------------------

    def set_target(
        self, target: Target, *, user: str, reason: str, base_version: str | None
    ) -> str:
        """Add ``target`` or replace the one with its KPI and scope; returns the new version."""

        def change(targets: tuple[Target, ...]) -> tuple[list[Target], Target | None]:
            for index, existing in enumerate(targets):
                if existing.kpi == target.kpi and existing.scope == target.scope:
                    return [*targets[:index], target, *targets[index + 1 :]], existing
            return [*targets, target], None

        return self._save(
            _Edit("set", target.kpi, target.scope, change, target, user, reason, base_version)
        )

    def delete_target(
        self, kpi: str, scope: Scope, *, user: str, reason: str, base_version: str | None
    ) -> str:
        """Remove the target for ``kpi`` and ``scope`` (and its schedules); returns the version."""

        def change(targets: tuple[Target, ...]) -> tuple[list[Target], Target | None]:
            for index, existing in enumerate(targets):
                if existing.kpi == kpi and existing.scope == scope:
                    return [*targets[:index], *targets[index + 1 :]], existing
            raise TargetNotFoundError(
                f"no target for {kpi} with {scope_in_message(scope)} in {self.targets_path};"
                " nothing was deleted"
            )

        return self._save(_Edit("delete", kpi, scope, change, None, user, reason, base_version))

    def edit_calendar(
        self,
        rewrite: Callable[[str], str],
        *,
        user: str,
        reason: str,
        base_version: str | None,
    ) -> str:
        """Save ``rewrite(calendar text)`` with the same checks, lock and audit as a target save."""

        def unchanged(targets: tuple[Target, ...]) -> tuple[list[Target], Target | None]:
            return list(targets), None

        def rewrite_both(targets_text: str, calendar_text: str) -> tuple[str, str]:
            return targets_text, rewrite(calendar_text)

        return self._save(
            _Edit(
                "calendar",
                "",
                (),
                unchanged,
                None,
                user,
                reason,
                base_version,
                rewrite=rewrite_both,
                calendar_audit=True,
            )
        )

    def _save(self, edit: _Edit) -> str:
        if self.read_only is not None:
            raise StoreError(self.read_only)
        if not edit.user.strip():
            raise StoreError("a user name is required for every change (it goes to the audit log)")
        if not edit.reason.strip():
            raise StoreError("a reason is required for every change (it goes to the audit log)")
        try:
            with self._writer_lock.hold():
                return self._save_locked(edit)
        except OSError as error:
            raise StoreError(f"cannot save to {self.directory}: {error}") from error

    def _recover(self) -> None:
        """Finish or drop what a killed writer left (under the writers' lock): its audit line
        (see ``AuditLog.recover``), then its temporary files (no live writer owns any now)."""
        done = self.audit.recover()
        if done:
            logger.warning("an earlier save in %s was interrupted: %s", self.directory, done)
        remove_leftover_temp_files(self.targets_path)
        remove_leftover_temp_files(self.calendar_path)

    def _save_locked(self, edit: _Edit) -> str:
        action, kpi, scope, after = edit.action, edit.kpi, edit.scope, edit.after
        user, reason, base_version = edit.user.strip(), edit.reason.strip(), edit.base_version
        self._recover()
        on_disk = self._read()
        if base_version is not None and base_version != on_disk.version:
            last = self.audit.last()
            last_change = last if last and last.get("version_after") == on_disk.version else None
            raise StaleVersionError(base_version, on_disk.version, last_change)
        existing = self._parse(on_disk)
        if existing.target_set is None:
            raise InvalidTargetsError(
                existing.errors,
                f"the targets in {self.directory} are invalid on disk; fix them before saving",
            )
        _, before = edit.change(existing.target_set.targets)
        targets_text = on_disk.targets_bytes.decode("utf-8")
        calendar_text = on_disk.calendar_bytes.decode("utf-8")
        if edit.rewrite is not None:
            new_targets_text, new_calendar_text = edit.rewrite(targets_text, calendar_text)
        else:
            new_targets_text = yamlsave.replace_target(targets_text, kpi, scope, after)
            new_calendar_text = calendar_text
        new_bytes = new_targets_text.encode("utf-8")
        new_calendar_bytes = new_calendar_text.encode("utf-8")
        new_version = content_version(new_bytes, new_calendar_bytes)
        proposed = _OnDisk(new_bytes, new_calendar_bytes, new_version)
        result = self._parse(proposed, targets_label=f"{self.targets_path} (after this change)")
        if result.target_set is None:
            raise InvalidTargetsError(
                result.errors,
                f"refused to {action} the target for {kpi} ({scope_in_message(scope)});"
                " nothing was saved",
            )
        try:
            self.audit.check_writable()
        except OSError as error:
            raise StoreError(
                f"cannot append to the audit log {self.audit.path}: {error.strerror};"
                " nothing was saved"
            ) from None
        # Every edit changes one file: targets.yaml, or calendar.yaml for a calendar edit.
        if new_calendar_bytes != on_disk.calendar_bytes:
            if new_bytes != on_disk.targets_bytes:
                raise StoreError("an edit may change targets.yaml or calendar.yaml, not both")
            path, content = self.calendar_path, new_calendar_bytes
        else:
            path, content = self.targets_path, new_bytes
        if edit.calendar_audit:
            audit_before: dict[str, Any] | None = calendar_as_dict(calendar_text)
            audit_after: dict[str, Any] | None = calendar_as_dict(new_calendar_text)
        else:
            audit_before = None if before is None else target_as_dict(before)
            audit_after = None if after is None else target_as_dict(after)
        entry = AuditEntry(
            at=datetime.now(UTC),
            user=user,
            action=action,
            kpi=kpi,
            scope=scope,
            before=audit_before,
            after=audit_after,
            reason=reason,
            version_before=on_disk.version,
            version_after=new_version,
        )

        def record_pending(temp_path: Path) -> None:
            self.checkpoint("temp_written")
            self.audit.prepare(entry, temp_path)
            self.checkpoint("pending_written")

        self.checkpoint("before_temp")
        atomic_write(path, content, before_replace=record_pending)
        self.checkpoint("renamed")
        self.audit.commit()
        self.checkpoint("audited")
        with self._state_lock:
            self._loaded = LoadedTargets(result.target_set, new_version, list(result.problems))
            self._loaded_files = proposed
            self._failed_version = None
            self.last_reload_error = None
        logger.info(
            "%s %s %s by %s: version %s -> %s",
            action,
            kpi,
            scope_in_message(scope),
            user,
            on_disk.version,
            new_version,
        )
        return new_version
