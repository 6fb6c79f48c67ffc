"""Readings as InfluxDB line protocol, one line per reading, with the reading's own timestamp.

The timestamp is the reading's ``ts`` and never the write time: a point that is retried, or
replayed from the spool after a crash, lands on exactly the same series and time, so InfluxDB
overwrites it instead of storing a second copy (VictoriaMetrics does the same with deduplication
on). The measurement is the metric name and the single field ``value`` is in the reading's own
unit, named by the ``unit`` tag, so the data matches ``dcmon poll`` rather than the converted
Prometheus families.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import cast

from influxdb_client.client.write.point import Point
from influxdb_client.domain.write_precision import WritePrecision

from dcmon.model import Reading


def wire_precision(precision: str) -> WritePrecision:
    """The client's precision constant ("ms" or "s"): the library types its string constants
    as the class, so this is the one cast."""
    return cast(WritePrecision, WritePrecision.MS if precision == "ms" else WritePrecision.S)


#: Tags dcmon sets itself; a reading label with one of these names is written as ``m_<name>``.
RESERVED_TAGS = frozenset({"site", "room", "rack", "device", "level", "unit", "rack_power"})


@dataclass(frozen=True, slots=True)
class Place:
    """Where a device sits: the site, room and rack tags of its points ("" = not in one)."""

    site: str
    room: str = ""
    rack: str = ""


def tag_name(label: str) -> str:
    """A reading label's tag name: unchanged unless it would overwrite one of dcmon's tags."""
    return f"m_{label}" if label in RESERVED_TAGS else label


def timestamp(ts: float, precision: str) -> int:
    """The reading time as an integer in the wire precision (rounded, so 0.1 s steps stay exact)."""
    return round(ts * 1000) if precision == "ms" else round(ts)


def to_line(reading: Reading, place: Place, precision: str = "ms") -> str | None:
    """One line of line protocol, or None when the value cannot be written (NaN, infinity).

    Empty tag values are left out (line protocol has no empty tags), so a site-level device has
    no ``room`` or ``rack`` tag at all.
    """
    if not math.isfinite(reading.value):
        return None
    tags = {"site": place.site, "room": place.room, "rack": place.rack,
            "device": reading.device, "unit": reading.unit}
    for key, value in reading.labels.items():
        tags[tag_name(key)] = value
    if reading.level:
        tags["level"] = reading.level
    if reading.rack_power:
        tags["rack_power"] = "true"
    # Point does the escaping (spaces, commas, '=' in tags) and sorts the tags, so equal
    # readings give byte-equal lines. The client library ships no annotations for it.
    point = Point.from_dict({"measurement": reading.metric, "tags": tags,
                             "fields": {"value": float(reading.value)},
                             "time": timestamp(reading.ts, precision)},
                            write_precision=wire_precision(precision))
    line = point.to_line_protocol()
    return str(line) if line else None


def to_lines(readings: Iterable[Reading], places: Mapping[str, Place],
             precision: str = "ms") -> Iterator[str]:
    """Lines for every writable reading; a device missing from ``places`` gets empty tags."""
    unknown = Place("")
    for r in readings:
        line = to_line(r, places.get(r.device, unknown), precision)
        if line is not None:
            yield line
