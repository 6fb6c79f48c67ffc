"""Racks: utilisation heatmap, A/B feeds and failover, headroom and its binding limit.

One function per panel, so each stays readable; :func:`rack_capacity` lays them out in order.
"""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.builders import (
    bargauge,
    heatmap,
    statushistory,
)
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import table as tb
from grafana_foundation_sdk.builders import timeseries as ts
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models import heatmap as hm

from dcmon.exporters.grafana.kit import (
    base,
    by,
    instant,
    merged_table,
    prop,
    room_variable,
    series,
    site_variable,
    steps,
    table,
    utilisation_steps,
)
from dcmon.exporters.grafana.panels import (
    SR,
    add,
    last_value,
    legend_table,
    stat_panel,
)

racks = {"A": "Power now", "B": "Rated", "C": "Utilisation", "D": "Failover ratio",
         "E": "Headroom", "F": "Standard racks", "G": "U used", "H": "U total"}
k = "site, room, rack"


def rack_capacity() -> db.Dashboard:
    """Racks: utilisation heatmap, A/B feeds and failover, headroom and its binding limit."""
    return add(
        base("dcmon-racks", "dcmon / Rack capacity",
                 "Rack load against rating, A/B feeds and failover, headroom in kW and standard "
                 "racks (docs/capacity.md).", ["capacity"])
            .with_variable(site_variable("dcmon_rack_metered"))
            .with_variable(room_variable()),
        db.Row("Racks"),
        _rack_utilisation(),
        _a_b_feed_utilisation(),
        _failover_a_b_on_one_feed(),
        _feed_power_a_b(),
        _racks(),
        db.Row("Rooms"),
        _headroom_by_limit(),
        _binding_limit(),
        _occupancy(),
        _racks_at_failover_risk(),
        _headroom_in_standard_racks(),
    )


def _rack_utilisation() -> Any:
    return (
        heatmap.Panel().title("Rack utilisation").description(
            "Load / rated power per rack over time (one row per rack). The load is the "
            "capacity basis (peak by default). Orange above 80 %, red above 95 %: the "
            "rack alert levels (docs/alerts.md).")
        .with_target(series(by(k, f"dcmon_rack_utilisation_ratio{{{SR}}}"),
                            "{{site}}/{{rack}}"))
        .calculate(False)
        .color(heatmap.HeatmapColorOptions().mode(hm.HeatmapColorMode.SCHEME)
               .scheme("RdYlGn").reverse(True).scale(hm.HeatmapColorScale.LINEAR)
               .min(0).max(1).steps(64).exponent(0.5).fill("dark-orange"))
        .rows_frame(heatmap.RowsHeatmapOptions().layout(cm.HeatmapCellLayout.AUTO))
        .filter_values(heatmap.FilterValueRange().le(-1))
        .y_axis(heatmap.YAxisConfig().axis_placement(cm.AxisPlacement.LEFT).reverse(True))
        .cell_values(heatmap.CellValues().unit("percentunit").decimals(0))
        .show_value(cm.VisibilityMode.AUTO).cell_gap(2).show_legend()
        .mode(cm.TooltipDisplayMode.SINGLE)
        .span(24).height(8)
    )


def _a_b_feed_utilisation() -> Any:
    return (
        statushistory.Panel().title("A/B feed utilisation").description(
            "Each feed's load / its derated rating (breaker x 0.8), current or power, the "
            "higher. Above 50 % on both feeds the survivor of a feed failure would exceed "
            "its rating (see the failover ratio).")
        .with_target(series(by(f"{k}, feed", f"dcmon_feed_utilisation_ratio{{{SR}}}"),
                            "{{rack}} {{feed}}"))
        .unit("percentunit").decimals(0)
        .thresholds(steps((None, "green"), (0.5, "yellow"), (0.8, "orange"),
                          (1.0, "red")))
        .color_scheme(db.FieldColor().mode(dm.FieldColorModeId.THRESHOLDS))
        .show_value(cm.VisibilityMode.AUTO).span(24).height(9)
    )


def _failover_a_b_on_one_feed() -> Any:
    return (
        bargauge.Panel().title("Failover: A + B on one feed").description(
            "(A + B) / the weaker feed's derated rating, in amps when both currents are "
            "known. Above 100 % a feed failure trips the other; the alert warns at 80 %.")
        .with_target(instant(by(k, f"dcmon_rack_failover_ratio{{{SR}}}"),
                             "{{site}}/{{rack}}"))
        .unit("percentunit").min(0).max(1.5).decimals(0).reduce_options(last_value())
        .display_mode(cm.BarGaugeDisplayMode.BASIC)
        .orientation(cm.VizOrientation.HORIZONTAL)
        .thresholds(steps((None, "green"), (0.8, "orange"), (1.0, "red")))
        .span(12).height(8)
    )


def _feed_power_a_b() -> Any:
    return (
        ts.Panel().title("Feed power A/B").description(
            "Power per feed now: A carries a little more than B in most racks.")
        .with_target(series(f"dcmon_feed_power_watts{{{SR}}}", "{{rack}} {{feed}}"))
        .unit("watt").span(12).height(8).legend(legend_table("lastNotNull", "max"))
    )


def _racks() -> Any:
    return (
        tb.Panel().title("Racks").description(
            "Per rack: power now, rating, utilisation (of the load basis), failover "
            "ratio, headroom (negative: over its usable power), measured standard racks "
            "(2.5 kW) and U space. Unmetered racks have no power figures.")
        .with_target(table(by(k, f'dcmon_rack_power_watts{{{SR}, stat="now"}}'), "A"))
        .with_target(table(by(k, f"dcmon_rack_rated_power_watts{{{SR}}}"), "B"))
        .with_target(table(by(k, f"dcmon_rack_utilisation_ratio{{{SR}}}"), "C"))
        .with_target(table(by(k, f"dcmon_rack_failover_ratio{{{SR}}}"), "D"))
        .with_target(table(by(k, f'dcmon_rack_headroom_watts{{{SR}, limit="overall"}}'),
                           "E"))
        .with_target(table(by(k, f'dcmon_rack_standard_racks{{{SR}, kind="measured"}}'),
                           "F"))
        .with_target(table(by(k, f'dcmon_rack_space_units{{{SR}, state="used"}}'), "G"))
        .with_target(table(by(k, f'dcmon_rack_space_units{{{SR}, state="total"}}'), "H"))
        .transformations(merged_table(racks, order=("site", "room", "rack")))
        .override_by_name("Power now", [prop("unit", "watt")])
        .override_by_name("Rated", [prop("unit", "watt")])
        .override_by_name("Headroom", [prop("unit", "watt")])
        .override_by_name("Utilisation", [
            prop("unit", "percentunit"), prop("thresholds", utilisation_steps().build()),
            prop("custom.cellOptions", {"type": "color-background"})])
        .override_by_name("Failover ratio", [
            prop("unit", "percentunit"),
            prop("thresholds", steps((None, "green"), (0.8, "orange"),
                                     (1.0, "red")).build()),
            prop("custom.cellOptions", {"type": "color-background"})])
        .override_by_name("Standard racks", [prop("decimals", 2)])
        .span(24).height(9)
    )


def _headroom_by_limit() -> Any:
    return (
        bargauge.Panel().title("Headroom by limit").description(
            "Power that can still be added per room, by limit (power, cooling, space); "
            "overall is the smallest of them.")
        .with_target(instant(f"dcmon_room_headroom_watts{{{SR}}}", "{{room}} {{limit}}"))
        .unit("watt").reduce_options(last_value()).display_mode(cm.BarGaugeDisplayMode.BASIC)
        .orientation(cm.VizOrientation.HORIZONTAL)
        .thresholds(steps((None, "red"), (0, "green"))).span(12).height(8)
    )


def _binding_limit() -> Any:
    return (
        stat_panel("Binding limit", "The limit that binds each room's headroom: where to "
              "invest before placing more equipment.",
              instant(f"dcmon_room_headroom_binding{{{SR}}} == 1",
                      "{{room}}: {{limit}}"), h=4)
        .text_mode(cm.BigValueTextMode.NAME)
    )


def _occupancy() -> Any:
    return (
        stat_panel("Occupancy", "Racks in use / racks whose state is known (上架率); "
              "unmetered racks count as unknown, not empty.",
              instant(f"dcmon_room_occupancy_ratio{{{SR}}}", "{{room}}"),
              unit="percentunit", h=4)
    )


def _racks_at_failover_risk() -> Any:
    return (
        stat_panel("Racks at failover risk", "Racks whose surviving feed would exceed its "
              "derated rating after a feed failure.",
              instant(f"dcmon_room_failover_risk_racks{{{SR}}}", "{{room}}"), h=4)
        .thresholds(steps((None, "green"), (1, "red")))
    )


def _headroom_in_standard_racks() -> Any:
    return (
        stat_panel("Headroom in standard racks", "Overall headroom expressed in the city's "
              "unit (2.5 kW standard racks).",
              instant(f"dcmon_room_headroom_standard_racks{{{SR}}}", "{{room}}"), h=4)
        .decimals(1)
    )
