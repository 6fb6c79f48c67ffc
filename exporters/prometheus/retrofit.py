"""Prometheus exposition of verified retrofit savings (docs/retrofit.md).

From the results hub's latest reports, like every results family. Avoided energy is in joules
(the base unit, as every dcmon energy family); it is a gauge, not a counter, because a report
is re-verified each day and may go down (a new day can lower the estimate). Figures are
exported only for reports whose status is ``ok``; the status family says why others have none.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from dcmon.engine.results import ResultsHub

_KWH = 3.6e6
STATUSES = ("ok", "refused", "pending")


class RetrofitCollector(Collector):
    """Avoided energy, its uncertainty, the savings fraction and fit per retrofit."""

    def __init__(self, hub: ResultsHub) -> None:
        self.hub = hub

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        avoided = GaugeMetricFamily(
            "dcmon_retrofit_avoided_energy_joules", "Facility energy avoided by the retrofit "
            "over its reporting period: baseline model projection minus measurement",
            labels=["site", "retrofit"])
        unc = GaugeMetricFamily(
            "dcmon_retrofit_avoided_energy_uncertainty_joules", "Uncertainty of the avoided "
            "energy (ASHRAE Guideline 14) at the stated confidence",
            labels=["site", "retrofit", "confidence"])
        frac = GaugeMetricFamily("dcmon_retrofit_savings_ratio",
                                 "Avoided energy / projected baseline energy",
                                 labels=["site", "retrofit"])
        cv = GaugeMetricFamily("dcmon_retrofit_baseline_cv_rmse_ratio",
                               "CV(RMSE) of the baseline model", labels=["site", "retrofit"])
        status = GaugeMetricFamily(
            "dcmon_retrofit_status", "1 for the report's status: ok, refused (baseline too "
            "short, poor fit, weather file) or pending (no reporting data yet)",
            labels=["site", "retrofit", "status"])
        for r in self.hub.latest.retrofits:
            for st in STATUSES:
                status.add_metric([r.site, r.retrofit, st], 1.0 if r.status == st else 0.0)
            if r.cv_rmse is not None:
                cv.add_metric([r.site, r.retrofit], r.cv_rmse)
            if r.status != "ok" or r.avoided_kwh is None or r.uncertainty_kwh is None:
                continue
            avoided.add_metric([r.site, r.retrofit], r.avoided_kwh * _KWH)
            unc.add_metric([r.site, r.retrofit, f"{r.confidence:g}"],
                           r.uncertainty_kwh * _KWH)
            if r.savings_fraction is not None:
                frac.add_metric([r.site, r.retrofit], r.savings_fraction)
        yield from (avoided, unc, frac, cv, status)
