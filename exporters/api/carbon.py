"""``/api/v1/carbon`` and ``/api/v1/water``: CUE, REF and WUE per site and window (docs/carbon.md).

A router of its own, included under the API's token check by :func:`create_app`: the figures
are the ResultsHub's latest (the numbers /metrics, InfluxDB and the status page tell), as pages
of JSON or CSV like the PUE list.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from dcmon.engine.carbon.model import CarbonResult, WaterResult
from dcmon.engine.results import ResultsHub
from dcmon.exporters.api.csvout import CSV_RESPONSE, Format, Limit, Offset, answer_page


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


def carbon_router(hub: ResultsHub) -> APIRouter:
    """The carbon and water routes (mounted under ``/api/v1`` with the read token check)."""
    api = APIRouter()

    @api.get("/carbon", response_model=CarbonPage, tags=["carbon"], responses=CSV_RESPONSE)
    def carbon(request: Request, site: str | None = None, window: str | None = None,
               limit: Limit = 100, offset: Offset = 0, format: Format = None) -> Any:
        """CUE (location- and market-based), REF, CO2 and energy by source per site and
        window, with the grid factor and its source, coverage and status."""
        res = hub.latest
        rows = [c for c in res.carbon if site in (None, c.site) and window in (None, c.window)]
        return answer_page(request, format, "carbon", rows, CarbonPage, limit, offset,
                           computed=res.computed or None)

    @api.get("/water", response_model=WaterPage, tags=["carbon"], responses=CSV_RESPONSE)
    def water(request: Request, site: str | None = None, window: str | None = None,
              limit: Limit = 100, offset: Offset = 0, format: Format = None) -> Any:
        """WUE (litres per IT kWh) and site water per window, for sites with water meters."""
        res = hub.latest
        rows = [w for w in res.water if site in (None, w.site) and window in (None, w.window)]
        return answer_page(request, format, "water", rows, WaterPage, limit, offset,
                           computed=res.computed or None)

    return api
