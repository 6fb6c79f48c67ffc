"""The engine's series keys: cached per reading identity, the same whatever the label order."""

from __future__ import annotations

from dcmon.app.inventory import parse_config
from dcmon.collectors.registry import ProfileRegistry
from dcmon.engine.energy import series_key
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.store import Store
from dcmon.model import Reading, Source

INVENTORY = {"credentials": {"c": {"version": "2c", "community": "x"}},
             "sites": [{"id": "s", "devices": [{"id": "m", "host": "127.0.0.1",
                                                "credential": "c"}]}]}


def _counter(ts: float, value: float, labels: dict[str, object]) -> Reading:
    return Reading("m", "energy", value, "J", labels, ts, Source("t"), "counter",  # type: ignore[arg-type]
                   level="outlet")


def test_label_order_and_unhashable_labels_share_one_series() -> None:
    engine = EnergyEngine(parse_config(INVENTORY, "<t>", ProfileRegistry.load()),
                          Store(":memory:"))
    engine.ingest([_counter(0, 100, {"a": "1", "b": "2"}), _counter(10, 150, {"b": "2", "a": "1"}),
                   _counter(20, 175, {"a": "1", "b": "2"}),
                   _counter(0, 10, {"x": ["not", "hashable"]}),
                   _counter(10, 30, {"x": ["not", "hashable"]})])
    engine.flush()
    want = series_key("E", _counter(0, 0, {"b": "2", "a": "1"}))
    assert want == "E|m|energy|outlet|a=1,b=2"
    odd = "E|m|energy|outlet|x=['not', 'hashable']"
    assert {k: a.total_j for k, a in engine.counters.items()} == {want: 75.0, odd: 20.0}
    assert set(engine.store.keys()) == {want, odd}
    again = EnergyEngine(engine.config, engine.store)  # restart: series come from the store
    assert sorted(again.series) == sorted([want, odd])


def test_series_of_many_devices_share_one_copy_of_each_label_set() -> None:
    """A city repeats the same outlet labels on every PDU: the engine keeps one dict of each
    (benchmarks/memory.py), in the reading's order, also after a restart."""
    engine = EnergyEngine(parse_config(INVENTORY, "<t>", ProfileRegistry.load()),
                          Store(":memory:"))
    engine.ingest([Reading(dev, "energy", 1.0, "J", {"outlet": "1", "name": "srv"}, 0.0,
                           Source("t"), "counter", "outlet") for dev in ("m", "n")])
    engine.flush()
    a, b = (engine.series[f"E|{d}|energy|outlet|name=srv,outlet=1"] for d in ("m", "n"))
    assert a.labels is b.labels and list(a.labels.items()) == [("outlet", "1"), ("name", "srv")]
    again = EnergyEngine(engine.config, engine.store)
    a, b = (again.series[f"E|{d}|energy|outlet|name=srv,outlet=1"] for d in ("m", "n"))
    assert a.labels is b.labels and dict(a.labels) == {"outlet": "1", "name": "srv"}
