"""Synthetic polls of a fleet of APC rack PDUs (apc_rpdu2 profile shape), for engine benchmarks.

One poll of one PDU is 51 readings, as the collector builds them from the rPDU2 tables: the
device total (power, apparent power, power factor, energy counter with its "counting since"
marker, rated current), one phase (6 metrics), 2 banks, 12 outlets (current, power, energy
counter) and a temperature/humidity probe. Values move with the poll number, so energy
accounts book something on every poll. No sockets: this feeds the engine and the exposition
cache directly, as ``Poller`` does after a poll. As in ``dcmon run``, readings carry no Source
and share one dict per label set (``sources=True``: a Source each and a dict per reading, as
``dcmon poll`` and dcmon before it did).
"""

from __future__ import annotations

from dcmon.model import PollResult, Reading, Source

OUTLETS = 12
BANKS = 2
RPDU2 = "1.3.6.1.4.1.318.1.1.26"


_SHARED: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
SOURCES = [False]  # set by apc_rpdu2_poll for its _r calls


def _r(device: str, metric: str, value: float, unit: str, ts: float, level: str, oid: str,
       labels: dict[str, str] | None = None, **kw: object) -> Reading:
    labels = labels or {}
    if SOURCES[0]:
        return Reading(device, metric, value, unit, labels, ts, Source("snmp", oid, int(value)),
                       level=level, **kw)  # type: ignore[arg-type]
    shared = _SHARED.setdefault(tuple(labels.items()), labels)
    return Reading(device, metric, value, unit, shared, ts, None, level=level,
                   **kw)  # type: ignore[arg-type]


def apc_rpdu2_poll(device: str, ts: float, k: int, interval: float = 30.0, *,
                   sources: bool = False) -> PollResult:
    """Poll ``k`` of ``device`` at data time ``ts``: 51 readings of the apc_rpdu2 shape."""
    SOURCES[0] = sources
    watts = 2000.0 + sum(map(ord, device)) % 1000
    joules = 3.6e9 + k * watts * interval
    out = [
        _r(device, "power", watts, "W", ts, "total", f"{RPDU2}.4.3.1.5.1", rack_power=True),
        _r(device, "apparent_power", watts / 0.95, "VA", ts, "total", f"{RPDU2}.4.3.1.16.1"),
        _r(device, "power_factor", 0.95, "ratio", ts, "total", f"{RPDU2}.4.3.1.17.1"),
        _r(device, "energy", joules, "J", ts, "total", f"{RPDU2}.4.3.1.9.1", kind="counter",
           reset_marker="01/01/2025 00:00:00", counter_max=2.0**31 * 360000, resettable=True),
        _r(device, "rated_current", 32.0, "A", ts, "total", f"{RPDU2}.4.2.1.9.1"),
    ]
    p = f"{RPDU2}.6.3.1"
    ph = {"phase": "1"}
    out += [
        _r(device, "rated_current", 32.0, "A", ts, "phase", f"{p}.3.1", ph),
        _r(device, "current", watts / 230 / 0.95, "A", ts, "phase", f"{p}.5.1", ph),
        _r(device, "voltage", 230.0, "V", ts, "phase", f"{p}.6.1", ph),
        _r(device, "power", watts, "W", ts, "phase", f"{p}.7.1", ph),
        _r(device, "apparent_power", watts / 0.95, "VA", ts, "phase", f"{p}.8.1", ph),
        _r(device, "power_factor", 0.95, "ratio", ts, "phase", f"{p}.9.1", ph),
    ]
    out += [_r(device, "current", watts / 230 / BANKS, "A", ts, "bank", f"{RPDU2}.8.3.1.5.{b}",
               {"bank": str(b)}) for b in range(1, BANKS + 1)]
    for o in range(1, OUTLETS + 1):
        lab = {"outlet": str(o), "name": f"server-{o:02d}"}
        ow = watts / OUTLETS
        oid = f"{RPDU2}.9.4.3.1"
        out += [
            _r(device, "current", ow / 230, "A", ts, "outlet", f"{oid}.6.{o}", lab),
            _r(device, "power", ow, "W", ts, "outlet", f"{oid}.7.{o}", lab),
            _r(device, "energy", joules / OUTLETS, "J", ts, "outlet", f"{oid}.8.{o}", lab,
               kind="counter", counter_max=2.0**31 * 360000),
        ]
    out += [
        _r(device, "temperature", 24.5, "Cel", ts, "sensor", "1.3.6.1.4.1.318.1.1.10.4.2.3.1.5.0.1",
           {"sensor": "1"}),
        _r(device, "humidity", 40.0, "%", ts, "sensor", "1.3.6.1.4.1.318.1.1.10.4.2.3.1.6.0.1",
           {"sensor": "1"}),
    ]
    return PollResult(device, "apc_rpdu2", tuple(out), (), ts, 0.05)


def inventory(devices: int, per_rack: int = 2) -> dict[str, object]:
    """A one-site inventory with ``devices`` PDUs, ``per_rack`` to a rack (A and B feeds)."""
    racks = [{"id": f"r{i}", "devices": [
        {"id": f"pdu{i * per_rack + j}", "host": "127.0.0.1", "credential": "c",
         "profile": "apc_rpdu2"} for j in range(per_rack) if i * per_rack + j < devices]}
        for i in range((devices + per_rack - 1) // per_rack)]
    return {"poll": {"interval": 30}, "credentials": {"c": {"version": "2c", "community": "x"}},
            "sites": [{"id": "city", "energy": {"facility_components": [], "it": "racks"},
                       "rooms": [{"id": "hall", "racks": racks}]}]}
