"""Complete a vendor profile with the standard MIBs the device also answers, counting nothing twice.

A vendor MIB knows its device's scaling, but it may lack a quantity the agent also publishes in
a standard MIB (UPS-MIB, ENTITY-SENSOR-MIB, ENERGY-OBJECT-MIB, LM-SENSORS-MIB): a UPS card whose
vendor tree has no bypass table, a PDU whose temperatures live only in ENTITY-SENSOR-MIB.
Detection remembers which standard profiles read something on the device, and every poll reads
them too.

The rule, so that no quantity is counted twice:

* Two readings *may measure the same quantity* when they have the same metric and unit and
  their ``point`` labels (input, output, bypass, battery, ...) are equal or either has none (a
  reading without a point could be anywhere on the device).
* A standard reading is kept only when no reading of the chosen profile may measure the same
  quantity. The vendor's reading always wins; a standard reading fills a gap, never a second
  copy of a value (per line, per phase or in total).
* A kept standard reading is labelled ``source: <standard profile>`` (unless it already names a
  source), and it does not count toward rack power when the chosen profile marks a level that
  does, so rack power is summed from one level of one profile.
* Between several standard profiles the same rule applies in their order (UPS-MIB first): an
  ENTITY-SENSOR power reading without a point is dropped when UPS-MIB already read a power.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from dcmon.model import Reading


def _point(r: Reading) -> str | None:
    return r.labels.get("point")


def _same_quantity(a: Reading, b: Reading) -> bool:
    if a.metric != b.metric or a.unit != b.unit:
        return False
    pa, pb = _point(a), _point(b)
    return pa is None or pb is None or pa == pb


def complete(own: Sequence[Reading], standard: Iterable[Sequence[Reading]],
             names: Sequence[str] = ()) -> list[Reading]:
    """``own`` plus the standard readings that measure something ``own`` does not.

    ``standard`` holds one sequence per standard profile, in priority order; ``names`` their
    profile names (for the ``source`` label; no label when not given).
    """
    out = list(own)
    rack = any(r.rack_power for r in own)
    for i, readings in enumerate(standard):
        added: list[Reading] = []
        for r in readings:
            if any(_same_quantity(r, mine) for mine in out):
                continue
            labels = dict(r.labels)
            if i < len(names):
                labels.setdefault("source", names[i])
            added.append(dataclasses.replace(r, labels=labels,
                                             rack_power=r.rack_power and not rack))
        out.extend(added)
        rack = rack or any(r.rack_power for r in added)
    return out


def distinct(readings: Iterable[Reading]) -> int:
    """How many distinct readings (metric, unit and labels) there are."""
    return len({(r.metric, r.unit, tuple(sorted(r.labels.items()))) for r in readings})
