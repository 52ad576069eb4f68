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

Values are in the file's units (``0.85``, ``300``); a ratio may also be given in percent with the
sign (``--value 85%``, ``"sat=70%"``), as the admin form reads it. ``--value 85`` for a ratio is
refused with both spellings rather than guessed.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from exporter.commands.options import add_targets_option
from exporter.scope import Scope
from exporter.targets.edit_input import InputError
from exporter.targets.model import Quantifier

if TYPE_CHECKING:
    from exporter.targets.store import TargetStore

HELP = "set, delete or list targets through the audited store (scripts and GitOps)"

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2


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
    add_kpi_scope_options(change)
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
    add_value_options(set_parser)
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


def add_kpi_scope_options(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """``--kpi`` and ``--scope``: which target (``targets set|delete``, ``whatif``)."""
    parser.add_argument("--kpi", required=required, help="KPI name, see `kpi-targets catalog`")
    parser.add_argument(
        "--scope",
        action="append",
        default=[],
        metavar="LABEL=VALUE",
        help="narrow the target, e.g. --scope channel=voice (repeatable)",
    )


def add_value_options(parser: argparse.ArgumentParser) -> None:
    """``--quantifier``, ``--value``, ``--schedule``: the target's values (``targets set``,
    ``whatif``)."""
    parser.add_argument(
        "--quantifier",
        choices=[str(q) for q in Quantifier],
        default=None,
        help="or_more (actual >= value) or or_less (actual <= value); default: the existing "
        "target's, else the KPI's natural direction",
    )
    parser.add_argument(
        "--value",
        default=None,
        metavar="X",
        help="value at all times, in the file's units (0.85, 300); ratios also as 85%%",
    )
    parser.add_argument(
        "--schedule",
        action="append",
        default=[],
        metavar="SPEC",
        help='timed value, e.g. "mon-fri 09:00-17:00=0.85" or "sat=70%%" (repeatable)',
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
    from exporter.targets.edit_input import parse_scope_items

    try:
        scope = parse_scope_items(args.scope)
        if args.action == "set":
            return _set(store, args, scope)
        return _delete(store, args, scope)
    except InputError as error:
        return _usage(args, f"{error.field}: {error.message}")


def _set(store: TargetStore, args: argparse.Namespace, scope: Scope) -> int:
    from exporter import catalog
    from exporter.targets.edit_input import assemble, parse_file_value, parse_schedule_spec

    kpi = catalog.find(args.kpi)
    timed = [parse_schedule_spec(spec, kpi=kpi) for spec in args.schedule]
    value = None if args.value is None else parse_file_value(args.value, "--value", kpi)
    if value is None and not timed:
        raise InputError("--value", 'give --value X and/or --schedule "DAYS[ HH:MM-HH:MM]=VALUE"')
    quantifier = _quantifier(store, args, scope)
    if quantifier is None:
        return EXIT_REFUSED
    target = assemble(args.kpi, quantifier, scope, value, timed)
    return _save(
        args,
        lambda: store.set_target(
            target, user=args.user.strip(), reason=args.reason, base_version=args.base_version
        ),
    )


def _quantifier(store: TargetStore, args: argparse.Namespace, scope: Scope) -> Quantifier | None:
    """The given quantifier, else the existing target's, else the KPI's natural direction."""
    from exporter import catalog
    from exporter.targets.edit_input import default_quantifier

    if args.quantifier is not None:
        return Quantifier(args.quantifier)
    existing = next(
        (
            target
            for target in store.current().target_set.targets
            if target.kpi == args.kpi and target.scope == scope
        ),
        None,
    )
    kpi = catalog.find(args.kpi)
    quantifier = default_quantifier(kpi, existing)
    if quantifier is None:
        reason = (
            f"{args.kpi} can be too high or too low"
            if kpi is not None
            else f"{args.kpi!r} is not in the KPI catalog (`kpi-targets catalog` lists them)"
        )
        print(
            f"kpi-targets targets set: refused: {reason}; pass --quantifier or_more|or_less",
            file=sys.stderr,
        )
    return quantifier


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
    from exporter.targets.changes import target_as_dict
    from exporter.targets.parse import dump_targets

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
