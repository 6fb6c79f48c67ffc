"""Compliance of one site or several: windows, category, coverage, load and status.

One function per panel, so each stays readable; :func:`site_pue` lays them out in order.
"""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import (
    statetimeline,
)
from grafana_foundation_sdk.builders import table as tb
from grafana_foundation_sdk.builders import timeseries as ts
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm

from dcmon.exporters.grafana.kit import (
    CEILING_NOTE,
    MIN_COVERAGE,
    STATUS_TEXTS,
    base,
    by,
    instant,
    merged_table,
    nan_text,
    prop,
    pue_steps,
    series,
    site_variable,
    status_code,
    steps,
    table,
)
from dcmon.exporters.grafana.panels import (
    J_PER_KWH,
    LIVE_PUE,
    S,
    add,
    legend_table,
    stat_panel,
    threshold_lines,
)

cols = {"A": "PUE", "B": "Status", "C": "Coverage", "D": "IT load"}
pue_or_nan = (f'max by (site, window, category, interim) (dcmon_site_pue_ratio{{{S}}}) '
              f'or on (site, window) (max by (site, window) '
              f'(dcmon_site_pue_coverage_ratio{{{S}}}) * NaN)')


def site_pue() -> db.Dashboard:
    """Compliance of one site or several: windows, category, coverage, load and status."""
    return add(
        base("dcmon-pue", "dcmon / Site PUE compliance",
                 "Energy PUE (E_DC / E_IT, ISO/IEC 30134-2) per window with its measurement "
                 "category, coverage, IT load and status (docs/energy.md).", ["pue", "energy"])
            .with_variable(site_variable()),
        db.Row("Compliance by window"),
        _pue_by_window(),
        _status_by_window(),
        _energy_pue_by_window_and_live(),
        _coverage_by_window(),
        _it_load_by_window(),
        db.Row("Power and energy"),
        _facility_and_it_power(),
        _live_pue(),
        _energy_in_the_time_range(),
    )


def _pue_by_window() -> Any:
    return (
        tb.Panel().title("PUE by window").description(
            "One row per site and window. PUE is withheld (status 'withheld') while "
            "coverage is under 90 % or IT energy is zero, and flagged 'metering fault' "
            "under 1.0. Category: where IT energy is metered (1 UPS output, 2 PDU output, "
            "3 IT input). Interim: a period under 12 months. Low IT load inflates PUE. "
            + CEILING_NOTE)
        .with_target(table(pue_or_nan, "A"))
        .with_target(table(status_code(), "B"))
        .with_target(table(by("site, window", f"dcmon_site_pue_coverage_ratio{{{S}}}"),
                           "C"))
        .with_target(table(by("site, window", f"dcmon_site_it_load_ratio{{{S}}}"), "D"))
        .transformations(merged_table(cols, order=("site", "window", "category",
                                                   "interim")))
        .override_by_name("PUE", [
            prop("decimals", 3), prop("thresholds", pue_steps().build()),
            prop("custom.cellOptions", {"type": "color-text"}),
            prop("mappings", [nan_text("withheld")])])
        .override_by_name("Status", [
            prop("mappings", STATUS_TEXTS),
            prop("custom.cellOptions", {"type": "color-background"})])
        .override_by_name("Coverage", [
            prop("unit", "percentunit"),
            prop("thresholds", steps((None, "red"), (MIN_COVERAGE, "green")).build()),
            prop("custom.cellOptions", {"type": "color-text"})])
        .override_by_name("IT load", [prop("unit", "percentunit")])
        .span(24).height(9)
    )


def _status_by_window() -> Any:
    return (
        statetimeline.Panel().title("Status by window").description(
            "ok, withheld (coverage under 90 % or no IT energy) or metering fault (PUE "
            "under 1: IT energy above facility energy, check the meter roles).")
        .with_target(series(status_code(), "{{site}} {{window}}"))
        .mappings(STATUS_TEXTS).show_value(cm.VisibilityMode.NEVER).merge_values(True)
        .color_scheme(db.FieldColor().mode(dm.FieldColorModeId.FIXED).fixed_color("text"))
        .span(12).height(9)
    )


def _energy_pue_by_window_and_live() -> Any:
    return (
        threshold_lines(ts.Panel().title("Energy PUE by window, and live").description(
            "Audited energy PUE per window once the engine has the coverage, beside the "
            "live PUE (window 'live': facility / IT power now). " + CEILING_NOTE)
            .with_target(series(f"dcmon_site_pue_ratio{{{S}}} or "
                                + LIVE_PUE.format(sel=S), "{{site}} {{window}}"))
            .unit("none").decimals(3).thresholds(pue_steps()).axis_soft_min(1)
            .axis_soft_max(1.5).span(12).height(9)
            .legend(legend_table("lastNotNull")))
    )


def _coverage_by_window() -> Any:
    return (
        threshold_lines(ts.Panel().title("Coverage by window").description(
            "Share of expected meter-hours present. Under the line (engine.min_coverage, "
            "0.9) the window's PUE is withheld and an alert stays unconfirmed.")
            .with_target(series(f"dcmon_site_pue_coverage_ratio{{{S}}}",
                                "{{site}} {{window}}"))
            .unit("percentunit").min(0).max(1)
            .thresholds(steps((None, "red"), (MIN_COVERAGE, "green")))
            .span(12).height(8).legend(legend_table("lastNotNull")))
    )


def _it_load_by_window() -> Any:
    return (
        ts.Panel().title("IT load by window").description(
            "Mean IT power over the window / design IT power. Under ~10 % a PUE breach is "
            "never confirmed (policy min_it_load): low load inflates PUE.")
        .with_target(series(f"dcmon_site_it_load_ratio{{{S}}}", "{{site}} {{window}}"))
        .unit("percentunit").min(0).span(12).height(8)
        .legend(legend_table("lastNotNull"))
    )


def _facility_and_it_power() -> Any:
    return (
        ts.Panel().title("Facility and IT power").description(
            "The two sides of PUE now: facility (utility side, E_DC) and IT meters.")
        .with_target(series(f"dcmon_site_facility_power_watts{{{S}}}",
                            "{{site}} facility", "A"))
        .with_target(series(f"dcmon_site_it_power_watts{{{S}}}", "{{site}} IT", "B"))
        .unit("watt").span(12).height(8).legend(legend_table("lastNotNull", "max"))
    )


def _live_pue() -> Any:
    return (
        stat_panel("Live PUE", "Facility / IT power now (not the compliance figure). "
              + CEILING_NOTE,
              instant(f"dcmon_site_pue_instant_ratio{{{S}}}", "{{site}}"))
        .decimals(3).thresholds(pue_steps()).height(8)
    )


def _energy_in_the_time_range() -> Any:
    return (
        stat_panel("Energy in the time range",
              "Lifetime energy counters' increase over the dashboard's range. Their ratio "
              "is a PUE, but only the engine's windows are audited (gaps, coverage).",
              instant("sum by (site) (increase(dcmon_site_facility_energy_joules_total"
                      f"{{{S}}}[$__range])) / {J_PER_KWH}", "{{site}} facility", "A"),
              instant("sum by (site) (increase(dcmon_site_it_energy_joules_total"
                      f"{{{S}}}[$__range])) / {J_PER_KWH}", "{{site}} IT", "B"),
              unit="kwatth", h=8)
        .decimals(1).text_mode(cm.BigValueTextMode.VALUE_AND_NAME)
    )
