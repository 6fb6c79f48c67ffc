"""Energy accounting counts active energy only: VAh and varh counters never enter kWh or PUE."""

from __future__ import annotations

from dcmon.app.inventory import parse_config
from dcmon.collectors.registry import ProfileRegistry
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.store import Store
from dcmon.model import Reading, Source

INVENTORY = {"credentials": {"c": {"version": "2c", "community": "x"}},
             "sites": [{"id": "s", "devices": [{"id": "m", "host": "127.0.0.1",
                                                "credential": "c"}]}]}


def _counter(metric: str, unit: str, ts: float, value: float) -> Reading:
    return Reading("m", metric, value, unit, {"phase": "L1"}, ts, Source("t"), "counter",
                   level="phase")


def test_apparent_and_reactive_energy_are_not_active_energy() -> None:
    engine = EnergyEngine(parse_config(INVENTORY, "<t>", ProfileRegistry.load()),
                          Store(":memory:"))
    for ts, wh in ((0.0, 1000.0), (60.0, 1100.0)):
        engine.ingest([
            _counter("energy", "J", ts, wh * 3600),
            _counter("apparent_energy", "VAh", ts, wh * 1.2),
            _counter("reactive_energy", "varh", ts, wh * 0.5),
        ])
    engine.flush()
    # one accounted series, the joules one, with its 100 Wh step; the VAh/varh ones are not
    assert {k: a.total_j for k, a in engine.counters.items()} == {
        "E|m|energy|phase|phase=L1": 100.0 * 3600}
