"""A ``/metrics`` that scales: each device's samples are rendered once, when its poll lands.

A city has about 10,000 PDUs. Building prometheus_client ``Metric`` objects for every sample on
every scrape costs about 11 s at 525,000 lines, past Prometheus's default 10 s scrape timeout.
Here a poll renders that device's sample lines (its readings and its poll health) into bytes,
keyed by metric family; a scrape only joins cached bytes under each family's header, so it
costs a pass over memory. The samples are exactly those of
:class:`~dcmon.exporters.prometheus.collector.SnapshotCollector`, in the text format 0.0.4 that
prometheus_client writes (same label order, escaping and number format).

``site`` narrows a scrape to one site's devices (``/metrics?site=``), so a city can be scraped by
several Prometheus jobs, or a site's own Prometheus can take only its share.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import cast

from prometheus_client.utils import floatToGoString

from dcmon.engine.snapshot import DeviceHealth, Snapshot
from dcmon.exporters.prometheus.collector import (
    DEVICE_LABELS,
    HELP,
    UNIT_SUFFIX,
    family_name,
    label_name,
)
from dcmon.exporters.prometheus.gzipped import (
    BLOCK,
    INFLATE_RUN,
    PACKED_HEAD,
    PACKED_TAIL,
    inflate_run,
    pack_piece,
)
from dcmon.model import PollResult, Reading

HEALTH_LABELS = ("site", "room", "rack", "device", "profile")
#: prometheus_client's own number format (Go's), so values read exactly as its exposition.
go_float = cast(Callable[[float], str], floatToGoString)


@dataclass(frozen=True, slots=True)
class Family:
    """A metric family's header: its exposed name (``_total`` for counters), type and help."""

    name: str
    type: str
    help: str

    def header(self) -> bytes:
        doc = self.help.replace("\\", r"\\").replace("\n", r"\n")
        return f"# HELP {self.name} {doc}\n# TYPE {self.name} {self.type}\n".encode()


HEALTH_FAMILIES = (
    Family("dcmon_device_up", "gauge", "1 if the last poll of the device succeeded"),
    Family("dcmon_device_poll_duration_seconds", "gauge", "Wall time of the last poll"),
    Family("dcmon_device_last_success_timestamp_seconds", "gauge",
           "Unix time of the last successful poll"),
    Family("dcmon_device_missing_oids", "gauge",
           "Profile OIDs the device did not answer in the last poll"),
    Family("dcmon_device_poll_errors_total", "counter",
           "Failed polls by reason (timeout, auth, decode, ...)"),
)


def escape(value: str) -> str:
    """A label value escaped as the text format wants it."""
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def sample_line(name: str, labels: Iterable[tuple[str, str]], value: float) -> str:
    """One sample as prometheus_client writes it: labels sorted by name."""
    body = ",".join(f'{k}="{escape(v)}"' for k, v in sorted(labels))
    return f"{name}{{{body}}} {go_float(value)}\n"


def reading_family(r: Reading) -> Family:
    name = family_name(r.metric, r.unit)
    doc = HELP.get(r.metric, r.metric.replace("_", " ").capitalize())
    if r.kind == "counter":
        return Family(name + "_total", "counter", doc)
    return Family(name, "gauge", doc)


def reading_labels(place: tuple[str, str, str, str], r: Reading) -> list[tuple[str, str]]:
    labels = list(zip(DEVICE_LABELS, place, strict=True))
    labels += [(label_name(k), v) for k, v in sorted(r.labels.items())]
    if r.level:
        labels.append(("level", r.level))
    if r.rack_power:
        labels.append(("rack_power", "true"))
    return labels


def render_readings(place: tuple[str, str, str, str], readings: Iterable[Reading]
                    ) -> Iterator[tuple[Family, str]]:
    """(family, sample line) of each reading; a repeated label set keeps its first reading."""
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    for r in readings:
        fam = reading_family(r)
        labels = reading_labels(place, r)
        ident = (fam.name, tuple(labels))
        if ident in seen:
            continue
        seen.add(ident)
        yield fam, sample_line(fam.name, labels, r.value * UNIT_SUFFIX[r.unit][1])


def render_health(device: str, h: DeviceHealth) -> Iterator[tuple[Family, str]]:
    """The device's poll health as the self-metrics families."""
    labels = list(zip(HEALTH_LABELS, (h.info.site, h.info.room, h.info.rack, device,
                                      h.profile or h.info.profile), strict=True))
    up, dur, last, missing, errs = HEALTH_FAMILIES
    yield up, sample_line(up.name, labels, 1.0 if h.up else 0.0)
    yield dur, sample_line(dur.name, labels, h.last_duration)
    yield last, sample_line(last.name, labels, h.last_success_ts)
    yield missing, sample_line(missing.name, labels, float(h.missing_oids))
    for reason, n in sorted(h.errors.items()):
        yield errs, sample_line(errs.name, [*labels, ("reason", reason)], float(n))


@dataclass(frozen=True, slots=True)
class Kept:
    """One device's samples as the cache keeps them: each family's lines, one family after
    the other in one bytes object (text, or packed pieces when ``packed``).

    One object per device, not one per family and device: a city's 130,000 small pieces cost
    ~45 bytes each in object headers and dict entries, and as objects under 512 bytes that
    live a minute and are replaced by every poll they scattered over Python's small-object
    arenas and kept ~40 MiB of them from being reused or handed back."""

    site: str
    #: Its families, in name order (one shared tuple per distinct set of families).
    names: tuple[str, ...]
    data: bytes
    #: End offset in ``data`` of each family's part.
    ends: array[int]
    #: Length of the text of all its parts.
    text_len: int
    packed: bool

    def parts(self) -> Iterator[bytes]:
        start = 0
        for end in self.ends:
            yield self.data[start:end]
            start = end


def keep(site: str, names: tuple[str, ...], parts: list[bytes], text_len: int,
         packed: bool) -> Kept:
    return Kept(site, names, b"".join(parts), array("I", accumulate(map(len, parts))),
                text_len, packed)


class ExpositionCache:
    """Each device's rendered samples, by family; refreshed by :meth:`on_poll`.

    A poll stores its lines as text; :meth:`pack` (a thread of the service, every second)
    packs them (:func:`gzipped.pack_piece`: gzip members that a plain scrape inflates in
    runs), a quarter of the size (7.3 -> 2 KiB a PDU). Compressing
    is left out of the poll on purpose: the poll runs on the event loop. A scrape packs what
    is still text, then writes each family's header and every device's part of it.
    """

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._lock = threading.Lock()
        self._families: dict[str, Family] = {f.name: f for f in HEALTH_FAMILIES}
        #: device -> its samples as kept.
        self._kept: dict[str, Kept] = {}
        #: Each distinct set of family names: its one shared tuple, and name -> index in it.
        self._shapes: dict[tuple[str, ...], tuple[tuple[str, ...], dict[str, int]]] = {}
        #: Devices refreshed since the last :meth:`pack`.
        self._fresh: set[str] = set()
        self._headers: dict[str, bytes] = {}  # family name -> its header, packed
        self._packer: threading.Thread | None = None
        self._stop = threading.Event()
        self._generation = -1
        self._resync_lock = threading.Lock()
        self._resync()

    def _resync(self) -> None:
        """Render every configured device and forget removed ones (at start and after a
        reload changed the device list). One resync at a time; the generation is taken when
        it begins and marked done only at its end, so a scrape meanwhile resyncs too rather
        than serving the removed devices."""
        with self._resync_lock:
            generation = self.snapshot.generation
            if generation == self._generation:
                return  # another scrape's resync did it
            devices = self.snapshot.health()
            with self._lock:
                for gone in set(self._kept) - set(devices):
                    del self._kept[gone]
                self._fresh &= set(devices)
            for device in devices:
                self.refresh(device)
            self._generation = generation

    def on_poll(self, result: PollResult) -> None:
        """The poller's listener: render the device whose poll just landed, from the poll's
        own readings (the snapshot keeps them packed, and has just stored them: a failed
        poll leaves none)."""
        self.refresh(result.device, result.readings if result.ok else ())

    def refresh(self, device: str, polled: tuple[Reading, ...] | None = None) -> None:
        readings, health = self.snapshot.device(device, readings=polled is None)
        if polled is not None:
            readings = polled
        if health is None:
            return
        place = (health.info.site, health.info.room, health.info.rack, device)
        rendered: dict[str, list[str]] = {}
        families: list[Family] = []
        for fam, line in (*render_readings(place, readings), *render_health(device, health)):
            if fam.name not in rendered:
                rendered[fam.name] = []
                families.append(fam)
            rendered[fam.name].append(line)
        parts = [("".join(rendered[name])).encode() for name in sorted(rendered)]
        with self._lock:
            for fam in families:
                self._families.setdefault(fam.name, fam)
            names = self._shape(tuple(sorted(rendered)))
            self._kept[device] = keep(health.info.site, names, parts, sum(map(len, parts)),
                                      packed=False)
            self._fresh.add(device)

    def _shape(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """The shared copy of a set of family names (under the lock)."""
        got = self._shapes.get(names)
        if got is None:
            got = self._shapes[names] = (names, {name: i for i, name in enumerate(names)})
        return got[0]

    def pack(self) -> int:
        """Compress what polls stored as text since the last call; returns the devices packed.
        The lock is held only to take and to put back, never while compressing."""
        with self._lock:
            fresh, self._fresh = self._fresh, set()
        for device in fresh:
            with self._lock:
                kept = self._kept.get(device)
            if kept is not None and not kept.packed:
                self._put_packed([(device, kept, _packed(kept))])
        return len(fresh)

    def _put_packed(self, done: list[tuple[str, Kept, Kept]]) -> None:
        """Keep the packed form of each device's samples unless a poll refreshed them since
        they were taken."""
        with self._lock:
            for device, kept, packed in done:
                if self._kept.get(device) is kept:
                    self._kept[device] = packed

    def start(self, every_s: float = 1.0) -> None:
        """Pack every ``every_s`` seconds in a thread of its own (``dcmon run``)."""
        def run() -> None:
            while not self._stop.wait(every_s):
                self.pack()
        self._stop.clear()
        self._packer = threading.Thread(target=run, name="dcmon-exposition-pack", daemon=True)
        self._packer.start()

    def stop(self) -> None:
        self._stop.set()
        if self._packer is not None:
            self._packer.join(timeout=5)
            self._packer = None

    def body(self, site: str | None = None) -> bytes:
        """The text exposition of every device (or of one site's), families in name order."""
        return b"".join(self.plain(site)[1])

    def members(self, site: str | None = None) -> list[bytes]:
        """:meth:`body` gzipped, in blocks of gzip members (as a gzip scrape writes it)."""
        return list(self.gzipped(site)[1])

    def plain(self, site: str | None = None) -> tuple[int, Iterator[bytes]]:
        """The length of :meth:`body` and its text in blocks, made as they are written: the
        deflate data of ~64 KB of packed pieces at a time is inflated as one stream (one
        zlib call; see :mod:`gzipped`)."""
        kept, names = self._taken(site)
        size = sum(k.text_len for k in kept) + sum(len(self._families[n].header())
                                                    for n in names)
        runs = self._runs(kept, names, INFLATE_RUN, PACKED_HEAD, PACKED_TAIL)
        return size, map(inflate_run, runs)

    def gzipped(self, site: str | None = None) -> tuple[int, Iterator[bytes]]:
        """The length of the gzip body and its gzip members joined in blocks of ~1 MB."""
        kept, names = self._taken(site)
        size = sum(len(k.data) for k in kept) + sum(len(self._header(n)) for n in names)
        return size, map(b"".join, self._runs(kept, names, BLOCK, 0, 0))

    def _taken(self, site: str | None) -> tuple[list[Kept], list[str]]:
        """The devices' samples (of one site, or all), every one packed, and the names of
        the families they have, in order."""
        if self._generation != self.snapshot.generation:
            self._resync()
        with self._lock:
            taken = [(d, k) for d, k in self._kept.items() if site is None or k.site == site]
        # Polled since the packer's last turn: packed here, and kept packed for the next.
        done = [(d, k, _packed(k)) for d, k in taken if not k.packed]
        self._put_packed(done)
        packed = {d: p for d, _, p in done}
        kept = [packed.get(d, k) for d, k in taken]
        shapes = {k.names for k in kept}
        names = sorted({n for shape in shapes for n in shape})
        return kept, names

    def _header(self, name: str) -> bytes:
        header = self._headers.get(name)
        if header is None:
            header = self._headers[name] = pack_piece(self._families[name].header())
        return header

    def _runs(self, kept: list[Kept], names: list[str], size: int, head: int, tail: int
              ) -> Iterator[list[bytes]]:
        """Each family's header, then every device's part of it, as packed pieces less
        ``head`` and ``tail`` bytes (their deflate data, or whole), in lists of ~``size``
        bytes. The pieces are cut out of each device's data as they are needed: a list of
        the city's 130,000 pieces (or views of them) would be ~10 MB more per scrape."""
        by_shape: dict[tuple[str, ...], list[Kept]] = {}
        for k in kept:
            by_shape.setdefault(k.names, []).append(k)
        run: list[bytes] = []
        n = 0
        for name in names:
            header = self._header(name)
            run.append(header[head:len(header) - tail])
            for shape, group in by_shape.items():
                i = self._shapes[shape][1].get(name)
                if i is None:
                    continue
                for k in group:
                    ends = k.ends
                    piece = k.data[(ends[i - 1] if i else 0) + head:ends[i] - tail]
                    run.append(piece)
                    n += len(piece)
                    if n >= size:
                        yield run
                        run, n = [], 0
        if run:
            yield run


def _packed(kept: Kept) -> Kept:
    """``kept`` with each part packed (:func:`gzipped.pack_piece`)."""
    return keep(kept.site, kept.names, [pack_piece(p) for p in kept.parts()], kept.text_len,
                packed=True)
