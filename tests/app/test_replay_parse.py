"""``dcmon replay``'s line parser reads and rejects lines exactly as ``json.loads`` does.

The parser runs the JSON scanner directly (no whitespace regexes) for speed; every line it
cannot read whole must still go through ``json.loads``, so the error names the same fault.
"""

from __future__ import annotations

import json

import pytest

from dcmon.app.replay import parse_lines
from dcmon.errors import ConfigError

GOOD = '{"ts": 100, "device": "m1", "metric": "energy", "unit": "J", "value": 5}'


def test_whitespace_around_a_line_and_blank_lines() -> None:
    lines = [GOOD + "\n", "   " + GOOD + "  \r\n", "\n", "  \t \n", "\u00a0\n", GOOD]
    got = list(parse_lines(lines, "r.jsonl", {}))
    assert [(r.device, r.metric, r.value, r.ts, r.kind, r.unit) for r in got] == \
        [("m1", "energy", 5.0, 100.0, "counter", "J")] * 3


def test_fields_and_defaults() -> None:
    line = json.dumps({"ts": 7, "device": "p", "metric": "power", "unit": "W", "value": "12.5",
                       "labels": {"outlet": "3"}, "level": "outlet", "rack_power": 1,
                       "reset_marker": "2024-01-01", "counter_max": 2**32})
    (r,) = parse_lines([line], "f", {("p", "power"): (9.0, True, True)})
    assert (r.value, r.ts, r.kind, dict(r.labels), r.level, r.rack_power) == \
        (12.5, 7.0, "gauge", {"outlet": "3"}, "outlet", True)
    assert (r.reset_marker, r.counter_max, r.counter_capped, r.resettable) == \
        ("2024-01-01", 2**32, True, True)  # counter_max from the line, the rest from the spec
    (e,) = parse_lines([GOOD], "f", {("m1", "energy"): (9.0, True, False)})
    assert (e.counter_max, e.counter_capped, e.resettable) == (9.0, True, False)


@pytest.mark.parametrize("bad", [
    GOOD + " x",                    # extra data after the object
    GOOD + "\n{}",                  # two values on a line
    "{" + GOOD[1:-1],               # truncated
    "[1, 2]",                       # not an object
    "null",
    '"text"',
    "\u00a0" + GOOD,                # whitespace json does not skip
    '{"ts": 1, "device": "m1", "metric": "energy", "unit": "J"}',  # no value
    '{"ts": 1, "device": ["m1"], "metric": "energy", "unit": "J", "value": 1}',
    '{"ts": "soon", "device": "m1", "metric": "energy", "unit": "J", "value": 1}',
])
def test_bad_lines_name_file_line_and_the_json_fault(bad: str) -> None:
    with pytest.raises(ConfigError) as exc:
        list(parse_lines([GOOD, "", bad], "r.jsonl", {}))
    (problem,) = exc.value.problems
    assert (problem.file, problem.key) == ("r.jsonl", "line 3")
    try:  # what the parser said before it skipped json.loads
        d = json.loads(bad)
        for k in ("unit", "device", "metric"):
            d[k]
        hash((d["device"], d["metric"]))
        float(d["value"])
        float(d["ts"])
    except (ValueError, KeyError, TypeError) as want:
        assert problem.message == f"not a reading: {want!r}"
    else:
        pytest.fail(f"{bad!r} should not parse")
