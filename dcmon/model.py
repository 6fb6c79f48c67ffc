"""The data every part of dcmon speaks: readings, their sources, and poll results.

Every layer imports this module, so it stays free of I/O and of protocol libraries. Everything
here is frozen: a Reading is a fact about one moment. Compiled device profiles belong to their
protocol (``dcmon.collectors.snmp.model``, ``dcmon.collectors.modbus.profile``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

#: Units a Reading may carry. The ``dcmon poll`` JSON contract promises exactly this set.
#: Active power and energy are W and J; apparent and reactive power (VA, var) and energy (VAh,
#: varh) have units of their own so that no sum, PUE or kWh figure can mix them in. Water volume
#: is m3.
UNITS: frozenset[str] = frozenset({"W", "VA", "var", "J", "VAh", "varh", "A", "V", "Hz", "Cel",
                                   "%", "s", "ratio", "m3"})

#: Units a counter may carry: active energy (J), apparent and reactive energy (VAh, varh) as
#: meters count them, time (s) and water volume (m3). Only J counters feed energy accounting;
#: m3 counters feed the water accounts (the same counter care under their own keys).
COUNTER_UNITS: tuple[str, ...] = ("J", "VAh", "varh", "s", "m3")

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
        """Return the JSON form used by ``dcmon poll --format json``: a register source
        (table and address) or an OID source."""
        if self.table is not None:
            return {
                "protocol": self.protocol,
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
    #: Where the value came from; ``dcmon poll`` prints it. ``dcmon run`` keeps none (None):
    #: at 10,000 devices the OID strings and raw values alone would cost ~100 MB.
    source: Source | None = None
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
            **({"source": self.source.as_dict()} if self.source is not None else {}),
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
class PollStats:
    """What a poll cost on the wire: requests sent, varbinds and bytes received."""

    requests: int = 0
    varbinds: int = 0
    bytes: int = 0


@dataclass(frozen=True, slots=True)
class PollResult:
    """Everything one poll of one device produced, good or bad."""

    device: str
    profile: str
    readings: tuple[Reading, ...]
    errors: tuple[PollError, ...]
    started: float
    duration: float
    #: False when the device could not be reached, refused us, or the poll hit its deadline or
    #: a walk limit; ``errors[0]`` says why. ``readings`` then holds only the metrics whose
    #: values all arrived before that (often none).
    ok: bool = True
    #: Wire cost (SNMP); None where the collector does not count it.
    stats: PollStats | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "profile": self.profile,
            "readings": [r.as_dict() for r in self.readings],
            "errors": [e.as_dict() for e in self.errors],
        }
