"""Targets and calendars the tests set up, each written once as a file under
``tests/fixtures/presets/`` (``targets/NAME.yaml``, ``calendars/NAME.yaml``), so no test module
pastes its own YAML: a test names the preset it uses, or passes YAML text of its own where the
text itself is what it tests.

The presets are committed test data: tests never read the repository's ``targets/`` (a user's to
change; ``example_targets.py`` copies the bundled defaults instead).
"""

from __future__ import annotations

import re
from pathlib import Path

PRESETS = Path(__file__).resolve().parent / "fixtures" / "presets"
_NAME = re.compile(r"[a-z0-9_]+")


def targets_yaml(name: str) -> str:
    """The text of the targets preset ``name`` (``fixtures/presets/targets/NAME.yaml``)."""
    return _read("targets", name)


def calendar_yaml(name: str) -> str:
    """The text of the calendar preset ``name`` (``fixtures/presets/calendars/NAME.yaml``)."""
    return _read("calendars", name)


def write_targets(directory: Path, targets: str = "admin", calendar: str = "admin") -> Path:
    """``directory`` (created if need be) holding ``targets.yaml`` and ``calendar.yaml``: each a
    preset's name (lower-case letters, digits and ``_``) or else YAML text, written as it is."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "targets.yaml").write_text(_text("targets", targets), encoding="utf-8")
    (directory / "calendar.yaml").write_text(_text("calendars", calendar), encoding="utf-8")
    return directory


def _text(kind: str, name_or_text: str) -> str:
    return _read(kind, name_or_text) if _NAME.fullmatch(name_or_text) else name_or_text


def _read(kind: str, name: str) -> str:
    path = PRESETS / kind / f"{name}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in (PRESETS / kind).glob("*.yaml"))
        raise LookupError(f"no {kind} preset {name!r} in {PRESETS / kind} (there are {known})")
    return path.read_text(encoding="utf-8")
