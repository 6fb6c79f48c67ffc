"""CUE, REF and WUE per site and window, from the same hourly buckets and windows as PUE.

Design, and why:

* E_DC, E_IT and their coverage come from :class:`~dcmon.engine.pue.PueCalculator`, so CUE and
  PUE of a window always rest on the same kWh. E_DC is all the electricity the site uses; the
  renewable meters (on-site PV, a direct green line) and generator meters say how much of it did
  not come from the grid: grid = E_DC - renewable - generators.
* Grid kWh carry the grid factor of their calendar year (a window across New Year is split at
  it); generator kWh carry none, because their CO2 is counted from the fuel burnt (litres x
  factor), which is data entered per month and prorated to the window by time, like the green
  certificates and contracts.
* Two CO2 figures, never mixed: location-based (every grid kWh at the grid factor) and
  market-based (grid kWh covered by certificates carry none, the rest the residual factor).
* Water meters are counters in m3 (``W|`` series, the energy engine's wrap/reset/false-zero
  care); WUE = litres / IT kWh.
* A figure is withheld, with the reason, when its meters' coverage is under
  ``engine.min_coverage`` or IT energy is zero, exactly as a PUE is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from dcmon.config.carbon import SiteCarbon, month_range
from dcmon.config.resolved import Config
from dcmon.config.topology import EnergyTopology, MeterRef
from dcmon.engine.carbon.factors import grid_factor, residual_factor
from dcmon.engine.carbon.model import CarbonResult, WaterResult
from dcmon.engine.energy import HOUR
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.pue import WINDOWS, YEAR_S, PueCalculator, PueResult, narrow

Factor = Callable[[Config, str, float], tuple[float, str]]
_EMPTY = SiteCarbon()


def years(start: float, end: float, tz: str) -> list[tuple[float, float]]:
    """[start, end) cut at each New Year in ``tz``."""
    zone, out, a = ZoneInfo(tz), [], start
    while a < end:
        y = datetime.fromtimestamp(a, zone).year
        b = min(end, datetime(y + 1, 1, 1, tzinfo=zone).timestamp())
        out.append((a, b))
        a = b
    return out


def month_share(month: str, start: float, end: float, tz: str) -> float:
    """The fraction of calendar ``month`` (in ``tz``) that lies in [start, end)."""
    y, m = month_range(month)
    zone = ZoneInfo(tz)
    m0 = datetime(y, m, 1, tzinfo=zone).timestamp()
    m1 = datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=zone).timestamp()
    return max(0.0, min(end, m1) - max(start, m0)) / (m1 - m0)


class CarbonCalculator:
    """Computes CarbonResults and WaterResults for the sites that declare a topology."""

    def __init__(self, config: Config, engine: EnergyEngine, *, factor: Factor = grid_factor,
                 residual: Factor = residual_factor) -> None:
        self.config = config
        self.engine = engine
        self.pue = PueCalculator(config, engine)
        self.factor = factor
        self.residual = residual

    def sites(self) -> list[tuple[str, EnergyTopology, SiteCarbon]]:
        return [(s.id, s.energy, s.carbon or _EMPTY) for s in self.config.model.sites
                if s.energy is not None]

    def _meters(self, refs: list[MeterRef], start: float, end: float) -> tuple[float, float]:
        """(kWh, coverage) of a sum of electricity meters (coverage 1 when there are none)."""
        if not refs:
            return 0.0, 1.0
        joules, covered, n, _ = self.pue.meter_energy(refs, start, end)
        span = end - start
        return joules / 3.6e6, covered / (n * span) if span > 0 else 0.0

    def compute(self, site: str, topo: EnergyTopology, window: str, start: float, end: float,
                pue: PueResult | None = None) -> CarbonResult:
        """CUE and REF over [start, end); ``pue``: the site's PUE of the same window, when the
        caller has it (the results job computes each window's kWh once)."""
        c = self._site_carbon(site)
        pue = pue or self.pue.compute(site, topo, window, start, end)
        ren, cov_ren = self._meters(list(c.renewable), start, end)
        gen, cov_gen = self._meters(list(c.generators), start, end)
        grid = co2 = co2_mkt = certs = used = 0.0
        sources: list[str] = []
        for a, b in years(start, end, topo.timezone):
            seg = pue if (a, b) == (start, end) else self.pue.compute(site, topo, window, a, b)
            seg_grid = max(0.0, seg.facility_kwh - self._meters(list(c.renewable), a, b)[0]
                           - self._meters(list(c.generators), a, b)[0])
            seg_cert = 1000 * sum(e.mwh * month_share(e.month, a, b, topo.timezone)
                                  for e in c.certificates)
            seg_used = min(seg_cert, seg_grid)
            f, source = self.factor(self.config, site, a)
            r, _ = self.residual(self.config, site, a)
            grid, certs, used = grid + seg_grid, certs + seg_cert, used + seg_used
            co2, co2_mkt = co2 + seg_grid * f, co2_mkt + (seg_grid - seg_used) * r
            if source not in sources:
                sources.append(source)
        litres = sum(e.litres * month_share(e.month, start, end, topo.timezone)
                     for e in c.diesel)
        diesel = sum(e.litres * e.kg_per_litre * month_share(e.month, start, end, topo.timezone)
                     for e in c.diesel)
        status, reason, code, args = self._status(pue, min(pue.coverage, cov_ren, cov_gen),
                                                  ren + gen)
        ok = status == "ok" and pue.it_kwh > 0  # a metering fault publishes no figure
        fac = pue.facility_kwh
        return CarbonResult(
            site=site, window=window, start=start, end=end, status=status, reason=reason,
            coverage=round(min(pue.coverage, cov_ren, cov_gen), 6), it_kwh=pue.it_kwh,
            facility_kwh=fac, grid_kwh=grid, renewable_kwh=ren, generator_kwh=gen,
            certificate_kwh=certs, certificate_used_kwh=used, diesel_litres=litres,
            co2_kg=co2 + diesel, co2_market_kg=co2_mkt + diesel, diesel_co2_kg=diesel,
            grid_factor=co2 / grid if grid else self.factor(self.config, site, start)[0],
            grid_factor_source="; ".join(sources),
            cue=(co2 + diesel) / pue.it_kwh if ok else None,
            cue_market=(co2_mkt + diesel) / pue.it_kwh if ok else None,
            ref=min(1.0, (ren + used) / fac) if ok and fac > 0 else None,
            interim=end - start < YEAR_S, reason_code=code, reason_args=args)

    def _status(self, pue: PueResult, coverage: float, not_grid: float
                ) -> tuple[str, str, str, dict[str, float | int | str]]:
        """The PUE's verdict on E_DC and E_IT, then this figure's own meters."""
        min_cov = self.config.model.engine.min_coverage
        if pue.status == "withheld":
            return pue.status, pue.reason, pue.reason_code, dict(pue.reason_args)
        if coverage < min_cov:
            return ("withheld", f"coverage {coverage:.1%} of expected meter-hours is below the "
                    f"minimum {min_cov:.0%}", "low_coverage",
                    {"coverage": coverage, "minimum": min_cov})
        if not_grid > pue.facility_kwh * 1.001:
            return ("metering_fault", f"renewable and generator energy ({not_grid:.3f} kWh) "
                    f"exceeds facility energy ({pue.facility_kwh:.3f} kWh): check that E_DC "
                    "includes them", "sources_exceed_facility",
                    {"sources_kwh": not_grid, "facility_kwh": pue.facility_kwh})
        return pue.status, pue.reason, pue.reason_code, dict(pue.reason_args)

    def _site_carbon(self, site: str) -> SiteCarbon:
        return next((s.carbon or _EMPTY for s in self.config.model.sites if s.id == site),
                    _EMPTY)

    def water(self, site: str, topo: EnergyTopology, window: str, start: float, end: float,
              pue: PueResult | None = None) -> WaterResult | None:
        """WUE of a site with water meters (None: it has none)."""
        refs = self._site_carbon(site).water
        if not refs:
            return None
        m3, coverage = self.water_m3(refs, start, end)
        pue = pue or self.pue.compute(site, topo, window, start, end)
        min_cov = self.config.model.engine.min_coverage
        status, reason, code = "ok", "", ""
        args: dict[str, float | int | str] = {}
        if pue.status == "withheld":
            status, reason, code, args = "withheld", pue.reason, pue.reason_code, dict(
                pue.reason_args)
        elif coverage < min_cov:
            status, reason = "withheld", (f"water coverage {coverage:.1%} of expected "
                                          f"meter-hours is below the minimum {min_cov:.0%}")
            code, args = "low_coverage", {"coverage": coverage, "minimum": min_cov}
        elif pue.it_kwh <= 0:
            status, reason, code = "withheld", "IT energy is zero", "it_energy_zero"
        return WaterResult(
            site=site, window=window, start=start, end=end, status=status, reason=reason,
            coverage=round(coverage, 6), water_m3=m3, it_kwh=pue.it_kwh,
            wue=m3 * 1000 / pue.it_kwh if status == "ok" else None, meters=len(refs),
            interim=end - start < YEAR_S, reason_code=code, reason_args=args)

    def water_m3(self, refs: Iterable[MeterRef], start: float, end: float
                 ) -> tuple[float, float]:
        """(m3, coverage) of a sum of water meters over [start, end)."""
        m3 = covered = 0.0
        n = 0
        for ref in refs:
            n += 1
            chosen = [s for s in narrow(self.pue.series_of(ref.device), ref)
                      if s.key.startswith("W|")]
            buckets = self.engine.store.window([s.key for s in chosen], start, end)
            m3 += sum(b.energy_j for b in buckets.values())
            if chosen:
                covered += min(end - start, sum(b.covered_s for b in buckets.values())
                               / len(chosen))
        span = end - start
        return m3, covered / (n * span) if n and span > 0 else 0.0

    def results(self, now: float, windows: list[str] | None = None, site: str | None = None,
                settle: float = 0.0, pue: Iterable[PueResult] = ()
                ) -> tuple[list[CarbonResult], list[WaterResult]]:
        """Every window of every site with a topology (as :meth:`PueCalculator.results`);
        ``pue``: whole-site PUE results of the same windows, reused where they match."""
        known = {(r.site, r.window, r.start, r.end): r for r in pue if r.zone is None}
        settled = now - settle
        end = settled - settled % HOUR
        carbon: list[CarbonResult] = []
        water: list[WaterResult] = []
        for sid, topo, _ in self.sites():
            if site is not None and sid != site:
                continue
            for w in windows or [*WINDOWS, "month", "year"]:
                start, stop = PueCalculator.period(w, end, topo.timezone)
                p = known.get((sid, w, start, stop)) or self.pue.compute(sid, topo, w, start,
                                                                          stop)
                carbon.append(self.compute(sid, topo, w, start, stop, p))
                wr = self.water(sid, topo, w, start, stop, p)
                if wr is not None:
                    water.append(wr)
        return carbon, water
