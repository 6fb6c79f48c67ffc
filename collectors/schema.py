"""Rules every profile follows, whatever protocol it speaks: metric names, units, PDU levels.

Both profile compilers (:mod:`dcmon.collectors.snmp.profile` and
:mod:`dcmon.collectors.modbus.profile`) validate with these, so a metric reads the same whether
it came over SNMP or Modbus, and exporters can rely on one vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Set
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from dcmon.errors import ConfigError, Problem, pydantic_problems
from dcmon.model import UNITS

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
#: Units a counter may count in: energy (J), time (s) and water volume (m3).
COUNTER_UNITS = ("J", "s", "m3")
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


Doc = TypeVar("Doc", bound=BaseModel)


def validate_document(model: type[Doc], data: Any, file: str) -> Doc:
    """One profile document validated by its protocol's schema, or ConfigError naming the keys."""
    if not isinstance(data, dict):
        raise ConfigError([Problem(file, "", "a profile must be a YAML mapping")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(pydantic_problems(file, exc)) from None


def unknown_defaults(defaults: Mapping[str, Any], allowed: Set[str], file: str) -> list[Problem]:
    """``defaults:`` keys that no metric may take from it."""
    return [Problem(file, f"defaults.{k}", f"not a defaultable key (allowed: "
                                           f"{', '.join(sorted(allowed))})")
            for k in sorted(set(defaults) - allowed)]


def with_defaults(defaults: Mapping[str, Any], entry: Mapping[str, Any],
                  allowed: Set[str]) -> dict[str, Any]:
    """One metric (or field) with the profile's defaults under it: the entry's own keys win."""
    merged = {k: v for k, v in defaults.items() if k in allowed}
    merged.update(entry)
    return merged
