"""Prometheus exposition of the carbon results: CUE, REF, WUE, CO2, energy by source, water.

Like :mod:`dcmon.exporters.prometheus.engine` it reads the ResultsHub's latest immutable
results, never the store. Labels follow the PUE families (``site``, ``window``, ``interim``);
``basis`` tells location-based CO2 (every grid kWh at the grid factor) from market-based
(certificates and contracts deducted), which are never mixed in one series. A withheld figure
is absent, and its status family says why; mass is in grams (the Prometheus base unit), the
ratios in the units their standards define (kg CO2/kWh, L/kWh).
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from dcmon.engine.results import ResultsHub

_STATUSES = ("ok", "withheld", "metering_fault")


class CarbonCollector(Collector):
    """CUE (location, market), REF, CO2 and energy by source per site/window; WUE and water."""

    def __init__(self, hub: ResultsHub) -> None:
        self.hub = hub

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        yield from self._carbon()
        yield from self._water()

    def _carbon(self) -> Iterator[Metric]:
        cue = GaugeMetricFamily(
            "dcmon_site_cue_kg_per_kwh", "Carbon usage effectiveness (ISO/IEC 30134-8): kg CO2 "
            "per kWh of IT energy over the window; basis: location or market (certificates "
            "deducted)", labels=["site", "window", "basis", "interim"])
        ref = GaugeMetricFamily(
            "dcmon_site_ref_ratio", "Renewable energy factor (ISO/IEC 30134-3): renewable "
            "(metered and certified) / facility energy over the window",
            labels=["site", "window", "interim"])
        co2 = GaugeMetricFamily("dcmon_site_co2_grams", "CO2 emitted over the window (grid "
                                "electricity and generator fuel)",
                                labels=["site", "window", "basis"])
        energy = GaugeMetricFamily(
            "dcmon_site_energy_by_source_joules", "Facility energy over the window by source: "
            "grid, renewable (metered), generator; certified: certificates and contracts "
            "counted", labels=["site", "window", "source"])
        factor = GaugeMetricFamily(
            "dcmon_site_grid_factor_kg_per_kwh", "Grid emission factor applied over the window, "
            "with its source", labels=["site", "window", "source"])
        status = GaugeMetricFamily(
            "dcmon_site_carbon_status", "1 for the status of the window's CUE and REF: ok, "
            "withheld (coverage or zero IT energy) or metering_fault",
            labels=["site", "window", "status"])
        cov = GaugeMetricFamily("dcmon_site_carbon_coverage_ratio", "Share of expected "
                                "meter-hours present (facility, IT, renewable and generator "
                                "meters; the lowest)", labels=["site", "window"])
        for r in self.hub.latest.carbon:
            interim = str(r.interim).lower()
            if r.cue is not None and r.cue_market is not None:
                cue.add_metric([r.site, r.window, "location", interim], r.cue)
                cue.add_metric([r.site, r.window, "market", interim], r.cue_market)
            if r.ref is not None:
                ref.add_metric([r.site, r.window, interim], r.ref)
            if r.status != "withheld":
                co2.add_metric([r.site, r.window, "location"], r.co2_kg * 1000)
                co2.add_metric([r.site, r.window, "market"], r.co2_market_kg * 1000)
                for source, kwh in (("grid", r.grid_kwh), ("renewable", r.renewable_kwh),
                                    ("generator", r.generator_kwh),
                                    ("certified", r.certificate_used_kwh)):
                    energy.add_metric([r.site, r.window, source], kwh * 3.6e6)
            factor.add_metric([r.site, r.window, r.grid_factor_source], r.grid_factor)
            for st in _STATUSES:
                status.add_metric([r.site, r.window, st], 1.0 if r.status == st else 0.0)
            cov.add_metric([r.site, r.window], r.coverage)
        yield from (cue, ref, co2, energy, factor, status, cov)

    def _water(self) -> Iterator[Metric]:
        wue = GaugeMetricFamily(
            "dcmon_site_wue_l_per_kwh", "Water usage effectiveness (ISO/IEC 30134-9): litres "
            "of site water per kWh of IT energy over the window",
            labels=["site", "window", "interim"])
        vol = GaugeMetricFamily("dcmon_site_water_used_cubic_meters", "Site water over the window "
                                "(sum of the water meters)", labels=["site", "window"])
        cov = GaugeMetricFamily("dcmon_site_water_coverage_ratio", "Share of expected water "
                                "meter-hours present in the window", labels=["site", "window"])
        for w in self.hub.latest.water:
            if w.wue is not None:
                wue.add_metric([w.site, w.window, str(w.interim).lower()], w.wue)
            if w.status != "withheld":
                vol.add_metric([w.site, w.window], w.water_m3)
            cov.add_metric([w.site, w.window], w.coverage)
        yield from (wue, vol, cov)
