"""The store's window sums each key's hours in a range, for any number of keys (SQLite takes
a limited number of variables a query, so the store asks in chunks)."""

from __future__ import annotations

from dcmon.engine.energy import HourBucket
from dcmon.engine.store import WINDOW_KEYS, Batch, Store


def test_window_of_more_keys_than_one_query_takes() -> None:
    store = Store(":memory:")
    n = 2 * WINDOW_KEYS + 7
    hours = {(f"E|d{i}|energy|total|", h * 3600.0): HourBucket(float(i + h), 10.0 * h, 3600.0)
             for i in range(n) for h in range(3)}
    store.write(Batch(hours=hours))
    keys = [f"E|d{i}|energy|total|" for i in range(n)] + ["E|absent"]
    got = store.window(keys, 3600.0, 3 * 3600.0)  # hours 1 and 2
    assert len(got) == n and "E|absent" not in got
    assert got["E|d0|energy|total|"] == HourBucket(3.0, 20.0, 7200.0)
    assert got[f"E|d{n - 1}|energy|total|"] == HourBucket(2.0 * (n - 1) + 3, 20.0, 7200.0)
    assert sum(b.energy_j for b in got.values()) == sum(2.0 * i + 3 for i in range(n))
    assert store.window([], 0.0, 1e9) == {}
