"""`kpi-targets targets set|delete|list`: scripted target edits through the same store as the UI.

Every save is validated, refused when based on a stale ``--base-version``, written atomically and
audited (see ``exporter.targets.store``). After a save the new version is printed on stdout, alone,
so scripts can chain edits: ``v=$(kpi-targets targets set ... --base-version "$v")``.

Exit status: 0 done, 1 refused (invalid, stale, not found; every problem listed), 2 usage error.

``--schedule`` syntax: ``DAYS[ HH:MM-HH:MM]=VALUE``. ``DAYS`` is a comma-separated list of days
(``mon`` .. ``sun``) and ranges (``mon-fri``, ``sat-mon``), without spaces; without hours the
schedule covers the whole of those days. ``from`` is inclusive, ``to`` exclusive; ``to`` before
``from`` crosses midnight and belongs to the starting day; ``-24:00`` runs to midnight.
Examples: ``"mon-fri 09:00-17:00=0.85"``, ``"sat=0.7"``, ``"mon,wed 22:00-06:00=0.6"``.
"""

from __future__ import annotations

import argparse
import getpass
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from datetime import time
from pathlib import Path
from typing import TYPE_CHECKING

from exporter.commands.options import add_targets_option
from exporter.targets.model import Quantifier, Schedule, Scope, scope_of

if TYPE_CHECKING:
    from exporter.catalog import Kpi
    from exporter.targets.store import TargetStore

HELP = "set, delete or list targets through the audited store (scripts and GitOps)"

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2


class UsageError(ValueError):
    """An option that does not follow its documented syntax."""


def parse_value(text: str, option: str = "--value") -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise UsageError(f"{option}: {text!r} is not a finite number")
    return value


def parse_schedule(text: str) -> Schedule:
    """One ``--schedule`` option: ``DAYS[ HH:MM-HH:MM]=VALUE`` (see the module docstring)."""
    from exporter.targets.daytime import DayTimeError, parse_day_item, parse_range

    spec, equals, value_text = text.rpartition("=")
    parts = spec.split()
    if not equals or len(parts) not in (1, 2):
        raise UsageError(
            f"--schedule: {text!r} is not DAYS[ HH:MM-HH:MM]=VALUE,"
            ' e.g. "mon-fri 09:00-17:00=0.85" or "sat=0.7"'
        )
    try:
        days = parse_day_item(parts[0])
        hours = parse_range(parts[1]) if len(parts) == 2 else None
    except DayTimeError as error:
        raise UsageError(f"--schedule {text!r}: {error}") from None
    if hours is not None and hours.start == hours.end == time(0):
        hours = None  # 00:00-24:00 is the whole day, which is what no hours means
    return Schedule(value=parse_value(value_text, f"--schedule {text!r}"), days=days, hours=hours)


def parse_scope(items: Sequence[str]) -> Scope:
    """``["channel=voice", "queue=sales"]`` -> the sorted scope; a label given twice is refused."""
    labels: dict[str, str] = {}
    for item in items:
        label, sep, value = item.partition("=")
        label, value = label.strip(), value.strip()
        if not sep or not label or not value:
            raise UsageError(f"--scope: {item!r} is not label=value, e.g. channel=voice")
        if label in labels:
            raise UsageError(f"--scope: label {label!r} given twice")
        labels[label] = value
    return scope_of(labels)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common = argparse.ArgumentParser(add_help=False)
    add_targets_option(common)
    common.add_argument(
        "--audit-log",
        type=Path,
        default=None,
        metavar="PATH",
        help="audit log to append to (default: DIR/audit.jsonl)",
    )
    change = argparse.ArgumentParser(add_help=False)
    change.add_argument("--kpi", required=True, help="KPI name, see `kpi-targets catalog`")
    change.add_argument(
        "--scope",
        action="append",
        default=[],
        metavar="LABEL=VALUE",
        help="narrow the target, e.g. --scope channel=voice (repeatable)",
    )
    change.add_argument(
        "--user",
        default=os.environ.get("USER") or _login_name(),
        help="who makes the change, for the audit log (default: $USER)",
    )
    change.add_argument("--reason", required=True, help="why, for the audit log (required)")
    change.add_argument(
        "--base-version",
        default=None,
        metavar="V",
        help="refuse the change unless the targets are still at version V",
    )

    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    set_parser = actions.add_parser(
        "set",
        parents=[common, change],
        help="add a target or replace the one with the same KPI and scope",
        description="Add a target, or replace the one with the same KPI and scope. "
        "--schedule syntax: DAYS[ HH:MM-HH:MM]=VALUE, DAYS a list of days and ranges "
        '(e.g. "mon-fri 09:00-17:00=0.85", "sat=0.7", "mon,wed 22:00-06:00=0.6").',
    )
    set_parser.add_argument(
        "--quantifier",
        choices=[str(q) for q in Quantifier],
        default=None,
        help="or_more (actual >= value) or or_less (actual <= value); default: the existing "
        "target's, else the KPI's natural direction",
    )
    set_parser.add_argument("--value", default=None, metavar="X", help="value at all times")
    set_parser.add_argument(
        "--schedule",
        action="append",
        default=[],
        metavar="SPEC",
        help='timed value, e.g. "mon-fri 09:00-17:00=0.85" or "sat=0.7" (repeatable)',
    )
    actions.add_parser(
        "delete",
        parents=[common, change],
        help="delete the target for a KPI and scope",
        description="Delete the target (its value and schedules) for a KPI and scope.",
    )
    list_parser = actions.add_parser(
        "list",
        parents=[common],
        help="print the current targets and their version",
        description="Print the current targets and their version.",
    )
    list_parser.add_argument(
        "--format",
        choices=["yaml", "json"],
        default="yaml",
        help="yaml for people, json for scripts (default: yaml)",
    )


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def _usage(args: argparse.Namespace, message: str) -> int:
    print(f"kpi-targets targets {args.action}: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def run(args: argparse.Namespace) -> int:
    from exporter.targets.store import StoreError, TargetStore

    try:
        store = TargetStore(args.targets, audit_path=args.audit_log)
    except StoreError as error:
        print(f"kpi-targets targets {args.action}: {error}", file=sys.stderr)
        return EXIT_REFUSED
    if args.action == "list":
        return _list(store, args.format)
    if not args.user.strip():
        return _usage(args, "no user name: pass --user NAME (or set $USER)")
    if not args.reason.strip():
        return _usage(args, "--reason must not be empty: say why, for the audit log")
    try:
        scope = parse_scope(args.scope)
        if args.action == "set":
            return _set(store, args, scope)
        return _delete(store, args, scope)
    except UsageError as error:
        return _usage(args, str(error))


def _set(store: TargetStore, args: argparse.Namespace, scope: Scope) -> int:
    from exporter import catalog
    from exporter.targets.model import Target

    schedules = [parse_schedule(spec) for spec in args.schedule]
    if args.value is not None:
        schedules.insert(0, Schedule(value=parse_value(args.value)))
    if not schedules:
        raise UsageError('give --value X and/or --schedule "DAYS[ HH:MM-HH:MM]=VALUE"')
    quantifier = _quantifier(store, args, scope, catalog.find(args.kpi))
    if quantifier is None:
        return EXIT_REFUSED
    target = Target(kpi=args.kpi, quantifier=quantifier, schedules=tuple(schedules), scope=scope)
    return _save(
        args,
        lambda: store.set_target(
            target, user=args.user.strip(), reason=args.reason, base_version=args.base_version
        ),
    )


def _quantifier(
    store: TargetStore, args: argparse.Namespace, scope: Scope, kpi: Kpi | None
) -> Quantifier | None:
    """The given quantifier, else the existing target's, else the KPI's natural direction."""
    from exporter.catalog import Direction

    if args.quantifier is not None:
        return Quantifier(args.quantifier)
    for existing in store.current().target_set.targets:
        if existing.kpi == args.kpi and existing.scope == scope:
            return existing.quantifier
    if kpi is not None and kpi.direction is Direction.HIGHER:
        return Quantifier.OR_MORE
    if kpi is not None and kpi.direction is Direction.LOWER:
        return Quantifier.OR_LESS
    reason = (
        f"{args.kpi} can be too high or too low"
        if kpi is not None
        else f"{args.kpi!r} is not in the KPI catalog (`kpi-targets catalog` lists them)"
    )
    print(
        f"kpi-targets targets set: refused: {reason}; pass --quantifier or_more|or_less",
        file=sys.stderr,
    )
    return None


def _delete(store: TargetStore, args: argparse.Namespace, scope: Scope) -> int:
    return _save(
        args,
        lambda: store.delete_target(
            args.kpi,
            scope,
            user=args.user.strip(),
            reason=args.reason,
            base_version=args.base_version,
        ),
    )


def _save(args: argparse.Namespace, save: Callable[[], str]) -> int:
    from exporter.targets.store import StoreError

    try:
        version = save()
    except StoreError as error:
        # store messages say what was refused and that nothing was saved
        print(f"kpi-targets targets {args.action}: {error}", file=sys.stderr)
        return EXIT_REFUSED
    scope = ", ".join(args.scope) or "no scope"
    print(f"{args.action} {args.kpi} ({scope}): saved as version {version}", file=sys.stderr)
    print(version)
    return EXIT_OK


def _list(store: TargetStore, output_format: str) -> int:
    from exporter.targets.parse import dump_targets
    from exporter.targets.store import target_as_dict

    loaded = store.current()
    targets = loaded.target_set.targets
    if output_format == "json":
        document = {
            "version": loaded.version,
            "targets": [target_as_dict(target) for target in targets],
        }
        print(json.dumps(document, indent=2, default=str))
    else:
        print(f"# version: {loaded.version}")
        sys.stdout.write(dump_targets(targets))
    return EXIT_OK
