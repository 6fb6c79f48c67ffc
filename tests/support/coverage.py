"""Score dcmon's readings of the LibreNMS recordings against LibreNMS's own values.

A sensor is *scorable* when its expected value follows from its own OID's raw value (LibreNMS's
formula: raw ÷ divisor × multiplier, then user_func). It is *right* when dcmon has a reading at
the same instance OID, in the unit of the sensor's class, with the same value (after converting
J -> kWh); *wrong* when such a reading exists with another value; *missed* otherwise.

*Right, in its true unit* (counted apart, and toward coverage): LibreNMS files apparent power
(VA) and reactive power (var) under its power class, and apparent or reactive energy (kVAh,
kvarh) under power_consumed, because it has no class for them. Such a sensor counts as right in
its true unit when dcmon reads the same instance OID with the same value as VA or var (or VAh or
varh, compared in thousands, for energy): the device's value, in the unit the device states.
Used by ``benchmarks/device_coverage.py`` (prints the table) and
``tests/collectors/test_device_coverage.py``
(fails CI when coverage drops below the bar).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dcmon.model import PollResult
from tests.support import librenms

#: LibreNMS sensor class -> (dcmon unit, factor: dcmon value / factor = LibreNMS value).
CLASSES: dict[str, tuple[str, float]] = {
    "power": ("W", 1.0),
    "current": ("A", 1.0),
    "voltage": ("V", 1.0),
    "frequency": ("Hz", 1.0),
    "power_consumed": ("J", 3.6e6),
    "temperature": ("Cel", 1.0),
    "humidity": ("%", 1.0),
    "load": ("%", 1.0),
    "power_factor": ("ratio", 1.0),
    "cooling": ("W", 1.0),
    "charge": ("%", 1.0),
    "runtime": ("s", 60.0),   # LibreNMS shows minutes
}

#: LibreNMS class -> the true units dcmon may read that class's sensors in (unit -> factor).
TRUE_UNITS: dict[str, dict[str, float]] = {
    "power": {"VA": 1.0, "var": 1.0},
    "power_consumed": {"VAh": 1000.0, "varh": 1000.0},
}


_ENEXUS = (
    "SP2-MIB powerSystemCurrentDecimalSetting.0 = deciAmpere(1) on this controller, so currents "
    "are in tenths of an ampere (as Observium and Centreon apply it); LibreNMS ignores the "
    "setting. The recording's load energy log (277 Wh/h at 54 V = 5.1 A) agrees with dcmon."
)

_SETTING = (
    "The MIB declares this object read-write: a value the operator configures for the device's "
    "own power calculation, not a measurement. LibreNMS shows it as a sensor; dcmon does not "
    "read a setting as a reading."
)

_OUT_OF_RANGE = (
    "UPS-MIB upsInputCurrent is a NonNegativeInteger (\"This data type is a non-negative "
    "value.\" SYNTAX INTEGER (0..2147483647)): the agent answers -1 for a current it does not "
    "measure. LibreNMS shows -0.1 A; dcmon reads -1 as no reading."
)

#: Sensors where LibreNMS's value contradicts the device's MIB and its own configuration, or
#: where LibreNMS shows a configured setting as a measurement, so dcmon deliberately reads a
#: different value or none. Scored as "disputed" (neither right nor wrong); each entry says why.
#: Keep this list short and justified.
DISPUTED: dict[tuple[str, str], str] = {
    # PowerNet-MIB rPDUIdentDeviceLinetoLineVoltage: "Getting/Setting this OID will return/set
    # the Line to Line Voltage ... must be configured for best accuracy".
    ("apc_ap7900b", "1.3.6.1.4.1.318.1.1.12.1.15.0"): _SETTING,
    # Sentry3-MIB systemPowerFactor: "The power factor used in power calculations performed by
    # the system", MAX-ACCESS read-write, INTEGER(50..100).
    ("sentry3_3phase", "1.3.6.1.4.1.1718.3.1.10.0"): _SETTING,
    ("enexus", "1.3.6.1.4.1.12148.10.5.2.5.0"): _ENEXUS,
    ("enexus", "1.3.6.1.4.1.12148.10.9.2.5.0"): _ENEXUS,
    ("enexus_smartpacks", "1.3.6.1.4.1.12148.10.9.2.5.0"): _ENEXUS,
    ("netmanplus_204", "1.3.6.1.2.1.33.1.3.3.1.4.1"): _OUT_OF_RANGE,
    ("netmanplus_204", "1.3.6.1.2.1.33.1.3.3.1.4.2"): _OUT_OF_RANGE,
    ("netmanplus_204", "1.3.6.1.2.1.33.1.3.3.1.4.3"): _OUT_OF_RANGE,
}


@dataclass
class Score:
    """Counts per class for one recording (or a total), with details of every non-right one."""

    right: dict[str, int] = field(default_factory=dict)
    #: Right in the true unit (VA, var, VAh, varh) of a sensor LibreNMS files as power or energy.
    true_unit: dict[str, int] = field(default_factory=dict)
    wrong: dict[str, int] = field(default_factory=dict)
    missed: dict[str, int] = field(default_factory=dict)
    unscorable: int = 0
    disputed: int = 0
    details: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for mine, theirs in ((self.right, other.right), (self.true_unit, other.true_unit),
                             (self.wrong, other.wrong), (self.missed, other.missed)):
            for k, v in theirs.items():
                mine[k] = mine.get(k, 0) + v
        self.unscorable += other.unscorable
        self.disputed += other.disputed
        self.details.extend(other.details)

    @property
    def n_right(self) -> int:
        """Right in the class's unit or in the sensor's true unit."""
        return sum(self.right.values()) + self.n_true_unit

    @property
    def n_true_unit(self) -> int:
        return sum(self.true_unit.values())

    def right_in(self, cls: str) -> int:
        """Right sensors of one class, in either unit."""
        return self.right.get(cls, 0) + self.true_unit.get(cls, 0)

    @property
    def n_wrong(self) -> int:
        return sum(self.wrong.values())

    @property
    def wrong_details(self) -> list[str]:
        """The details of the wrong values only (what a 0-wrong bar prints when it fails)."""
        return [d for d in self.details if ": WRONG " in d]

    @property
    def n_missed(self) -> int:
        return sum(self.missed.values())

    @property
    def scorable(self) -> int:
        return self.n_right + self.n_wrong + self.n_missed

    @property
    def coverage(self) -> float:
        return self.n_right / self.scorable if self.scorable else 1.0


def _tolerance(e: librenms.Expected) -> float:
    # user_func rounds to 2 decimals in LibreNMS; dcmon does not round.
    return 0.006 if e.user_func else max(1e-9, 1e-6 * abs(e.value))


def score(recording: str, readings: Iterable[Mapping[str, Any]]) -> Score:
    """Compare ``dcmon poll --format json`` readings of one recording with LibreNMS."""
    by_oid: dict[str, list[Mapping[str, Any]]] = {}
    for r in readings:
        oid = str(r.get("source", {}).get("oid") or "")
        by_oid.setdefault(oid, []).append(r)
    s = Score()
    for e in librenms.expected_sensors(recording):
        if e.sensor_class not in CLASSES:
            continue
        if not librenms.derivable(e):
            s.unscorable += 1
            continue
        if (recording, e.oid) in DISPUTED:
            s.disputed += 1
            continue
        _judge(s, recording, e, by_oid.get(e.oid, []))
    return s


def _matches(e: librenms.Expected, cands: list[Mapping[str, Any]], units: Mapping[str, float],
             ) -> tuple[bool, list[float]]:
    """Whether a reading in one of ``units`` has the expected value; the values compared."""
    values = [float(r["value"]) / units[str(r.get("unit"))] for r in cands
              if r.get("unit") in units]
    return any(math.isclose(v, e.value, abs_tol=_tolerance(e)) for v in values), values


def _judge(s: Score, recording: str, e: librenms.Expected,
           at_oid: list[Mapping[str, Any]]) -> None:
    """Count one scorable sensor as right, right in its true unit, wrong or missed."""
    cls = e.sensor_class
    unit, factor = CLASSES[cls]
    ok, values = _matches(e, at_oid, {unit: factor})
    if ok:
        s.right[cls] = s.right.get(cls, 0) + 1
        return
    ok_true, true_values = _matches(e, at_oid, TRUE_UNITS.get(cls, {}))
    if ok_true:
        s.true_unit[cls] = s.true_unit.get(cls, 0) + 1
        return
    if values or true_values:
        s.wrong[cls] = s.wrong.get(cls, 0) + 1
        s.details.append(f"{recording}: WRONG {cls} {e.oid} {e.descr!r}: dcmon "
                         f"{values + true_values} LibreNMS {e.value}")
        return
    s.missed[cls] = s.missed.get(cls, 0) + 1
    s.details.append(f"{recording}: missed {cls} {e.oid} {e.descr!r} = {e.value}")


def score_results(results: Mapping[str, PollResult]) -> Score:
    """Each recording's poll (by recording name) scored against LibreNMS, summed."""
    total = Score()
    for name, result in results.items():
        total.add(score(name, [r.as_dict() for r in result.readings]))
    return total
