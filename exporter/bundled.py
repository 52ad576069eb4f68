"""The example files carried in the package, so ``serve``, ``check`` and ``resolve`` work in any
directory and ``kpi-targets init`` can write an editable copy.

In the repository ``exporter/defaults/targets`` and ``exporter/defaults/prometheus`` are links to
the top-level ``targets/`` and ``prometheus/``: one copy of each file, carried into the wheel.
"""

from __future__ import annotations

from pathlib import Path

BUNDLED = Path(__file__).resolve().parent / "defaults"
BUNDLED_TARGETS = BUNDLED / "targets"
BUNDLED_PROMETHEUS = BUNDLED / "prometheus"
LOCAL_TARGETS = Path("targets")


def targets_dir(given: Path | None) -> tuple[Path, bool]:
    """The targets directory to use and whether it is the built-in (read-only) example:
    ``given``, else ``./targets`` if it exists, else the built-in example."""
    if given is not None:
        return given, False
    if LOCAL_TARGETS.is_dir():
        return LOCAL_TARGETS, False
    return BUNDLED_TARGETS, True


def builtin_notice() -> str:
    return (
        f"using the built-in example targets ({BUNDLED_TARGETS}, read-only); "
        "run `kpi-targets init` to get an editable copy in ./targets"
    )
