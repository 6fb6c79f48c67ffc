"""Energy accounts: device counters and power readings -> monotonic lifetime joules.

A meter's counter is not a clean monotonic series. It wraps at its declared width (Raritan
Unsigned32 Wh), stops or restarts at a cap (Geist 9,999,000 Wh), is reset by users (APC, Eaton,
Liebert), reads a false zero right after a reboot, and goes silent during outages. Hand-written
PromQL books each of these as negative or MWh-sized ``increase()`` spikes (prometheus#11433).

Each account keeps the last raw value and classifies every step:

* ``value >= last``: normal growth; the delta is booked, including the energy of any gap
  (the counter kept counting while we could not see it);
* ``value == 0`` after a non-zero value: a *false zero* (reboot), held back, not booked; the
  next reading decides (resumes from ``last`` or is a real reset);
* reset marker changed (APC/Eaton "counting since"): a user reset, whatever the value did; the
  new value is the energy since the reset and is booked;
* a drop with ``last`` in the top half of the counter range and a plausible wrapped delta:
  a *wrap*: ``max - last + value`` is booked;
* any other drop: a *reset* (user reset, meter swap, firmware reboot to zero); the new value
  is booked.

Meters without a counter are integrated from power with the trapezoidal rule, never across a
gap longer than ``max_gap_s`` (the energy of such a gap is *not* invented: coverage drops).

An engine keeps its accounts as columns (:class:`CounterTable`, :class:`PowerTable`: floats in
arrays, one row per series key) rather than an object per account, which cost a city ~2 KiB per
PDU more; :class:`CounterAccount` and :class:`PowerAccount` are views on a row.

This module is pure computation; :mod:`dcmon.engine.store` persists the state.
"""

from __future__ import annotations

import logging
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Self, TypeVar

from dcmon.model import Reading

log = logging.getLogger("dcmon.engine.energy")


@dataclass(slots=True)
class Step:
    """What one reading did to an account: the joules booked between ``t0`` and ``t1``."""

    joules: float
    t0: float
    t1: float
    event: str = ""  # "", "wrap", "reset", "false_zero", "resumed", "first", "gap", "stale"
    covered: bool = True


_NONE = float("nan")  # None in a float column: nothing read yet (SQLite stores NaN as NULL)


def _opt(x: float) -> float | None:
    return None if x != x else x


_V = TypeVar("_V")


class _Rows(Mapping[str, _V]):
    """Rows of columns keyed by series key, read as a mapping of views (the two account
    tables share this; each adds its own columns, ``add`` and ``update``)."""

    def __init__(self) -> None:
        self._rows: dict[str, int] = {}
        self.keys_: list[str] = []

    def _new_row(self, key: str) -> int:
        row = self._rows[key] = len(self.keys_)
        self.keys_.append(key)
        return row

    def _view(self, row: int) -> _V:
        raise NotImplementedError

    def row(self, key: str) -> int | None:
        return self._rows.get(key)

    def __getitem__(self, key: str) -> _V:
        return self._view(self._rows[key])

    def get(self, key: str, default: Any = None) -> Any:
        row = self._rows.get(key)
        return default if row is None else self._view(row)

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


class CounterTable(_Rows["CounterAccount"]):
    """Every counter account of an engine as columns, one row per series key.

    A city has ~13 counter accounts per PDU; as objects each was ~200 bytes (the object, a
    new float for its total and its last value on every poll, their allocator slack). A row
    here is ~50 bytes of columns plus its index entry. ``table[key]`` is a view on the row."""

    def __init__(self) -> None:
        super().__init__()
        self.total_j = array("d")
        self.last_value = array("d")
        self.last_ts = array("d")
        self.marker: list[str | None] = []
        self.wraps = array("q")
        self.resets = array("q")
        self.false_zeros = array("q")
        self.held_zero = bytearray()

    def add(self, key: str, total_j: float = 0.0, last_value: float | None = None,
            last_ts: float | None = None, last_marker: str | None = None, wraps: int = 0,
            resets: int = 0, false_zeros: int = 0, held_zero: bool = False) -> int:
        """A new account's row (the key must not have one yet)."""
        row = self._new_row(key)
        self.total_j.append(total_j)
        self.last_value.append(_NONE if last_value is None else last_value)
        self.last_ts.append(_NONE if last_ts is None else last_ts)
        self.marker.append(last_marker)
        self.wraps.append(wraps)
        self.resets.append(resets)
        self.false_zeros.append(false_zeros)
        self.held_zero.append(1 if held_zero else 0)
        return row

    def _view(self, row: int) -> CounterAccount:
        return CounterAccount.at(self, row)

    def record(self, row: int) -> tuple[str, float, float | None, float | None, str | None,
                                         int, int, int, int]:
        """The store's row of an account (a copy: the engine may go on updating)."""
        return (self.keys_[row], self.total_j[row], _opt(self.last_value[row]),
                _opt(self.last_ts[row]), self.marker[row], self.wraps[row], self.resets[row],
                self.false_zeros[row], self.held_zero[row])

    def update(self, row: int, value: float, ts: float, counter_max: float | None = None,
               capped: bool = False, marker: str | None = None) -> Step:
        """Apply one counter reading to a row and return what was booked."""
        last, t0 = self.last_value[row], self.last_ts[row]
        if last != last or t0 != t0:
            self.last_value[row], self.last_ts[row], self.marker[row] = value, ts, marker
            return Step(0.0, ts, ts, "first", covered=False)
        if ts <= t0:
            return Step(0.0, ts, ts, "stale", covered=False)
        held, old_marker = self.held_zero[row], self.marker[row]
        event = ""
        if marker is not None and old_marker is not None and marker != old_marker:
            delta, event = value, "reset"
        elif value == 0 and last > 0 and not held:
            # A false zero after a reboot: hold the old value; do not move the clock either, so
            # the next real reading books the whole interval.
            self.held_zero[row] = 1
            self.false_zeros[row] += 1
            log.info("%s: counter read 0 after %.0f; held as a false zero", self.keys_[row], last)
            return Step(0.0, t0, ts, "false_zero", covered=False)
        elif value >= last:
            delta = value - last
            event = "resumed" if held else ""
        elif counter_max and not capped and last >= counter_max / 2 and \
                (counter_max - last + value) < counter_max / 2:
            delta, event = counter_max - last + value, "wrap"
        elif counter_max and capped and last >= 0.9 * counter_max and value < 0.1 * counter_max:
            delta, event = max(0.0, counter_max - last) + value, "wrap"
        else:
            delta, event = value, "reset"
        if event == "wrap":
            self.wraps[row] += 1
            key = self.keys_[row]
            log.info("%s: counter wrapped (%.0f -> %.0f), booked %.0f %s", key, last, value,
                     delta, _unit(key))
        elif event == "reset":
            self.resets[row] += 1
            key = self.keys_[row]
            log.warning("%s: counter reset (%.0f -> %.0f, marker %s -> %s), booked %.0f %s",
                        key, last, value, old_marker, marker, delta, _unit(key))
        self.held_zero[row] = 0
        self.total_j[row] += delta
        self.last_value[row], self.last_ts[row] = value, ts
        if marker is not None:
            self.marker[row] = marker
        return Step(delta, t0, ts, event)


class _RowView:
    """A view on one row of a table: ``at`` makes one without building a one-row table."""

    __slots__ = ("_i", "_t")
    _t: Any
    _i: int

    @classmethod
    def at(cls, table: Any, row: int) -> Self:
        view = cls.__new__(cls)
        view._t, view._i = table, row
        return view


class CounterAccount(_RowView):
    """State of one energy counter series: a view on a row of a :class:`CounterTable` (its
    own one-row table when built on its own)."""

    __slots__ = ()
    _t: CounterTable

    def __init__(self, key: str, total_j: float = 0.0, last_value: float | None = None,
                 last_ts: float | None = None, last_marker: str | None = None, wraps: int = 0,
                 resets: int = 0, false_zeros: int = 0, held_zero: bool = False) -> None:
        self._t = CounterTable()
        self._i = self._t.add(key, total_j, last_value, last_ts, last_marker, wraps, resets,
                              false_zeros, held_zero)

    def update(self, value: float, ts: float, *, counter_max: float | None = None,
               capped: bool = False, marker: str | None = None) -> Step:
        """Apply one counter reading and return what was booked."""
        return self._t.update(self._i, value, ts, counter_max, capped, marker)

    @property
    def key(self) -> str:
        return self._t.keys_[self._i]

    @property
    def total_j(self) -> float:
        return self._t.total_j[self._i]

    @property
    def last_value(self) -> float | None:
        return _opt(self._t.last_value[self._i])

    @property
    def last_ts(self) -> float | None:
        return _opt(self._t.last_ts[self._i])

    @property
    def last_marker(self) -> str | None:
        return self._t.marker[self._i]

    @property
    def wraps(self) -> int:
        return self._t.wraps[self._i]

    @property
    def resets(self) -> int:
        return self._t.resets[self._i]

    @property
    def false_zeros(self) -> int:
        return self._t.false_zeros[self._i]

    @property
    def held_zero(self) -> bool:
        return bool(self._t.held_zero[self._i])


def _unit(key: str) -> str:
    """What an account of this series key counts: m3 for water (``W|``), else joules."""
    return "m3" if key.startswith("W|") else "J"


class PowerTable(_Rows["PowerAccount"]):
    """Every power account of an engine as columns (see :class:`CounterTable`)."""

    def __init__(self) -> None:
        super().__init__()
        self.max_gap_s = array("d")
        self.total_j = array("d")
        self.last_w = array("d")
        self.last_ts = array("d")
        self.gaps = array("q")

    def add(self, key: str, max_gap_s: float, total_j: float = 0.0,
            last_w: float | None = None, last_ts: float | None = None, gaps: int = 0) -> int:
        """A new account's row (the key must not have one yet)."""
        row = self._new_row(key)
        self.max_gap_s.append(max_gap_s)
        self.total_j.append(total_j)
        self.last_w.append(_NONE if last_w is None else last_w)
        self.last_ts.append(_NONE if last_ts is None else last_ts)
        self.gaps.append(gaps)
        return row

    def _view(self, row: int) -> PowerAccount:
        return PowerAccount.at(self, row)

    def record(self, row: int) -> tuple[str, float, float | None, float | None, int]:
        """The store's row of an account (a copy)."""
        return (self.keys_[row], self.total_j[row], _opt(self.last_w[row]),
                _opt(self.last_ts[row]), self.gaps[row])

    def update(self, row: int, watts: float, ts: float) -> Step:
        """Trapezoid between the previous and this reading, unless the gap is too long."""
        w0, t0 = self.last_w[row], self.last_ts[row]
        if w0 != w0 or t0 != t0:
            self.last_w[row], self.last_ts[row] = watts, ts
            return Step(0.0, ts, ts, "first", covered=False)
        if ts <= t0:
            return Step(0.0, ts, ts, "stale", covered=False)
        self.last_w[row], self.last_ts[row] = watts, ts
        if ts - t0 > self.max_gap_s[row]:
            self.gaps[row] += 1
            return Step(0.0, t0, ts, "gap", covered=False)
        joules = (w0 + watts) / 2.0 * (ts - t0)
        self.total_j[row] += joules
        return Step(joules, t0, ts)


class PowerAccount(_RowView):
    """State of one power series integrated into energy (a meter without a counter): a view on
    a row of a :class:`PowerTable`."""

    __slots__ = ()
    _t: PowerTable

    def __init__(self, key: str, max_gap_s: float, total_j: float = 0.0,
                 last_w: float | None = None, last_ts: float | None = None,
                 gaps: int = 0) -> None:
        self._t = PowerTable()
        self._i = self._t.add(key, max_gap_s, total_j, last_w, last_ts, gaps)

    def update(self, watts: float, ts: float) -> Step:
        """Trapezoid between the previous and this reading, unless the gap is too long."""
        return self._t.update(self._i, watts, ts)

    @property
    def key(self) -> str:
        return self._t.keys_[self._i]

    @property
    def max_gap_s(self) -> float:
        return self._t.max_gap_s[self._i]

    @max_gap_s.setter
    def max_gap_s(self, value: float) -> None:
        self._t.max_gap_s[self._i] = value

    @property
    def total_j(self) -> float:
        return self._t.total_j[self._i]

    @property
    def last_w(self) -> float | None:
        return _opt(self._t.last_w[self._i])

    @property
    def last_ts(self) -> float | None:
        return _opt(self._t.last_ts[self._i])

    @property
    def gaps(self) -> int:
        return self._t.gaps[self._i]


HOUR = 3600.0


@dataclass(slots=True)
class HourBucket:
    """Energy, peak power and covered seconds of one account in one hour."""

    energy_j: float = 0.0
    peak_w: float = 0.0
    covered_s: float = 0.0


def split_hours(step: Step) -> list[tuple[float, float, float]]:
    """Spread a step's joules over the hours it spans, pro rata: [(hour_start, J, seconds)]."""
    t0, t1 = step.t0, step.t1
    if t1 <= t0:
        return []
    out = []
    span = t1 - t0
    h = t0 - (t0 % HOUR)
    while h < t1:
        a, b = max(t0, h), min(t1, h + HOUR)
        if b > a:
            out.append((h, step.joules * (b - a) / span, b - a))
        h += HOUR
    return out


@dataclass
class Rollup:
    """Hourly buckets of many accounts, in memory until the store flushes them."""

    hours: dict[tuple[str, float], HourBucket] = field(default_factory=dict)

    def add(self, key: str, step: Step, watts: float | None = None) -> None:
        hours = self.hours
        t0, t1 = step.t0, step.t1
        h = t0 - (t0 % HOUR)
        if t0 < t1 <= h + HOUR:
            # Within one hour (nearly every poll): split_hours' single bucket, same arithmetic.
            parts: list[tuple[float, float, float]] | tuple[tuple[float, float, float]] = (
                (h, step.joules * (t1 - t0) / (t1 - t0), t1 - t0),)
        else:
            parts = split_hours(step)
        for hour, joules, secs in parts:
            b = hours.get((key, hour))
            if b is None:
                b = hours[(key, hour)] = HourBucket()
            b.energy_j += joules
            if step.covered:
                b.covered_s += secs
        if watts is not None:
            hour = t1 - (t1 % HOUR)
            b = hours.get((key, hour))
            if b is None:
                b = hours[(key, hour)] = HourBucket()
            b.peak_w = max(b.peak_w, watts)


@dataclass(frozen=True, slots=True)
class Series:
    """Metadata of one energy or power series."""

    key: str
    device: str
    metric: str
    level: str
    labels: Mapping[str, str]
    rack_power: bool


def series_key(kind: str, r: Reading) -> str:
    labels = ",".join(f"{k}={v}" for k, v in sorted(r.labels.items()))
    return f"{kind}|{r.device}|{r.metric}|{r.level}|{labels}"
