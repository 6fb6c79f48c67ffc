"""Simulated SNMP devices, speaking the real vendor MIBs that dcmon's profiles read.

Values are our own (not copied from any recording) and computed at request time from the
simulated physics, so the same agent answers differently as the day goes on, and energy counters
are the exact integral of the power they report. Each builder returns OID -> value-or-callable
for :class:`dcmon.sim.agent.OidStore`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dcmon.sim.physics import PowerCurve, SimClock

Value = tuple[str, int | bytes | str]
Entry = tuple[str, int | bytes | str | Callable[[], Value]]

APC_RPDU2 = "1.3.6.1.4.1.318.1.1.26"
APC_IRRC = "1.3.6.1.4.1.318.1.1.13.3.2"
UPS_MIB = "1.3.6.1.2.1.33.1"
SYS = "1.3.6.1.2.1.1"


def _dyn(tag: str, fn: Callable[[], int | bytes | str]) -> Entry:
    """A value computed at request time (the agent calls the getter for each request)."""
    return tag, lambda: (tag, fn())


def _system(descr: str, object_id: str) -> dict[str, Entry]:
    return {
        f"{SYS}.1.0": ("OctetString", descr.encode()),
        f"{SYS}.2.0": ("ObjectIdentifier", object_id),
        f"{SYS}.3.0": ("TimeTicks", 4242),
        f"{SYS}.5.0": ("OctetString", b"dcmon-sim"),
    }


@dataclass
class Meter:
    """An energy meter on a load curve, with a counter that can wrap or be reset by a user."""

    curve: PowerCurve
    clock: SimClock
    #: Counter resolution in joules per count (0.1 kWh = 360,000 J for APC rPDU2).
    joules_per_count: float
    #: Counts at simulated time ``clock.start`` (lets the demo start near a wrap).
    initial_counts: int = 0
    #: Counter modulus (2**32 for Unsigned32 counters).
    modulus: int = 2**32
    resets: list[float] = field(default_factory=list)

    def power(self) -> float:
        return self.curve.power(self.clock.now())

    def counts(self) -> int:
        """The counter as the device shows it: wraps at the modulus, restarts after a reset."""
        now = self.clock.now()
        since = max([self.clock.start, *[r for r in self.resets if r <= now]])
        base = self.initial_counts if since == self.clock.start else 0
        joules = self.curve.energy(since, now)
        return int(base + joules // self.joules_per_count) % self.modulus

    def energy_j(self) -> float:
        """Energy since the simulation started (never reset), plus the initial counts."""
        return self.initial_counts * self.joules_per_count + self.curve.energy(
            self.clock.start, self.clock.now())

    def reset(self) -> None:
        """A user resets the counter to zero (APC rPDU2 allows this)."""
        self.resets.append(self.clock.now())


def _start_time(meter: Meter) -> bytes:
    """The "counting since" date an APC PDU shows: the start, or the last user reset."""
    t = max([meter.clock.start, *[r for r in meter.resets if r <= meter.clock.now()]])
    return time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(t)).encode()


def apc_rpdu2(meter: Meter, *, name: str, volts: float = 230.0, pf: float = 0.95,
              rated_a: int = 32) -> dict[str, Entry]:
    """An APC metered rack PDU (PowerNet-MIB rPDU2 tables), one unit, one phase."""
    d = f"{APC_RPDU2}.4.3.1"  # rPDU2DeviceStatusEntry
    p = f"{APC_RPDU2}.6.3.1"  # rPDU2PhaseStatusEntry

    def watts() -> float:
        return meter.power()

    store: dict[str, Entry] = _system(
        f"APC Web/SNMP Management Card (MN:AP8858 simulated by dcmon) {name}",
        "1.3.6.1.4.1.318.1.3.4.6",
    )
    store.update({
        f"{APC_RPDU2}.2.1.3.1": ("OctetString", name.encode()),  # rPDU2IdentName
        f"{d}.1.1": ("Integer32", 1),  # index
        f"{d}.2.1": ("Integer32", 1),  # module (daisy-chain position)
        f"{d}.3.1": ("OctetString", name.encode()),
        f"{d}.4.1": ("Integer32", 1),  # loadState lowLoad/normal
        f"{d}.5.1": _dyn("Integer32", lambda: round(watts() / 10)),  # hundredths of kW
        f"{d}.9.1": _dyn("Integer32", lambda: meter.counts()),  # tenths of kWh
        # rPDU2DeviceStatusEnergyStartTime: when the counter last started (changes on reset).
        f"{d}.10.1": _dyn("OctetString", lambda: _start_time(meter)),
        f"{d}.16.1": _dyn("Integer32", lambda: round(watts() / pf / 10)),  # hundredths of kVA
        f"{d}.17.1": ("Integer32", round(pf * 100)),
        f"{p}.1.1": ("Integer32", 1),
        f"{p}.2.1": ("Integer32", 1),
        f"{p}.3.1": ("Integer32", 1),
        f"{p}.4.1": ("Integer32", 2),
        f"{p}.5.1": _dyn("Integer32", lambda: round(watts() / volts / pf * 10)),  # tenths of A
        f"{p}.6.1": ("Integer32", round(volts)),
        f"{p}.7.1": _dyn("Integer32", lambda: round(watts() / 10)),
        f"{APC_RPDU2}.4.2.1.9.1": ("Integer32", rated_a),  # rPDU2DevicePropertiesMaxCurrentRating
    })
    return store


def ups_mib(meter: Meter, *, model: str, volts: float = 230.0, rated_va: int = 20000,
            rated_w: int = 18000, minutes: int = 24) -> dict[str, Entry]:
    """A three-phase UPS speaking RFC 1628 UPS-MIB, its output on the meter's load curve."""
    u = UPS_MIB
    store: dict[str, Entry] = _system(f"{model} (simulated by dcmon)", "1.3.6.1.2.1.33")

    def phase_w() -> float:
        return meter.power() / 3

    store.update({
        f"{u}.1.1.0": ("OctetString", b"dcmon-sim"),
        f"{u}.1.2.0": ("OctetString", model.encode()),
        f"{u}.2.1.0": ("Integer32", 2),  # batteryNormal
        f"{u}.2.2.0": ("Integer32", 0),
        f"{u}.2.3.0": ("Integer32", minutes),
        f"{u}.2.4.0": ("Integer32", 100),
        f"{u}.2.5.0": ("Integer32", 5460),  # 546.0 V
        f"{u}.2.6.0": ("Integer32", 0),
        f"{u}.2.7.0": ("Integer32", 24),
        f"{u}.3.1.0": ("Counter32", 0),
        f"{u}.3.2.0": ("Integer32", 3),
        f"{u}.4.1.0": ("Integer32", 3),  # output source normal
        f"{u}.4.2.0": ("Integer32", 500),
        f"{u}.4.3.0": ("Integer32", 3),
        f"{u}.5.1.0": ("Integer32", 500),
        f"{u}.5.2.0": ("Integer32", 3),
        f"{u}.9.5.0": ("Integer32", rated_va),
        f"{u}.9.6.0": ("Integer32", rated_w),
    })
    for line in (1, 2, 3):
        store.update({
            f"{u}.3.3.1.1.{line}": ("Integer32", line),
            f"{u}.3.3.1.2.{line}": ("Integer32", 500),
            f"{u}.3.3.1.3.{line}": ("Integer32", round(volts)),
            f"{u}.3.3.1.4.{line}": _dyn("Integer32", lambda: round(phase_w() * 1.05 / volts * 10)),
            f"{u}.3.3.1.5.{line}": _dyn("Integer32", lambda: round(phase_w() * 1.05)),
            f"{u}.4.4.1.1.{line}": ("Integer32", line),
            f"{u}.4.4.1.2.{line}": ("Integer32", round(volts)),
            f"{u}.4.4.1.3.{line}": _dyn("Integer32", lambda: round(phase_w() / volts * 10)),
            f"{u}.4.4.1.4.{line}": _dyn("Integer32", lambda: round(phase_w())),
            f"{u}.4.4.1.5.{line}": _dyn("Integer32", lambda: round(phase_w() * 3 / rated_w * 100)),
            f"{u}.5.3.1.1.{line}": ("Integer32", line),
            f"{u}.5.3.1.2.{line}": ("Integer32", round(volts)),
        })
    return store


def apc_inrow_rc(heat_w: Callable[[], float], outdoor_c: Callable[[], float], *, name: str,
                 setpoint_c: float = 22.0) -> dict[str, Entry]:
    """An APC InRow RC chilled-water unit (PowerNet-MIB airIRRC group and unit status).

    It reports the heat it removes (its share of the room's IT load and losses) and its air and
    water temperatures; the chilled water it draws comes from the site's chiller, whose
    electricity the chiller meter reads. Entering water warms a little with the outdoor air.
    """
    g = f"{APC_IRRC}.1.1"  # airIRRCGroupStatus
    u = f"{APC_IRRC}.2.2"  # airIRRCUnitStatus

    def tenths(fn: Callable[[], float]) -> Entry:
        return _dyn("Integer32", lambda: round(fn() * 10))

    def kw_tenths(fn: Callable[[], float]) -> Entry:
        return _dyn("Integer32", lambda: round(fn() / 100))

    def load() -> float:  # 0..1 of a 25 kW unit
        return min(1.0, heat_w() / 25_000)

    store: dict[str, Entry] = _system(f"APC InRow RC (simulated by dcmon) {name}",
                                      "1.3.6.1.4.1.318.1.3.14.5")
    store.update({
        f"{g}.1.0": kw_tenths(heat_w),                             # group cool output
        f"{g}.2.0": kw_tenths(lambda: heat_w() * 1.03),            # group cool demand
        f"{g}.6.0": tenths(lambda: setpoint_c + 2.0 * load()),     # max rack inlet
        f"{g}.8.0": tenths(lambda: setpoint_c - 0.5),              # min rack inlet
        f"{u}.2.0": kw_tenths(heat_w),
        f"{u}.3.0": kw_tenths(lambda: heat_w() * 1.03),
        f"{u}.7.0": tenths(lambda: setpoint_c + 1.0 * load()),     # rack inlet
        f"{u}.9.0": tenths(lambda: setpoint_c - 2.0),              # supply air
        f"{u}.11.0": tenths(lambda: setpoint_c + 8.0 + 4.0 * load()),  # return air
        f"{u}.24.0": tenths(lambda: 12.0 + 0.1 * outdoor_c()),     # entering fluid
        f"{u}.26.0": tenths(lambda: 17.0 + 0.1 * outdoor_c() + 3.0 * load()),  # leaving
    })
    return store
