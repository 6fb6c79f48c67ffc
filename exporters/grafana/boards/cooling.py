"""Cooling: heat load against capacity per room, and the facility's non-IT power.

One function per panel, so each stays readable; :func:`cooling` lays them out in order.
"""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import (
    gauge,
)
from grafana_foundation_sdk.builders import timeseries as ts

from dcmon.exporters.grafana.kit import (
    base,
    instant,
    room_variable,
    series,
    site_variable,
    steps,
    utilisation_steps,
)
from dcmon.exporters.grafana.panels import (
    SR,
    S,
    add,
    last_value,
    legend_table,
    stat_panel,
)


def cooling() -> db.Dashboard:
    """Cooling: heat load against capacity per room, and the facility's non-IT power."""
    return add(
        base("dcmon-cooling", "dcmon / Cooling",
                 "Heat load (all IT power becomes heat) against each room's cooling capacity, "
                 "cooling headroom, and the non-IT share of facility power.", ["cooling"])
            .with_variable(site_variable("dcmon_room_racks"))
            .with_variable(room_variable()),
        _heat_load_and_cooling_capacity(),
        _cooling_utilisation(),
        _cooling_headroom(),
        _non_it_power_cooling_and_losses(),
        _non_it_share_of_facility_power(),
        _cooling_units_heat_removed_and_demand(),
        _temperatures(),
    )


def _heat_load_and_cooling_capacity() -> Any:
    return (
        ts.Panel().title("Heat load and cooling capacity").description(
            "Heat load = the room's IT load; capacity = the room's cooling_kw or the sum "
            "of its cooling units (rated, or reported now).")
        .with_target(series(f"dcmon_room_heat_load_watts{{{SR}}}", "{{room}} heat load",
                            "A"))
        .with_target(series(f"dcmon_room_cooling_capacity_watts{{{SR}}}",
                            "{{room}} cooling capacity", "B"))
        .unit("watt").span(12).height(8).legend(legend_table("lastNotNull", "max"))
    )


def _cooling_utilisation() -> Any:
    return (
        gauge.Panel().title("Cooling utilisation").description(
            "Heat load / cooling capacity. Above 80 % little room is left for new load; "
            "above 100 % the room relies on margins nobody rated.")
        .with_target(instant(f"dcmon_room_heat_load_watts{{{SR}}} / "
                             f"dcmon_room_cooling_capacity_watts{{{SR}}}", "{{room}}"))
        .unit("percentunit").min(0).max(1.2).decimals(0).reduce_options(last_value())
        .thresholds(utilisation_steps()).span(6).height(8)
    )


def _cooling_headroom() -> Any:
    return (
        stat_panel("Cooling headroom", "Power that can be added before cooling binds.",
              instant(f'dcmon_room_headroom_watts{{{SR}, limit="cooling"}}', "{{room}}"),
              unit="watt", h=8)
        .thresholds(steps((None, "red"), (0, "green")))
    )


def _non_it_power_cooling_and_losses() -> Any:
    return (
        ts.Panel().title("Non-IT power (cooling and losses)").description(
            "Facility power - IT power: cooling, UPS and distribution losses, lighting. "
            "This is what PUE above 1 is made of.")
        .with_target(series(f"dcmon_site_facility_power_watts{{{S}}} - "
                            f"dcmon_site_it_power_watts{{{S}}}", "{{site}}"))
        .unit("watt").span(12).height(8).legend(legend_table("lastNotNull", "max"))
    )


def _non_it_share_of_facility_power() -> Any:
    return (
        ts.Panel().title("Non-IT share of facility power").description(
            "1 - IT / facility power (= 1 - 1/PUE): the share of the bill that does no "
            "computing.")
        .with_target(series(f"1 - dcmon_site_it_power_watts{{{S}}} / "
                            f"dcmon_site_facility_power_watts{{{S}}}", "{{site}}"))
        .unit("percentunit").min(0).span(12).height(8)
        .legend(legend_table("lastNotNull", "mean"))
    )


def _cooling_units_heat_removed_and_demand() -> Any:
    return (
        ts.Panel().title("Cooling units: heat removed and demand").description(
            "What each InRow/CRAC unit reports it removes (output) and is asked for "
            "(demand), in W of heat; output near demand at full fan means a unit has no "
            "margin left.")
        .with_target(series(f'dcmon_cooling_power_watts{{{S}, point="output"}}',
                            "{{device}} output", "A"))
        .with_target(series(f'dcmon_cooling_power_watts{{{S}, point="demand"}}',
                            "{{device}} demand", "B"))
        .unit("watt").span(24).height(8).legend(legend_table("lastNotNull", "max"))
    )


def _temperatures() -> Any:
    return (
        ts.Panel().title("Temperatures").description(
            "Every temperature the devices report (sensors, UPS batteries, cooling "
            "units), by device and point.")
        .with_target(series(f"dcmon_temperature_celsius{{{SR}}}",
                            "{{device}} {{point}}{{sensor}}"))
        .unit("celsius").span(24).height(8).legend(legend_table("lastNotNull", "max"))
    )
