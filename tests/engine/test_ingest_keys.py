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


def test_a_restart_keeps_one_copy_of_each_key_and_carries_on_counting() -> None:
    """Each store row brings its own strings: after a restart the series, the accounts and the
    key cache share the series' key string, and the series one device, metric and level
    string (benchmarks/memory.py --restart); the energy goes on from the stored totals."""
    engine = EnergyEngine(parse_config(INVENTORY, "<t>", ProfileRegistry.load()),
                          Store(":memory:"))
    power = Reading("m", "power", 200.0, "W", {"outlet": "1"}, 0.0, Source("t"), "gauge", "outlet")
    engine.ingest([_counter(0, 100, {"outlet": "1"}), _counter(0, 5, {"outlet": "2"}), power])
    engine.ingest([_counter(10, 160, {"outlet": "1"}), _counter(10, 25, {"outlet": "2"})])
    engine.flush()
    again = EnergyEngine(engine.config, engine.store)
    again.ingest([_counter(20, 200, {"outlet": "1"}), _counter(20, 30, {"outlet": "2"}),
                  Reading("m", "power", 100.0, "W", {"outlet": "1"}, 10.0, Source("t"), "gauge",
                          "outlet")])
    assert {k: a.total_j for k, a in again.counters.items()} == {
        "E|m|energy|outlet|outlet=1": 100.0, "E|m|energy|outlet|outlet=2": 25.0}
    assert again.powers["P|m|power|outlet|outlet=1"].total_j == 1500.0
    for table in (again.counters, again.powers):
        for key, acc in table.items():
            s = again.series[key]
            assert acc.key is s.key and next(k for k in table if k == key) is s.key
    cached = [k for per in again._keys.values() for k in per.values()]
    assert len(cached) == 3 and all(k is again.series[k].key for k in cached)
    one, two = (again.series[f"E|m|energy|outlet|outlet={n}"] for n in (1, 2))
    assert one.device is two.device and one.metric is two.metric and one.level is two.level
