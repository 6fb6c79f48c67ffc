"""Property tests of the energy engine (hypothesis)."""

from __future__ import annotations

import io
import json
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from dcmon.app.inventory import parse_config
from dcmon.app.replay import parse_lines, replay
from dcmon.collectors.registry import ProfileRegistry
from dcmon.engine.energy import CounterAccount
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.pue import PueCalculator
from dcmon.engine.store import Store

T0 = 1767225600.0
#: Energy steps between polls: up to 10 kWh each (in J), any number of polls.
steps = st.lists(st.floats(min_value=0, max_value=3.6e7, allow_nan=False), min_size=1,
                 max_size=60)


@given(steps=steps, start=st.floats(min_value=0, max_value=1.0), width=st.sampled_from([16, 32]))
def test_wrapped_counter_books_the_same_energy_as_unwrapped(steps: list[float], start: float,
                                                            width: int) -> None:
    """A counter that wraps at 2^width books exactly what an endless counter books."""
    modulus = float(2**width) * 3600.0  # Wh counter in J
    # Keep each step under half the range: a larger one is indistinguishable from a reset.
    steps = [s % (modulus / 2.5) for s in steps]
    value = start * modulus
    wrapped, plain = CounterAccount("w"), CounterAccount("p")
    wrapped.update(value % modulus, T0, counter_max=modulus)
    plain.update(value, T0, counter_max=None)
    for i, s in enumerate(steps, 1):
        value += s
        w_val = value % modulus
        if w_val == 0:  # an exact landing on zero is held as a false zero, then resumed
            w_val = 0.0
        wrapped.update(w_val, T0 + 60 * i, counter_max=modulus)
        plain.update(value, T0 + 60 * i, counter_max=None)
    if wrapped.held_zero:  # close a trailing held zero with one more step
        wrapped.update((value + 1.0) % modulus, T0 + 60 * (len(steps) + 1), counter_max=modulus)
        plain.update(value + 1.0, T0 + 60 * (len(steps) + 1))
    assert abs(wrapped.total_j - plain.total_j) <= 1e-6 * max(1.0, plain.total_j)


INVENTORY = {
    "poll": {"interval": 300},
    "credentials": {"c": {"version": "2c", "community": "x"}},
    "sites": [{
        "id": "s", "energy": {"facility": ["m1"], "it": "racks"},
        "devices": [{"id": "m1", "host": "127.0.0.1", "credential": "c"}],
        "rooms": [{"id": "r", "racks": [
            {"id": f"k{i}", "devices": [{"id": f"p{i}", "host": "127.0.0.1", "credential": "c"}]}
            for i in range(3)]}],
    }],
}


def _lines(hours: int, it_w: list[float], fac_w: float, seed: int) -> list[str]:
    rnd = random.Random(seed)
    rows = []
    totals = {f"p{i}": 0.0 for i in range(3)} | {"m1": 0.0}
    for k in range(hours * 12 + 1):
        ts = T0 + k * 300
        for dev, w in [*((f"p{i}", it_w[i]) for i in range(3)), ("m1", fac_w)]:
            jitter = rnd.uniform(0.8, 1.2) if k else 0.0
            totals[dev] += w * 300 * jitter
            rows.append({"ts": ts, "device": dev, "metric": "energy", "unit": "J",
                         "value": totals[dev], "counter_max": 2.0**64})
    return [json.dumps(r) for r in rows]


def _pue(lines: list[str], windows: list[str]) -> list[dict[str, object]]:
    cfg = parse_config(INVENTORY, "<test>", ProfileRegistry.load())
    out = replay(cfg, ProfileRegistry.load(), io.StringIO("\n".join(lines)), "<test>",
                 windows=windows)
    return [r for r in out["results"] if r["zone"] is None]


@settings(max_examples=15, deadline=None)
@given(it=st.lists(st.floats(min_value=100, max_value=5000), min_size=3, max_size=3),
       fac=st.floats(min_value=16000, max_value=30000), split=st.integers(min_value=1, max_value=5),
       seed=st.integers(0, 1000))
def test_window_split_sums_to_whole(it: list[float], fac: float, split: int, seed: int) -> None:
    """Energy of [a, c) equals energy of [a, b) plus [b, c) at any hour boundary b."""
    lines = _lines(6, it, fac, seed)
    whole = _pue(lines, ["year"])[0]
    cfg = parse_config(INVENTORY, "<test>", ProfileRegistry.load())
    end = T0 + 6 * 3600
    b = T0 + split * 3600
    engine = EnergyEngine(cfg, Store(":memory:"))
    engine.ingest(parse_lines(lines, "<t>", {}))
    engine.flush()
    calc = PueCalculator(cfg, engine)
    topo = cfg.model.sites[0].energy
    assert topo is not None
    first = calc.compute("s", topo, "a", T0, b)
    second = calc.compute("s", topo, "b", b, end)
    full = calc.compute("s", topo, "all", T0, end)
    assert abs(first.it_kwh + second.it_kwh - full.it_kwh) < 1e-9 * max(1, full.it_kwh)
    assert abs(first.facility_kwh + second.facility_kwh - full.facility_kwh) < \
        1e-9 * max(1, full.facility_kwh)
    assert abs(full.it_kwh - whole["it_kwh"]) < 1e-9 * max(1, full.it_kwh)  # type: ignore[operator]


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_pue_invariant_to_device_order(seed: int) -> None:
    """Devices may report in any interleaving: the PUE is the same."""
    lines = _lines(3, [1500.0, 2500.0, 800.0], 6500.0, 7)
    per_device: dict[str, list[str]] = {}
    for line in lines:
        per_device.setdefault(json.loads(line)["device"], []).append(line)
    # Interleave the devices' streams at random, keeping each device's own order.
    rnd = random.Random(seed)
    queues = {d: list(v) for d, v in per_device.items()}
    shuffled = []
    while queues:
        d = rnd.choice(sorted(queues))
        shuffled.append(queues[d].pop(0))
        if not queues[d]:
            del queues[d]
    a = _pue(lines, ["24h"])[0]
    b = _pue(shuffled, ["24h"])[0]
    assert a["it_kwh"] == b["it_kwh"] and a["facility_kwh"] == b["facility_kwh"]
    assert a["status"] == b["status"]
