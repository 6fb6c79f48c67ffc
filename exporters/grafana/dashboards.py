"""The five dcmon dashboards, as grafana-foundation-sdk builders (Grafana 11.6 schema).

Every query uses only series dcmon exports (exporters/prometheus/*.py, docs/metrics.md,
docs/energy.md, docs/capacity.md), and every panel must show data on the simulated site of
``dcmon demo`` (tests/test_dashboards_prometheus.py proves it against a real Prometheus). Two
rules follow from that:

* the energy PUE of a window (``dcmon_site_pue_ratio``) is *absent* while the engine withholds
  it (coverage below 0.9, the first hour of every new site), so no panel relies on it alone:
  plots add the live PUE as a ``window="live"`` series, and tables keep a row per window from
  the always-present coverage series, with NaN (shown as "withheld") in the PUE column;
* figures that need hardware the demo lacks (cooling-unit power, humidity, zone pPUE, the
  capacity forecast) are left out rather than shown empty; dashboards/README.md lists them.
"""

from __future__ import annotations

from collections.abc import Callable

from grafana_foundation_sdk.builders import (
    bargauge,
    gauge,
    heatmap,
    prometheus,
    stat,
    statetimeline,
    statushistory,
)
from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import table as tb
from grafana_foundation_sdk.builders import timeseries as ts
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models import heatmap as hm

from dcmon.exporters.grafana.kit import (
    CEILING_NOTE,
    MIN_COVERAGE,
    STATUS_TEXTS,
    UP_TEXTS,
    base,
    by,
    instant,
    merged_table,
    nan_text,
    prop,
    pue_steps,
    room_variable,
    series,
    site_variable,
    status_code,
    steps,
    table,
    utilisation_steps,
)

S = 'site=~"$site"'
SR = 'site=~"$site", room=~"$room"'
#: The live PUE as one more "window", so PUE plots never go blank while windows are withheld.
LIVE_PUE = 'label_replace(dcmon_site_pue_instant_ratio{{{sel}}}, "window", "live", "", "")'
J_PER_KWH = "3.6e6"

PUE_WINDOWS = "24h,7d,30d,month,year,365d,1h"


def _legend_table(*calcs: str) -> cb.VizLegendOptions:
    return (cb.VizLegendOptions().display_mode(cm.LegendDisplayMode.TABLE)
            .placement(cm.LegendPlacement.BOTTOM).show_legend(True).calcs(list(calcs)))


def _lines(panel: ts.Panel) -> ts.Panel:
    """Threshold steps drawn as lines (PUE ceiling, coverage floor)."""
    return panel.thresholds_style(cb.GraphThresholdsStyleConfig()
                                  .mode(cm.GraphThresholdsStyleMode.LINE))


def _last() -> cb.ReduceDataOptions:
    return cb.ReduceDataOptions().calcs(["lastNotNull"]).values(False)


def _stat(title: str, description: str, *targets: prometheus.Dataquery, unit: str = "none",
          w: int = 6, h: int = 5) -> stat.Panel:
    p = (stat.Panel().title(title).description(description).unit(unit).span(w).height(h)
         .reduce_options(_last()).graph_mode(cm.BigValueGraphMode.NONE)
         .color_mode(cm.BigValueColorMode.VALUE).text_mode(cm.BigValueTextMode.AUTO))
    for t in targets:
        p = p.with_target(t)
    return p


# ----------------------------------------------------------------------------- city overview


def city_overview() -> db.Dashboard:
    """The city's view: PUE of every site against the ceiling, standard racks against 5,000."""
    window = (db.CustomVariable("window").label("PUE window").values(PUE_WINDOWS)
              .current(dm.VariableOption(selected=True, text="24h", value="24h")))
    pue_or_live = (f'max by (site, window) (dcmon_site_pue_ratio{{window="$window"}}) '
                   f'or on (site) {LIVE_PUE.format(sel="")}')
    sites_cols = {"A": "Energy PUE ($window)", "B": "Status", "C": "Coverage",
                  "D": "Live PUE", "E": "IT power", "F": "Facility power",
                  "G": "Headroom (std racks)", "H": "Occupancy", "I": "Devices down",
                  "J": "Ceiling"}
    return (
        base("dcmon-city", "dcmon / City overview",
             "Every site's PUE against its ceiling and the city's standard racks against "
             "its goal (docs/energy.md, docs/capacity.md).", ["city"])
        .with_variable(window)
        .with_row(db.Row("Standard racks: the city's goal"))
        .with_panel(_stat(
            "Standard racks", "Standard racks (2.5 kW) in use across all sites, beside the "
            "measured and provisioned readings (docs/capacity.md: 'in use' can be read both "
            "ways), and the city's goal.",
            instant('dcmon_city_standard_racks{kind="in_use"}', "in use", "A"),
            instant('dcmon_city_standard_racks{kind="measured"}', "measured", "B"),
            instant('dcmon_city_standard_racks{kind="provisioned"}', "provisioned", "C"),
            instant("dcmon_city_standard_racks_goal", "goal", "D"), w=10)
            .decimals(1).text_mode(cm.BigValueTextMode.VALUE_AND_NAME))
        .with_panel(
            gauge.Panel().title("Progress to the goal")
            .description("Standard racks in use / the city's goal (capacity.city_goal_racks, "
                         "5,000 by default).")
            .with_target(instant("dcmon_city_standard_racks_goal_ratio", "in use / goal"))
            .unit("percentunit").min(0).max(1).decimals(2).reduce_options(_last())
            .thresholds(steps((None, "blue"), (1.0, "green"))).span(4).height(5))
        .with_panel(
            bargauge.Panel().title("Standard racks in use per site")
            .description("Each site's share of the city's standard racks in use.")
            .with_target(instant('dcmon_site_standard_racks{kind="in_use"}', "{{site}}"))
            .unit("none").decimals(1).min(0).reduce_options(_last())
            .display_mode(cm.BarGaugeDisplayMode.GRADIENT)
            .orientation(cm.VizOrientation.HORIZONTAL)
            .thresholds(steps((None, "blue"))).span(10).height(5))
        .with_panel(
            ts.Panel().title("City standard racks").description(
                "How the city's standard racks move (in use, measured, provisioned).")
            .with_target(series("dcmon_city_standard_racks", "{{kind}}"))
            .unit("none").decimals(1).span(12).height(7)
            .legend(_legend_table("lastNotNull", "max")))
        .with_panel(
            ts.Panel().title("IT power per site").description(
                "IT power now per site, from the energy topology's IT meters.")
            .with_target(series("dcmon_site_it_power_watts", "{{site}}"))
            .unit("watt").span(12).height(7).legend(_legend_table("lastNotNull", "max")))
        .with_row(db.Row("PUE per site"))
        .with_panel(
            bargauge.Panel().title("PUE per site against the ceiling").description(
                "Energy PUE over $window where the engine has an audited value; otherwise "
                "the live PUE (the label says which). " + CEILING_NOTE)
            .with_target(instant(pue_or_live, "{{site}} ({{window}})"))
            .unit("none").decimals(3).min(1).max(2).reduce_options(_last())
            .display_mode(cm.BarGaugeDisplayMode.BASIC)
            .orientation(cm.VizOrientation.HORIZONTAL).thresholds(pue_steps())
            .span(8).height(8))
        .with_panel(
            _lines(ts.Panel().title("Live PUE per site").description(
                "Facility power / IT power now: a live view, not the compliance figure "
                "(that is energy over a window). " + CEILING_NOTE)
                .with_target(series("dcmon_site_pue_instant_ratio", "{{site}}"))
                .with_target(series("dcmon_site_pue_ceiling_ratio", "{{site}} ceiling "
                                    "({{policy}})", ref="B"))
                .unit("none").decimals(3).thresholds(pue_steps()).axis_soft_min(1)
                .axis_soft_max(1.5).span(16).height(8)
                .legend(_legend_table("lastNotNull", "mean", "max"))))
        .with_panel(
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
            .span(24).height(8))
    )


# --------------------------------------------------------------------------- PUE compliance


def site_pue() -> db.Dashboard:
    """Compliance of one site or several: windows, category, coverage, load and status."""
    cols = {"A": "PUE", "B": "Status", "C": "Coverage", "D": "IT load"}
    pue_or_nan = (f'max by (site, window, category, interim) (dcmon_site_pue_ratio{{{S}}}) '
                  f'or on (site, window) (max by (site, window) '
                  f'(dcmon_site_pue_coverage_ratio{{{S}}}) * NaN)')
    return (
        base("dcmon-pue", "dcmon / Site PUE compliance",
             "Energy PUE (E_DC / E_IT, ISO/IEC 30134-2) per window with its measurement "
             "category, coverage, IT load and status (docs/energy.md).", ["pue", "energy"])
        .with_variable(site_variable())
        .with_row(db.Row("Compliance by window"))
        .with_panel(
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
            .span(24).height(9))
        .with_panel(
            statetimeline.Panel().title("Status by window").description(
                "ok, withheld (coverage under 90 % or no IT energy) or metering fault (PUE "
                "under 1: IT energy above facility energy, check the meter roles).")
            .with_target(series(status_code(), "{{site}} {{window}}"))
            .mappings(STATUS_TEXTS).show_value(cm.VisibilityMode.NEVER).merge_values(True)
            .color_scheme(db.FieldColor().mode(dm.FieldColorModeId.FIXED).fixed_color("text"))
            .span(12).height(9))
        .with_panel(
            _lines(ts.Panel().title("Energy PUE by window, and live").description(
                "Audited energy PUE per window once the engine has the coverage, beside the "
                "live PUE (window 'live': facility / IT power now). " + CEILING_NOTE)
                .with_target(series(f"dcmon_site_pue_ratio{{{S}}} or "
                                    + LIVE_PUE.format(sel=S), "{{site}} {{window}}"))
                .unit("none").decimals(3).thresholds(pue_steps()).axis_soft_min(1)
                .axis_soft_max(1.5).span(12).height(9)
                .legend(_legend_table("lastNotNull"))))
        .with_panel(
            _lines(ts.Panel().title("Coverage by window").description(
                "Share of expected meter-hours present. Under the line (engine.min_coverage, "
                "0.9) the window's PUE is withheld and an alert stays unconfirmed.")
                .with_target(series(f"dcmon_site_pue_coverage_ratio{{{S}}}",
                                    "{{site}} {{window}}"))
                .unit("percentunit").min(0).max(1)
                .thresholds(steps((None, "red"), (MIN_COVERAGE, "green")))
                .span(12).height(8).legend(_legend_table("lastNotNull"))))
        .with_panel(
            ts.Panel().title("IT load by window").description(
                "Mean IT power over the window / design IT power. Under ~10 % a PUE breach is "
                "never confirmed (policy min_it_load): low load inflates PUE.")
            .with_target(series(f"dcmon_site_it_load_ratio{{{S}}}", "{{site}} {{window}}"))
            .unit("percentunit").min(0).span(12).height(8)
            .legend(_legend_table("lastNotNull")))
        .with_row(db.Row("Power and energy"))
        .with_panel(
            ts.Panel().title("Facility and IT power").description(
                "The two sides of PUE now: facility (utility side, E_DC) and IT meters.")
            .with_target(series(f"dcmon_site_facility_power_watts{{{S}}}",
                                "{{site}} facility", "A"))
            .with_target(series(f"dcmon_site_it_power_watts{{{S}}}", "{{site}} IT", "B"))
            .unit("watt").span(12).height(8).legend(_legend_table("lastNotNull", "max")))
        .with_panel(
            _stat("Live PUE", "Facility / IT power now (not the compliance figure). "
                  + CEILING_NOTE,
                  instant(f"dcmon_site_pue_instant_ratio{{{S}}}", "{{site}}"))
            .decimals(3).thresholds(pue_steps()).height(8))
        .with_panel(
            _stat("Energy in the time range",
                  "Lifetime energy counters' increase over the dashboard's range. Their ratio "
                  "is a PUE, but only the engine's windows are audited (gaps, coverage).",
                  instant("sum by (site) (increase(dcmon_site_facility_energy_joules_total"
                          f"{{{S}}}[$__range])) / {J_PER_KWH}", "{{site}} facility", "A"),
                  instant("sum by (site) (increase(dcmon_site_it_energy_joules_total"
                          f"{{{S}}}[$__range])) / {J_PER_KWH}", "{{site}} IT", "B"),
                  unit="kwatth", h=8)
            .decimals(1).text_mode(cm.BigValueTextMode.VALUE_AND_NAME))
    )


# ----------------------------------------------------------------------------- rack capacity


def rack_capacity() -> db.Dashboard:
    """Racks: utilisation heatmap, A/B feeds and failover, headroom and its binding limit."""
    racks = {"A": "Power now", "B": "Rated", "C": "Utilisation", "D": "Failover ratio",
             "E": "Headroom", "F": "Standard racks", "G": "U used", "H": "U total"}
    k = "site, room, rack"
    return (
        base("dcmon-racks", "dcmon / Rack capacity",
             "Rack load against rating, A/B feeds and failover, headroom in kW and standard "
             "racks (docs/capacity.md).", ["capacity"])
        .with_variable(site_variable("dcmon_rack_metered"))
        .with_variable(room_variable())
        .with_row(db.Row("Racks"))
        .with_panel(
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
            .span(24).height(8))
        .with_panel(
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
            .show_value(cm.VisibilityMode.AUTO).span(24).height(9))
        .with_panel(
            bargauge.Panel().title("Failover: A + B on one feed").description(
                "(A + B) / the weaker feed's derated rating, in amps when both currents are "
                "known. Above 100 % a feed failure trips the other; the alert warns at 80 %.")
            .with_target(instant(by(k, f"dcmon_rack_failover_ratio{{{SR}}}"),
                                 "{{site}}/{{rack}}"))
            .unit("percentunit").min(0).max(1.5).decimals(0).reduce_options(_last())
            .display_mode(cm.BarGaugeDisplayMode.BASIC)
            .orientation(cm.VizOrientation.HORIZONTAL)
            .thresholds(steps((None, "green"), (0.8, "orange"), (1.0, "red")))
            .span(12).height(8))
        .with_panel(
            ts.Panel().title("Feed power A/B").description(
                "Power per feed now: A carries a little more than B in most racks.")
            .with_target(series(f"dcmon_feed_power_watts{{{SR}}}", "{{rack}} {{feed}}"))
            .unit("watt").span(12).height(8).legend(_legend_table("lastNotNull", "max")))
        .with_panel(
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
            .span(24).height(9))
        .with_row(db.Row("Rooms"))
        .with_panel(
            bargauge.Panel().title("Headroom by limit").description(
                "Power that can still be added per room, by limit (power, cooling, space); "
                "overall is the smallest of them.")
            .with_target(instant(f"dcmon_room_headroom_watts{{{SR}}}", "{{room}} {{limit}}"))
            .unit("watt").reduce_options(_last()).display_mode(cm.BarGaugeDisplayMode.BASIC)
            .orientation(cm.VizOrientation.HORIZONTAL)
            .thresholds(steps((None, "red"), (0, "green"))).span(12).height(8))
        .with_panel(
            _stat("Binding limit", "The limit that binds each room's headroom: where to "
                  "invest before placing more equipment.",
                  instant(f"dcmon_room_headroom_binding{{{SR}}} == 1",
                          "{{room}}: {{limit}}"), h=4)
            .text_mode(cm.BigValueTextMode.NAME))
        .with_panel(
            _stat("Occupancy", "Racks in use / racks whose state is known (上架率); "
                  "unmetered racks count as unknown, not empty.",
                  instant(f"dcmon_room_occupancy_ratio{{{SR}}}", "{{room}}"),
                  unit="percentunit", h=4))
        .with_panel(
            _stat("Racks at failover risk", "Racks whose surviving feed would exceed its "
                  "derated rating after a feed failure.",
                  instant(f"dcmon_room_failover_risk_racks{{{SR}}}", "{{room}}"), h=4)
            .thresholds(steps((None, "green"), (1, "red"))))
        .with_panel(
            _stat("Headroom in standard racks", "Overall headroom expressed in the city's "
                  "unit (2.5 kW standard racks).",
                  instant(f"dcmon_room_headroom_standard_racks{{{SR}}}", "{{room}}"), h=4)
            .decimals(1))
    )


# ------------------------------------------------------------------------------------ cooling


def cooling() -> db.Dashboard:
    """Cooling: heat load against capacity per room, and the facility's non-IT power."""
    return (
        base("dcmon-cooling", "dcmon / Cooling",
             "Heat load (all IT power becomes heat) against each room's cooling capacity, "
             "cooling headroom, and the non-IT share of facility power.", ["cooling"])
        .with_variable(site_variable("dcmon_room_racks"))
        .with_variable(room_variable())
        .with_panel(
            ts.Panel().title("Heat load and cooling capacity").description(
                "Heat load = the room's IT load; capacity = the room's cooling_kw or the sum "
                "of its cooling units (rated, or reported now).")
            .with_target(series(f"dcmon_room_heat_load_watts{{{SR}}}", "{{room}} heat load",
                                "A"))
            .with_target(series(f"dcmon_room_cooling_capacity_watts{{{SR}}}",
                                "{{room}} cooling capacity", "B"))
            .unit("watt").span(12).height(8).legend(_legend_table("lastNotNull", "max")))
        .with_panel(
            gauge.Panel().title("Cooling utilisation").description(
                "Heat load / cooling capacity. Above 80 % little room is left for new load; "
                "above 100 % the room relies on margins nobody rated.")
            .with_target(instant(f"dcmon_room_heat_load_watts{{{SR}}} / "
                                 f"dcmon_room_cooling_capacity_watts{{{SR}}}", "{{room}}"))
            .unit("percentunit").min(0).max(1.2).decimals(0).reduce_options(_last())
            .thresholds(utilisation_steps()).span(6).height(8))
        .with_panel(
            _stat("Cooling headroom", "Power that can be added before cooling binds.",
                  instant(f'dcmon_room_headroom_watts{{{SR}, limit="cooling"}}', "{{room}}"),
                  unit="watt", h=8)
            .thresholds(steps((None, "red"), (0, "green"))))
        .with_panel(
            ts.Panel().title("Non-IT power (cooling and losses)").description(
                "Facility power - IT power: cooling, UPS and distribution losses, lighting. "
                "This is what PUE above 1 is made of.")
            .with_target(series(f"dcmon_site_facility_power_watts{{{S}}} - "
                                f"dcmon_site_it_power_watts{{{S}}}", "{{site}}"))
            .unit("watt").span(12).height(8).legend(_legend_table("lastNotNull", "max")))
        .with_panel(
            ts.Panel().title("Non-IT share of facility power").description(
                "1 - IT / facility power (= 1 - 1/PUE): the share of the bill that does no "
                "computing.")
            .with_target(series(f"1 - dcmon_site_it_power_watts{{{S}}} / "
                                f"dcmon_site_facility_power_watts{{{S}}}", "{{site}}"))
            .unit("percentunit").min(0).span(12).height(8)
            .legend(_legend_table("lastNotNull", "mean")))
        .with_panel(
            ts.Panel().title("Cooling units: heat removed and demand").description(
                "What each InRow/CRAC unit reports it removes (output) and is asked for "
                "(demand), in W of heat; output near demand at full fan means a unit has no "
                "margin left.")
            .with_target(series(f'dcmon_cooling_power_watts{{{S}, point="output"}}',
                                "{{device}} output", "A"))
            .with_target(series(f'dcmon_cooling_power_watts{{{S}, point="demand"}}',
                                "{{device}} demand", "B"))
            .unit("watt").span(24).height(8).legend(_legend_table("lastNotNull", "max")))
        .with_panel(
            ts.Panel().title("Temperatures").description(
                "Every temperature the devices report (sensors, UPS batteries, cooling "
                "units), by device and point.")
            .with_target(series(f"dcmon_temperature_celsius{{{SR}}}",
                                "{{device}} {{point}}{{sensor}}"))
            .unit("celsius").span(24).height(8).legend(_legend_table("lastNotNull", "max")))
    )


# ------------------------------------------------------------------------------ device health


def device_health() -> db.Dashboard:
    """Is dcmon seeing everything? Devices up, poll time, errors, missing OIDs, meter events."""
    h = "site, room, rack, device, profile"
    cols = {"A": "Up", "B": "Poll duration", "C": "Since last good poll", "D": "Missing OIDs"}
    return (
        base("dcmon-devices", "dcmon / Device health",
             "Poll health of every device: a dead PDU keeps its health series (up = 0) and "
             "loses its readings, so this is where missing numbers are explained.",
             ["devices"])
        .with_variable(site_variable())
        .with_panel(_stat("Devices up", "Devices whose last poll succeeded.",
                          instant(f"sum(dcmon_device_up{{{S}}})", "up"), w=4, h=4)
                    .thresholds(steps((None, "green"))))
        .with_panel(_stat("Devices down", "Devices whose last poll failed: their readings "
                          "are absent, never stale.",
                          instant(f"sum(1 - dcmon_device_up{{{S}}})", "down"), w=4, h=4)
                    .thresholds(steps((None, "green"), (1, "red"))))
        .with_panel(_stat("Poll errors in the time range", "Failed polls by any reason "
                          "(timeout, auth, decode, ...) over the dashboard's range.",
                          instant("sum(increase(dcmon_device_poll_errors_total"
                                  f"{{{S}}}[$__range])) or vector(0)", "errors"), w=4, h=4)
                    .decimals(0).thresholds(steps((None, "green"), (1, "orange"))))
        .with_panel(_stat("Slowest poll", "The longest poll now: close to the poll interval "
                          "means readings start to lag.",
                          instant(f"max(dcmon_device_poll_duration_seconds{{{S}}})", "max"),
                          unit="s", w=4, h=4))
        .with_panel(_stat("Missing OIDs", "Profile OIDs the devices did not answer: a "
                          "firmware that lacks them, or a wrong profile.",
                          instant(f"sum(dcmon_device_missing_oids{{{S}}})", "missing"),
                          w=4, h=4).thresholds(steps((None, "green"), (1, "orange"))))
        .with_panel(_stat("Meter wraps and resets", "Energy counter wraps and resets the "
                          "engine corrected (all sites: these series carry no site label).",
                          instant("sum(dcmon_meter_wraps_total)", "wraps", "A"),
                          instant("sum(dcmon_meter_resets_total)", "resets", "B"), w=4, h=4)
                    .text_mode(cm.BigValueTextMode.VALUE_AND_NAME))
        .with_panel(
            statetimeline.Panel().title("Up / down").description(
                "Each device's poll result over time.")
            .with_target(series(f"dcmon_device_up{{{S}}}", "{{device}}"))
            .mappings(UP_TEXTS).show_value(cm.VisibilityMode.NEVER).merge_values(True)
            .color_scheme(db.FieldColor().mode(dm.FieldColorModeId.FIXED).fixed_color("text"))
            .span(24).height(8))
        .with_panel(
            tb.Panel().title("Devices").description(
                "Per device: up, the last poll's wall time, seconds since its last good poll "
                "(stale after 3 poll intervals) and OIDs it did not answer.")
            .with_target(table(by(h, f"dcmon_device_up{{{S}}}"), "A"))
            .with_target(table(by(h, f"dcmon_device_poll_duration_seconds{{{S}}}"), "B"))
            .with_target(table(by(h, f"time() - dcmon_device_last_success_timestamp_seconds"
                                     f"{{{S}}}"), "C"))
            .with_target(table(by(h, f"dcmon_device_missing_oids{{{S}}}"), "D"))
            .transformations(merged_table(cols, order=("site", "room", "rack", "device",
                                                       "profile")))
            .override_by_name("Up", [prop("mappings", UP_TEXTS),
                                     prop("custom.cellOptions", {"type": "color-background"})])
            .override_by_name("Poll duration", [prop("unit", "s")])
            .override_by_name("Since last good poll", [prop("unit", "s")])
            .span(24).height(9))
        .with_panel(
            ts.Panel().title("Poll duration").description(
                "Wall time of each device's last poll.")
            .with_target(series(f"dcmon_device_poll_duration_seconds{{{S}}}", "{{device}}"))
            .unit("s").span(12).height(8).legend(_legend_table("lastNotNull", "max")))
        .with_panel(
            ts.Panel().title("Poll errors by reason").description(
                "Failed polls per reason; 'none' when no device failed in the range.")
            .with_target(series(
                "sum by (reason) (increase(dcmon_device_poll_errors_total"
                f"{{{S}}}[$__rate_interval])) or "
                'label_replace(vector(0), "reason", "none", "", "")', "{{reason}}"))
            .draw_style(cm.GraphDrawStyle.BARS).fill_opacity(60).unit("none").decimals(0)
            .span(12).height(8).legend(_legend_table("sum")))
        .with_panel(
            tb.Panel().title("Energy meters").description(
                "Each counter series' lifetime energy (exact across wraps, resets and "
                "restarts) and the wraps and resets seen (docs/energy.md).")
            .with_target(table(by("device, series", "dcmon_meter_energy_joules_total")
                               + f" / {J_PER_KWH}", "A"))
            .with_target(table(by("device, series", "dcmon_meter_wraps_total"), "B"))
            .with_target(table(by("device, series", "dcmon_meter_resets_total"), "C"))
            .transformations(merged_table({"A": "Lifetime energy", "B": "Wraps",
                                           "C": "Resets"}, order=("device", "series")))
            .override_by_name("Lifetime energy", [prop("unit", "kwatth"),
                                                  prop("decimals", 1)])
            .span(24).height(8))
    )


#: File stem (dashboards/json/<stem>.json) -> dashboard builder.
DASHBOARDS: dict[str, Callable[[], db.Dashboard]] = {
    "city-overview": city_overview,
    "site-pue": site_pue,
    "rack-capacity": rack_capacity,
    "cooling": cooling,
    "device-health": device_health,
}
