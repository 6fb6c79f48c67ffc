"""Prometheus exposition of the engine's results: PUE, coverage, site power and energy.

Reads the ResultsHub's latest immutable results (computed on a schedule), never the store or a
device, so every scrape is cheap and every channel reports the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from dcmon.engine.results import Results, ResultsHub


def meter_series(labels: Mapping[str, str]) -> str:
    """The ``series`` label of a meter: its labels as ``k=v`` pairs in name order."""
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


#: The per-meter families (three lines per energy counter: most of a city's results).
METER_FAMILIES = (
    ("dcmon_meter_energy_joules", "Lifetime energy of a meter's counter, exact across "
     "wraps, resets and restarts"),
    ("dcmon_meter_wraps", "Counter wraps seen"),
    ("dcmon_meter_resets", "Counter resets seen (user resets, meter swaps)"),
)


class EngineCollector(Collector):
    """PUE per site/window/category, pPUE per zone, lifetime energy per site and meter.

    ``meters=False`` leaves out the per-meter families, for a caller that renders them itself
    (:mod:`.results`: 390,000 lines in a city, too many for prometheus_client's per-sample cost).
    """

    def __init__(self, hub: ResultsHub, *, meters: bool = True) -> None:
        self.hub = hub
        self.meters = meters

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        res = self.hub.latest
        pue = GaugeMetricFamily(
            "dcmon_site_pue_ratio", "Energy-based PUE (E_DC / E_IT) over the window; absent "
            "when withheld; category: the ISO/IEC 30134-2 category the metering backs, or none",
            labels=["site", "window", "category", "interim"])
        ppue = GaugeMetricFamily("dcmon_zone_partial_pue_ratio", "Partial PUE of a zone",
                                 labels=["site", "zone", "window"])
        status = GaugeMetricFamily(
            "dcmon_site_pue_status", "1 for the PUE status of the window: ok, withheld "
            "(coverage or zero IT energy) or metering_fault (PUE < 1)",
            labels=["site", "window", "status"])
        cov = GaugeMetricFamily("dcmon_site_pue_coverage_ratio",
                                "Share of expected meter-hours present in the window",
                                labels=["site", "window"])
        load = GaugeMetricFamily("dcmon_site_it_load_ratio",
                                 "Mean IT power over the window / design IT capacity",
                                 labels=["site", "window"])
        for r in res.pue:
            if r.zone is not None:
                if r.value is not None:
                    ppue.add_metric([r.site, r.zone, r.window], r.value)
                continue
            if r.value is not None and r.status == "ok":
                pue.add_metric([r.site, r.window, r.category_label, str(r.interim).lower()],
                               r.value)
            for st in ("ok", "withheld", "metering_fault"):
                status.add_metric([r.site, r.window, st], 1.0 if r.status == st else 0.0)
            cov.add_metric([r.site, r.window], r.coverage)
            if r.it_load_fraction is not None:
                load.add_metric([r.site, r.window], r.it_load_fraction)
        yield from (pue, ppue, status, cov, load)

        ceiling = GaugeMetricFamily(
            "dcmon_site_pue_ceiling_ratio", "The site's PUE ceiling from its policy class "
            "(docs/alerts.md); absent for report-only (edge) sites", labels=["site", "policy"])
        for c in res.ceilings:
            ceiling.add_metric([c.site, c.policy_class], c.value)
        yield ceiling

        fac_w = GaugeMetricFamily("dcmon_site_facility_power_watts",
                                  "Facility (E_DC side) power now", labels=["site"])
        it_w = GaugeMetricFamily("dcmon_site_it_power_watts", "IT power now", labels=["site"])
        inst = GaugeMetricFamily("dcmon_site_pue_instant_ratio",
                                 "Facility power / IT power now (live view, not compliance)",
                                 labels=["site"])
        for i in res.instant:
            if i.facility_w is not None:
                fac_w.add_metric([i.site], i.facility_w)
            if i.it_w is not None:
                it_w.add_metric([i.site], i.it_w)
            if i.value is not None:
                inst.add_metric([i.site], i.value)
        yield from (fac_w, it_w, inst)

        yield from self._site_energy(res)
        if not self.meters:
            return
        life, wraps, resets = (CounterMetricFamily(name, doc, labels=["device", "series"])
                               for name, doc in METER_FAMILIES)
        for m in res.meters:
            series = meter_series(m.labels)
            life.add_metric([m.device, series], m.lifetime_j)
            wraps.add_metric([m.device, series], float(m.wraps))
            resets.add_metric([m.device, series], float(m.resets))
        yield from (life, wraps, resets)

    @staticmethod
    def _site_energy(res: Results) -> Iterator[Metric]:
        """Lifetime energy (and water) per site: monotonic, shard-safe sums of meters."""
        fac_e = CounterMetricFamily("dcmon_site_facility_energy_joules",
                                    "Lifetime facility energy (monotonic)", labels=["site"])
        it_e = CounterMetricFamily("dcmon_site_it_energy_joules",
                                   "Lifetime IT energy (monotonic)", labels=["site"])
        ren_e = CounterMetricFamily("dcmon_site_renewable_energy_joules", "Lifetime energy of "
                                    "the site's renewable meters (sites that list them)",
                                    labels=["site"])
        gen_e = CounterMetricFamily("dcmon_site_generator_energy_joules", "Lifetime energy of "
                                    "the site's generator meters (sites that list them)",
                                    labels=["site"])
        water = CounterMetricFamily("dcmon_site_water_cubic_meters", "Lifetime water of the "
                                    "site's water meters, exact across wraps and resets",
                                    labels=["site"])
        for e in res.energy:
            fac_e.add_metric([e.site], e.facility_j)
            it_e.add_metric([e.site], e.it_j)
            for fam, v in ((ren_e, e.renewable_j), (gen_e, e.generator_j), (water, e.water_m3)):
                if v is not None:
                    fam.add_metric([e.site], v)
        yield from (fac_e, it_e, ren_e, gen_e, water)
