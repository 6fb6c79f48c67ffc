"""The live readings file's lines are written by hand (a city's results run spent seconds in
``json.dumps``); they must stay exactly what ``json.dumps`` wrote, and read back whole."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

from dcmon.app.live import reading_line, write_live
from dcmon.app.replay import parse_lines
from dcmon.engine.packed import Packed, ReadingsView
from dcmon.engine.snapshot import Snapshot
from dcmon.model import PollResult, Reading, Source


def _dumps(r: Reading) -> str:
    d = {"ts": r.ts, "device": r.device, "metric": r.metric, "value": r.value, "unit": r.unit,
         "labels": dict(r.labels), "kind": r.kind, "level": r.level,
         "rack_power": r.rack_power, "resettable": r.resettable,
         "counter_capped": r.counter_capped}
    if r.reset_marker is not None:
        d["reset_marker"] = r.reset_marker
    if r.counter_max is not None:
        d["counter_max"] = r.counter_max
    return json.dumps(d, separators=(",", ":"))


READINGS = [
    Reading('pdu"1', "energy", 1.5e-7, "J", {"outlet": "Ö 1\n\\", "x": "\u2028y"},
            1767225600.123, None, "counter", "outlet", True, "2026-01-01 00:00", 4294967295.0,
            True, True),
    Reading("ups-1", "power", 1234.0, "W", {}, 1.0, level="total", rack_power=True),
    Reading("d", "temperature", -12.25, "Cel", {"probe": "1"}, 1e300),
]


def test_lines_are_json_dumps_and_read_back() -> None:
    for r in READINGS:
        assert reading_line(r) == _dumps(r)
    back = list(parse_lines(io.StringIO("".join(reading_line(r) + "\n" for r in READINGS)),
                            "<live>", {}))
    assert [(r.device, r.metric, r.value, dict(r.labels), r.reset_marker, r.counter_max)
            for r in back] == [(r.device, r.metric, r.value, dict(r.labels), r.reset_marker,
                                r.counter_max) for r in READINGS]


def _poll(device: str, readings: list[Reading]) -> PollResult:
    return PollResult(device, "p", tuple(readings), (), 1.0, 0.1)


def test_packed_devices_are_written_as_json_dumps(tmp_path: Path) -> None:
    """Packed devices go through one template per shape: the file must be what json.dumps of
    each reading gives, in device order, including labels holding '%' (the template's own
    marker), times that differ within a poll, values that are not finite, and Sources."""
    def pdu(dev: str, v: float, ts: float = 5.5) -> list[Reading]:
        return [Reading(dev, "power", v, "W", {"bank": "50%", "x": "%s%r"}, ts, level="bank",
                        rack_power=True),
                Reading(dev, "energy", v * 10, "J", {}, ts, None, "counter", "total", False,
                        None, 4294967295.0, True, True)]

    snap = Snapshot()
    polls = {"b": pdu("b", 1.0), "a": pdu("a", 1e-300), "c": pdu("c", float("nan")),
             "d": pdu("d", 2.0)[:1] + pdu("d", 3.0, ts=6.5)[1:],
             "e": [dataclasses.replace(r, source=Source("snmp", "1.3.6.1.4.1.318.1", 1))
                   for r in pdu("e", 4.0)]}
    for dev, rs in polls.items():
        snap.record(_poll(dev, rs))
    view = snap.readings()
    assert isinstance(view, ReadingsView)
    assert isinstance(view.stored("a"), Packed) and isinstance(view.stored("e"), tuple)
    path = tmp_path / "live.jsonl"
    write_live(path, view)
    want = "".join(_dumps(r) + "\n" for dev in sorted(polls) for r in polls[dev])
    assert path.read_text() == want
    write_live(path, dict(view))  # a plain mapping: reading by reading, same bytes
    assert path.read_text() == want
