"""Readings kept compactly: one shared shape per profile and label set, the values in arrays.

The snapshot keeps every device's last poll for as long as the next one takes. A ``Reading`` is
a 14-slot object (144 bytes) plus its value: 51 of them per PDU were 7.2 KiB, 70 MB at 10,000
PDUs. Everything in a reading but its value and time is the same from poll to poll, and the same
on every device of a profile with the same labels, so a device's readings are kept as

* a *shape*: the tuple of each reading's fixed fields (metric, unit, labels, kind, level, ...),
  interned, so all the PDUs of a profile share one;
* the values, and the times (one float when the poll stamped every reading alike), as arrays.

``Reading`` objects are made again, equal field for field, only when a reader asks for a
device. Readings that do not fit (a ``Source``, mixed devices, values that are not floats) are
kept as they came: packing never changes what a reader gets.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from dcmon.model import Reading

#: The fixed fields of a reading, in ``Reading``'s order after ``device``, ``value``,
#: ``ts`` and ``source``: metric, unit, labels, kind, level, rack_power, reset_marker,
#: counter_max, counter_capped, resettable.
Proto = tuple[Any, ...]

_K = TypeVar("_K")

#: Interned protos and shapes before the tables start over (label sets or reset markers that
#: differ per device only add entries; what is already packed keeps its references).
_INTERN_MAX = 200_000


class Packed:
    """One device's readings: a shared shape, its values and its time(s)."""

    __slots__ = ("device", "shape", "ts", "values")

    def __init__(self, device: str, shape: tuple[Proto, ...], values: array[float],
                 ts: float | array[float]) -> None:
        self.device = device
        self.shape = shape
        self.values = values
        self.ts = ts

    def readings(self) -> tuple[Reading, ...]:
        device, ts = self.device, self.ts
        if isinstance(ts, float):
            return tuple(Reading(device, m, v, u, lab, ts, None, k, lv, rp, rm, cm, cc, rs)
                         for (m, u, lab, k, lv, rp, rm, cm, cc, rs), v
                         in zip(self.shape, self.values, strict=True))
        return tuple(Reading(device, m, v, u, lab, t, None, k, lv, rp, rm, cm, cc, rs)
                     for (m, u, lab, k, lv, rp, rm, cm, cc, rs), v, t
                     in zip(self.shape, self.values, ts, strict=True))


    def some(self, rows: Rows) -> tuple[Reading, ...]:
        """Only the readings at ``rows(shape)``, made without making the others."""
        return tuple(_subset(self, _rows_of(rows, self.shape)))

    def latest_ts(self) -> float:
        ts = self.ts
        return ts if isinstance(ts, float) else max(ts)


#: Chooses some of a device's readings by their fixed fields (a shape's protos, or the protos
#: of readings kept as they came): the rows chosen, in order.
Rows = Callable[[Sequence[Proto]], tuple[int, ...]]


#: The levels ``pue.narrow`` takes for a whole meter when none of its readings is rack power.
METER_LEVELS = ("total", "device")


def meter_rows(shape: Sequence[Proto]) -> tuple[int, ...]:
    """The readings that can matter to the power of a meter as PUE chooses it
    (``pue.select_readings``): powers in watts, and the readings that decide which level
    counts (rack power, and a meter's ``total`` or ``device`` level)."""
    return tuple(i for i, (m, u, _, _, lv, rp, *_rest) in enumerate(shape)
                 if (m == "power" and u == "W") or rp or lv in METER_LEVELS)


#: (rule, shape id) -> (the shape, its rows): shapes are interned, so a rule runs once per
#: profile and label set; the entry holds the shape, so its id stays its own.
_ROWS: dict[tuple[Rows, int], tuple[tuple[Proto, ...], tuple[int, ...]]] = {}


def _rows_of(rows: Rows, shape: tuple[Proto, ...]) -> tuple[int, ...]:
    got = _ROWS.get((rows, id(shape)))
    if got is None or got[0] is not shape:
        if len(_ROWS) >= _INTERN_MAX // 10:
            _ROWS.clear()
        got = _ROWS[(rows, id(shape))] = (shape, rows(shape))
    return got[1]


def _proto(r: Reading) -> Proto:
    return (r.metric, r.unit, r.labels, r.kind, r.level, r.rack_power, r.reset_marker,
            r.counter_max, r.counter_capped, r.resettable)


def _subset(p: Packed, rows: tuple[int, ...]) -> Iterator[Reading]:
    device, ts, shape, values = p.device, p.ts, p.shape, p.values
    for i in rows:
        m, u, lab, k, lv, rp, rm, cm, cc, rs = shape[i]
        t = ts if isinstance(ts, float) else ts[i]
        yield Reading(device, m, values[i], u, lab, t, None, k, lv, rp, rm, cm, cc, rs)


def _remember(made: dict[_K, tuple[Reading, ...]], key: _K, value: tuple[Reading, ...],
              keep: int) -> None:
    """``made[key] = value``, forgetting the oldest entry beyond ``keep``."""
    if len(made) >= keep:
        del made[next(iter(made))]
    made[key] = value


def view_of(readings: Mapping[str, Sequence[Reading]]) -> ReadingsView:
    """``readings`` as a view (itself when it is one): readers that take a few readings of a
    device (``some``) read a plain mapping, a replay's, the same way as the snapshot's."""
    if isinstance(readings, ReadingsView):
        return readings
    return ReadingsView({d: tuple(rs) for d, rs in readings.items()})


#: What the snapshot keeps per device: packed, or the readings as they came.
Stored = Packed | tuple[Reading, ...]


def unpack(stored: Stored) -> tuple[Reading, ...]:
    return stored if isinstance(stored, tuple) else stored.readings()


class Packer:
    """Packs readings against interned shapes; one per snapshot (not thread-safe: the
    snapshot calls it under its lock)."""

    def __init__(self) -> None:
        self._protos: dict[tuple[Any, ...], Proto] = {}
        #: Keyed by the ids of the protos: a shape holds its protos, so the ids stay theirs.
        self._shapes: dict[tuple[int, ...], tuple[Proto, ...]] = {}
        self._labels: dict[tuple[tuple[str, str], ...], Mapping[str, str]] = {}

    def pack(self, readings: tuple[Reading, ...]) -> Stored:
        if not readings:
            return readings
        device, ts0 = readings[0].device, readings[0].ts
        protos, labels_of = self._protos, self._labels
        shape: list[Proto] = []
        same_ts = True
        for r in readings:
            if (r.source is not None or r.device != device or type(r.value) is not float
                    or type(r.ts) is not float):
                return readings
            same_ts = same_ts and r.ts == ts0
            try:
                lk = tuple(r.labels.items())
                key = (r.metric, r.unit, lk, r.kind, r.level, r.rack_power, r.reset_marker,
                       r.counter_max, r.counter_capped, r.resettable)
                proto = protos.get(key)
            except TypeError:  # a label value that cannot be hashed: keep as it came
                return readings
            if proto is None:
                if len(protos) >= _INTERN_MAX:
                    protos.clear()
                    labels_of.clear()
                labels = labels_of.get(lk)
                if labels is None:
                    labels = labels_of[lk] = dict(lk)
                proto = protos[key] = (r.metric, r.unit, labels, *key[3:])
            shape.append(proto)
        ident = tuple(map(id, shape))
        interned = self._shapes.get(ident)
        if interned is None:
            if len(self._shapes) >= _INTERN_MAX // 10:
                self._shapes.clear()
            interned = self._shapes[ident] = tuple(shape)
        values = array("d", [r.value for r in readings])
        ts: float | array[float] = ts0 if same_ts else array("d", [r.ts for r in readings])
        return Packed(device, interned, values, ts)


class ReadingsView(Mapping[str, tuple[Reading, ...]]):
    """Every device's stored readings, made into Readings one device at a time as a reader
    asks (a full copy of a city's Readings would be the 70 MB that packing saves). The last
    few devices made are kept: readers ask for one device several times in a row, and a
    rack's capacity goes back and forth between its feeds' PDUs (with only the last one kept,
    a city's capacity made every reading 2.5 times)."""

    KEEP = 8

    def __init__(self, stored: dict[str, Stored]) -> None:
        self._stored = stored
        self._made: dict[str, tuple[Reading, ...]] = {}
        #: The last few subsets made (a rack's figures, then its feeds', read the same PDUs).
        self._some: dict[tuple[str, Rows], tuple[Reading, ...]] = {}

    def __getitem__(self, device: str) -> tuple[Reading, ...]:
        made = self._made.get(device)
        if made is not None:
            return made
        readings = unpack(self._stored[device])
        _remember(self._made, device, readings, self.KEEP)
        return readings

    def some(self, device: str, rows: Rows) -> tuple[Reading, ...]:
        """The device's readings that ``rows`` chooses (none for a device not kept), without
        making its other readings: a results run needs a few readings of every device."""
        got = self._some.get((device, rows))
        if got is None:
            made = self._made.get(device)
            stored = self._stored.get(device, ()) if made is None else made
            got = stored.some(rows) if isinstance(stored, Packed) else tuple(
                stored[i] for i in rows([_proto(r) for r in stored]))
            _remember(self._some, (device, rows), got, self.KEEP)
        return got

    def has(self, device: str) -> bool:
        """The device has readings kept."""
        return bool(self._stored.get(device))

    def latest_ts(self, device: str) -> float | None:
        """The time of the device's latest reading (None without readings)."""
        stored = self._stored.get(device)
        if not stored:
            return None
        return stored.latest_ts() if isinstance(stored, Packed) else max(r.ts for r in stored)

    def stored(self, device: str) -> Stored:
        """The device's readings as kept (packed or as they came), for writers that need no
        Reading objects (the live readings file)."""
        return self._stored[device]

    def __iter__(self) -> Iterator[str]:
        return iter(self._stored)

    def __len__(self) -> int:
        return len(self._stored)
