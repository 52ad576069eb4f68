"""What the admin UI's pages share: the store, the accounts, the clock, the labels seen and the
attainment read from Prometheus."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app

from exporter.admin.attainment import AttainmentReader
from exporter.admin.security import LoginThrottle
from exporter.admin.users import UserFile
from exporter.targets.store import TargetStore


@dataclass
class AdminContext:
    store: TargetStore
    users: UserFile
    clock: Callable[[], float]
    seen_labels: Callable[[], Mapping[str, Iterable[str]]]
    throttle: LoginThrottle
    attainment: AttainmentReader = field(default_factory=lambda: AttainmentReader(None))

    @classmethod
    def build(
        cls,
        store: TargetStore,
        state_dir: Path,
        clock: Callable[[], float],
        seen_labels: Callable[[], Mapping[str, Iterable[str]]] | None,
        attainment: AttainmentReader | None = None,
    ) -> AdminContext:
        return cls(
            store,
            UserFile(state_dir),
            clock,
            seen_labels or dict,
            LoginThrottle(),
            attainment or AttainmentReader(None),
        )

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def suggestions(self) -> dict[str, list[str]]:
        """Label -> values to suggest in scope fields: those seen by the exporter and those
        already named in the targets and the calendar."""
        found: dict[str, set[str]] = {}
        for label, values in self.seen_labels().items():
            found.setdefault(label, set()).update(values)
        target_set = self.store.current().target_set
        for target in target_set.targets:
            for label, value in target.scope:
                found.setdefault(label, set()).add(value)
        hours = target_set.calendar.operating_hours
        found.setdefault("team", set()).update(hours.teams)
        found.setdefault("queue", set()).update(hours.queues)
        return {label: sorted(values) for label, values in found.items()}


def admin_context() -> AdminContext:
    context: AdminContext = current_app.extensions["kpi_targets"]
    return context
