"""Operational routes: ``GET /api/v1/health`` (no token) and ``POST /-/reload`` (admin).

Health says what it measured rather than a bare "ok": how many devices answered their last
poll, how old the results are, and whether the state store answers. A monitor that reports
"ok" while two thirds of its devices are down hides exactly what its users need to know.

``/-/reload`` sits outside ``/api/v1``, where Prometheus and snmp_exporter put theirs; the
service hands in the function that re-reads the inventory (SIGHUP runs the same one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from dcmon import __version__
from dcmon.engine.results import RESULTS_INTERVAL_S, ResultsHub
from dcmon.engine.snapshot import Snapshot

PREFIX = "/api/v1"

#: Results older than this (wall seconds) mean the results job is stuck: "degraded".
STALE_RESULTS_S = 3 * RESULTS_INTERVAL_S
#: Devices named in ``devices_down`` at most (the count is always complete).
MAX_NAMED = 20


class Health(BaseModel):
    status: Literal["ok", "degraded", "starting", "failing"] = Field(
        description="ok: every device up, results fresh, store answering; degraded: some "
                    "devices down or results stale; starting: no results yet or devices not "
                    "polled yet; failing: the state store does not answer (HTTP 503)")
    version: str
    computed: float | None = Field(description="When results were last computed (Unix s)")
    results_age_s: float | None = Field(
        description="Wall seconds since the results were last computed (every 60 s)")
    devices: int
    devices_up: int
    devices_pending: int = Field(description="Devices not polled yet (just started or added)")
    devices_down: list[str] = Field(description=f"Devices down (at most {MAX_NAMED} named)")
    store_ok: bool = Field(description="The energy store answers a query")
    problems: list[str] = Field(description="Why the status is not ok, one line each")


def health_of(hub: ResultsHub, snap: Snapshot) -> Health:
    """Measure, then judge: failing > starting > degraded > ok."""
    h = snap.health()
    pending = sorted(d for d, x in h.items() if x.polls == 0)
    down = sorted(d for d, x in h.items() if x.polls > 0 and not x.up)
    up = sum(1 for x in h.values() if x.up)
    age = hub.age_s()
    store_ok = hub.engine.store.ping()
    problems: list[str] = []
    if not store_ok:
        problems.append("the state store does not answer")
    if age is None:
        problems.append("no results computed yet")
    elif age > STALE_RESULTS_S:
        problems.append(f"results are {age:.0f} s old (computed every {RESULTS_INTERVAL_S:.0f} s)")
    if pending:
        problems.append(f"{len(pending)} of {len(h)} devices not polled yet")
    if down:
        problems.append(f"{len(down)} of {len(h)} devices down: " + ", ".join(down[:MAX_NAMED])
                        + (" ..." if len(down) > MAX_NAMED else ""))
    status: Literal["ok", "degraded", "starting", "failing"] = "ok"
    if not store_ok:
        status = "failing"
    elif age is None or pending:
        status = "starting"
    elif problems:
        status = "degraded"
    return Health(status=status, version=__version__, computed=hub.latest.computed or None,
                  results_age_s=None if age is None else round(age, 3), devices=len(h),
                  devices_up=up, devices_pending=len(pending), devices_down=down[:MAX_NAMED],
                  store_ok=store_ok, problems=problems)


def health_router(hub: ResultsHub, snap: Snapshot) -> APIRouter:
    public = APIRouter(prefix=PREFIX)

    @public.get("/health", response_model=Health, tags=["health"],
                responses={503: {"model": Health, "description": "The state store does not "
                                                             "answer"}})
    def health() -> Any:
        """What dcmon measured, without a token: devices up of all, results age, store."""
        h = health_of(hub, snap)
        if h.status == "failing":
            return JSONResponse(h.model_dump(), status_code=503)
        return h

    return public


class ReloadOut(BaseModel):
    """What a reload did, or why it kept the running inventory."""

    status: Literal["success", "error"]
    file: str
    devices: int = Field(description="Devices polled after the reload")
    added: list[str] = []
    removed: list[str] = []
    changed: list[str] = []
    problems: list[str] = Field(default=[], description="file: key: message, one each")
    restart_needed: list[str] = Field(
        default=[], description="Settings that changed but only take effect at a restart")


#: Re-reads the inventory; called from the API's thread and blocks until the reload is done.
Reload = Callable[[], ReloadOut]


def reload_router(reload: Reload, admin: Any) -> APIRouter:
    ops = APIRouter()

    @ops.post("/-/reload", response_model=ReloadOut, tags=["admin"], dependencies=[admin],
              responses={500: {"model": ReloadOut,
                               "description": "The inventory is broken; the old one runs on"}})
    def do_reload() -> Any:
        """Re-read the inventory and profiles (admin scope), as SIGHUP does."""
        out = reload()
        if out.status != "success":
            return JSONResponse(out.model_dump(), status_code=500)
        return out

    return ops
