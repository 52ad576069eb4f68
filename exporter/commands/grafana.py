"""``kpi-targets grafana sync``: push the generated dashboards into a running Grafana."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HELP = "push the dashboards into a running Grafana (grafana sync --url URL --token-file FILE)"
TOKEN_ENV = "GRAFANA_TOKEN"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sync = actions.add_parser(
        "sync",
        help="create the folder and push every dashboard, idempotently",
        description="Create the folder and push every dashboard, idempotently; each is "
        "reported created, updated or unchanged. Exit 0 done, 1 refused or unreachable, "
        "2 usage error.",
    )
    sync.add_argument("--url", required=True, help="Grafana's address, e.g. http://grafana:3000")
    sync.add_argument(
        "--token-file",
        type=Path,
        metavar="FILE",
        help=f"a file holding a service-account token (default: the environment variable "
        f"{TOKEN_ENV})",
    )
    sync.add_argument(
        "--folder", default="KPI Targets", help="the folder to put them in (default: KPI Targets)"
    )


def _token(args: argparse.Namespace) -> str | None:
    if args.token_file is not None:
        try:
            return args.token_file.read_text(encoding="utf-8").strip() or None
        except OSError as error:
            print(f"kpi-targets grafana sync: cannot read --token-file: {error}", file=sys.stderr)
            return None
    return os.environ.get(TOKEN_ENV, "").strip() or None


def run(args: argparse.Namespace) -> int:
    from exporter.dashboards.build import DATASOURCE_UID, as_json, build_all
    from exporter.grafana_sync import SyncError, connect, sync

    token = _token(args)
    if token is None:
        print(
            f"kpi-targets grafana sync: no token: give --token-file FILE or set {TOKEN_ENV}",
            file=sys.stderr,
        )
        return 2
    dashboards = {str(uid): as_json(board) for uid, board in build_all().items()}
    try:
        report = sync(
            connect(args.url, token),
            args.url,
            dashboards,
            folder=args.folder,
            datasource_uid=DATASOURCE_UID,
        )
    except SyncError as error:
        print(f"kpi-targets grafana sync: {error}", file=sys.stderr)
        return 1
    made = " (created)" if report.folder_created else ""
    print(f"folder {report.folder}{made}")
    for synced in report.dashboards:
        print(f"{synced.outcome:<9} {synced.title} ({synced.uid})")
    return 0
