"""The FastAPI application: capacity, PUE and alerts under ``/api/v1`` (docs/api.md).

Every route but ``/api/v1/health`` needs a bearer token from the inventory (``api.tokens``),
compared with :func:`hmac.compare_digest` against every configured token (no early exit), so
neither a wrong token's length nor its prefix shows in the response time; the OpenAPI document
and its docs page too (they also take the status page's login cookie, for a browser). Wrong
tokens are throttled per client address (429 with Retry-After, :mod:`.throttle`); valid ones
never are. Reads come from the
ResultsHub's latest immutable results (the same numbers /metrics and the report tell); the API
never polls a device or walks the store on a request.

The HTML status page (``/status``, ``/`` redirects there) is mounted here too unless
``api.status_page`` is "off"; its auth (token, cookie or public) is in
:mod:`dcmon.exporters.api.status.routes`.

Lists are pages (``items``, ``total``, ``limit``, ``offset``) and answer CSV for spreadsheets
with ``?format=csv`` or ``Accept: text/csv``.
"""

from __future__ import annotations

import dataclasses
import hmac
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal
from urllib.parse import unquote

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from dcmon import __version__, clock
from dcmon.config.resolved import Config
from dcmon.engine.capacity.model import (
    CityCapacity,
    Forecast,
    Headroom,
    Quality,
    RackCapacity,
    RoomCapacity,
    SiteCapacity,
    Totals,
)
from dcmon.engine.pue import PueResult
from dcmon.engine.results import ResultsHub
from dcmon.engine.snapshot import Snapshot
from dcmon.engine.tenants.statement import GridFactor
from dcmon.exporters.api.carbon import carbon_router
from dcmon.exporters.api.csvout import CSV_RESPONSE, Format, Limit, Offset, answer_page
from dcmon.exporters.api.docs import mount_assets, swagger_page
from dcmon.exporters.api.ops import Reload, health_router, reload_router
from dcmon.exporters.api.retrofit import retrofit_router
from dcmon.exporters.api.status.routes import COOKIE, status_router
from dcmon.exporters.api.tenants import tenant_router
from dcmon.exporters.api.throttle import FailureThrottle, client_address
from dcmon.exporters.reports.capacity import render_csv, render_html, render_json
from dcmon.exporters.reports.tabular import flatten

PREFIX = "/api/v1"

#: Returns the active alerts as dicts (see :class:`AlertOut`); None: alerting not wired in.
AlertSource = Callable[[], Sequence[Any]]

class ErrorBody(BaseModel):
    detail: str


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing or unknown bearer token"},
    403: {"model": ErrorBody, "description": "The token's scope does not allow this"},
    429: {"model": ErrorBody, "description": "Too many wrong tokens from this address lately; "
                                             "retry after the Retry-After header's seconds"},
}
#: Columns left out of CSV: the forecast's daily points (up to 90 x 2 columns; JSON has them).
_NO_CSV = ("forecast.daily",)


def _flat_summary(item: Any) -> dict[str, Any]:
    """A site or room summary as a CSV row, without the daily forecast series."""
    return flatten(item, skip=_NO_CSV)


class Page(BaseModel):
    total: int
    limit: int
    offset: int
    computed: float | None
    note: str = ""


class SiteSummary(BaseModel):
    site: str
    name: str
    totals: Totals
    headroom: Headroom
    forecast: Forecast
    quality: Quality


class RoomSummary(BaseModel):
    site: str
    room: str
    name: str
    totals: Totals
    headroom: Headroom
    forecast: Forecast
    quality: Quality


class CitySummary(BaseModel):
    computed: float
    std_racks_in_use: float
    std_racks_measured: float
    std_racks_provisioned: float
    goal_racks: int
    goal_ratio: float
    totals: Totals
    quality: Quality
    settings: dict[str, Any]


class SitePage(Page):
    items: list[SiteSummary]


class RoomPage(Page):
    items: list[RoomSummary]


class RackPage(Page):
    items: list[RackCapacity]


class PueOut(BaseModel):
    site: str
    window: str
    zone: str | None
    kind: str
    start: float
    end: float
    category: int | None = Field(description="ISO/IEC 30134-2 category the metering backs; "
                                             "null when it backs none (category_reason)")
    category_claim: int | None = Field(description="Category the site declares (it_level)")
    category_reason: str = Field(description="Why the metering does not back the declared "
                                             "category; empty when it does")
    value: float | None
    status: str
    reason: str
    coverage: float = Field(description="Share of expected meter-hours present")
    facility_kwh: float
    it_kwh: float
    it_load_fraction: float | None
    interim: bool
    dcie: float | None
    gb40879_rm2: float | None


class PuePage(Page):
    items: list[PueOut]


class AlertOut(BaseModel):
    fingerprint: str
    alertname: str
    state: str
    labels: dict[str, str]
    annotations: dict[str, str]
    active_since: float
    fired_at: float | None = None
    value: float | None = None


class AlertPage(Page):
    items: list[AlertOut]


class Recomputed(BaseModel):
    computed: float


def _summary(obj: Any, cls: type[BaseModel]) -> Any:
    return cls(**{f: getattr(obj, f) for f in cls.model_fields})




class TokenCheck:
    """Bearer-token dependency: 401 without a valid token, 403 when the scope is too low, 429
    when the client's address has sent too many wrong ones lately (:mod:`.throttle`).

    ``cookie``: also accept the status page's login cookie when no bearer header is sent (the
    OpenAPI document and its docs page, so a browser that logged in can open them)."""

    def __init__(self, tokens: dict[str, tuple[str, str]], scope: str,
                 throttle: FailureThrottle, cookie: str | None = None) -> None:
        self.tokens = [(n, s.encode(), sc) for n, (s, sc) in tokens.items()]
        self.scope, self.throttle, self.cookie = scope, throttle, cookie

    def __call__(self, request: Request,
                 cred: Annotated[HTTPAuthorizationCredentials | None,
                                 Depends(HTTPBearer(auto_error=False))]) -> str:
        given = self._given(request, cred)
        if given is None:  # nothing presented: not a guess, not counted
            raise HTTPException(401, "missing bearer token: send 'Authorization: Bearer "
                                     "<token>' (tokens are set in the inventory's api.tokens)",
                                headers={"WWW-Authenticate": "Bearer"})
        match: tuple[str, str] | None = None
        for name, secret, scope in self.tokens:  # every token, no early exit
            if hmac.compare_digest(given, secret):
                match = (name, scope)
        if match is None:
            wait = self.throttle.failed(client_address(request))
            if wait is not None:
                raise HTTPException(429, "too many wrong tokens from this address; retry "
                                         f"after {wait} s", headers={"Retry-After": str(wait)})
            raise HTTPException(401, "invalid bearer token",
                                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if self.scope == "admin" and match[1] != "admin":
            raise HTTPException(403, f"token {match[0]!r} has scope {match[1]!r}; this needs "
                                     "'admin'")
        return match[0]

    def _given(self, request: Request, cred: HTTPAuthorizationCredentials | None
               ) -> bytes | None:
        if cred is not None and cred.scheme.lower() == "bearer":
            return cred.credentials.encode()
        value = request.cookies.get(self.cookie) if self.cookie else None
        return unquote(value).encode() if value else None


class _Latest:
    """The hub's latest results, as routes need them (capacity computed on first use)."""

    def __init__(self, hub: ResultsHub) -> None:
        self.hub = hub

    def capacity(self) -> CityCapacity:
        res = self.hub.current()
        assert res.capacity is not None
        return res.capacity

    def site_or_404(self, site: str) -> SiteCapacity:
        cap = self.capacity()
        found = next((s for s in cap.sites if s.site == site), None)
        if found is None:
            known = ", ".join(s.site for s in cap.sites) or "none"
            raise HTTPException(404, f"unknown site {site!r} (known: {known})")
        return found


def create_app(config: Config, hub: ResultsHub, tokens: dict[str, tuple[str, str]],
               snapshot: Snapshot | None = None, alerts: AlertSource | None = None,
               reload: Reload | None = None, grid_factor: GridFactor | None = None) -> FastAPI:
    """The API over ``hub``'s results; ``tokens`` maps name -> (secret, scope). ``reload``
    (``dcmon run``) adds ``POST /-/reload`` for admin tokens. ``grid_factor`` gives the
    tenant statements their CO2 (none: no CO2 column)."""
    settings = config.model.api
    app = FastAPI(title="dcmon API", version=__version__,
                  description="Capacity (racks, feeds, standard racks, headroom), PUE and "
                              "alerts for the compute-scheduling platform. See docs/api.md.",
                  openapi_url=None, docs_url=None, redoc_url=None)  # both need a token: below
    # One throttle for every way of presenting a token: API routes, docs, status page, login.
    throttle = FailureThrottle(settings.auth_failures, settings.auth_failure_window_s)
    mount_assets(app, PREFIX)  # Swagger UI's files from dcmon itself, no CDN
    latest = _Latest(hub)
    app.include_router(health_router(hub, snapshot or hub.snapshot))
    if reload is not None:
        app.include_router(reload_router(reload, Depends(TokenCheck(tokens, "admin", throttle))))
    api = APIRouter(prefix=PREFIX, dependencies=[Depends(TokenCheck(tokens, "read", throttle))],
                    responses=_ERRORS)
    _capacity_routes(api, latest)
    _pue_and_alert_routes(api, hub, alerts)
    _report_and_admin_routes(api, latest, Depends(TokenCheck(tokens, "admin", throttle)))
    api.include_router(tenant_router(hub, grid_factor))
    api.include_router(retrofit_router(hub))
    api.include_router(carbon_router(hub))  # CUE, REF, WUE (docs/carbon.md)
    app.include_router(api)
    _docs_routes(app, TokenCheck(tokens, "read", throttle, cookie=COOKIE))
    if settings.status_page != "off":  # the HTML status page (docs/api.md)
        app.include_router(status_router(config, hub, tokens, alerts, settings, throttle))

        @app.get("/", include_in_schema=False)
        def root() -> RedirectResponse:
            return RedirectResponse("/status", status_code=307)

    @app.exception_handler(ValueError)
    def _bad_value(_: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    return app


def _docs_routes(app: FastAPI, check: TokenCheck) -> None:
    """The OpenAPI document and its interactive docs page, behind a read token like every
    route but health: the document lists every route and parameter. A browser opens them after
    logging in on the status page (its cookie is sent to /api/v1 too), or with a bearer header;
    the page's "Authorize" button takes the token for the calls it makes."""
    docs = APIRouter(prefix=PREFIX, dependencies=[Depends(check)], include_in_schema=False)

    @docs.get("/openapi.json")
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi(), headers={"Cache-Control": "no-store"})

    @docs.get("/docs")
    def docs_page(request: Request) -> HTMLResponse:
        return swagger_page(request, PREFIX, app.title)

    app.include_router(docs)


def _capacity_routes(api: APIRouter, latest: _Latest) -> None:
    """The city, sites, rooms and racks (docs/capacity.md)."""
    capacity = latest.capacity

    @api.get("/city", response_model=CitySummary, tags=["capacity"])
    def city() -> CitySummary:
        """Standard racks in use across all sites against the city's goal."""
        cap = capacity()
        return CitySummary(
            computed=cap.computed, std_racks_in_use=cap.std_racks_in_use,
            std_racks_measured=cap.std_racks_measured,
            std_racks_provisioned=cap.std_racks_provisioned, goal_racks=cap.goal_racks,
            goal_ratio=cap.goal_ratio, totals=cap.totals, quality=cap.quality,
            settings=dataclasses.asdict(cap.settings))

    @api.get("/sites", response_model=SitePage, tags=["capacity"], responses=CSV_RESPONSE)
    def sites(request: Request, limit: Limit = 100, offset: Offset = 0,
              format: Format = None) -> Any:
        """Sites with totals, headroom, forecast and data quality (rooms and racks: below)."""
        cap = capacity()
        items = [_summary(s, SiteSummary) for s in cap.sites]
        return answer_page(request, format, "sites", items, SitePage, limit, offset,
                           _flat_summary, computed=cap.computed)

    @api.get("/sites/{site_id}", response_model=SiteCapacity, tags=["capacity"],
             responses={404: {"model": ErrorBody, "description": "Unknown site"}})
    def site(site_id: str) -> SiteCapacity:
        """One site in full: its rooms and their racks with feeds."""
        return latest.site_or_404(site_id)

    @api.get("/rooms", response_model=RoomPage, tags=["capacity"], responses=CSV_RESPONSE)
    def rooms(request: Request, site: str | None = None, limit: Limit = 100,
              offset: Offset = 0, format: Format = None) -> Any:
        """Rooms with totals, cooling, headroom (binding limit named) and forecast."""
        cap = capacity()
        all_rooms: list[RoomCapacity] = [r for s in cap.sites if site in (None, s.site)
                                         for r in s.rooms]
        items = [_summary(r, RoomSummary) for r in all_rooms]
        return answer_page(request, format, "rooms", items, RoomPage, limit, offset,
                           _flat_summary, computed=cap.computed)

    @api.get("/racks", response_model=RackPage, tags=["capacity"], responses=CSV_RESPONSE)
    def racks(request: Request, site: str | None = None, room: str | None = None,
              min_utilisation: Annotated[float | None, Query(ge=0, le=100)] = None,
              limit: Limit = 100, offset: Offset = 0, format: Format = None) -> Any:
        """Racks with load (now, p95, peak), rating, feeds against derated breakers, failover,
        U space, standard racks and headroom. ``min_utilisation`` (a ratio, 0.8 = 80 %) keeps
        racks at or above it; racks without a utilisation are then left out."""
        cap = capacity()
        items = [r for s in cap.sites if site in (None, s.site) for ro in s.rooms
                 if room in (None, ro.room) for r in ro.racks
                 if min_utilisation is None
                 or (r.utilisation is not None and r.utilisation >= min_utilisation)]
        return answer_page(request, format, "racks", items, RackPage, limit, offset,
                           computed=cap.computed)


def _pue_and_alert_routes(api: APIRouter, hub: ResultsHub, alerts: AlertSource | None) -> None:
    """PUE results and active alerts (docs/energy.md, docs/alerts.md)."""

    @api.get("/pue", response_model=PuePage, tags=["pue"], responses=CSV_RESPONSE)
    def pue(request: Request, site: str | None = None, window: str | None = None,
            limit: Limit = 100, offset: Offset = 0, format: Format = None) -> Any:
        """Energy-based PUE per site, window and zone, with category, coverage and status."""
        res = hub.latest
        rows: list[PueResult] = [p for p in res.pue if site in (None, p.site)
                                 and window in (None, p.window)]
        items = [_summary(p, PueOut) for p in rows]
        return answer_page(request, format, "pue", items, PuePage, limit, offset,
                           computed=res.computed or None)

    @api.get("/alerts", response_model=AlertPage, tags=["alerts"], responses=CSV_RESPONSE)
    def active_alerts(request: Request, site: str | None = None, limit: Limit = 100,
                      offset: Offset = 0, format: Format = None) -> Any:
        """Active (pending and firing) alerts."""
        note = ""
        found: list[AlertOut] = []
        if alerts is None:
            note = "alerting is not running in this process"
        else:
            for a in alerts():
                d = (dataclasses.asdict(a) if dataclasses.is_dataclass(a)
                     and not isinstance(a, type) else dict(a))
                if site is None or d.get("labels", {}).get("site") == site:
                    found.append(AlertOut.model_validate(
                        {k: d.get(k) for k in AlertOut.model_fields if k in d}))
        return answer_page(request, format, "alerts", found, AlertPage, limit, offset,
                           computed=hub.latest.computed or None, note=note)


def _report_and_admin_routes(api: APIRouter, latest: _Latest, admin: Any) -> None:
    """The HTML capacity report, and recompute-now for admins."""

    @api.get("/reports/capacity", response_model=None, tags=["reports"],
             responses={200: {"content": {"text/html": {"schema": {"type": "string"}},
                                          "application/json": {"schema": {"type": "object"}},
                                          "text/csv": {"schema": {"type": "string"}}},
                              "description": "The report page, or its figures (JSON, CSV)"},
                        404: {"model": ErrorBody, "description": "Unknown site"}})
    def report(site: str | None = None,
               lang: Annotated[Literal["en", "zh"], Query()] = "en",
               format: Annotated[Literal["html", "json", "csv"],
                                 Query(description="json and csv: the figures, as "
                                                   "`dcmon report capacity --format`")] = "html"
               ) -> Response:
        """The human capacity report (HTML with inline SVG charts), as ``dcmon report``."""
        cap = latest.capacity()
        if site is not None:
            latest.site_or_404(site)
        if format == "json":
            return Response(render_json(cap, site), media_type="application/json")
        if format == "csv":
            return Response(render_csv(cap, site).encode("utf-8"),
                            media_type="text/csv; charset=utf-8")
        return HTMLResponse(render_html(cap, lang=lang, site=site, pue=latest.hub.latest.pue,
                                        tz=latest.hub.config.model.api.zone()))

    @api.post("/admin/recompute", response_model=Recomputed, tags=["admin"],
              dependencies=[admin])
    def recompute() -> Recomputed:
        """Recompute PUE and capacity now (admin scope)."""
        return Recomputed(computed=latest.hub.recompute(clock.now()).computed)
