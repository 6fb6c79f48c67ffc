"""Ordinary least squares for a handful of regressors, and the statistics M&V reports with it.

dcmon has no numerical library among its dependencies, and a baseline model has at most four
coefficients and a few thousand points, so a small exact solver is enough: a QR factorisation
by modified Gram-Schmidt on centred, scaled columns. A column that is (nearly) a combination of
the ones before it, such as IT energy when the IT load never changed, is dropped rather than
solved into huge opposing coefficients: the fit then says which terms it used.

The statistics follow ASHRAE Guideline 14-2014: CV(RMSE) with n - p degrees of freedom, NMBE
with n - p as well, and Student's t for the savings uncertainty (docs/retrofit.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

#: A column whose part not explained by the earlier ones is below this share of its own size
#: is treated as collinear and dropped.
_COLLINEAR = 1e-9


@dataclass(frozen=True, slots=True)
class Fit:
    """Coefficients of ``y = intercept + sum(coef[j] * x[j])``; dropped terms are 0."""

    intercept: float
    coef: tuple[float, ...]
    #: Which regressors the fit used (False: collinear with earlier ones, dropped).
    used: tuple[bool, ...]

    @property
    def parameters(self) -> int:
        """p: the intercept plus the regressors used."""
        return 1 + sum(self.used)

    def predict(self, x: Sequence[float]) -> float:
        return self.intercept + sum(c * v for c, v in zip(self.coef, x, strict=True))


def fit(rows: Sequence[Sequence[float]], y: Sequence[float]) -> Fit:
    """The least-squares fit of ``y`` on ``rows`` (one row of regressors per point)."""
    n = len(y)
    k = len(rows[0]) if rows else 0
    if n == 0:
        raise ValueError("no data points")
    ymean = sum(y) / n
    means = [sum(r[j] for r in rows) / n for j in range(k)]
    cols: list[list[float]] = []
    scales: list[float] = []
    for j in range(k):
        col = [r[j] - means[j] for r in rows]
        scales.append(math.sqrt(sum(v * v for v in col)) or 1.0)
        cols.append([v / scales[-1] for v in col])
    q: list[list[float]] = []
    used: list[bool] = []
    r_rows: list[dict[int, float]] = []  # R's rows, by the index of q they belong to
    for j, col in enumerate(cols):
        v = list(col)
        proj = {}
        for i, qi in enumerate(q):
            d = sum(a * b for a, b in zip(qi, v, strict=True))
            proj[i] = d
            v = [a - d * b for a, b in zip(v, qi, strict=True)]
        norm = math.sqrt(sum(a * a for a in v))
        if norm < _COLLINEAR:  # columns are unit length, so this is a share
            used.append(False)
            continue
        used.append(True)
        for i, d in proj.items():
            r_rows[i][j] = d
        r_rows.append({j: norm})
        q.append([a / norm for a in v])
    yc = [v - ymean for v in y]
    qty = [sum(a * b for a, b in zip(qi, yc, strict=True)) for qi in q]
    idx = [j for j in range(k) if used[j]]
    beta_s: dict[int, float] = {}
    for i in range(len(idx) - 1, -1, -1):  # back substitution on R b = Q'y
        j = idx[i]
        s = qty[i] - sum(r_rows[i].get(jj, 0.0) * beta_s[jj] for jj in idx[i + 1:])
        beta_s[j] = s / r_rows[i][j]
    coef = tuple(beta_s.get(j, 0.0) / scales[j] for j in range(k))
    intercept = ymean - sum(c * m for c, m in zip(coef, means, strict=True))
    return Fit(intercept, coef, tuple(used))


@dataclass(frozen=True, slots=True)
class FitStats:
    """How well a model reproduces the data it was fitted on (Guideline 14 definitions)."""

    n: int
    p: int
    mean: float
    #: sqrt(sum(residual^2) / (n - p)) / mean.
    cv_rmse: float
    #: sum(measured - predicted) / ((n - p) * mean).
    nmbe: float
    r2: float
    #: Lag-1 autocorrelation of the residuals in time order (0 when n < 3).
    rho: float


def fit_stats(y: Sequence[float], predicted: Sequence[float], p: int) -> FitStats:
    n = len(y)
    mean = sum(y) / n
    res = [a - b for a, b in zip(y, predicted, strict=True)]
    dof = max(n - p, 1)
    ss_res = sum(r * r for r in res)
    ss_tot = sum((a - mean) ** 2 for a in y)
    rho = 0.0
    if n >= 3 and ss_res > 0:
        rho = sum(res[i] * res[i - 1] for i in range(1, n)) / ss_res
    return FitStats(n=n, p=p, mean=mean,
                    cv_rmse=math.sqrt(ss_res / dof) / mean if mean else math.inf,
                    nmbe=sum(res) / (dof * mean) if mean else math.inf,
                    r2=1 - ss_res / ss_tot if ss_tot > 0 else 0.0, rho=rho)


def t_quantile(confidence: float, dof: float) -> float:
    """Two-sided Student's t value for ``confidence`` and ``dof`` degrees of freedom.

    The Cornish-Fisher expansion around the normal quantile (Abramowitz and Stegun 26.7.5):
    within 0.1 % of the exact value from 5 degrees of freedom up; a baseline has far more.
    """
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    v = max(dof, 1.0)
    return (z + (z**3 + z) / (4 * v) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3))
