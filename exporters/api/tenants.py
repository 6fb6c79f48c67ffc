"""Tenant routes: the tenants and their monthly statements (docs/tenants.md).

``GET /api/v1/tenants`` lists the inventory's tenants with their racks;
``GET /api/v1/tenants/statement`` answers the statement of one site (or every site with a
topology) for a month, as JSON, CSV (formula-safe, UTF-8 with BOM) or Markdown in Chinese or
English: the same renderer as ``dcmon statement``.

A statement reads a month of hourly buckets from the engine's store, so it is computed when
asked, once per results run: it is kept until the hub's next recompute, and the month so far
ends at the hour the PUE windows end (all meters settled).
"""

from __future__ import annotations

import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from dcmon import clock
from dcmon.engine.results import ResultsHub
from dcmon.engine.tenants.model import Statement
from dcmon.engine.tenants.statement import GridFactor, statement
from dcmon.exporters.api.csvout import csv_text, wants_csv
from dcmon.exporters.reports.statement import render_csv, render_markdown

#: Statements kept per results run: a few sites times a few months.
_CACHE_SIZE = 64


class TenantOut(BaseModel):
    id: str
    name_zh: str
    name_en: str
    cost_centre: str
    #: ``site/room/rack`` of every rack billed to the tenant.
    racks: list[str]


class TenantList(BaseModel):
    items: list[TenantOut]
    total: int


class StatementPage(BaseModel):
    computed: float | None
    items: list[dict[str, Any]]


class _Statements:
    """Statements computed on request, kept until the hub's next results run."""

    def __init__(self, hub: ResultsHub, grid_factor: GridFactor | None) -> None:
        self.hub, self.grid_factor = hub, grid_factor
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str | None, float], Statement] = {}

    def get(self, site: str, month: str | None) -> Statement:
        computed = self.hub.latest.computed
        key = (site, month, computed)
        with self._lock:
            found = self._cache.get(key)
        if found is not None:
            return found
        hub = self.hub
        now = computed or clock.now()
        st = statement(hub.config, hub.engine, site, month, now, self.grid_factor,
                       hub.calc.settle_s())
        with self._lock:
            if len(self._cache) >= _CACHE_SIZE or any(k[2] != computed for k in self._cache):
                self._cache.clear()
            self._cache[key] = st
        return st


def tenant_router(hub: ResultsHub, grid_factor: GridFactor | None) -> APIRouter:
    """The tenant routes (mounted under the API's prefix, behind its read token)."""
    router = APIRouter(tags=["tenants"])
    statements = _Statements(hub, grid_factor)

    @router.get("/tenants", response_model=TenantList)
    def tenants() -> TenantList:
        """The tenants, their names in Chinese and English, cost centres and racks."""
        model = hub.config.model
        racks: dict[str, list[str]] = {t.id: [] for t in model.tenants}
        for s in model.sites:
            for room in s.rooms:
                for rack in room.racks:
                    if rack.tenant in racks:
                        racks[rack.tenant].append(f"{s.id}/{room.id}/{rack.id}")
        items = [TenantOut(id=t.id, name_zh=t.name.zh, name_en=t.name.en,
                           cost_centre=t.cost_centre or "", racks=racks[t.id])
                 for t in model.tenants]
        return TenantList(items=items, total=len(items))

    @router.get("/tenants/statement", response_model=StatementPage,
                responses={200: {"content": {"text/csv": {"schema": {"type": "string"}},
                                             "text/markdown": {"schema": {"type": "string"}}}},
                           404: {"description": "Unknown site, a site without topology, or "
                                                "a month not begun"}})
    def tenant_statement(
            request: Request, site: str | None = None,
            month: Annotated[str | None, Query(pattern=r"^(19|20|21)\d\d-(0[1-9]|1[0-2])$",
                                               description="YYYY-MM, the site's time zone; "
                                                           "default: this month so far")] = None,
            format: Annotated[Literal["json", "csv", "md"] | None, Query()] = None,
            lang: Annotated[Literal["en", "zh"], Query()] = "en") -> Any:
        """Per tenant: IT energy, overhead share, CO2 and cost; the lines add up exactly to
        the site's line. ``md``: the monthly statement for people."""
        sites = [s.id for s in hub.config.model.sites
                 if s.energy is not None and site in (None, s.id)]
        if site is not None and not sites:
            raise HTTPException(404, f"no site {site!r} with an energy topology")
        try:
            out = [statements.get(s, month) for s in sites]
        except ValueError as exc:
            raise HTTPException(404, str(exc)) from None
        if wants_csv(request, format):
            return csv_text("statement", render_csv(out))
        if format == "md":
            return Response("\n".join(render_markdown(st, lang) for st in out),
                            media_type="text/markdown; charset=utf-8")
        return StatementPage(computed=hub.latest.computed or None,
                             items=[st.as_dict() for st in out])

    return router
