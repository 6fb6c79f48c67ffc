"""The live readings file's lines are written by hand (a city's results run spent seconds in
``json.dumps``); they must stay exactly what ``json.dumps`` wrote, and read back whole."""

from __future__ import annotations

import io
import json

from dcmon.app.live import reading_line
from dcmon.app.replay import parse_lines
from dcmon.model import Reading


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
