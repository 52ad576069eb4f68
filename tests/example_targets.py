"""The example targets for tests: a fresh copy of the bundled defaults
(``exporter/defaults/targets``, the files the package carries) in a tmp directory. Tests never use
the repository's ``targets/`` in place, nor what else a run left there (an audit log, a lock), so
trying the demo cannot break them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from exporter.bundled import BUNDLED_TARGETS

FILES = ("targets.yaml", "calendar.yaml")


def copy_example_targets(directory: Path) -> Path:
    """``directory`` (created) holding a copy of the bundled targets.yaml and calendar.yaml."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copyfile(BUNDLED_TARGETS / name, directory / name)
    return directory


def example_text(name: str) -> str:
    """The bundled ``name`` (targets.yaml or calendar.yaml) as text."""
    assert name in FILES, name
    return (BUNDLED_TARGETS / name).read_text(encoding="utf-8")
