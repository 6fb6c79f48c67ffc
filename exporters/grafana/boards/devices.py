"""Is dcmon seeing everything? Devices up, poll time, errors, missing OIDs, meter events.

One function per panel, so each stays readable; :func:`device_health` lays them out in order.
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
    UP_TEXTS,
    base,
    by,
    instant,
    merged_table,
    prop,
    series,
    site_variable,
    steps,
    table,
)
from dcmon.exporters.grafana.panels import (
    J_PER_KWH,
    S,
    add,
    legend_table,
    stat_panel,
)

h = "site, room, rack, device, profile"
cols = {"A": "Up", "B": "Poll duration", "C": "Since last good poll", "D": "Missing OIDs"}


def device_health() -> db.Dashboard:
    """Is dcmon seeing everything? Devices up, poll time, errors, missing OIDs, meter events."""
    return add(
        base("dcmon-devices", "dcmon / Device health",
                 "Poll health of every device: a dead PDU keeps its health series (up = 0) and "
                 "loses its readings, so this is where missing numbers are explained.",
                 ["devices"])
            .with_variable(site_variable()),
        _devices_up(),
        _devices_down(),
        _poll_errors_in_the_time_range(),
        _slowest_poll(),
        _missing_oids(),
        _meter_wraps_and_resets(),
        _up_down(),
        _devices(),
        _poll_duration(),
        _poll_errors_by_reason(),
        _energy_meters(),
    )


def _devices_up() -> Any:
    return (
        stat_panel("Devices up", "Devices whose last poll succeeded.",
                      instant(f"sum(dcmon_device_up{{{S}}})", "up"), w=4, h=4)
                .thresholds(steps((None, "green")))
    )


def _devices_down() -> Any:
    return (
        stat_panel("Devices down", "Devices whose last poll failed: their readings "
                      "are absent, never stale.",
                      instant(f"sum(1 - dcmon_device_up{{{S}}})", "down"), w=4, h=4)
                .thresholds(steps((None, "green"), (1, "red")))
    )


def _poll_errors_in_the_time_range() -> Any:
    return (
        stat_panel("Poll errors in the time range", "Failed polls by any reason "
                      "(timeout, auth, decode, ...) over the dashboard's range.",
                      instant("sum(increase(dcmon_device_poll_errors_total"
                              f"{{{S}}}[$__range])) or vector(0)", "errors"), w=4, h=4)
                .decimals(0).thresholds(steps((None, "green"), (1, "orange")))
    )


def _slowest_poll() -> Any:
    return (
        stat_panel("Slowest poll", "The longest poll now: close to the poll interval "
                      "means readings start to lag.",
                      instant(f"max(dcmon_device_poll_duration_seconds{{{S}}})", "max"),
                      unit="s", w=4, h=4)
    )


def _missing_oids() -> Any:
    return (
        stat_panel("Missing OIDs", "Profile OIDs the devices did not answer: a "
                      "firmware that lacks them, or a wrong profile.",
                      instant(f"sum(dcmon_device_missing_oids{{{S}}})", "missing"),
                      w=4, h=4).thresholds(steps((None, "green"), (1, "orange")))
    )


def _meter_wraps_and_resets() -> Any:
    return (
        stat_panel("Meter wraps and resets", "Energy counter wraps and resets the "
                      "engine corrected (all sites: these series carry no site label).",
                      instant("sum(dcmon_meter_wraps_total)", "wraps", "A"),
                      instant("sum(dcmon_meter_resets_total)", "resets", "B"), w=4, h=4)
                .text_mode(cm.BigValueTextMode.VALUE_AND_NAME)
    )


def _up_down() -> Any:
    return (
        statetimeline.Panel().title("Up / down").description(
            "Each device's poll result over time.")
        .with_target(series(f"dcmon_device_up{{{S}}}", "{{device}}"))
        .mappings(UP_TEXTS).show_value(cm.VisibilityMode.NEVER).merge_values(True)
        .color_scheme(db.FieldColor().mode(dm.FieldColorModeId.FIXED).fixed_color("text"))
        .span(24).height(8)
    )


def _devices() -> Any:
    return (
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
        .span(24).height(9)
    )


def _poll_duration() -> Any:
    return (
        ts.Panel().title("Poll duration").description(
            "Wall time of each device's last poll.")
        .with_target(series(f"dcmon_device_poll_duration_seconds{{{S}}}", "{{device}}"))
        .unit("s").span(12).height(8).legend(legend_table("lastNotNull", "max"))
    )


def _poll_errors_by_reason() -> Any:
    return (
        ts.Panel().title("Poll errors by reason").description(
            "Failed polls per reason; 'none' when no device failed in the range.")
        .with_target(series(
            "sum by (reason) (increase(dcmon_device_poll_errors_total"
            f"{{{S}}}[$__rate_interval])) or "
            'label_replace(vector(0), "reason", "none", "", "")', "{{reason}}"))
        .draw_style(cm.GraphDrawStyle.BARS).fill_opacity(60).unit("none").decimals(0)
        .span(12).height(8).legend(legend_table("sum"))
    )


def _energy_meters() -> Any:
    return (
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
        .span(24).height(8)
    )
