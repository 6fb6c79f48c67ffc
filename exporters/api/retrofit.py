"""``GET /api/v1/retrofits``: verified savings of the declared retrofits (docs/retrofit.md).

Read from the results hub like every other route (the report is recomputed once a day per
site, :class:`dcmon.engine.mv.run.RetrofitCache`), behind the same read token. A refused report
is an item with ``status: refused`` and its ``reason``, not an error: the caller asked for
the verification, and "the baseline is too short" is its answer.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from dcmon.engine.results import ResultsHub
from dcmon.exporters.api.csvout import CSV_RESPONSE, Format, csv_rows, wants_csv
from dcmon.exporters.reports.tabular import flatten


class NormalisedOut(BaseModel):
    conditions: str = Field(description="reporting: this period's days; baseline: the "
                                        "baseline's days")
    before: float | None = Field(description="PUE without the retrofit (baseline model)")
    after: float | None = Field(description="PUE with it")
    reason: str


class RetrofitOut(BaseModel):
    site: str
    retrofit: str
    description: str
    date: str
    granularity: str
    confidence: float
    status: str = Field(description="ok, refused or pending (no reporting data yet)")
    reason: str
    reason_code: str = Field(description="baseline_too_short, poor_fit, weather, "
                                         "no_reporting_data, or empty")
    baseline_start: float
    baseline_end: float
    baseline_points: int
    reporting_start: float
    reporting_end: float
    reporting_points: int
    cv_rmse: float | None
    nmbe: float | None
    r2: float | None
    max_cv_rmse: float | None
    max_nmbe: float | None
    projected_kwh: float | None
    actual_kwh: float | None
    avoided_kwh: float | None
    uncertainty_kwh: float | None = Field(description="At `confidence`, ASHRAE Guideline 14")
    savings_fraction: float | None
    significant: bool = Field(description="Uncertainty under half the saving")
    avoided_co2_kg: float | None
    co2_uncertainty_kg: float | None
    co2_factor_source: str
    pue_before: float | None
    pue_after: float | None
    normalised_reporting: NormalisedOut | None
    normalised_baseline: NormalisedOut | None
    outside_range: float


class RetrofitPage(BaseModel):
    total: int
    computed: float | None
    items: list[RetrofitOut]


def retrofit_router(hub: ResultsHub) -> APIRouter:
    """The route, to be included in the token-protected ``/api/v1`` router."""
    router = APIRouter()

    @router.get("/retrofits", response_model=RetrofitPage, tags=["retrofits"],
                responses=CSV_RESPONSE)
    def retrofits(request: Request, site: str | None = None, format: Format = None) -> Any:
        """Avoided energy and CO2 of each retrofit, with uncertainty, or why it is refused."""
        res = hub.current()
        items = [RetrofitOut.model_validate(r.as_dict()) for r in res.retrofits
                 if site in (None, r.site)]
        if wants_csv(request, format):
            return csv_rows("retrofits", [flatten(i.model_dump()) for i in items])
        return RetrofitPage(total=len(items), computed=res.computed or None, items=items)

    return router
