"""The accounts' columns: one row per key, views that read the row, rows the store can write."""

from __future__ import annotations

from dcmon.engine.energy import CounterAccount, CounterTable, PowerAccount, PowerTable


def test_counter_rows_book_like_an_account_on_its_own() -> None:
    """Two series in one table book what two accounts on their own book, wraps included."""
    table, alone = CounterTable(), CounterAccount("E|b")
    a, b = table.add("E|a"), table.add("E|b")
    assert table.record(a) == ("E|a", 0.0, None, None, None, 0, 0, 0, 0)
    for ts, va, vb in ((0.0, 10.0, 900.0), (30.0, 25.0, 950.0), (60.0, 40.0, 20.0)):
        table.update(a, va, ts)
        table.update(b, vb, ts, counter_max=1000.0)
        alone.update(vb, ts, counter_max=1000.0)
    assert table["E|a"].total_j == 30.0
    view = table["E|b"]
    assert (view.total_j, view.wraps, view.last_value, view.last_ts) == (120.0, 1, 20.0, 60.0)
    assert (alone.total_j, alone.wraps) == (view.total_j, view.wraps)
    assert table.record(b) == ("E|b", 120.0, 20.0, 60.0, None, 1, 0, 0, 0)
    assert list(table) == ["E|a", "E|b"] and table.get("E|c") is None and "E|a" in table


def test_false_zero_and_marker_live_in_the_row() -> None:
    table = CounterTable()
    row = table.add("E|m", 5.0, 100.0, 0.0, "2026-01-01")
    table.update(row, 0.0, 30.0, marker="2026-01-01")
    assert table["E|m"].held_zero and table["E|m"].false_zeros == 1
    step = table.update(row, 130.0, 60.0, marker="2026-01-01")
    assert (step.joules, step.event, step.t0) == (30.0, "resumed", 0.0)
    step = table.update(row, 7.0, 90.0, marker="2026-02-01")
    assert (step.joules, step.event) == (7.0, "reset")
    assert table.record(row) == ("E|m", 42.0, 7.0, 90.0, "2026-02-01", 0, 1, 1, 0)


def test_power_rows_integrate_and_keep_their_gap_limit() -> None:
    table = PowerTable()
    row = table.add("P|p", 60.0)
    table.update(row, 100.0, 0.0)
    assert table.update(row, 300.0, 10.0).joules == 2000.0
    view = table["P|p"]
    view.max_gap_s = 5.0
    assert table.update(row, 300.0, 20.0).event == "gap"
    assert table.record(row) == ("P|p", 2000.0, 300.0, 20.0, 1)
    alone = PowerAccount("P|q", 60.0, 10.0, 100.0, 0.0)
    assert alone.update(100.0, 30.0).joules == 3000.0 and alone.total_j == 3010.0
