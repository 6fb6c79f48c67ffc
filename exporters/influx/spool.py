"""A bounded, ordered disk spool of line-protocol batches, for while the server is down.

One file per batch (``<seq>.lp``, one point per line), written to a temporary name, fsynced and
renamed, so a crash leaves either the whole batch or none of it. Sequence numbers only grow, so
the file names give the replay order, also after a restart. A segment is removed only after the
server acknowledged it (the caller decides); until then a restart replays it.

The spool has a byte budget. When a new batch does not fit, the oldest points go first (whole
segments, and if the new batch alone is too big, its own oldest lines): the newest data is what
an operator needs after an outage. Every dropped point is returned to the caller, which counts
and logs it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("dcmon.influx")

SUFFIX = ".lp"


@dataclass(frozen=True, slots=True)
class Segment:
    """One spooled batch: its file, sequence number, point count and size on disk."""

    seq: int
    path: Path
    points: int
    size: int


class Spool:
    """Ordered segments under ``path``; totals are safe to read from another thread."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._segments: deque[Segment] = deque()
        self._points = 0
        self._bytes = 0
        path.mkdir(parents=True, exist_ok=True)
        for tmp in path.glob("*.tmp"):  # a batch whose write was interrupted: never acknowledged
            tmp.unlink(missing_ok=True)
        found: list[Segment] = []
        for f in path.glob("*" + SUFFIX):
            if not f.stem.isdigit():
                continue
            data = f.read_bytes()
            found.append(Segment(int(f.stem), f, data.count(b"\n"), len(data)))
        for seg in sorted(found, key=lambda s: s.seq):
            self._add(seg)
        self._next_seq = max((s.seq for s in found), default=0) + 1
        if found:
            log.info("influx spool %s: %d points in %d segments to replay", path, self._points,
                     len(self._segments))

    def _add(self, seg: Segment) -> None:
        with self._lock:
            self._segments.append(seg)
            self._points += seg.points
            self._bytes += seg.size

    def _pop_oldest(self) -> Segment:
        with self._lock:
            seg = self._segments.popleft()
            self._points -= seg.points
            self._bytes -= seg.size
        return seg

    @property
    def points(self) -> int:
        with self._lock:
            return self._points

    @property
    def size(self) -> int:
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._segments)

    def oldest(self) -> Segment | None:
        with self._lock:
            return self._segments[0] if self._segments else None

    def append(self, lines: list[str]) -> int:
        """Spool one batch after older ones; return how many points were dropped to fit it."""
        dropped = 0
        encoded = [(line + "\n").encode() for line in lines]
        size = sum(len(b) for b in encoded)
        while encoded and size > self.max_bytes:  # the batch alone exceeds the budget
            size -= len(encoded.pop(0))
            dropped += 1
        if not encoded:
            return dropped
        while self.size + size > self.max_bytes and len(self):
            seg = self._pop_oldest()
            seg.path.unlink(missing_ok=True)
            dropped += seg.points
        seq = self._next_seq
        self._next_seq += 1
        final = self.path / f"{seq:012d}{SUFFIX}"
        tmp = final.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            f.write(b"".join(encoded))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
        self._add(Segment(seq, final, len(encoded), size))
        return dropped

    def read(self, seg: Segment) -> list[str]:
        """The lines of a segment; an unreadable segment reads as empty (the caller drops it)."""
        try:
            text = seg.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            log.error("influx spool: cannot read %s (%s): dropping it", seg.path, exc)
            return []
        return [line for line in text.split("\n") if line]

    def remove(self, seg: Segment) -> None:
        """Forget the oldest segment (after the server acknowledged it, or to drop it)."""
        oldest = self.oldest()
        if oldest is None or oldest.seq != seg.seq:
            raise ValueError(f"segment {seg.seq} is not the oldest")
        self._pop_oldest()
        seg.path.unlink(missing_ok=True)
