"""The snapshot keeps readings packed: readers get the same Readings, field for field, and a
device's readings cost a fraction of the Reading objects."""

from __future__ import annotations

import dataclasses
import gc
import tracemalloc

from dcmon.engine.packed import Packed, Packer
from dcmon.engine.snapshot import DeviceInfo, Snapshot
from dcmon.model import PollError, PollResult, Reading, Source

OUTLET = {"outlet": "3", "name": "server-03"}


def poll_readings(device: str, ts: float, k: int, *, labels: dict[str, str] | None = None
                  ) -> tuple[Reading, ...]:
    lab = labels if labels is not None else OUTLET
    out = [Reading(device, "power", 2000.0 + k, "W", {}, ts, level="total", rack_power=True),
           Reading(device, "energy", 3.6e9 + k * 0.1, "J", {}, ts, kind="counter",
                   level="total", reset_marker="01/01/2025 00:00:00",
                   counter_max=2.0**31 * 360000, resettable=True),
           Reading(device, "power_factor", -0.0, "ratio", {}, ts, level="total"),
           Reading(device, "temperature", float("inf"), "Cel", {"sensor": "1"}, ts)]
    out += [Reading(device, "power", 100.0 + o / 7, "W", dict(lab, outlet=str(o)), ts,
                    level="outlet") for o in range(12)]
    out.append(Reading(device, "energy", 1e9 + k, "J", dict(lab), ts, kind="counter",
                       level="outlet", counter_max=2.0**32, counter_capped=True))
    return tuple(out)


def fields(rs: tuple[Reading, ...]) -> list[list[tuple[object, type]]]:
    """Every field with its type: 2000 and 2000.0 compare equal but print differently."""
    return [[(repr(v) if isinstance(v, float) else v, type(v))
             for v in (getattr(r, f.name) for f in dataclasses.fields(r))] for r in rs]


def test_packed_readings_are_the_same_readings() -> None:
    packer = Packer()
    for k in range(3):
        rs = poll_readings(f"pdu{k}", 1767225600.0 + k, k)
        packed = packer.pack(rs)
        assert isinstance(packed, Packed)
        assert packed.readings() == rs
        assert fields(packed.readings()) == fields(rs)
    a = packer.pack(poll_readings("a", 1.0, 0))
    b = packer.pack(poll_readings("b", 2.0, 5))
    assert isinstance(a, Packed) and isinstance(b, Packed)
    assert a.shape is b.shape  # one shape for the profile, shared by every device
    assert b.readings()[0].labels is a.readings()[0].labels


def test_times_that_differ_are_kept_per_reading() -> None:
    rs = tuple(dataclasses.replace(r, ts=100.0 + i) for i, r in
               enumerate(poll_readings("pdu1", 0.0, 1)))
    packed = Packer().pack(rs)
    assert isinstance(packed, Packed) and not isinstance(packed.ts, float)
    assert [r.ts for r in packed.readings()] == [100.0 + i for i in range(len(rs))]
    assert fields(packed.readings()) == fields(rs)


def test_what_does_not_fit_is_kept_as_it_came() -> None:
    packer = Packer()
    plain = poll_readings("pdu1", 5.0, 1)
    with_source = (dataclasses.replace(plain[0], source=Source("snmp", "1.3.6", 2001)),
                   *plain[1:])
    as_int = (dataclasses.replace(plain[0], value=2001), *plain[1:])
    mixed = (*plain, dataclasses.replace(plain[0], device="pdu2"))
    unhashable = (Reading("pdu1", "power", 1.0, "W", {"x": ["a"]}, 5.0),)  # type: ignore[dict-item]
    for rs in (with_source, as_int, mixed, unhashable, ()):
        assert packer.pack(rs) is rs


def test_snapshot_readers_get_the_polled_readings() -> None:
    snap = Snapshot([DeviceInfo("pdu1", "s", "r", "k", "apc_rpdu2")])
    rs = poll_readings("pdu1", 10.0, 2)
    snap.record(PollResult("pdu1", "apc_rpdu2", rs, (), 10.0, 0.1))
    assert snap.readings()["pdu1"] == rs
    assert dict(snap.readings().items()) == {"pdu1": rs}
    assert snap.device("pdu1")[0] == rs
    assert snap.device("pdu1", readings=False)[0] == ()
    snap.record(PollResult("pdu1", "apc_rpdu2", (), (PollError("timeout", "t"),), 20.0, 1.0,
                           ok=False))
    assert snap.readings().get("pdu1") is None and snap.device("pdu1")[0] == ()


def _traced(build: object) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = build() if callable(build) else None
        gc.collect()
        size = tracemalloc.get_traced_memory()[0] - before
        del kept
    finally:
        tracemalloc.stop()
    return size


def test_packed_readings_cost_a_fraction_of_the_readings() -> None:
    polls = [poll_readings(f"pdu{i:04d}", 1e9, 0, labels=OUTLET) for i in range(300)]
    # Share label dicts as the SNMP collector does, so only the Reading objects differ.
    shared: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
    polls = [tuple(dataclasses.replace(r, labels=shared.setdefault(tuple(r.labels.items()),
                                                                     dict(r.labels)))
                   for r in rs) for rs in polls]
    packer = Packer()
    packer.pack(polls[0])  # the shape, once
    objects = _traced(lambda: [tuple(dataclasses.replace(r) for r in rs) for rs in polls])
    packed = _traced(lambda: [packer.pack(rs) for rs in polls])
    assert packed * 4 < objects, (packed, objects)


def test_a_view_makes_a_device_once_for_repeated_asks() -> None:
    snap = Snapshot([DeviceInfo(d, "s", "r", "k", "apc_rpdu2") for d in ("a", "b")])
    for d in ("a", "b"):
        snap.record(PollResult(d, "apc_rpdu2", poll_readings(d, 1.0, 0), (), 1.0, 0.1))
    view = snap.readings()
    first = view["a"]
    assert view["a"] is first and view.get("a") is first  # asked again: the same tuple
    assert view["b"] == poll_readings("b", 1.0, 0) and view["a"] == first


def _meter_cases(device: str, ts: float) -> dict[str, tuple[Reading, ...]]:
    """Devices whose meter power each rule of ``pue.narrow`` decides."""
    d = device
    return {
        f"{d}-rack": poll_readings(f"{d}-rack", ts, 1),  # rack power at the total level
        # powers per phase only, and an energy total: the total level wins and has no power
        f"{d}-phases": tuple(
            [Reading(f"{d}-phases", "power", 10.0 * p, "W", {"phase": str(p)}, ts,
                     level="phase") for p in (1, 2, 3)]
            + [Reading(f"{d}-phases", "energy", 5.0, "J", {}, ts, kind="counter",
                       level="total")]),
        # rack power declared on a bank level, other powers beside it
        f"{d}-bank": tuple(
            [Reading(f"{d}-bank", "power", 7.0 + b, "W", {"bank": str(b)}, ts, level="bank",
                     rack_power=True) for b in (1, 2)]
            + [Reading(f"{d}-bank", "power", 30.0, "W", {}, ts, level="device"),
               Reading(f"{d}-bank", "current", 2.0, "A", {}, ts, level="device")]),
        # powers per phase and no total at all: every power counts
        f"{d}-onlyphases": tuple(
            Reading(f"{d}-onlyphases", "power", 5.0 * p, "W", {"phase": str(p)}, ts,
                    level="phase") for p in (1, 2, 3)),
        # rack power marked on one bank reading of two: the level counts, both banks do
        f"{d}-onerp": (
            Reading(f"{d}-onerp", "power", 11.0, "W", {"bank": "1"}, ts, level="bank",
                    rack_power=True),
            Reading(f"{d}-onerp", "power", 12.0, "W", {"bank": "2"}, ts, level="bank"),
            Reading(f"{d}-onerp", "power", 1.0, "W", {"outlet": "1"}, ts, level="outlet")),
        # a meter's power with a direction label, and a voltage
        f"{d}-meter": (
            Reading(f"{d}-meter", "power", 99.0, "W", {"direction": "import"}, ts),
            Reading(f"{d}-meter", "voltage", 230.0, "V", {}, ts)),
    }


def test_meter_rows_choose_the_same_power_as_all_readings() -> None:
    """``meter_rows`` makes only some of a device's readings; PUE's choice of each meter's
    power from them is the choice it makes from all of them, packed or not."""
    from dcmon.config.topology import MeterRef
    from dcmon.engine.packed import ReadingsView, meter_rows
    from dcmon.engine.pue import select_readings

    packer = Packer()
    cases = _meter_cases("dev", 1000.0)
    view = ReadingsView({d: packer.pack(rs) for d, rs in cases.items()})
    plain = ReadingsView(dict(cases))  # kept as they came
    refs = [MeterRef(device=d) for d in cases] + [
        MeterRef(device="dev-rack", labels={"outlet": "3"}),
        MeterRef(device="dev-bank", labels={"bank": "2"}),
        MeterRef(device="dev-meter", labels={"direction": "import"})]
    chosen = 0
    for ref in refs:
        want = select_readings(list(cases[ref.device]), ref)
        for v in (view, plain):
            some = v.some(ref.device, meter_rows)
            assert fields(tuple(select_readings(list(some), ref))) == fields(tuple(want))
        chosen += len(want)
    assert chosen == 1 + 0 + 2 + 3 + 2 + 1 + 1 + 1 + 1  # rack total; phases: none; banks...
    assert view.some("nowhere", meter_rows) == ()
    # left out: the outlet energy and the temperature (17 -> 15), the voltage (2 -> 1)
    assert [len(view.some(d, meter_rows)) for d in cases] == [15, 4, 4, 3, 3, 1]


def test_capacity_rows_choose_the_same_power_and_current_as_all_readings() -> None:
    """Capacity reads a PDU through ``pdu_rows``: the power PUE's choice makes for the whole
    device and the feed current are those of all its readings, with fewer readings made."""
    from dcmon.config.topology import MeterRef
    from dcmon.engine.capacity.rack import _current_a, _power_w, pdu_rows
    from dcmon.engine.packed import ReadingsView
    from dcmon.engine.pue import select_readings

    packer = Packer()
    cases = _meter_cases("dev", 1000.0)
    cases["dev-feed"] = tuple(
        [Reading("dev-feed", "current", 3.0 + p, "A", {"phase": str(p)}, 1000.0, level="phase")
         for p in (1, 2)]
        + [Reading("dev-feed", "current", 0.5, "A", {"outlet": "1"}, 1000.0, level="outlet"),
           Reading("dev-feed", "power", 900.0, "W", {}, 1000.0, level="total")])
    view = ReadingsView({d: packer.pack(rs) for d, rs in cases.items()})
    sizes = []
    for d, rs in cases.items():
        some = view.some(d, pdu_rows)
        sizes.append(len(some))
        ref = MeterRef(device=d)
        assert fields(tuple(select_readings(list(some), ref))) == \
            fields(tuple(select_readings(list(rs), ref)))
        assert _power_w(some, d) == _power_w(rs, d)
        assert _current_a(some) == _current_a(rs)
    assert [_power_w(rs, d) for d, rs in cases.items()] == [2001.0, 0, 17.0, 30.0, 23.0,
                                                             99.0, 900.0]
    assert _current_a(cases["dev-feed"]) == 5.0
    # not made: outlet powers, energies and currents, temperatures, voltages, and the phase
    # powers of a device whose total level decides
    assert sizes == [3, 1, 4, 3, 2, 1, 3]
