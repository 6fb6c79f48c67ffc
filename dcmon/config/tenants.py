"""Inventory schema for tenant attribution: ``tenants:``, racks' ``tenant`` and site tariffs.

Kept apart from :mod:`dcmon.config.inventory`, which only gains one field per model: the
tenant list on the top level, a tenant id on each rack and the tariffs on each site
(docs/tenants.md says what is computed from them).

A tariff is flat (one ``price``) or time-of-use (``periods``: peak, flat, valley and the
like, each a list of hour ranges of the site's local day, as Chinese provinces publish them).
A time-of-use tariff must name every hour of the day exactly once: an hour left out would
be energy without a price, and an hour named twice would have two. Those checks, and the
references to tenants, are made here with the key of the range at fault, because pydantic
can only name the whole tariff.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from dcmon.config.strict import Strict
from dcmon.errors import Problem

#: ``8-11``, ``08:00-11:00``, ``23-7`` (wrapping past midnight), ``0-24``: whole hours only.
_RANGE_RE = re.compile(r"^\s*(\d{1,2})(?::00)?\s*-\s*(\d{1,2})(?::00)?\s*$")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
#: The line for racks without a tenant, and the site's line: no tenant may take these ids.
UNASSIGNED = "unassigned"
SITE_TOTAL = "total"
RESERVED = {UNASSIGNED: "the line of racks without a tenant", SITE_TOTAL: "the site's line"}

Price = Annotated[float, Field(ge=0, le=1000)]


class TenantName(Strict):
    """A tenant's name in both languages of the statement."""

    zh: str = Field(min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=200)


class Tenant(Strict):
    """``tenants[]``: a department, hospital or school whose racks are billed together."""

    #: Letters, digits, '_', '.', '-'; not ``unassigned`` or ``total`` (statement lines).
    id: str = Field(min_length=1, max_length=128)
    name: TenantName
    #: The tenant's cost centre in the city's books (printed on the statement).
    cost_centre: str | None = Field(default=None, max_length=64)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError(f"{v!r} is not a valid id (letters, digits, '_', '.', '-')")
        return v


def hour_range(text: str) -> list[int]:
    """The hours of the day (0-23) a range such as ``8-11`` or ``23-7`` names; ValueError
    when it is not one."""
    m = _RANGE_RE.match(text)
    if m is None:
        raise ValueError(f"{text!r} is not an hour range such as '08-11' or '23-07'")
    start, end = int(m.group(1)), int(m.group(2))
    if start > 23 or end > 24:
        raise ValueError(f"{text!r}: hours run from 0 to 24")
    if start == end:
        raise ValueError(f"{text!r} names no hour (start equals end)")
    if start < end:
        return list(range(start, end))
    return [*range(start, 24), *range(0, end)]


class TariffPeriod(Strict):
    """One time-of-use period: its name, its hours of the local day, its price per kWh."""

    name: str = Field(min_length=1, max_length=32)
    #: Hour ranges [start, end) of the site's local day, e.g. ``["08-11", "18-23"]``.
    hours: list[str] = Field(min_length=1, max_length=24)
    price: Price


class Tariff(Strict):
    """``sites[].tariffs[]``: the electricity price from a date on (until the next tariff)."""

    #: First day the tariff applies (the site's local date).
    effective: date = Field(alias="from")
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    #: A flat tariff: one price per kWh for every hour.
    price: Price | None = None
    #: A time-of-use tariff: periods covering every hour of the day once.
    periods: list[TariffPeriod] = Field(default_factory=list, max_length=24)

    @model_validator(mode="after")
    def _one_kind(self) -> Tariff:
        if (self.price is None) == (not self.periods):
            raise ValueError("give either price (flat) or periods (time-of-use)")
        return self

    def price_by_hour(self) -> tuple[tuple[str, float], ...]:
        """(period name, price) for each hour 0-23 of the local day (flat: ``flat``)."""
        if self.price is not None:
            return tuple(("flat", self.price) for _ in range(24))
        table: dict[int, tuple[str, float]] = {}
        for p in self.periods:
            for text in p.hours:
                for h in hour_range(text):
                    table.setdefault(h, (p.name, p.price))
        return tuple(table[h] for h in range(24))


def _tariff_problems(tariffs: list[Tariff], key: str, file: str) -> Iterator[Problem]:
    """Hour ranges that do not parse, overlap or leave hours out; duplicate dates; currencies
    that change (a statement is in one currency)."""
    seen_dates: dict[date, int] = {}
    for ti, t in enumerate(tariffs):
        tkey = f"{key}.{ti}"
        if t.effective in seen_dates:
            yield Problem(file, f"{tkey}.from", f"another tariff starts on {t.effective} "
                                                f"({key}.{seen_dates[t.effective]})")
        seen_dates.setdefault(t.effective, ti)
        if t.currency != tariffs[0].currency:
            yield Problem(file, f"{tkey}.currency", f"{t.currency} differs from "
                                                    f"{tariffs[0].currency} ({key}.0.currency)"
                                                    ": one currency per site")
        if not t.periods:
            continue
        owner: dict[int, str] = {}
        for pi, period in enumerate(t.periods):
            for hi, text in enumerate(period.hours):
                hkey = f"{tkey}.periods.{pi}.hours.{hi}"
                try:
                    hours = hour_range(text)
                except ValueError as exc:
                    yield Problem(file, hkey, str(exc))
                    continue
                taken = [h for h in hours if h in owner]
                if taken:
                    yield Problem(file, hkey, f"{text!r} overlaps {owner[taken[0]]} at hour "
                                              f"{taken[0]:02d}")
                for h in hours:
                    owner.setdefault(h, hkey)
        missing = [h for h in range(24) if h not in owner]
        if missing and len(missing) < 24:
            shown = ", ".join(f"{h:02d}" for h in missing)
            yield Problem(file, f"{tkey}.periods", f"hours without a price: {shown} (every "
                                                   "hour of the day needs one period)")


def tenant_problems(tenants: list[Tenant], sites: Iterable[object], file: str
                    ) -> list[Problem]:
    """Duplicate tenant ids, racks naming an unknown tenant, and tariff faults."""
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for i, t in enumerate(tenants):
        if t.id in RESERVED:
            problems.append(Problem(file, f"tenants.{i}.id", f"{t.id!r} is reserved: "
                                                             f"{RESERVED[t.id]} in statements"))
            continue
        if t.id in first:
            problems.append(Problem(file, f"tenants.{i}.id", f"duplicate tenant id {t.id!r} "
                                                             f"(first at tenants.{first[t.id]})"))
        first.setdefault(t.id, i)
    known = ", ".join(sorted(first)) or "none defined"
    for si, site in enumerate(sites):
        problems.extend(_tariff_problems(list(getattr(site, "tariffs", [])),
                                         f"sites.{si}.tariffs", file))
        for ri, room in enumerate(getattr(site, "rooms", [])):
            for ki, rack in enumerate(getattr(room, "racks", [])):
                tenant = getattr(rack, "tenant", None)
                if tenant is not None and tenant not in first:
                    problems.append(Problem(file, f"sites.{si}.rooms.{ri}.racks.{ki}.tenant",
                                            f"unknown tenant {tenant!r} (defined: {known})"))
    return problems
