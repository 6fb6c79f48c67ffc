"""The results' meter totals are kept as columns (MeterTotals) and read as MeterTotal objects
equal, field for field and in order, to what the engine's lifetime accounts say."""

from __future__ import annotations

import pytest

from dcmon.app.inventory import parse_config
from dcmon.collectors.registry import ProfileRegistry
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.results import MeterTotal, MeterTotals
from dcmon.engine.store import Store
from dcmon.model import Reading, Source

INVENTORY = {"credentials": {"c": {"version": "2c", "community": "x"}},
             "sites": [{"id": "s", "devices": [{"id": "m", "host": "127.0.0.1",
                                                "credential": "c"}]}]}


def _counter(ts: float, value: float, outlet: str) -> Reading:
    return Reading("m", "energy", value, "J", {"outlet": outlet}, ts, Source("t"), "counter",
                   level="outlet", counter_max=1000.0)


def test_meter_totals_read_as_the_engine_lifetime() -> None:
    engine = EnergyEngine(parse_config(INVENTORY, "<t>", ProfileRegistry.load()),
                          Store(":memory:"))
    engine.ingest([_counter(0, 900, "1"), _counter(10, 100, "1"),  # a wrap: 200 J
                   _counter(0, 10, "2"), _counter(10, 40, "2"), _counter(20, 45, "2")])
    engine.flush()
    want = [MeterTotal(s.device, s.metric, s.labels, total, wraps, resets)
            for s, total, wraps, resets in engine.lifetime().values()]
    meters = MeterTotals(engine.lifetime_rows())
    assert len(meters) == 2 and list(meters) == want and meters == want
    assert sorted((dict(m.labels)["outlet"], m.lifetime_j, m.wraps) for m in meters) == [
        ("1", 200.0, 1), ("2", 35.0, 0)]
    assert meters[-1] == want[-1] and meters[0:5] == want and meters[1:] == want[1:]
    with pytest.raises(IndexError):
        meters[2]
    assert MeterTotals() == () and list(MeterTotals()) == []
