"""Power topology per site: which meters make E_DC, E_IT, cooling, other loads and zones.

PUE is only as good as the metering roles. This module holds the inventory schema for them and
refuses what would count energy twice: the same meter in two roles (or twice in one), and a
meter summed together with a meter it feeds (``parent:`` on devices), naming both keys. It also
derives the ISO/IEC 30134-2 measurement category from the level at which IT energy is metered:
UPS output = category 1, PDU output = category 2, IT equipment input = category 3.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import Field, field_validator

from dcmon.config.strict import Strict
from dcmon.errors import Problem

#: ISO/IEC 30134-2 measurement categories by where E_IT is metered (docs/domain.md §1).
CATEGORY = {"ups_output": 1, "pdu_output": 2, "it_input": 3}


def category_label(category: int | None) -> str:
    """The category as every channel prints it (a metric label, a tag, a table cell): its
    number, or ``none`` when the metering backs no category."""
    return "none" if category is None else str(category)




class MeterRef(Strict):
    """One meter: a device, optionally narrowed to readings carrying these labels."""

    device: str
    labels: dict[str, str] = Field(default_factory=dict)


def _refs(v: object) -> object:
    """Allow ``[ups-1, {device: ups-2, labels: {point: output}}]`` and the word ``racks``."""
    if v == "racks":
        return v
    if isinstance(v, list):
        return [{"device": x} if isinstance(x, str) else x for x in v]
    return v


class Zone(Strict):
    id: str
    it: list[MeterRef] | Literal["racks"] = Field(default_factory=list)
    infra: list[MeterRef] = Field(default_factory=list)

    _r = field_validator("it", "infra", mode="before")(classmethod(lambda cls, v: _refs(v)))


class EnergyTopology(Strict):
    """``sites[].energy``: the metering roles of one site."""

    design_it_kw: float | None = Field(default=None, gt=0)
    it_level: Literal["ups_output", "pdu_output", "it_input"] = "pdu_output"
    facility: list[MeterRef] = Field(default_factory=list)
    #: E_DC as E_IT + these, when there is no utility-side meter.
    facility_components: list[MeterRef] = Field(default_factory=list)
    it: list[MeterRef] | Literal["racks"] = "racks"
    cooling: list[MeterRef] = Field(default_factory=list)
    other: list[MeterRef] = Field(default_factory=list)
    zones: list[Zone] = Field(default_factory=list)
    #: Local time zone for calendar months and years (IANA name).
    timezone: str = "UTC"

    _r = field_validator("facility", "facility_components", "it", "cooling", "other",
                         mode="before")(classmethod(lambda cls, v: _refs(v)))

    @property
    def category(self) -> int:
        return CATEGORY[self.it_level]


@dataclass(frozen=True, slots=True)
class Role:
    """A meter in a role, with the key path it was declared at (for error messages)."""

    role: str
    key: str
    ref: MeterRef


def expand(topo: EnergyTopology, rack_devices: list[str]) -> dict[str, list[MeterRef]]:
    """The meters of each sum: facility, it, cooling, other (``racks`` expanded)."""
    it = [MeterRef(device=d) for d in rack_devices] if topo.it == "racks" else list(topo.it)
    return {"facility": list(topo.facility), "facility_components":
            list(topo.facility_components), "it": it, "cooling": list(topo.cooling),
            "other": list(topo.other)}


def _roles(topo: EnergyTopology, prefix: str, rack_devices: list[str]) -> Iterator[Role]:
    for role, refs in expand(topo, rack_devices).items():
        for i, ref in enumerate(refs):
            where = f"{prefix}.{role}" + ("" if role == "it" and topo.it == "racks" else f".{i}")
            yield Role(role, where, ref)


def validate(topo: EnergyTopology, prefix: str, file: str, devices: Mapping[str, str | None],
             rack_devices: list[str]) -> list[Problem]:
    """Problems in one site's topology. ``devices`` maps device id -> parent id."""
    problems: list[Problem] = []
    if topo.facility and topo.facility_components:
        problems.append(Problem(file, f"{prefix}.facility_components", "give facility meters "
                                "or facility_components, not both"))
    roles = list(_roles(topo, prefix, rack_devices))
    seen: dict[tuple[str, tuple[tuple[str, str], ...]], Role] = {}
    for r in roles:
        if r.ref.device not in devices:
            problems.append(Problem(file, r.key, f"unknown device {r.ref.device!r}"))
            continue
        ident = (r.ref.device, tuple(sorted(r.ref.labels.items())))
        first = seen.get(ident)
        if first is not None:
            problems.append(Problem(file, r.key, f"meter {r.ref.device!r} is already counted "
                                                 f"at {first.key}: it would be counted twice"))
        else:
            seen[ident] = r
    # A meter and one it feeds (directly or not) in sums that add up: double counting.
    def ancestors(dev: str) -> list[str]:
        out, cur, hops = [], devices.get(dev), 0
        while cur and hops < 64:
            out.append(cur)
            cur, hops = devices.get(cur), hops + 1
        return out

    summed = {"it", "cooling", "other", "facility_components"}
    by_device = {r.ref.device: r for r in roles if r.role in summed}
    for r in roles:
        if r.role not in summed:
            continue
        for anc in ancestors(r.ref.device):
            parent = by_device.get(anc)
            if parent is not None:
                problems.append(Problem(file, r.key, f"meter {r.ref.device!r} is fed by "
                                                     f"{anc!r} ({parent.key}): counting both "
                                                     "double counts"))
    for zi, zone in enumerate(topo.zones):
        zone_it = ([MeterRef(device=d) for d in rack_devices] if zone.it == "racks"
                   else zone.it)
        for i, ref in enumerate([*zone_it, *zone.infra]):
            if ref.device not in devices:
                problems.append(Problem(file, f"{prefix}.zones.{zi}", f"unknown device "
                                                                      f"{ref.device!r} (#{i})"))
    return problems
