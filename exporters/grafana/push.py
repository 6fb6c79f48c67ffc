"""Upload the dashboards to a running Grafana through its HTTP API, with grafana-client.

For Grafanas that are not provisioned from files (a shared or hosted instance): each dashboard
is POSTed to ``/api/dashboards/db`` with ``overwrite: true``, so a push replaces the previous
version of the same uid instead of failing or duplicating it. The folder is created on first
use, with a uid derived from its title so later pushes find it again.

grafana-client is held to its 3.x line (requests): from 4.0 it depends on niquests and
urllib3-future, whose install overwrites the environment's ``urllib3`` package (grafana-client
issue #179) and broke schemathesis here. The two endpoints used are stable since Grafana 5.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from grafana_client.api import GrafanaApi
from grafana_client.client import GrafanaClientError, GrafanaException

from dcmon import __version__

#: Seconds per request: a Grafana that does not answer must not hang the command.
TIMEOUT_S = 10.0


class PushError(Exception):
    """Grafana refused or could not be reached; the message says what to check."""


@dataclass(frozen=True)
class Pushed:
    uid: str
    title: str
    url: str
    version: int | None


def folder_uid(title: str) -> str:
    """A stable uid from a folder title ("dcmon" -> "dcmon", "Energy & PUE" -> "energy-pue")."""
    uid = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40]
    return uid or "dcmon"


def public_url(url: str) -> str:
    """The URL without credentials (``user:pass@``), fit for output and logs."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


def _explain(exc: Exception, url: str) -> PushError:
    url = public_url(url)
    if isinstance(exc, GrafanaException):
        code = exc.status_code
        hint = {401: "check the token: --token or DCMON_GRAFANA_TOKEN",
                403: "the token lacks the Editor role on dashboards and folders",
                412: "a dashboard with the same name exists in the folder under another uid"}
        return PushError(f"Grafana at {url} answered {code}: {exc.message}"
                         + (f" ({hint[code]})" if code in hint else ""))
    return PushError(f"cannot reach Grafana at {url}: {exc}")


def _ensure_folder(api: GrafanaApi, title: str) -> str:
    uid = folder_uid(title)
    try:
        api.folder.get_folder(uid)
    except GrafanaClientError as exc:
        if exc.status_code != 404:
            raise
        api.folder.create_folder(title, uid=uid)
    return uid


def push(url: str, models: Mapping[str, Mapping[str, Any]], token: str | None = None,
         folder: str | None = "dcmon") -> list[Pushed]:
    """Upload every model; ``folder=None`` keeps them in the General folder.

    ``token`` is a service-account token (sent as ``Authorization: Bearer``); without one,
    credentials in the URL (``http://user:pass@host:3000``) are used as basic auth.
    """
    api = GrafanaApi.from_url(url, credential=token or None, timeout=TIMEOUT_S)
    out = []
    try:
        uid = _ensure_folder(api, folder) if folder else None
        for model in models.values():
            body: dict[str, Any] = {
                "dashboard": {**model, "id": None},  # match by uid, never by a stale id
                "overwrite": True,
                "message": f"dcmon {__version__}: dcmon dashboards push",
            }
            if uid is not None:
                body["folderUid"] = uid
            res = api.dashboard.update_dashboard(body)
            out.append(Pushed(str(model["uid"]), str(model["title"]),
                              str(res.get("url", "")), res.get("version")))
    except (GrafanaException, OSError) as exc:  # requests' errors are OSErrors
        raise _explain(exc, url) from exc
    return out
