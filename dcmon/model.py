"""The data every part of dcmon speaks: readings, sources, compiled profiles and poll results.

Collectors import only this module (and :mod:`dcmon.errors`), so it must stay free of I/O and of
protocol libraries. Everything here is frozen: a Reading is a fact about one moment, and a
CompiledProfile is validated once at load and then shared read-only by every poll.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

#: Units a Reading may carry. The ``dcmon poll`` JSON contract promises exactly this set.
UNITS: frozenset[str] = frozenset({"W", "VA", "J", "A", "V", "Hz", "Cel", "%", "s", "ratio"})

MetricKind = Literal["gauge", "counter"]


@dataclass(frozen=True, slots=True)
class Source:
    """Where a value came from, so an operator can check it against the device by hand."""

    protocol: str
    #: SNMP: the full numeric instance OID. Modbus: None.
    oid: str | None = None
    #: The raw value as the device sent it (int, float or str), before scale and offset.
    raw: Any = None
    #: Modbus only: register table, 0-based wire address and the raw registers.
    table: str | None = None
    address: int | None = None
    registers: tuple[int, ...] | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form used by ``dcmon poll --format json``."""
        if self.protocol == "modbus":
            return {
                "protocol": "modbus",
                "table": self.table,
                "address": self.address,
                "registers": list(self.registers or ()),
                "raw": self.raw,
            }
        return {"protocol": self.protocol, "oid": self.oid, "raw": self.raw}


@dataclass(frozen=True, slots=True)
class Reading:
    """One measured value of one device, already in its stated unit."""

    device: str
    metric: str
    value: float
    unit: str
    labels: Mapping[str, str]
    ts: float
    source: Source
    kind: MetricKind = "gauge"
    #: PDU level the value was measured at (total, inlet, phase, bank, outlet, ...); "" if none.
    level: str = ""
    #: True when this level is the one that counts toward rack power (no double counting).
    rack_power: bool = False
    #: Counters only: the device's "counting since" marker (APC/Eaton reset time), if any.
    #: When it changes, the counter was reset by a user, whatever the value did.
    reset_marker: str | None = None
    #: Counters only: where the device counter wraps (2^width x scale) or stops (cap x scale),
    #: in the reading's unit; None when the profile declares neither.
    counter_max: float | None = None
    #: True when counter_max is a cap (the counter stops or restarts there), not a 2^n wrap.
    counter_capped: bool = False
    #: Counters only: users can reset this counter (APC, Eaton, Liebert).
    resettable: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form used by ``dcmon poll --format json``."""
        return {
            "metric": self.metric,
            "value": self.value,
            "unit": self.unit,
            "labels": dict(self.labels),
            "kind": self.kind,
            "level": self.level,
            "rack_power": self.rack_power,
            **({"reset_marker": self.reset_marker} if self.reset_marker is not None else {}),
            "source": self.source.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class PollError:
    """A failure that became data: the reason is a short stable token used as a metric label."""

    reason: str
    message: str
    oid: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "message": self.message, "oid": self.oid}


@dataclass(frozen=True, slots=True)
class PollResult:
    """Everything one poll of one device produced, good or bad."""

    device: str
    profile: str
    readings: tuple[Reading, ...]
    errors: tuple[PollError, ...]
    started: float
    duration: float
    #: False when the device could not be reached or refused us (no readings at all).
    ok: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "profile": self.profile,
            "readings": [r.as_dict() for r in self.readings],
            "errors": [e.as_dict() for e in self.errors],
        }


# --------------------------------------------------------------------------------------------
# Compiled profiles (the frozen output of dcmon.collectors.registry; collectors only read these)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexPart:
    """One component of a table index: becomes a label, or must equal a fixed value."""

    label: str | None = None
    #: "int" = one sub-identifier; "string" = length-prefixed ASCII; "fixed_string" = the rest.
    type: str = "int"
    #: When set, the row is used only if this component equals it (e.g. Raritan sensor type 5).
    match: int | None = None
    #: Optional number -> name map for the label value (e.g. 1 -> "L1").
    values: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Lookup:
    """Replace or add a label from another column at the same (or a prefix of the) index."""

    label: str
    oid: str
    #: Names of index labels that make the lookup column's instance suffix, in order.
    index_labels: tuple[str, ...]
    #: Optional raw value -> name map (e.g. Raritan line 1 -> "L1").
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Where:
    """Keep a row only if another column at the row's index has (or lacks) one of some values.

    Raritan external sensors, for example, say their type in a separate column, and APC probes
    that are not installed are marked in a status column.
    """

    oid: str
    index_labels: tuple[str, ...]
    values: frozenset[float]
    negate: bool = False
    #: Compare the column's text instead of its number (Rittal CMC III unit column "V").
    texts: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Fallback:
    """Read another OID (with its own scale) when the primary one is missing or a sentinel."""

    oid: str
    scale: float
    offset: float = 0.0


@dataclass(frozen=True, slots=True)
class DigitsScale:
    """Scale a value by another column n: 10^-n (decimal_digits), 10^n (exponent), 10^(3(n-9))
    (entity_scale, ENTITY-SENSOR-MIB), 1/n (divisor), n (multiplier), or 1/|n| when n < 0 and
    n when n > 0 (signed_scale, Rittal CMC III)."""

    oid: str
    index_labels: tuple[str, ...]
    mode: Literal["decimal_digits", "entity_scale", "exponent", "divisor", "multiplier",
                  "signed_scale"] = "decimal_digits"


@dataclass(frozen=True, slots=True)
class SnmpMetric:
    """One metric of an SNMP profile, fully resolved: the collector only applies it."""

    name: str
    oid: str
    unit: str
    kind: MetricKind
    scale: float
    offset: float
    #: None means a scalar fetched with GET at exactly ``oid``; otherwise a walked column.
    index: tuple[IndexPart, ...] | None
    labels: Mapping[str, str]
    lookups: tuple[Lookup, ...]
    sentinels: frozenset[float]
    digits: DigitsScale | None
    #: Counter semantics (energy): width in bits or a cap in raw units, user-resettable.
    width: int | None
    cap: float | None
    resettable: bool
    reset_time_oid: str | None
    level: str
    rack_power: bool
    #: "number" (int or numeric string), "fahrenheit" (convert to Cel), "timeticks_s".
    transform: str
    description: str
    #: Name of the profile key path, for error messages ("metrics.3").
    key: str
    wheres: tuple[Where, ...] = ()
    fallback: Fallback | None = None
    #: When True, a device that lacks this OID is normal: no ``no_such_object`` error.
    optional: bool = False


@dataclass(frozen=True, slots=True)
class CompiledProfile:
    """A validated profile: what to poll and how to turn raw values into Readings."""

    name: str
    protocol: str
    description: str
    source_file: str
    sys_object_ids: tuple[str, ...]
    metrics: tuple[SnmpMetric, ...]
    max_repetitions: int | None = None
    #: Where the profile came from (MIB name and revision), shown by ``profiles show``.
    mib: str = ""
    #: Optional extra detection: OIDs whose presence marks this profile (generic MIB probing).
    probe_oids: tuple[str, ...] = ()
    #: Order among probing profiles (lower first): vendor MIBs before generic ones.
    probe_order: int = 100
