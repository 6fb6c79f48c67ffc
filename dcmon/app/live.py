"""The running service's latest readings, kept in ``state_dir`` for the commands beside it.

``dcmon run`` holds each device's latest readings in memory (the snapshot); the state store
keeps only history (hourly energy, load history). Without the snapshot, ``dcmon report
capacity`` run beside the service could show no rack's load now and list every PDU as a stale
input. So every results run (every 60 s) the service writes the snapshot to
``state_dir/live-readings.jsonl``, in the replay format (docs/energy.md), replacing the file
atomically, and the report reads it back. Each reading keeps its own time, so a file left by a
stopped service ages like the service's own snapshot: a reading older than
``capacity.stale_after_intervals`` poll intervals is flagged stale, never passed off as live.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dcmon.app.replay import parse_lines
from dcmon.engine.results import Results
from dcmon.model import Reading

log = logging.getLogger("dcmon.app.live")

LIVE_FILE = "live-readings.jsonl"


def reading_line(r: Reading) -> str:
    """One reading as a replay line (every field the capacity computation reads).

    The line is exactly ``json.dumps`` of those fields with compact separators, written by
    hand: a city's 500,000 readings a minute through ``json.dumps`` held the interpreter for
    ~8 s of every results run, and the polls waited for it.
    """
    s = _json_str
    labels = ",".join(f"{s(k)}:{s(v)}" for k, v in r.labels.items())
    line = (f'{{"ts":{_json_num(r.ts)},"device":{s(r.device)},"metric":{s(r.metric)},'
            f'"value":{_json_num(r.value)},"unit":{s(r.unit)},"labels":{{{labels}}},'
            f'"kind":{s(r.kind)},"level":{s(r.level)},"rack_power":{_BOOL[r.rack_power]},'
            f'"resettable":{_BOOL[r.resettable]},"counter_capped":{_BOOL[r.counter_capped]}')
    if r.reset_marker is not None:
        line += f',"reset_marker":{s(r.reset_marker)}'
    if r.counter_max is not None:
        line += f',"counter_max":{_json_num(r.counter_max)}'
    return line + "}"


#: json's own string encoder (the C one json.dumps uses, ASCII-only like its default).
_json_str: Callable[[str], str] = json.encoder.encode_basestring_ascii
_BOOL = {True: "true", False: "false"}


def _json_num(x: float) -> str:
    """A number as json.dumps writes it (``float.__repr__``; NaN and infinities its way)."""
    return float.__repr__(x) if type(x) is float and math.isfinite(x) else json.dumps(x)


def write_live(path: Path, readings: Mapping[str, Sequence[Reading]]) -> None:
    """Replace ``path`` with these readings; a reader sees the old file or the new, never half."""
    fd, tmp = tempfile.mkstemp(prefix=".live-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for device in sorted(readings):
                for r in readings[device]:
                    f.write(reading_line(r) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class LiveReadings:
    """What the service last wrote: each device's latest readings, and when it wrote them."""

    readings: dict[str, tuple[Reading, ...]]
    #: Wall time the file was written (its mtime).
    written: float

    def age_s(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.written


def read_live(path: Path) -> LiveReadings | None:
    """The service's latest readings, or None when it never wrote any here."""
    try:
        written = path.stat().st_mtime
        with path.open(encoding="utf-8") as f:
            rs = list(parse_lines(f, str(path), {}))
    except FileNotFoundError:
        return None
    out: dict[str, list[Reading]] = {}
    for r in rs:
        out.setdefault(r.device, []).append(r)
    return LiveReadings({d: tuple(v) for d, v in out.items()}, written)


def live_writer(path: Path, snapshot: Callable[[], Mapping[str, Sequence[Reading]]]
                ) -> Callable[[Results], None]:
    """A results listener that writes the snapshot after each run; a failure (full disk,
    removed folder) is logged once per kind and never stops the results job."""
    failed: set[str] = set()

    def write(_: Results) -> None:
        try:
            write_live(path, snapshot())
            failed.clear()
        except OSError as exc:
            if type(exc).__name__ not in failed:
                failed.add(type(exc).__name__)
                log.warning("cannot write the live readings to %s: %s", path, exc)

    return write
