"""Verified savings of one retrofit (IPMVP option C, ASHRAE Guideline 14 statistics).

The baseline model (:mod:`dcmon.engine.mv.model`) is projected onto the reporting period's
actual IT energy and weather; avoided energy = projected - measured facility energy. Its
uncertainty is Guideline 14's fractional savings uncertainty, with the residuals' lag-1
autocorrelation reducing the effective number of baseline points:

    U = t(confidence, n' - p) x 1.26 x CV(RMSE) x sqrt((n / n') x (1 + 2 / n') / m) x E_projected
    n' = n (1 - rho) / (1 + rho)   (rho > 0; else n' = n)

The weather- and load-normalised PUE puts both periods under the same conditions, twice:

* at the reporting period's conditions: the baseline model on its days (the PUE the old plant
  would have had) against the measured PUE; always available, and it agrees with the avoided
  energy by construction;
* at the baseline's conditions ("normal" ones): the baseline model and a model fitted on the
  reporting period, both evaluated on the baseline's days. Only when the reporting period has
  seen the baseline's weather (90 % of baseline days within its temperature range), because a
  summer's model evaluated on a winter is an extrapolation, not a measurement.

The naive before/after PUE (measured over measured) is reported beside them so a reader sees
how much of the change was weather and load. Refusals say why (docs/retrofit.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from dcmon.config.resolved import Config
from dcmon.config.retrofit import Retrofit
from dcmon.engine.mv.model import TERMS, BaselineModel, fit_model
from dcmon.engine.mv.ols import t_quantile
from dcmon.engine.mv.points import Point, Points

#: Part A's interface: kg CO2 per kWh of grid electricity at a site and time, and its source.
GridFactor = Callable[[Config, str, float], tuple[float, str]]

#: Guideline 14's empirical coefficient in the savings uncertainty.
FSU_COEFFICIENT = 1.26


#: Share of baseline days the reporting period's temperature range must cover before its
#: model is evaluated on them.
MIN_COVERED = 0.9


@dataclass(frozen=True)
class Normalised:
    """PUE before and after the retrofit under one set of conditions (``reporting`` or
    ``baseline`` days); None with ``reason`` where it cannot be stated."""

    conditions: str
    before: float | None
    after: float | None
    reason: str = ""


@dataclass(frozen=True)
class MvReport:
    """One retrofit's verification: fit, savings with uncertainty, or the reason it is refused."""

    site: str
    retrofit: str
    description: str
    date: str
    granularity: str
    confidence: float
    status: str  # "ok" | "refused" | "pending" (baseline good, no reporting data yet)
    reason: str
    #: baseline_too_short | poor_fit | weather | no_reporting_data | "".
    reason_code: str
    baseline_start: float
    baseline_end: float
    baseline_points: int
    baseline_skipped: int
    reporting_start: float
    reporting_end: float
    reporting_points: int = 0
    reporting_skipped: int = 0
    min_points: int = 0
    cv_rmse: float | None = None
    nmbe: float | None = None
    r2: float | None = None
    autocorrelation: float | None = None
    max_cv_rmse: float | None = None
    max_nmbe: float | None = None
    coefficients: dict[str, float] = field(default_factory=dict)
    temp_range_c: tuple[float, float] | None = None
    #: Share of reporting points outside the baseline's temperature or IT range (extrapolated).
    outside_range: float = 0.0
    projected_kwh: float | None = None
    actual_kwh: float | None = None
    avoided_kwh: float | None = None
    uncertainty_kwh: float | None = None
    savings_fraction: float | None = None
    avoided_co2_kg: float | None = None
    co2_uncertainty_kg: float | None = None
    co2_factor_source: str = ""
    pue_before: float | None = None
    pue_after: float | None = None
    normalised_reporting: Normalised | None = None
    normalised_baseline: Normalised | None = None

    @property
    def significant(self) -> bool:
        """Guideline 14's test: the uncertainty is under half the savings."""
        return (self.avoided_kwh is not None and self.uncertainty_kwh is not None
                and self.avoided_kwh > 0 and self.uncertainty_kwh < 0.5 * self.avoided_kwh)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["significant"] = self.significant
        return d


def min_points(r: Retrofit) -> int:
    """Valid baseline points required: ``min_baseline_days`` days (of 24 hours when hourly)."""
    return r.min_baseline_days * (24 if r.granularity == "hourly" else 1)


def uncertainty(model: BaselineModel, m: int, projected_kwh: float, confidence: float) -> float:
    """Guideline 14's absolute savings uncertainty at ``confidence`` (see the module doc)."""
    s = model.stats
    rho = max(s.rho, 0.0)
    n_eff = max(s.n * (1 - rho) / (1 + rho), s.p + 1.0)
    t = t_quantile(confidence, n_eff - s.p)
    return (t * FSU_COEFFICIENT * s.cv_rmse
            * math.sqrt((s.n / n_eff) * (1 + 2 / n_eff) / m) * projected_kwh)


def _pue(points: tuple[Point, ...]) -> float | None:
    it = sum(p.it_kwh for p in points)
    return sum(p.facility_kwh for p in points) / it if it > 0 else None


def at_baseline(base: BaselineModel, base_pts: tuple[Point, ...],
                rep_pts: tuple[Point, ...], r: Retrofit) -> Normalised:
    """Both periods' models on the baseline's days (the "normal conditions")."""
    need = min_points(r) // 2
    if len(rep_pts) < need:
        return Normalised("baseline", None, None, f"the reporting period has {len(rep_pts)} "
                                                  f"points; a model of it needs {need}")
    lo, hi = min(p.temp_c for p in rep_pts), max(p.temp_c for p in rep_pts)
    covered = sum(1 for p in base_pts if lo <= p.temp_c <= hi) / len(base_pts)
    if covered < MIN_COVERED:
        return Normalised("baseline", None, None,
                          f"the reporting period's weather ({lo:.1f} to {hi:.1f} °C) covers "
                          f"{covered:.0%} of the baseline's days; its model is not "
                          f"extrapolated (needs {MIN_COVERED:.0%})")
    rep = fit_model(rep_pts, r.granularity, r.max_cv_rmse, r.max_nmbe)
    if not rep.passes:
        return Normalised("baseline", None, None,
                          f"the reporting period's model fails: {rep.failure()}")
    it = sum(p.it_kwh for p in base_pts)
    return Normalised("baseline", sum(base.predict(p) for p in base_pts) / it,
                      sum(rep.predict(p) for p in base_pts) / it)


def _outside(base_pts: tuple[Point, ...], rep_pts: tuple[Point, ...]) -> float:
    if not rep_pts:
        return 0.0
    lo_t, hi_t = min(p.temp_c for p in base_pts), max(p.temp_c for p in base_pts)
    lo_i, hi_i = min(p.it_kwh for p in base_pts), max(p.it_kwh for p in base_pts)
    out = sum(1 for p in rep_pts
              if not (lo_t <= p.temp_c <= hi_t and lo_i <= p.it_kwh <= hi_i))
    return out / len(rep_pts)


def _co2(config: Config, site: str, rows: list[tuple[Point, float]], u_kwh: float,
         factor: GridFactor | None) -> tuple[float | None, float | None, str]:
    """Avoided CO2 (each point's avoided energy at its own grid factor) and its uncertainty
    (the energy uncertainty at the projection-weighted mean factor)."""
    if factor is None or not rows:
        return None, None, ""
    got = [(p, proj, *factor(config, site, (p.start + p.end) / 2)) for p, proj in rows]
    co2 = sum((proj - p.facility_kwh) * f for p, proj, f, _ in got)
    total = sum(proj for _, proj, _, _ in got)
    mean_f = sum(proj * f for _, proj, f, _ in got) / total if total else 0.0
    sources = "; ".join(sorted({src for _, _, _, src in got}))
    return co2, u_kwh * mean_f, sources


def verify(config: Config, site: str, r: Retrofit, base: Points, rep: Points,
           factor: GridFactor | None = None) -> MvReport:
    """The report of retrofit ``r`` from its baseline and reporting points."""
    head = MvReport(
        site=site, retrofit=r.id, description=r.description, date=r.date.isoformat(),
        granularity=r.granularity, confidence=r.confidence, status="refused", reason="",
        reason_code="", baseline_start=base.start, baseline_end=base.end,
        baseline_points=len(base.points), baseline_skipped=base.no_energy + base.no_weather,
        reporting_start=rep.start, reporting_end=rep.end, reporting_points=len(rep.points),
        reporting_skipped=rep.no_energy + rep.no_weather, min_points=min_points(r))
    unit = "hours" if r.granularity == "hourly" else "days"
    if len(base.points) < head.min_points:
        return _refuse(head, "baseline_too_short",
                       f"the baseline has {len(base.points)} valid {unit}; at least "
                       f"{head.min_points} are needed (min_baseline_days "
                       f"{r.min_baseline_days})")
    model = fit_model(base.points, r.granularity, r.max_cv_rmse, r.max_nmbe)
    head = _with_fit(head, model, base.points)
    if not model.passes:
        return _refuse(head, "poor_fit", f"the baseline model fails ASHRAE Guideline 14: "
                                         f"{model.failure()}")
    if not rep.points:
        return replace(head, status="pending", reason_code="no_reporting_data",
                        reason="no reporting-period data yet")
    rows = [(p, model.predict(p)) for p in rep.points]
    projected = sum(proj for _, proj in rows)
    actual = sum(p.facility_kwh for p in rep.points)
    it_rep = sum(p.it_kwh for p in rep.points)
    u = uncertainty(model, len(rows), projected, r.confidence)
    co2, co2_u, source = _co2(config, site, rows, u, factor)
    return replace(
        head, status="ok", projected_kwh=projected, actual_kwh=actual,
        avoided_kwh=projected - actual, uncertainty_kwh=u,
        savings_fraction=(projected - actual) / projected if projected else None,
        avoided_co2_kg=co2, co2_uncertainty_kg=co2_u, co2_factor_source=source,
        pue_before=_pue(base.points), pue_after=_pue(rep.points),
        outside_range=_outside(base.points, rep.points),
        normalised_reporting=Normalised("reporting", projected / it_rep, actual / it_rep)
        if it_rep > 0 else None,
        normalised_baseline=at_baseline(model, base.points, rep.points, r))


def _with_fit(head: MvReport, model: BaselineModel, pts: tuple[Point, ...]) -> MvReport:
    s = model.stats
    return replace(head, cv_rmse=s.cv_rmse, nmbe=s.nmbe, r2=s.r2, autocorrelation=s.rho,
                    max_cv_rmse=model.max_cv_rmse, max_nmbe=model.max_nmbe,
                    coefficients=model.coefficients(),
                    temp_range_c=(min(p.temp_c for p in pts), max(p.temp_c for p in pts)))


def _refuse(head: MvReport, code: str, reason: str) -> MvReport:
    return replace(head, status="refused", reason_code=code, reason=reason)




__all__ = ["TERMS", "GridFactor", "MvReport", "verify"]
