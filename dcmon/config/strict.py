"""Schema rules shared by profiles and the inventory: the strict base model, names, units,
levels and listen addresses.

Both profile compilers (``dcmon.collectors.registry`` and ``dcmon.collectors.modbus.profile``) validate metric names,
units and PDU levels the same way, so a profile reads the same whichever protocol it speaks; the
inventory's HTTP listeners (/metrics, the API) share one address rule.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from dcmon.model import UNITS

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
LEVELS = ("device", "total", "inlet", "cord", "phase", "line", "bank", "branch", "breaker",
          "outlet", "battery", "sensor", "unit", "module", "")


class Strict(BaseModel):
    """Unknown keys are errors; compiled input is immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def check_name(v: str, what: str = "metric") -> str:
    if not NAME_RE.match(v):
        raise ValueError(f"{what} name {v!r} must be lower_snake_case")
    return v


def check_unit(v: str | None) -> str | None:
    if v is not None and v not in UNITS:
        raise ValueError(f"unknown unit {v!r} (known: {', '.join(sorted(UNITS))})")
    return v


def check_listen(v: str) -> str:
    """A ``HOST:PORT`` to listen on (port 0 = any free port, as tests use)."""
    host, sep, port = v.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535 or not host:
        raise ValueError(f"{v!r} is not HOST:PORT")
    return v


def check_level(v: str) -> str:
    if v not in LEVELS:
        raise ValueError(f"unknown level {v!r} (known: {', '.join(x for x in LEVELS if x)})")
    return v
