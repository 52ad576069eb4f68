"""`kpi-targets users add|remove|passwd|list`: the admin UI's accounts, in the state directory.

The password is asked twice on a terminal; otherwise it is the first line of standard input, so
scripts and tests can create accounts: ``echo "$PW" | kpi-targets users add alice --role admin``.

Exit status: 0 done, 1 refused (exists, no such user, weak password), 2 usage error.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

HELP = "add, remove or list admin UI accounts and change passwords (kept in the state directory)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from exporter.config import ServeSettings

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--state-dir",
        type=Path,
        default=ServeSettings().state_dir,
        metavar="DIR",
        help="the directory `serve --state-dir` uses (default %(default)s)",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", parents=[common], help="create an account")
    add.add_argument("name")
    add.add_argument(
        "--role",
        required=True,
        choices=["viewer", "editor", "admin"],
        help="viewer reads; editor also edits targets; admin also edits settings",
    )
    remove = actions.add_parser("remove", parents=[common], help="delete an account")
    remove.add_argument("name")
    passwd = actions.add_parser("passwd", parents=[common], help="set a new password")
    passwd.add_argument("name")
    listing = actions.add_parser("list", parents=[common], help="list accounts and roles")
    listing.add_argument("--format", choices=["text", "json"], default="text")


def read_password(prompt: str = "Password: ") -> str:
    """Asked twice on a terminal, else the first line of standard input."""
    from exporter.admin.users import UserError

    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("Repeat the password: ") != first:
            raise UserError("the two passwords differ")
        return first
    line = sys.stdin.readline()
    return line.removesuffix("\n").removesuffix("\r")


def run(args: argparse.Namespace) -> int:
    from exporter.admin.users import Role, UserError, UserFile

    users = UserFile(args.state_dir)
    try:
        if args.action == "list":
            listed = sorted(users.users().values(), key=lambda user: user.name)
            if args.format == "json":
                print(json.dumps([{"name": u.name, "role": u.role.word} for u in listed]))
            elif not listed:
                print(f"no users in {users.path}", file=sys.stderr)
            for user in listed if args.format == "text" else ():
                print(f"{user.name}\t{user.role.word}")
            return 0
        if args.action == "add":
            users.add(args.name, Role.parse(args.role), read_password())
            print(f"added {args.name} ({args.role}) to {users.path}", file=sys.stderr)
        elif args.action == "passwd":
            if users.get(args.name) is None:
                raise UserError(f"no user {args.name!r}")
            users.set_password(args.name, read_password("New password: "))
            print(f"new password for {args.name}", file=sys.stderr)
        else:
            users.remove(args.name)
            print(f"removed {args.name}", file=sys.stderr)
    except UserError as error:
        print(f"kpi-targets users {args.action}: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"kpi-targets users {args.action}: {error}", file=sys.stderr)
        return 1
    return 0
