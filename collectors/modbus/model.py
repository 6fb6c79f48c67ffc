"""Compiled Modbus profiles: the frozen output of :mod:`dcmon.collectors.modbus.profile`.

The collector and the request planner only read these. Each field's decoder is chosen at load
(:func:`dcmon.collectors.modbus.codec.make_decoder`), so a poll only slices registers and calls it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from dcmon.collectors.modbus.codec import Decoder
from dcmon.model import MetricKind

Table = Literal["holding", "input", "coil", "discrete"]
TABLES: tuple[str, ...] = ("holding", "input", "coil", "discrete")
#: Tables whose items are single bits (function codes 1 and 2).
BIT_TABLES = frozenset({"coil", "discrete"})
#: The protocol's own ceilings: 125 registers (FC 3/4) or 2000 bits (FC 1/2) per request.
MAX_REGISTERS = 125
MAX_BITS = 2000


@dataclass(frozen=True, slots=True)
class ScaleRegister:
    """Another register that scales a field: value × 10^reg (exponent) or value × reg."""

    table: str
    address: int
    count: int
    decode: Decoder
    mode: Literal["exponent", "multiply"]


@dataclass(frozen=True, slots=True)
class RequestOptions:
    """How to talk to a device: block size, gap tolerance and the workarounds for poor firmware.

    A profile may set these as the device family's defaults; a device setting wins over them.
    """

    #: Most registers in one request (the protocol allows 125; some devices accept fewer).
    max_registers: int = MAX_REGISTERS
    #: Unused registers a block may span to save a request (0 = only adjacent fields merge).
    max_gap: int = 0
    #: Seconds of bus silence before each request (slow serial devices and gateways).
    pause: float = 0.0
    #: Read every field with its own request (devices that reject any multi-field read).
    one_per_field: bool = False
    #: Drop the connection after each poll (gateways that allow few or short-lived sessions).
    close_after_poll: bool = False


@dataclass(frozen=True, slots=True)
class ModbusField:
    """One field of a Modbus profile, fully resolved: where it is and how to read it."""

    name: str
    #: Key path in the profile, for messages ("fields.3").
    key: str
    table: str
    #: 0-based wire address of the first register (or bit).
    address: int
    #: Registers (bits, for coil/discrete) the value spans.
    count: int
    type: str
    byte_order: str
    decode: Decoder
    unit: str
    kind: MetricKind
    scale: float
    offset: float
    #: Raw values meaning "not available" (integers in the decoded, signed-aware domain).
    sentinels: frozenset[float]
    labels: Mapping[str, str]
    level: str
    rack_power: bool
    description: str
    scale_register: ScaleRegister | None = None
    #: STRING fields: the label their text becomes on every reading of the device.
    label: str | None = None
    #: Counters: width in bits (wrap point) or a cap in raw units, and user-resettable or not.
    width: int | None = None
    cap: float | None = None
    resettable: bool = False
    #: The 1-based register number when the profile gave ``register:`` (for messages).
    register: int | None = None
    #: BITS on a register table: first bit (0 = least significant) and width of the field.
    bit: int = 0
    bits: int = 1


@dataclass(frozen=True, slots=True)
class CompiledModbusProfile:
    """A validated Modbus profile.

    It lives in the same :class:`~dcmon.collectors.registry.ProfileRegistry` as SNMP profiles, so
    it also
    carries the SNMP-shaped attributes that registry users read (empty ``sys_object_ids`` and
    ``probe_oids``: SNMP auto-detection never picks a Modbus profile).
    """

    name: str
    description: str
    source_file: str
    #: The vendor manual (title, document number, revision) the register map comes from.
    manual: str
    fields: tuple[ModbusField, ...]
    requests: RequestOptions = field(default_factory=RequestOptions)
    protocol: str = "modbus"
    sys_object_ids: tuple[str, ...] = ()
    probe_oids: tuple[str, ...] = ()
    max_repetitions: int | None = None
    mib: str = ""

    @property
    def metrics(self) -> tuple[ModbusField, ...]:
        """Alias of ``fields`` for code that lists any profile's metrics (``profiles list``)."""
        return self.fields
