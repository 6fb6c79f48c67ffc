"""``/api/v1/carbon`` and ``/api/v1/water``: CUE, REF and WUE per site and window (docs/carbon.md).

A router of its own, included under the API's token check by :func:`create_app`: the figures
are the ResultsHub's latest (the numbers /metrics, InfluxDB and the status page tell), as pages
of JSON or CSV like the PUE list.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from dcmon.engine.carbon.model import CarbonResult, WaterResult
from dcmon.engine.results import ResultsHub
from dcmon.exporters.reports.tabular import flatten, to_csv

_CSV = {"content": {"text/csv": {"schema": {"type": "string"}}}}
_Format = Annotated[Literal["json", "csv"] | None,
                    Query(description="csv for a spreadsheet; default json, or text/csv when "
                                      "the Accept header asks for it")]
_Limit = Annotated[int, Query(ge=1, le=1000, description="Page size")]
_Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip")]


class CarbonPage(BaseModel):
    items: list[CarbonResult]
    total: int
    limit: int
    offset: int
    computed: float | None


class WaterPage(BaseModel):
    items: list[WaterResult]
    total: int
    limit: int
    offset: int
    computed: float | None


def _csv(name: str, rows: list[dict[str, Any]]) -> Response:
    return Response(to_csv(rows).encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


def _wants_csv(request: Request, fmt: str | None) -> bool:
    return fmt == "csv" if fmt is not None else "text/csv" in request.headers.get("accept", "")


def carbon_router(hub: ResultsHub) -> APIRouter:
    """The carbon and water routes (mounted under ``/api/v1`` with the read token check)."""
    api = APIRouter()

    @api.get("/carbon", response_model=CarbonPage, tags=["carbon"], responses={200: _CSV})
    def carbon(request: Request, site: str | None = None, window: str | None = None,
               limit: _Limit = 100, offset: _Offset = 0, format: _Format = None) -> Any:
        """CUE (location- and market-based), REF, CO2 and energy by source per site and
        window, with the grid factor and its source, coverage and status."""
        res = hub.latest
        rows = [c for c in res.carbon if site in (None, c.site) and window in (None, c.window)]
        page = rows[offset:offset + limit]
        if _wants_csv(request, format):
            return _csv("carbon", [flatten(c) for c in page])
        return CarbonPage(items=page, total=len(rows), limit=limit, offset=offset,
                          computed=res.computed or None)

    @api.get("/water", response_model=WaterPage, tags=["carbon"], responses={200: _CSV})
    def water(request: Request, site: str | None = None, window: str | None = None,
              limit: _Limit = 100, offset: _Offset = 0, format: _Format = None) -> Any:
        """WUE (litres per IT kWh) and site water per window, for sites with water meters."""
        res = hub.latest
        rows = [w for w in res.water if site in (None, w.site) and window in (None, w.window)]
        page = rows[offset:offset + limit]
        if _wants_csv(request, format):
            return _csv("water", [flatten(w) for w in page])
        return WaterPage(items=page, total=len(rows), limit=limit, offset=offset,
                         computed=res.computed or None)

    return api
