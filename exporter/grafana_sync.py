"""Push the generated dashboards into a running Grafana, idempotently (``grafana sync``).

Through grafana-client, with a service-account token: check that Grafana answers and accepts the
token, that the Prometheus datasource the dashboards select by default exists (its uid is pinned
by ``grafana/provisioning/datasources/``), find or create the folder, then for each dashboard
compare what Grafana holds with the generated JSON and save it only when it differs. Each
dashboard is reported ``created``, ``updated`` or ``unchanged``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import niquests
from grafana_client.api import GrafanaApi
from grafana_client.client import GrafanaClientError, GrafanaException

DEFAULT_FOLDER = "KPI Targets"
FOLDER_UID = "kpi-targets"
TIMEOUT_SECONDS = 10.0
# Keys Grafana adds to a saved dashboard; they are not part of what we generate.
_GRAFANA_KEYS = ("id", "version")


class SyncError(Exception):
    """Why the sync stopped; the message says what to do."""


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class Synced:
    uid: str
    title: str
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class SyncReport:
    folder: str
    folder_created: bool
    dashboards: list[Synced]


def connect(url: str, token: str) -> GrafanaApi:
    api: GrafanaApi = GrafanaApi.from_url(url, credential=token, timeout=TIMEOUT_SECONDS)
    return api


def sync(
    api: GrafanaApi,
    url: str,
    dashboards: Mapping[str, Mapping[str, Any]],
    *,
    folder: str = DEFAULT_FOLDER,
    datasource_uid: str,
) -> SyncReport:
    """Push ``dashboards`` (uid -> dashboard JSON) into ``folder``; SyncError says why not."""
    try:
        api.health.check()
        _require_datasource(api, datasource_uid)
        folder_uid, created = _folder(api, folder)
        synced = [_push(api, uid, board, folder_uid) for uid, board in dashboards.items()]
    except (GrafanaException, niquests.exceptions.RequestException) as error:
        raise SyncError(_explain(error, url)) from None
    return SyncReport(folder, created, synced)


def _explain(error: Exception, url: str) -> str:
    """What went wrong, and what to do, instead of the client's exception."""
    status = getattr(error, "status_code", 0)
    if status in (401, 403):
        return (
            f"Grafana at {url} refused the token ({status}): give a service-account token "
            "with the Editor role (--token-file FILE or GRAFANA_TOKEN)"
        )
    if not status:  # no HTTP answer at all
        return f"cannot reach Grafana at {url}: {_reason(error)}"
    return f"Grafana at {url} answered: {getattr(error, 'message', error)}"


def _reason(error: BaseException) -> str:
    """The socket's own words ("Connection refused") rather than the HTTP stack's chain."""
    text = str(error)
    unknown_host = re.search(r"Failed to resolve '([^']+)'", text)
    if unknown_host:
        return f"no such host {unknown_host.group(1)}"
    found = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    return found.group(1).strip() if found else text


def _require_datasource(api: GrafanaApi, uid: str) -> None:
    try:
        api.datasource.get_datasource_by_uid(uid)
    except GrafanaClientError as error:
        if error.status_code != 404:
            raise
        raise SyncError(
            f"Grafana has no datasource with uid {uid!r}, which the dashboards select by "
            "default: provision grafana/provisioning/datasources/prometheus.yaml, or create a "
            "Prometheus datasource with that uid"
        ) from None


def _folder(api: GrafanaApi, title: str) -> tuple[str, bool]:
    for found in api.folder.get_all_folders():
        if found.get("title") == title:
            return str(found["uid"]), False
    uid = FOLDER_UID if title == DEFAULT_FOLDER else None
    created = api.folder.create_folder(title, uid=uid)
    return str(created["uid"]), True


def _push(api: GrafanaApi, uid: str, board: Mapping[str, Any], folder_uid: str) -> Synced:
    title = str(board.get("title", uid))
    try:
        current = api.dashboard.get_dashboard(uid)
    except GrafanaClientError as error:
        if error.status_code != 404:
            raise
        current = None
    if current is not None:
        stored = {
            key: value
            for key, value in current.get("dashboard", {}).items()
            if key not in _GRAFANA_KEYS
        }
        in_folder = current.get("meta", {}).get("folderUid") == folder_uid
        if stored == dict(board) and in_folder:
            return Synced(uid, title, Outcome.UNCHANGED)
    api.dashboard.update_dashboard(
        {
            "dashboard": {**board, "id": None},
            "folderUid": folder_uid,
            "overwrite": True,
            "message": "kpi-targets grafana sync",
        }
    )
    return Synced(uid, title, Outcome.CREATED if current is None else Outcome.UPDATED)
