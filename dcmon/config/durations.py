"""Durations in the inventory: seconds as a number, or a Prometheus-style string ("90s", "6h")."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator, Field

_DUR = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(v: object) -> float:
    """Seconds from a number or a Prometheus-style duration ("90s", "5m", "6h", "30d")."""
    if isinstance(v, bool):
        raise ValueError("not a duration")
    if isinstance(v, int | float):
        if v < 0:
            raise ValueError("a duration cannot be negative")
        return float(v)
    if isinstance(v, str):
        m = _DUR.match(v.strip())
        if m:
            return float(m.group(1)) * _UNIT_S[m.group(2)]
    raise ValueError(f"{v!r} is not a duration (like 90s, 5m, 6h, 30d)")


def format_duration(s: float) -> str:
    """The Prometheus form of a duration in seconds ("6h", "90s", "0s")."""
    for unit, n in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= n and s % n == 0:
            return f"{int(s // n)}{unit}"
    return f"{int(s)}s" if s == int(s) else f"{int(s * 1000)}ms"


#: Seconds, given as a number or a Prometheus-style duration string.
Duration = Annotated[float, BeforeValidator(parse_duration), Field(ge=0)]


