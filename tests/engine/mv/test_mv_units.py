"""The pieces of retrofit verification on hand-computed numbers: the solver, the statistics,
Student's t, Guideline 14's uncertainty, the reporting period's default end, day buckets."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from dcmon.config.retrofit import Period, Retrofit, TemperatureSource
from dcmon.engine.mv.model import fit_model
from dcmon.engine.mv.ols import fit, fit_stats, t_quantile
from dcmon.engine.mv.points import Point, Points, buckets, day_start
from dcmon.engine.mv.report import uncertainty, verify
from dcmon.engine.mv.run import reporting_bounds


def test_exact_fit_and_collinear_column_dropped() -> None:
    rows = [[float(i), 2.0 * i, float(i % 3)] for i in range(10)]
    y = [4 + 1.5 * a + 2 * c for a, _, c in rows]
    f = fit(rows, y)
    assert f.used == (True, False, True) and f.parameters == 3
    assert f.intercept == pytest.approx(4) and f.coef == pytest.approx((1.5, 0.0, 2.0))


def test_fit_stats_by_hand() -> None:
    y, pred = [10.0, 12.0, 14.0, 12.0], [11.0, 12.0, 13.0, 12.0]
    s = fit_stats(y, pred, p=2)
    assert s.mean == 12.0
    assert s.cv_rmse == pytest.approx(math.sqrt(2 / 2) / 12)
    assert s.nmbe == 0.0
    assert s.r2 == pytest.approx(1 - 2 / 8)
    assert s.rho == pytest.approx((-1 * 0 + 0 * 1 + 1 * 0) / 2)


@pytest.mark.parametrize(("conf", "dof", "exact"), [
    (0.9, 10, 1.8125), (0.9, 30, 1.6973), (0.95, 20, 2.0860),
    (0.9, 1000, 1.6464)])
def test_t_quantile(conf: float, dof: int, exact: float) -> None:
    assert t_quantile(conf, dof) == pytest.approx(exact, rel=2e-3)


def test_uncertainty_formula() -> None:
    """n = 100 uncorrelated points, p = 2, CV 2 %, m = 50, projected 1000 kWh, 90 %."""
    pts = [Point(0, 1, 100 + (1 if i % 2 else -1) * 2.0, float(i % 7), 10.0)
           for i in range(100)]
    model = fit_model(pts, "daily")
    s = model.stats
    u = uncertainty(model, 50, 1000.0, 0.9)
    n_eff = s.n * (1 - s.rho) / (1 + s.rho) if s.rho > 0 else s.n
    expect = (t_quantile(0.9, n_eff - s.p) * 1.26 * s.cv_rmse
              * math.sqrt(s.n / n_eff * (1 + 2 / n_eff) / 50) * 1000)
    assert u == pytest.approx(expect)
    assert s.rho < 0  # alternating residuals: no reduction of n
    assert u == pytest.approx(t_quantile(0.9, 100 - s.p) * 1.26 * s.cv_rmse
                              * math.sqrt(1.02 / 50) * 1000)


def test_reporting_defaults_to_yesterday() -> None:
    r = Retrofit(id="x", date=dt.date(2026, 6, 8),
                 baseline=Period(start=dt.date(2026, 1, 1), end=dt.date(2026, 5, 31)),
                 temperature=TemperatureSource(csv="w.csv"))
    tz = "Asia/Shanghai"
    now = dt.datetime(2026, 7, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp()
    start, end = reporting_bounds(r, tz, now)
    assert start == day_start(dt.date(2026, 6, 8), tz)
    assert end == day_start(dt.date(2026, 7, 1), tz)
    # Before the retrofit: an empty period, not a negative one.
    early = day_start(dt.date(2026, 6, 1), tz)
    assert reporting_bounds(r, tz, early) == (start, start)


def test_day_buckets_follow_the_time_zone_and_dst() -> None:
    tz = "Europe/Berlin"
    a, b = day_start(dt.date(2026, 3, 28), tz), day_start(dt.date(2026, 3, 31), tz)
    days = list(buckets(a, b, "daily", tz))
    assert [round((y - x) / 3600) for x, y in days] == [24, 23, 24]
    hours = list(buckets(a, a + 3 * 3600, "hourly", tz))
    assert len(hours) == 3


def test_normalised_pue_at_baseline_conditions() -> None:
    """A reporting period that has seen the baseline's weather gets a model of its own, and
    both models on the baseline's days give the PUE with and without the retrofit."""
    def points(first: int, days: int, cooling: float) -> Points:
        out = []
        for d in range(days):
            temp = 5 + 20 * ((d * 7) % days) / days
            it = 400 + 3 * (d % 5)
            fac = it * 1.1 + 60 + cooling * it * (0.15 + 0.006 * temp) + (d % 3 - 1) * 0.5
            out.append(Point(first + d * 86400.0, first + (d + 1) * 86400.0, fac, it, temp))
        return Points(first, first + days * 86400.0, tuple(out), 0, 0)

    base, rep = points(0, 90, 1.0), points(100 * 86400, 60, 0.8)
    r = Retrofit(id="x", date=dt.date(1970, 4, 10),
                 baseline=Period(start=dt.date(1970, 1, 1), end=dt.date(1970, 3, 31)),
                 temperature=TemperatureSource(csv="w.csv"))
    report = verify(None, "dc1", r, base, rep)  # type: ignore[arg-type]
    assert report.status == "ok"
    normal = report.normalised_baseline
    assert normal is not None and normal.before is not None and normal.after is not None
    it = sum(p.it_kwh for p in base.points)
    assert normal.before == pytest.approx(sum(p.facility_kwh for p in base.points) / it)
    # The retrofit took a fifth of the cooling: 0.2 x the mean cooling share per kWh of IT.
    cooling = sum(p.it_kwh * (0.15 + 0.006 * p.temp_c) for p in base.points) / it
    assert normal.before - normal.after == pytest.approx(0.2 * cooling, rel=0.02)
