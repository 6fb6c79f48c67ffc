"""Carbon, renewables and water of one site or several: CUE, REF, WUE, and what they rest on.

One function per panel; :func:`site_carbon` lays them out. A withheld figure is absent from
Prometheus, so each figure falls back to its coverage x NaN: the row stays, marked "withheld",
instead of vanishing (as on the PUE dashboard). docs/carbon.md has the method.
"""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import table as tb
from grafana_foundation_sdk.builders import timeseries as ts

from dcmon.exporters.grafana.kit import (
    MIN_COVERAGE,
    STATUS_TEXTS,
    base,
    merged_table,
    nan_text,
    prop,
    series,
    site_variable,
    steps,
    table,
)
from dcmon.exporters.grafana.panels import S, add, legend_table

_COV = f"max by (site, window) (dcmon_site_carbon_coverage_ratio{{{S}}})"
_WCOV = f"max by (site, window) (dcmon_site_water_coverage_ratio{{{S}}})"


def _or_nan(expr: str, coverage: str = _COV) -> str:
    """``expr`` per (site, window), or NaN where the engine withholds it."""
    return f"max by (site, window) ({expr}) or on (site, window) ({coverage} * NaN)"


_STATUS = (f'max by (site, window) ((dcmon_site_carbon_status{{{S}, status="ok"}} == 1) * 0 '
           f'or (dcmon_site_carbon_status{{{S}, status="withheld"}} == 1) '
           f'or (dcmon_site_carbon_status{{{S}, status="metering_fault"}} == 1) * 2)')


def site_carbon() -> db.Dashboard:
    """CUE (location and market based), REF, WUE per window, grid factor, PV and water."""
    return add(
        base("dcmon-carbon", "dcmon / Site carbon and water",
             "CUE (ISO/IEC 30134-8), REF (ISO/IEC 30134-3) and WUE (ISO/IEC 30134-9) per "
             "window, the grid factor behind them, on-site renewables and water "
             "(docs/carbon.md).", ["carbon", "water"])
        .with_variable(site_variable()),
        db.Row("By window"),
        _by_window(),
        _wue_by_window(),
        db.Row("Over time"),
        _cue_over_time(),
        _grid_factor(),
        _renewable_power(),
        _water_flow(),
    )


def _by_window() -> Any:
    cols = {"A": "CUE", "B": "CUE market", "C": "REF", "D": "Status", "E": "Coverage"}
    cue = f'dcmon_site_cue_kg_per_kwh{{{S}, basis="location"}}'
    market = f'dcmon_site_cue_kg_per_kwh{{{S}, basis="market"}}'
    return (
        tb.Panel().title("CUE and REF by window").description(
            "kg CO2 per kWh of IT energy: location-based (every grid kWh at the grid factor, "
            "plus generator fuel) and with green certificates and contracts deducted "
            "(market). REF: renewable (metered and certified) / facility energy. Withheld "
            "while coverage is under 90 % or IT energy is zero.")
        .with_target(table(_or_nan(cue), "A"))
        .with_target(table(_or_nan(market), "B"))
        .with_target(table(_or_nan(f"dcmon_site_ref_ratio{{{S}}}"), "C"))
        .with_target(table(_STATUS, "D"))
        .with_target(table(_COV, "E"))
        .transformations(merged_table(cols, order=("site", "window")))
        .override_by_name("CUE", [prop("decimals", 3), prop("mappings", [nan_text("withheld")])])
        .override_by_name("CUE market", [prop("decimals", 3),
                                         prop("mappings", [nan_text("withheld")])])
        .override_by_name("REF", [prop("unit", "percentunit"),
                                  prop("mappings", [nan_text("withheld")])])
        .override_by_name("Status", [prop("mappings", STATUS_TEXTS),
                                     prop("custom.cellOptions", {"type": "color-background"})])
        .override_by_name("Coverage", [
            prop("unit", "percentunit"),
            prop("thresholds", steps((None, "red"), (MIN_COVERAGE, "green")).build()),
            prop("custom.cellOptions", {"type": "color-text"})])
        .span(16).height(9)
    )


def _wue_by_window() -> Any:
    return (
        tb.Panel().title("WUE by window").description(
            "Litres of site water (the water meters: cooling-tower make-up, intake) per kWh "
            "of IT energy; sites with water meters only.")
        .with_target(table(_or_nan(f"dcmon_site_wue_l_per_kwh{{{S}}}", _WCOV), "A"))
        .with_target(table(_WCOV, "B"))
        .transformations(merged_table({"A": "WUE (L/kWh)", "B": "Coverage"},
                                      order=("site", "window")))
        .override_by_name("WUE (L/kWh)", [prop("decimals", 2),
                                          prop("mappings", [nan_text("withheld")])])
        .override_by_name("Coverage", [prop("unit", "percentunit")])
        .span(8).height(9)
    )


def _cue_over_time() -> Any:
    return (
        ts.Panel().title("CUE by window over time").description(
            "Location-based CUE of each window as the engine recomputes it.")
        .with_target(series(_or_nan(f'dcmon_site_cue_kg_per_kwh{{{S}, basis="location"}}'),
                            "{{site}} {{window}}"))
        .unit("none").decimals(3).span(12).height(8).legend(legend_table("lastNotNull"))
    )


def _grid_factor() -> Any:
    return (
        ts.Panel().title("Grid emission factor applied").description(
            "kg CO2 per grid kWh, with its source (the legend): the site's or city's "
            "configured factor, else the national average of the latest published year.")
        .with_target(series(f'max by (site, source) (dcmon_site_grid_factor_kg_per_kwh{{{S}}})',
                            "{{site}}: {{source}}"))
        .unit("none").decimals(4).span(12).height(8).legend(legend_table("lastNotNull"))
    )


def _renewable_power() -> Any:
    return (
        ts.Panel().title("On-site renewable power").description(
            "Power of the sites' renewable meters (on-site PV, direct green lines), from "
            "their lifetime energy.")
        .with_target(series(f"rate(dcmon_site_renewable_energy_joules_total{{{S}}}[5m])",
                            "{{site}}"))
        .unit("watt").min(0).span(12).height(8).legend(legend_table("lastNotNull", "max"))
    )


def _water_flow() -> Any:
    return (
        ts.Panel().title("Water flow").description(
            "Site water per hour, from the water meters' lifetime volume (exact across the "
            "meters' wraps and resets).")
        .with_target(series(f"rate(dcmon_site_water_cubic_meters_total{{{S}}}[5m]) * 3600",
                            "{{site}}"))
        .unit("m3").min(0).span(12).height(8).legend(legend_table("lastNotNull", "max"))
    )
