"""Inventory schema for retrofit measurement and verification: ``sites[].retrofits``.

A retrofit (a new chiller, a containment project) is declared with its date and the baseline
period before it; ``dcmon retrofit`` then fits a baseline model of the site's facility energy
against IT energy and outdoor temperature and reports the avoided energy (docs/retrofit.md).
Kept apart from :mod:`dcmon.config.inventory`, which only adds the ``retrofits`` field to
``Site``. Dates are whole days in the site's time zone (``energy.timezone``), both ends
included, because that is how a retrofit contract names them.

The outdoor temperature comes from a weather CSV (``temperature.csv``, relative to the
inventory file; format in docs/retrofit.md), the record an auditor can check, or from an outdoor
sensor dcmon polls (``temperature.sensor``), whose hourly means ``dcmon run`` logs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Literal, Protocol

from pydantic import Field, model_validator

from dcmon.config.strict import Strict
from dcmon.errors import Problem

#: Valid data points a baseline needs at least, per granularity (docs/retrofit.md, "Refusals"):
#: eight weeks of days, so every weekday appears eight times and the weather has moved.
MIN_BASELINE_DAYS = 56


class Period(Strict):
    """``start`` and ``end``: whole days, both included."""

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _order(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class SensorRef(Strict):
    """An outdoor temperature sensor polled by dcmon: a device's reading in °C."""

    device: str = Field(min_length=1)
    metric: str = Field(default="temperature", min_length=1)
    #: Narrow to the reading carrying these labels (a device with several probes).
    labels: dict[str, str] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        """The sensor's series name in the temperature log."""
        return "|".join([self.device, self.metric,
                         *(f"{k}={v}" for k, v in sorted(self.labels.items()))])


class TemperatureSource(Strict):
    """Where the outdoor dry-bulb temperature comes from (exactly one): a CSV of
    ``timestamp,outdoor_c``, or a sensor that ``dcmon run`` polls and logs hourly."""

    csv: str | None = Field(default=None, min_length=1)
    sensor: SensorRef | None = None

    @model_validator(mode="after")
    def _one(self) -> TemperatureSource:
        if (self.csv is None) == (self.sensor is None):
            raise ValueError("give exactly one of csv and sensor")
        return self


class Retrofit(Strict):
    """``sites[].retrofits[]``: one energy conservation measure and its baseline."""

    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    #: The day the measure took effect; the days between baseline end and reporting start
    #: (commissioning) belong to neither period.
    date: dt.date
    description: str = ""
    baseline: Period
    #: None: from ``date`` to the last complete day.
    reporting: Period | None = None
    temperature: TemperatureSource
    granularity: Literal["daily", "hourly"] = "daily"
    #: Confidence level of the stated savings uncertainty (two-sided; 0.68 or 0.9 are usual).
    confidence: float = Field(default=0.9, ge=0.5, le=0.99)
    #: A baseline with fewer valid days than this is refused.
    min_baseline_days: int = Field(default=MIN_BASELINE_DAYS, ge=14, le=3660)
    #: Fit limits; None: ASHRAE Guideline 14's for the granularity (docs/retrofit.md).
    max_cv_rmse: float | None = Field(default=None, gt=0, le=1)
    max_nmbe: float | None = Field(default=None, gt=0, le=1)

    @model_validator(mode="after")
    def _dates(self) -> Retrofit:
        if self.baseline.end >= self.date:
            raise ValueError(f"baseline.end {self.baseline.end} must be before the retrofit "
                             f"date {self.date}")
        if self.reporting is not None and self.reporting.start < self.date:
            raise ValueError(f"reporting.start {self.reporting.start} must be on or after the "
                             f"retrofit date {self.date}")
        return self


class _Site(Protocol):
    """What the checks read of a site (the inventory's ``Site``, which imports this module)."""

    @property
    def energy(self) -> object | None: ...
    @property
    def retrofits(self) -> list[Retrofit]: ...


def retrofit_problems(sites: Iterable[_Site], file: str, base: Path,
                      devices: Iterable[str]) -> list[Problem]:
    """What the schema cannot see: a site without energy topology (no facility or IT energy to
    model), ids repeated within a site, weather files that do not exist, unknown sensors."""
    known = set(devices)
    problems: list[Problem] = []
    for si, site in enumerate(sites):
        seen: dict[str, int] = {}
        for ri, r in enumerate(site.retrofits):
            key = f"sites.{si}.retrofits.{ri}"
            if site.energy is None:
                problems.append(Problem(file, key, "the site has no energy topology "
                                                   "(sites[].energy): nothing to verify"))
            if r.id in seen:
                problems.append(Problem(file, f"{key}.id", f"duplicate retrofit id {r.id!r} "
                                        f"(first at sites.{si}.retrofits.{seen[r.id]})"))
            seen.setdefault(r.id, ri)
            t = r.temperature
            if t.csv is not None and not (base / t.csv).is_file():
                problems.append(Problem(file, f"{key}.temperature.csv",
                                        f"{t.csv} is not a file"))
            if t.sensor is not None and t.sensor.device not in known:
                problems.append(Problem(file, f"{key}.temperature.sensor.device",
                                        f"unknown device {t.sensor.device!r}"))
    return problems
