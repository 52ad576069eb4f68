"""What a refused Settings form shows: errors per field, in the order found, and the questions to
confirm before saving (``exporter.admin.doubts``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from exporter.admin.doubts import Doubt

Change = tuple[Callable[[str], str], str]  # the rewrite of calendar.yaml, and the words saying it


@dataclass
class Problems:
    """Errors per form field, and for the form as a whole (key "" ), in the order found; and the
    questions to confirm before saving."""

    section: str = ""
    by_field: dict[str, list[str]] = field(default_factory=dict)
    doubts: list[Doubt] = field(default_factory=list)

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, []).append(message)

    def ask(self, doubt: Doubt | None) -> None:
        if doubt is not None:
            self.doubts.append(doubt)

    def messages(self) -> list[tuple[str, str]]:
        """(element id, message) for the summary above the form: the errors in the order found,
        the questions before the reason (asked about fields above it) and the form's own last."""
        errors = [
            (f"{self.section}-{name}-error", message)
            for name, found in self.by_field.items()
            if name not in ("reason", "")
            for message in found
        ]
        questions = [(f"doubt-{doubt.field}", doubt.message) for doubt in self.doubts]
        reason = [(f"{self.section}-reason-error", m) for m in self.by_field.get("reason", [])]
        whole = [("", message) for message in self.by_field.get("", [])]
        return errors + questions + reason + whole

    def __bool__(self) -> bool:
        return bool(self.by_field)
