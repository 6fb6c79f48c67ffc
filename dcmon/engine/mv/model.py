"""The baseline model: facility energy against IT energy and outdoor temperature, and the
ASHRAE Guideline 14 criteria it must meet.

facility = b0 + b1 * IT + b2 * T + b3 * IT * T, fitted by ordinary least squares on days (or
hours). A data centre's facility energy is IT energy, plus losses roughly proportional to it,
plus fixed loads, plus cooling; cooling is the heat (IT and losses) divided by the plant's
coefficient of performance, which falls as the outdoor air warms. So the temperature effect
scales with the IT load: the ``IT * T`` term. Without it, a baseline from a lightly loaded
winter projected onto a busy summer is biased by the very interaction the retrofit changes.
A change-point (cooling-degree) term was considered and left out: a data centre's chillers
run all year, and the one kind of site with a real balance point (an economiser switching to
free cooling) is better served by a per-season baseline than by a fifth parameter
(docs/retrofit.md, "The model").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dcmon.engine.mv.ols import Fit, FitStats, fit, fit_stats
from dcmon.engine.mv.points import Point

#: The model's terms, in the order of :attr:`Point.x`.
TERMS = ("it_kwh", "outdoor_c", "it_kwh_x_outdoor_c")

#: ASHRAE Guideline 14-2014 limits by granularity: (max CV(RMSE), max |NMBE|). Monthly and
#: hourly are the guideline's calibration limits; it names none for days, and dcmon holds
#: daily models to the hourly ones (docs/retrofit.md, "Criteria").
LIMITS = {"monthly": (0.15, 0.05), "daily": (0.30, 0.10), "hourly": (0.30, 0.10)}


@dataclass(frozen=True, slots=True)
class BaselineModel:
    """A fitted model with its fit statistics and the limits it was judged against."""

    fit: Fit
    stats: FitStats
    max_cv_rmse: float
    max_nmbe: float

    @property
    def passes(self) -> bool:
        return (self.stats.cv_rmse <= self.max_cv_rmse
                and abs(self.stats.nmbe) <= self.max_nmbe)

    def failure(self) -> str:
        """Why the fit fails the criteria ("" when it passes)."""
        faults = []
        if self.stats.cv_rmse > self.max_cv_rmse:
            faults.append(f"CV(RMSE) {self.stats.cv_rmse:.1%} > {self.max_cv_rmse:.0%}")
        if abs(self.stats.nmbe) > self.max_nmbe:
            faults.append(f"|NMBE| {abs(self.stats.nmbe):.2%} > {self.max_nmbe:.1%}")
        return "; ".join(faults)

    def predict(self, p: Point) -> float:
        return self.fit.predict(p.x)

    def coefficients(self) -> dict[str, float]:
        """The coefficients by term (``intercept`` first); dropped terms are left out."""
        out = {"intercept": self.fit.intercept}
        out.update({t: c for t, c, u in zip(TERMS, self.fit.coef, self.fit.used, strict=True)
                    if u})
        return out


def fit_model(points: Sequence[Point], granularity: str, max_cv_rmse: float | None = None,
              max_nmbe: float | None = None) -> BaselineModel:
    """Fit the model to ``points`` (at least two) and judge it against the limits."""
    f = fit([p.x for p in points], [p.facility_kwh for p in points])
    stats = fit_stats([p.facility_kwh for p in points], [f.predict(p.x) for p in points],
                      f.parameters)
    cv, nmbe = LIMITS[granularity]
    return BaselineModel(f, stats, max_cv_rmse or cv, max_nmbe or nmbe)
