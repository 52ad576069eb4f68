"""``kpi-targets init [DIR]``: write an editable starting point for a user who installed the
package: ``targets/`` (the built-in example targets and calendar), ``serve.yaml`` (every setting,
commented out at its default) and ``prometheus/`` (scrape config, alert rules, their promtool
tests). Files that exist are left alone (and listed); exit 0, or 1 if DIR cannot be written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "write an editable targets/, an example serve.yaml and the Prometheus example files"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "directory",
        nargs="?",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="where to write them (default: the current directory)",
    )


def starter_files() -> dict[Path, bytes]:
    """Relative path -> content of every file ``init`` writes."""
    from exporter.bundled import BUNDLED_PROMETHEUS, BUNDLED_TARGETS
    from exporter.config import example_config

    files = {Path("serve.yaml"): example_config().encode()}
    for name, root in (("targets", BUNDLED_TARGETS), ("prometheus", BUNDLED_PROMETHEUS)):
        for path in sorted(root.rglob("*")):
            if path.is_file() and (path.suffix in (".yaml", ".yml") or path.name == ".gitignore"):
                files[Path(name) / path.relative_to(root)] = path.read_bytes()
    return files


def run(args: argparse.Namespace) -> int:
    written, kept = [], []
    try:
        for relative, content in starter_files().items():
            path = args.directory / relative
            if path.exists():
                kept.append(path)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            written.append(path)
    except OSError as error:
        print(f"kpi-targets init: cannot write {error.filename}: {error.strerror}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    for path in kept:
        print(f"kept {path} (it exists)")
    where = "" if args.directory == Path(".") else f"cd {args.directory} && "
    print(
        f"Next: {where}kpi-targets check, then {where}kpi-targets serve --config serve.yaml "
        "(it uses ./targets)"
    )
    return 0
