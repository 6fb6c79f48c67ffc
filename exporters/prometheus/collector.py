"""Prometheus exposition of the latest snapshot: a custom collector with one ``collect()``.

A scrape only reads the snapshot (never a device), so a slow PDU cannot slow Prometheus down.
Names follow the Prometheus conventions that ``promtool check metrics`` enforces: the ``dcmon_``
prefix, base units in the name (watts, joules, amperes, volts, hertz, celsius, seconds, ratio),
``_total`` on counters, and percentages exported as 0-1 ratios. Apparent and reactive energy
(read in VAh and varh) are exported in voltampere-seconds and var-seconds, as active energy
(Wh) is in joules (watt-seconds): base units, and never mistaken for active energy.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from dcmon.engine.snapshot import Snapshot
from dcmon.model import Reading

#: Reading unit -> (metric-name suffix, multiplier to base unit).
UNIT_SUFFIX: dict[str, tuple[str, float]] = {
    "W": ("watts", 1.0),
    "VA": ("voltamperes", 1.0),
    "var": ("vars", 1.0),
    "J": ("joules", 1.0),
    "VAh": ("voltampere_seconds", 3600.0),
    "varh": ("var_seconds", 3600.0),
    "A": ("amperes", 1.0),
    "V": ("volts", 1.0),
    "Hz": ("hertz", 1.0),
    "Cel": ("celsius", 1.0),
    "%": ("ratio", 0.01),
    "s": ("seconds", 1.0),
    "ratio": ("ratio", 1.0),
    "m3": ("cubic_meters", 1.0),
}

HELP: dict[str, str] = {
    "power": "Active power",
    "apparent_power": "Apparent power",
    "reactive_power": "Reactive power",
    "apparent_energy": "Apparent energy counter as read from the device (never added to "
                       "active energy)",
    "reactive_energy": "Reactive energy as read from the device (a signed net register on some "
                       "meters; never added to active energy)",
    "energy": "Energy counter as read from the device (it may wrap or be reset; "
              "dcmon_meter_energy_joules_total is the corrected lifetime total)",
    "water_volume": "Water meter volume as read from the device (it may wrap or be reset)",
    "current": "RMS current",
    "voltage": "RMS voltage",
    "frequency": "Frequency",
    "temperature": "Temperature",
    "humidity": "Relative humidity",
    "load": "Load as a fraction of capacity",
    "battery_charge": "Battery charge",
    "runtime": "Estimated battery runtime remaining",
    "board_temperature": "Temperature of the device's own electronics (a hardware-monitor "
                         "chip), not of the room or rack",
    "operating_time": "Operating time of a part of the unit (air filter, fan, compressor): "
                      "the device's run-hour counter, in seconds",
    "power_factor": "Power factor",
}

DEVICE_LABELS = ("site", "room", "rack", "device")
_LABEL_RE = re.compile(r"[^a-zA-Z0-9_]")


def family_name(metric: str, unit: str) -> str:
    """``dcmon_<metric>_<unit suffix>`` without repeating a suffix the name already has."""
    suffix = UNIT_SUFFIX[unit][0]
    name = metric if metric.endswith("_" + suffix) else f"{metric}_{suffix}"
    return f"dcmon_{name}"


def label_name(name: str) -> str:
    """A reading's label as a Prometheus label name (never one of the device labels)."""
    clean = _LABEL_RE.sub("_", name)
    if clean in DEVICE_LABELS or clean.startswith("__"):
        clean = "m_" + clean.lstrip("_")
    return clean


class SnapshotCollector(Collector):
    """Yields device readings and per-device poll health from a Snapshot."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def describe(self) -> list[Metric]:
        # Returning nothing tells the registry not to call collect() at registration time.
        return []

    def collect(self) -> Iterator[Metric]:
        yield from self._readings()
        yield from self._health()

    def _readings(self) -> Iterator[Metric]:
        health = self.snapshot.health()
        groups: dict[tuple[str, str], list[tuple[list[str], list[str], Reading]]] = \
            defaultdict(list)
        for device, readings in sorted(self.snapshot.readings().items()):
            h = health.get(device)
            place = [h.info.site, h.info.room, h.info.rack] if h else ["", "", ""]
            for r in readings:
                names = [*DEVICE_LABELS]
                values = [*place, device]
                for k, v in sorted(r.labels.items()):
                    names.append(label_name(k))
                    values.append(v)
                if r.level:
                    names.append("level")
                    values.append(r.level)
                if r.rack_power:
                    names.append("rack_power")
                    values.append("true")
                groups[(r.metric, r.unit)].append((names, values, r))
        for (metric, unit), rows in sorted(groups.items()):
            name = family_name(metric, unit)
            mult = UNIT_SUFFIX[unit][1]
            doc = HELP.get(metric, metric.replace("_", " ").capitalize())
            kind = rows[0][2].kind
            fam: CounterMetricFamily | GaugeMetricFamily
            if kind == "counter":
                fam = CounterMetricFamily(name, doc)
            else:
                fam = GaugeMetricFamily(name, doc)
            seen: set[tuple[str, ...]] = set()
            for names, values, r in rows:
                ident = tuple(f"{n}={v}" for n, v in zip(names, values, strict=True))
                if ident in seen:  # a profile emitting two rows with equal labels: keep first
                    continue
                seen.add(ident)
                fam.add_sample(name + ("_total" if kind == "counter" else ""),
                               dict(zip(names, values, strict=True)), r.value * mult,
                               timestamp=None)
            yield fam

    def _health(self) -> Iterator[Metric]:
        labels = ["site", "room", "rack", "device", "profile"]
        up = GaugeMetricFamily("dcmon_device_up", "1 if the last poll of the device succeeded",
                               labels=labels)
        dur = GaugeMetricFamily("dcmon_device_poll_duration_seconds",
                                "Wall time of the last poll", labels=labels)
        last = GaugeMetricFamily("dcmon_device_last_success_timestamp_seconds",
                                 "Unix time of the last successful poll", labels=labels)
        missing = GaugeMetricFamily("dcmon_device_missing_oids",
                                    "Profile OIDs the device did not answer in the last poll",
                                    labels=labels)
        errs = CounterMetricFamily("dcmon_device_poll_errors",
                                   "Failed polls by reason (timeout, auth, decode, ...)",
                                   labels=[*labels, "reason"])
        for dev, h in sorted(self.snapshot.health().items()):
            values = [h.info.site, h.info.room, h.info.rack, dev, h.profile or h.info.profile]
            up.add_metric(values, 1.0 if h.up else 0.0)
            dur.add_metric(values, h.last_duration)
            last.add_metric(values, h.last_success_ts)
            missing.add_metric(values, float(h.missing_oids))
            for reason, n in sorted(h.errors.items()):
                errs.add_metric([*values, reason], float(n))
        yield from (up, dur, last, missing, errs)
