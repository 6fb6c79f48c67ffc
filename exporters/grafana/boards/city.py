"""The city's view: PUE of every site against the ceiling, standard racks against 5,000.

One function per panel, so each stays readable; :func:`city_overview` lays them out in order.
"""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.builders import (
    bargauge,
    gauge,
)
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import table as tb
from grafana_foundation_sdk.builders import timeseries as ts
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm

from dcmon.exporters.grafana.kit import (
    CEILING_NOTE,
    STATUS_TEXTS,
    base,
    by,
    instant,
    merged_table,
    nan_text,
    prop,
    pue_steps,
    series,
    status_code,
    steps,
    table,
)
from dcmon.exporters.grafana.panels import (
    LIVE_PUE,
    PUE_WINDOWS,
    add,
    last_value,
    legend_table,
    stat_panel,
    threshold_lines,
)

window = (db.CustomVariable("window").label("PUE window").values(PUE_WINDOWS)
          .current(dm.VariableOption(selected=True, text="24h", value="24h")))
pue_or_live = (f'max by (site, window) (dcmon_site_pue_ratio{{window="$window"}}) '
               f'or on (site) {LIVE_PUE.format(sel="")}')
sites_cols = {"A": "Energy PUE ($window)", "B": "Status", "C": "Coverage",
              "D": "Live PUE", "E": "IT power", "F": "Facility power",
              "G": "Headroom (std racks)", "H": "Occupancy", "I": "Devices down",
              "J": "Ceiling"}


def city_overview() -> db.Dashboard:
    """The city's view: PUE of every site against the ceiling, standard racks against 5,000."""
    return add(
        base("dcmon-city", "dcmon / City overview",
                 "Every site's PUE against its ceiling and the city's standard racks against "
                 "its goal (docs/energy.md, docs/capacity.md).", ["city"])
            .with_variable(window),
        db.Row("Standard racks: the city's goal"),
        _standard_racks(),
        _progress_to_the_goal(),
        _standard_racks_in_use_per_site(),
        _city_standard_racks(),
        _it_power_per_site(),
        db.Row("PUE per site"),
        _pue_per_site_against_the_ceiling(),
        _live_pue_per_site(),
        _sites(),
    )


def _standard_racks() -> Any:
    return (
        stat_panel(
        "Standard racks", "Standard racks (2.5 kW) in use across all sites, beside the "
        "measured and provisioned readings (docs/capacity.md: 'in use' can be read both "
        "ways), and the city's goal.",
        instant('dcmon_city_standard_racks{kind="in_use"}', "in use", "A"),
        instant('dcmon_city_standard_racks{kind="measured"}', "measured", "B"),
        instant('dcmon_city_standard_racks{kind="provisioned"}', "provisioned", "C"),
        instant("dcmon_city_standard_racks_goal", "goal", "D"), w=10)
        .decimals(1).text_mode(cm.BigValueTextMode.VALUE_AND_NAME)
    )


def _progress_to_the_goal() -> Any:
    return (
        gauge.Panel().title("Progress to the goal")
        .description("Standard racks in use / the city's goal (capacity.city_goal_racks, "
                     "5,000 by default).")
        .with_target(instant("dcmon_city_standard_racks_goal_ratio", "in use / goal"))
        .unit("percentunit").min(0).max(1).decimals(2).reduce_options(last_value())
        .thresholds(steps((None, "blue"), (1.0, "green"))).span(4).height(5)
    )


def _standard_racks_in_use_per_site() -> Any:
    return (
        bargauge.Panel().title("Standard racks in use per site")
        .description("Each site's share of the city's standard racks in use.")
        .with_target(instant('dcmon_site_standard_racks{kind="in_use"}', "{{site}}"))
        .unit("none").decimals(1).min(0).reduce_options(last_value())
        .display_mode(cm.BarGaugeDisplayMode.GRADIENT)
        .orientation(cm.VizOrientation.HORIZONTAL)
        .thresholds(steps((None, "blue"))).span(10).height(5)
    )


def _city_standard_racks() -> Any:
    return (
        ts.Panel().title("City standard racks").description(
            "How the city's standard racks move (in use, measured, provisioned).")
        .with_target(series("dcmon_city_standard_racks", "{{kind}}"))
        .unit("none").decimals(1).span(12).height(7)
        .legend(legend_table("lastNotNull", "max"))
    )


def _it_power_per_site() -> Any:
    return (
        ts.Panel().title("IT power per site").description(
            "IT power now per site, from the energy topology's IT meters.")
        .with_target(series("dcmon_site_it_power_watts", "{{site}}"))
        .unit("watt").span(12).height(7).legend(legend_table("lastNotNull", "max"))
    )


def _pue_per_site_against_the_ceiling() -> Any:
    return (
        bargauge.Panel().title("PUE per site against the ceiling").description(
            "Energy PUE over $window where the engine has an audited value; otherwise "
            "the live PUE (the label says which). " + CEILING_NOTE)
        .with_target(instant(pue_or_live, "{{site}} ({{window}})"))
        .unit("none").decimals(3).min(1).max(2).reduce_options(last_value())
        .display_mode(cm.BarGaugeDisplayMode.BASIC)
        .orientation(cm.VizOrientation.HORIZONTAL).thresholds(pue_steps())
        .span(8).height(8)
    )


def _live_pue_per_site() -> Any:
    return (
        threshold_lines(ts.Panel().title("Live PUE per site").description(
            "Facility power / IT power now: a live view, not the compliance figure "
            "(that is energy over a window). " + CEILING_NOTE)
            .with_target(series("dcmon_site_pue_instant_ratio", "{{site}}"))
            .with_target(series("dcmon_site_pue_ceiling_ratio", "{{site}} ceiling "
                                "({{policy}})", ref="B"))
            .unit("none").decimals(3).thresholds(pue_steps()).axis_soft_min(1)
            .axis_soft_max(1.5).span(16).height(8)
            .legend(legend_table("lastNotNull", "mean", "max")))
    )


def _sites() -> Any:
    return (
        tb.Panel().title("Sites").description(
            "One row per site. Energy PUE over $window shows 'withheld' until the engine "
            "has 90 % coverage (Status says why). " + CEILING_NOTE)
        .with_target(table(
            'max by (site) (dcmon_site_pue_ratio{window="$window"}) or on (site) '
            '(max by (site) (dcmon_site_pue_coverage_ratio{window="$window"}) * NaN)',
            "A"))
        .with_target(table(by("site", status_code("$window")), "B"))
        .with_target(table(by("site", 'dcmon_site_pue_coverage_ratio{window="$window"}'),
                           "C"))
        .with_target(table(by("site", "dcmon_site_pue_instant_ratio"), "D"))
        .with_target(table(by("site", "dcmon_site_it_power_watts"), "E"))
        .with_target(table(by("site", "dcmon_site_facility_power_watts"), "F"))
        .with_target(table(by("site", "dcmon_site_headroom_standard_racks"), "G"))
        .with_target(table(by("site", "dcmon_site_occupancy_ratio"), "H"))
        .with_target(table("sum by (site) (1 - dcmon_device_up)", "I"))
        .with_target(table(by("site", "dcmon_site_pue_ceiling_ratio"), "J"))
        .transformations(merged_table(sites_cols, order=("site",)))
        .override_by_name("Energy PUE ($window)", [
            prop("decimals", 3), prop("thresholds", pue_steps().build()),
            prop("custom.cellOptions", {"type": "color-text"}),
            prop("mappings", [nan_text("withheld")])])
        .override_by_name("Live PUE", [
            prop("decimals", 3), prop("thresholds", pue_steps().build()),
            prop("custom.cellOptions", {"type": "color-text"})])
        .override_by_name("Status", [
            prop("mappings", STATUS_TEXTS),
            prop("custom.cellOptions", {"type": "color-background"})])
        .override_by_name("Coverage", [prop("unit", "percentunit")])
        .override_by_name("Occupancy", [prop("unit", "percentunit")])
        .override_by_name("IT power", [prop("unit", "watt")])
        .override_by_name("Facility power", [prop("unit", "watt")])
        .override_by_name("Headroom (std racks)", [prop("decimals", 1)])
        .override_by_name("Ceiling", [prop("decimals", 2),
                                      prop("mappings", [nan_text("none (edge)")])])
        .span(24).height(8)
    )
