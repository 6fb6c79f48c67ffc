"""Rules every profile follows, whatever protocol it speaks: metric names, units, PDU levels.

Both profile compilers (:mod:`dcmon.collectors.snmp.profile` and
:mod:`dcmon.collectors.modbus.profile`) validate with these, so a metric reads the same whether
it came over SNMP or Modbus, and exporters can rely on one vocabulary.
"""

from __future__ import annotations

import re
from typing import Protocol

from dcmon.model import UNITS

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
LEVELS = ("device", "total", "inlet", "cord", "phase", "line", "bank", "branch", "breaker",
          "outlet", "battery", "sensor", "unit", "module", "")


def check_name(v: str, what: str = "metric") -> str:
    if not NAME_RE.match(v):
        raise ValueError(f"{what} name {v!r} must be lower_snake_case")
    return v


def check_unit(v: str | None) -> str | None:
    if v is not None and v not in UNITS:
        raise ValueError(f"unknown unit {v!r} (known: {', '.join(sorted(UNITS))})")
    return v


def check_level(v: str) -> str:
    if v not in LEVELS:
        raise ValueError(f"unknown level {v!r} (known: {', '.join(x for x in LEVELS if x)})")
    return v


class CounterShape(Protocol):
    """What a compiled metric of either protocol says about its counter."""

    @property
    def kind(self) -> str: ...

    @property
    def cap(self) -> float | None: ...

    @property
    def width(self) -> int | None: ...

    @property
    def scale(self) -> float: ...


def counter_max(m: CounterShape) -> float | None:
    """Where a counter wraps (2^width) or stops (cap), in the metric's unit (after scale)."""
    if m.kind != "counter":
        return None
    if m.cap is not None:
        return float(m.cap * m.scale)
    if m.width is not None:
        return float(2**m.width * m.scale)
    return None
