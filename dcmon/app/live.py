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
from dcmon.engine.packed import Packed, Proto, ReadingsView
from dcmon.engine.results import Results
from dcmon.model import Reading
from dcmon.pace import pace

log = logging.getLogger("dcmon.app.live")

LIVE_FILE = "live-readings.jsonl"


def reading_line(r: Reading) -> str:
    """One reading as a replay line (every field the capacity computation reads).

    The line is exactly ``json.dumps`` of those fields with compact separators, written by
    hand: a city's 500,000 readings a minute through ``json.dumps`` held the interpreter for
    ~8 s of every results run, and the polls waited for it.
    """
    before, after = _fixed(r.metric, r.unit, r.labels, r.kind, r.level, r.rack_power,
                           r.reset_marker, r.counter_max, r.counter_capped, r.resettable)
    return f"{_head(r.ts, r.device)}{before}{_json_num(r.value)}{after}"


def _head(ts: float, device: str) -> str:
    return f'{{"ts":{_json_num(ts)},"device":{_json_str(device)}'


def _fixed(metric: str, unit: str, labels: Mapping[str, str], kind: str, level: str,
           rack_power: bool, reset_marker: str | None, counter_max: float | None,
           counter_capped: bool, resettable: bool) -> tuple[str, str]:
    """What a line holds around its value, apart from its time and device: the same for every
    poll of a device, and for every device of a profile (a packed snapshot's shape)."""
    s = _json_str
    labs = ",".join(f"{s(k)}:{s(v)}" for k, v in labels.items())
    after = (f',"unit":{s(unit)},"labels":{{{labs}}},"kind":{s(kind)},"level":{s(level)},'
             f'"rack_power":{_BOOL[rack_power]},"resettable":{_BOOL[resettable]},'
             f'"counter_capped":{_BOOL[counter_capped]}')
    if reset_marker is not None:
        after += f',"reset_marker":{s(reset_marker)}'
    if counter_max is not None:
        after += f',"counter_max":{_json_num(counter_max)}'
    return f',"metric":{s(metric)},"value":', after + "}"


class _Templates:
    """One ``%`` template per packed shape: a device's lines in one formatting operation.

    A city's results run wrote 440,000 lines a reading at a time, pure Python with the
    interpreter held while the polls waited for it (docs/performance.md, "Third pass"). Every
    PDU of a profile shares its shape, so the fixed parts of its lines are made once and only
    the time, the device and the values are filled in (``%r`` of a float is
    ``float.__repr__``, what ``json.dumps`` writes for a finite number)."""

    LIMIT = 2_000  # shapes kept; the snapshot interns them, so a city has a few dozen

    def __init__(self) -> None:
        #: id(shape) -> (shape, template); the shape is held so that its id stays its own.
        self._by_id: dict[int, tuple[tuple[Proto, ...], str]] = {}

    def text(self, packed: Packed) -> str | None:
        """The device's lines, or None when they need the reading-by-reading path (times
        that differ, a value that is not finite)."""
        if not isinstance(packed.ts, float) or not all(map(math.isfinite, packed.values)):
            return None
        got = self._by_id.get(id(packed.shape))
        if got is None or got[0] is not packed.shape:
            if len(self._by_id) >= self.LIMIT:
                self._by_id.clear()
            template = "".join(
                "%s" + before.replace("%", "%%") + "%r" + after.replace("%", "%%") + "\n"
                for before, after in (_fixed(*proto) for proto in packed.shape))
            got = self._by_id[id(packed.shape)] = (packed.shape, template)
        args: list[object] = [_head(packed.ts, packed.device)] * (2 * len(packed.values))
        args[1::2] = packed.values
        return got[1] % tuple(args)


#: json's own string encoder (the C one json.dumps uses, ASCII-only like its default).
_json_str: Callable[[str], str] = json.encoder.encode_basestring_ascii
_BOOL = {True: "true", False: "false"}


def _json_num(x: float) -> str:
    """A number as json.dumps writes it (``float.__repr__``; NaN and infinities its way)."""
    return float.__repr__(x) if type(x) is float and math.isfinite(x) else json.dumps(x)


def write_live(path: Path, readings: Mapping[str, Sequence[Reading]],
               templates: _Templates | None = None) -> None:
    """Replace ``path`` with these readings; a reader sees the old file or the new, never half.
    From a snapshot's :class:`ReadingsView` the packed devices are written by ``templates``
    without making their readings again."""
    templates = templates or _Templates()
    stored = readings.stored if isinstance(readings, ReadingsView) else None
    fd, tmp = tempfile.mkstemp(prefix=".live-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for device in sorted(readings):
                pace()  # one device is a small step of the results job (dcmon.pace)
                packed = stored(device) if stored is not None else None
                text = templates.text(packed) if isinstance(packed, Packed) else None
                f.write(text if text is not None
                        else "".join(reading_line(r) + "\n" for r in readings[device]))
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
    templates = _Templates()

    def write(_: Results) -> None:
        try:
            write_live(path, snapshot(), templates)
            failed.clear()
        except OSError as exc:
            if type(exc).__name__ not in failed:
                failed.add(type(exc).__name__)
                log.warning("cannot write the live readings to %s: %s", path, exc)

    return write
