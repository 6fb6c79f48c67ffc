"""Largest-remainder rounding: rounded parts that add up to the rounded whole.

Rounding each line of a statement on its own can make the lines add up to one cent more or
less than the rounded total, and a tenant who adds up the statement finds it wrong. So the
total is rounded once (half up), every part is rounded down, and the units still missing go,
one each, to the parts that lost the most by rounding down (ties: the earlier part). This is
Hamilton's apportionment method. Amounts are counted in whole units (a cent, 0.01 kWh) as
integers, so the sums are exact, not float sums that merely look equal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def units(value: float, unit: float) -> int:
    """``value`` in whole ``unit``s, rounded half up (away from zero for negatives)."""
    scaled = abs(value) / unit
    # The float division can land a hair under a half (2.675 / 0.01): round it once more.
    whole = math.floor(round(scaled, 6) + 0.5)
    return whole if value >= 0 else -whole


def apportion(total: float, parts: Sequence[float], unit: float) -> list[int]:
    """``parts`` in whole ``unit``s, adding up exactly to ``units(total, unit)``.

    ``total`` should be the sum of ``parts`` (up to float noise); when it is not, the
    difference is still spread one unit at a time, so the sum holds whatever comes in.
    """
    if not parts:
        return []
    target = units(total, unit)
    scaled = [p / unit for p in parts]
    out = [math.floor(round(s, 6)) for s in scaled]
    order = sorted(range(len(parts)), key=lambda i: (-(scaled[i] - out[i]), i))
    missing = target - sum(out)
    step = 1 if missing > 0 else -1
    if step < 0:
        order.reverse()
    i = 0
    while missing != 0:
        out[order[i % len(order)]] += step
        missing -= step
        i += 1
    return out


def from_units(n: int, unit: float) -> float:
    """Whole units back to a number with no float tail (1234 cents -> 12.34)."""
    digits = max(0, -math.floor(math.log10(unit)))
    return round(n * unit, digits)
