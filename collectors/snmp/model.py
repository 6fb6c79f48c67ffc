"""Compiled SNMP profiles: the frozen output of :mod:`dcmon.collectors.snmp.profile`.

The collector only reads these. They are validated once at load and shared read-only by every
poll, so the hot path applies rules and never re-checks them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from dcmon.model import MetricKind


@dataclass(frozen=True, slots=True)
class IndexPart:
    """One component of a table index: becomes a label, or must equal a fixed value."""

    label: str | None = None
    #: "int" = one sub-identifier; "string" = length-prefixed ASCII; "fixed_string" = the rest
    #: as ASCII; "oid" = the rest as a dotted OID (an IMPLIED OBJECT IDENTIFIER index).
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
    #: ``oid`` is a scalar instance, fetched with the GET, that keeps or drops every row of the
    #: table at once (APC rPDU: outlet loads only where rPDUOutletDevMonitoredOutlets is not 0).
    scalar: bool = False
    #: Keep the row when the column has no cell for it (an agent or firmware without the
    #: column); otherwise only ``negate`` keeps such rows.
    keep_absent: bool = False
    #: Keep every row when the column answers no row at all, but not a row it skips while
    #: answering others (a unit column: Celsius by default only for firmware without it).
    without_column: bool = False
    #: Keep the row by whether the column has a cell for it at all, whatever its value: True
    #: (a firmware's newer column layout) or False (an agent that does not publish another
    #: MIB). None: compare the values.
    exists: bool | None = None


@dataclass(frozen=True, slots=True)
class Fallback:
    """Read another OID (with its own scale) when the primary one is missing or a sentinel."""

    oid: str
    scale: float
    offset: float = 0.0
    #: Set: the primary is a finer reading of the same value (AKCP's temperatureRaw in tenths
    #: beside the whole-degree temperatureDegree). It is read only when both answer and agree
    #: within this much (in the metric's unit); otherwise the fallback's value is read.
    agree: float | None = None


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
class SettingCase:
    """How to read a value under one setting of the device: None keeps the metric's own."""

    scale: float | None = None
    offset: float | None = None
    transform: str | None = None


@dataclass(frozen=True, slots=True)
class Setting:
    """A device setting that decides how a value reads: a scalar (Geist temperatureUnits: 0 =
    Fahrenheit, 1 = Celsius) or a column of the value's own row (its unit or precision)."""

    oid: str
    #: None: ``oid`` is a scalar instance, fetched with the GET; else a column at these labels.
    index_labels: tuple[str, ...] | None
    #: Raw value of the setting -> how to read; a value not listed skips the reading.
    cases: Mapping[int, SettingCase]
    #: The case for an agent without the setting object; None: such a reading is skipped.
    absent: int | None = None
    #: Non-empty: ``oid`` is not a setting but the same temperature in Fahrenheit (a "twin",
    #: AVTECH's internal-tempf beside internal-tempc), and the reading's scale is the one of
    #: these at which the two agree (``values.twin_case``); ``cases`` is then empty.
    twin_scales: tuple[float, ...] = ()


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
    #: Raw values below it are "not available" too (None: no such bound).
    sentinel_below: float | None
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
    #: When True, a text answer without a number is "no reading": no ``not_numeric`` error.
    skip_non_numeric: bool = False
    #: A device setting that chooses scale, offset or transform (``values.setting_case``).
    setting: Setting | None = None


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
    #: Optional extra detection: case-insensitive patterns searched in sysDescr (``descr.py``).
    sys_descr: tuple[re.Pattern[str], ...] = ()
    #: Order among probing profiles (lower first): vendor MIBs before generic ones.
    probe_order: int = 100
    #: A standard MIB any vendor's agent may implement (UPS-MIB, ENTITY-SENSOR-MIB): verified on
    #: every device during detection, and completes the chosen vendor profile.
    standard: bool = False
    #: A standard MIB that completes the chosen profile but is never chosen on its own.
    complement_only: bool = False
