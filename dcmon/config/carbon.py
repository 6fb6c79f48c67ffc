"""Inventory schema for carbon, renewables and water: ``carbon:`` and ``sites[].carbon``.

CUE (ISO/IEC 30134-8) needs the CO2 of every kWh the site draws, REF (ISO/IEC 30134-3) the
renewable share of it, WUE (ISO/IEC 30134-9) the site's water. What is measured comes from
meters (renewable sources such as on-site PV, water meters); what is not metered but documented
comes in as data: grid emission factors per year with their source, diesel fuel burnt per month,
green certificates and green-power contracts per month. Everything stays in this module so the
shared inventory only gains one field per model (docs/carbon.md gives the method).

The shipped grid factors are the national averages published by the Ministry of Ecology and
Environment with the National Bureau of Statistics (公告: the 2021 and 2022 factors in 2024, the
2023 factor reported in January 2026). A year after the latest published one uses the latest,
and the source text says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Literal

from pydantic import Field, field_validator

from dcmon.config.strict import Strict
from dcmon.config.topology import MeterRef
from dcmon.errors import Problem

_MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class GridFactor(Strict):
    """Emission factor of grid electricity for one calendar year, with where it comes from."""

    year: int = Field(ge=1990, le=2200)
    kg_per_kwh: float = Field(ge=0, le=3)
    source: str = Field(min_length=1, max_length=500)
    #: For grid kWh not covered by certificates or contracts (market-based CO2): the factor
    #: without market-traded non-fossil electricity; none = ``kg_per_kwh``.
    residual_kg_per_kwh: float | None = Field(default=None, ge=0, le=3)


#: National average grid factors of China (kg CO2/kWh), Ministry of Ecology and Environment and
#: National Bureau of Statistics: 全国电力平均二氧化碳排放因子 (docs/carbon.md cites each notice).
NATIONAL_GRID: tuple[GridFactor, ...] = (
    GridFactor(year=2021, kg_per_kwh=0.5568, source="MEE/NBS 2021 national grid average "
               "(notice 2024 No. 12)"),
    GridFactor(year=2022, kg_per_kwh=0.5366, residual_kg_per_kwh=0.5856,
               source="MEE/NBS 2022 national grid average (notice of 2024-12-20)"),
    GridFactor(year=2023, kg_per_kwh=0.5306, residual_kg_per_kwh=0.6096,
               source="MEE/NBS 2023 national grid average (notice reported 2026-01)"),
)

#: IPCC 2006 Guidelines Vol. 2 Ch. 1-2: diesel 74,100 kg CO2/TJ x 43.0 TJ/Gg x 0.84 kg/l.
DIESEL_KG_PER_LITRE = 2.68


def month_range(month: str) -> tuple[int, int]:
    """``2026-03`` -> (2026, 3); ValueError otherwise."""
    m = _MONTH_RE.match(month)
    if m is None:
        raise ValueError(f"{month!r} is not a month YYYY-MM")
    return int(m.group(1)), int(m.group(2))


def _month(v: str) -> str:
    month_range(v)
    return v


class DieselEntry(Strict):
    """Diesel burnt by the site's generators in one month (from the fuel log or tank dips)."""

    month: str
    litres: float = Field(ge=0, le=1e9)
    kg_per_litre: float = Field(default=DIESEL_KG_PER_LITRE, gt=0, le=10)
    source: str = Field(default="IPCC 2006 default for diesel (2.68 kg CO2/l)", max_length=500)

    _m = field_validator("month")(classmethod(lambda cls, v: _month(v)))


class Certificate(Strict):
    """Green certificates (绿证) or a green-power contract (绿电交易) for one month, in MWh."""

    month: str
    mwh: float = Field(ge=0, le=1e9)
    kind: Literal["certificate", "contract"] = "certificate"
    description: str = Field(default="", max_length=500)

    _m = field_validator("month")(classmethod(lambda cls, v: _month(v)))


def _refs(v: object) -> object:
    """Allow ``[pv-1, {device: water-1, labels: {meter: tower}}]``."""
    if isinstance(v, list):
        return [{"device": x} if isinstance(x, str) else x for x in v]
    return v


class SiteCarbon(Strict):
    """``sites[].carbon``: what the site's CO2, renewable share and water are made of."""

    #: Grid factors for this site (a provincial or contract factor); none = the city's.
    grid_factors: list[GridFactor] = Field(default_factory=list)
    #: Meters of renewable electricity the site uses (on-site PV, a direct green line). Their
    #: energy is part of E_DC and carries no CO2.
    renewable: list[MeterRef] = Field(default_factory=list)
    #: Meters at generator outputs: their energy is part of E_DC but its CO2 comes from fuel.
    generators: list[MeterRef] = Field(default_factory=list)
    diesel: list[DieselEntry] = Field(default_factory=list)
    certificates: list[Certificate] = Field(default_factory=list)
    #: Meters of the site's water intake (``water_volume`` counters, m3).
    water: list[MeterRef] = Field(default_factory=list)

    _r = field_validator("renewable", "generators", "water", mode="before")(
        classmethod(lambda cls, v: _refs(v)))


class CarbonSettings(Strict):
    """``carbon:``: the city-wide grid factors (default: the national averages)."""

    grid_factors: list[GridFactor] = Field(default_factory=lambda: list(NATIONAL_GRID))


def _years(factors: list[GridFactor], key: str, file: str) -> list[Problem]:
    seen: set[int] = set()
    out = []
    for i, f in enumerate(factors):
        if f.year in seen:
            out.append(Problem(file, f"{key}.{i}.year", f"year {f.year} is given twice"))
        seen.add(f.year)
    return out


def _months(entries: Iterable[DieselEntry | Certificate], key: str, file: str,
            what: str) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    out = []
    for i, e in enumerate(entries):
        ident = (e.month, getattr(e, "kind", ""))
        if ident in seen:
            out.append(Problem(file, f"{key}.{i}.month", f"{what} for {e.month} is given "
                                                         "twice: add the quantities"))
        seen.add(ident)
    return out


def carbon_problems(settings: CarbonSettings,
                    sites: list[tuple[str, SiteCarbon | None, bool]],
                    devices: Mapping[str, str], file: str) -> list[Problem]:
    """Faults the schema cannot see: carbon data on a site without a power topology (no E_DC
    or E_IT to relate it to), repeated years or months, unknown or twice-used meters.
    ``sites``: (id, carbon section, has an energy topology); ``devices``: id -> its site."""
    problems = _years(settings.grid_factors, "carbon.grid_factors", file)
    for si, (site, c, has_energy) in enumerate(sites):
        if c is None:
            continue
        key = f"sites.{si}.carbon"
        if not has_energy:
            problems.append(Problem(file, key, "CUE, REF and WUE need the site's energy "
                                               "topology (sites[].energy: facility and IT "
                                               "meters)"))
        problems += _years(c.grid_factors, f"{key}.grid_factors", file)
        problems += _months(c.diesel, f"{key}.diesel", file, "diesel")
        problems += _months(c.certificates, f"{key}.certificates", file, "a quantity")
        seen: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
        for role in ("renewable", "generators", "water"):
            if role == "water":  # a water meter may share a device with an electricity one
                seen = {}
            for i, ref in enumerate(getattr(c, role)):
                where = f"{key}.{role}.{i}"
                if ref.device not in devices:
                    problems.append(Problem(file, where, f"unknown device {ref.device!r}"))
                    continue
                if devices[ref.device] != site:
                    problems.append(Problem(file, where, f"device {ref.device!r} belongs to "
                                                         f"site {devices[ref.device]!r}"))
                ident = (ref.device, tuple(sorted(ref.labels.items())))
                if ident in seen:
                    problems.append(Problem(file, where, f"meter {ref.device!r} is already "
                                                         f"listed at {seen[ident]}"))
                seen.setdefault(ident, where)
    return problems
