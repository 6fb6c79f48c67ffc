"""PUE policy classes and the commissioning ramp-up: ``sites[].policy`` in the inventory.

The PUE ceiling is per site and per policy class, not one global 1.3 (docs/domain.md): new large
builds 1.3, cold regions and hub clusters 1.25, legacy sites 1.5, edge rooms report only. A new
build is judged against its ceiling only once it is out of its ramp-up, because low load
inflates PUE: fixed losses are spread over little IT load. The decision itself lives in
:mod:`dcmon.engine.alerts.gate`; this module holds the schema and the defaults, so the alert
engine, the rule generator and the docs all read the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import Field

from dcmon.config.strict import Strict

# ------------------------------------------------------------------------------- policy classes

PolicyClassName = Literal["new_large", "cold_region", "hub_cluster", "legacy", "edge"]


@dataclass(frozen=True, slots=True)
class PolicyClass:
    """Defaults of one policy class, with the source an auditor can check."""

    name: str
    ceiling: float | None  # None: report only (no PUE alert)
    en: str
    zh: str
    source: str


#: The classes and their ceilings, from docs/domain.md §2 (a breach is value > ceiling;
#: the city's plan and the green-DC list write "<= 1.3").
POLICY_CLASSES: dict[str, PolicyClass] = {
    "new_large": PolicyClass(
        "new_large", 1.3, "new large/hyperscale build", "新建大型及以上数据中心",
        "MIIT 新型数据中心发展三年行动计划 (2021-2023): new large and hyperscale DCs PUE < 1.3; "
        "the city's action plan (2023-2025): <= 1.3 (docs/domain.md §2)"),
    "cold_region": PolicyClass(
        "cold_region", 1.25, "cold-region build", "严寒和寒冷地区数据中心",
        "MIIT 新型数据中心发展三年行动计划 (2021-2023): severe-cold and cold regions < 1.25 "
        "(docs/domain.md §2)"),
    "hub_cluster": PolicyClass(
        "hub_cluster", 1.25, "national hub cluster", "国家枢纽节点数据中心集群",
        "national hub cluster notices (e.g. Yangtze Delta): PUE <= 1.25 (docs/domain.md §2)"),
    "legacy": PolicyClass(
        "legacy", 1.5, "legacy site", "存量数据中心",
        "数据中心绿色低碳发展专项行动计划 (2024): national average < 1.5 by end 2025; "
        "GB 40879-2021 grade 3 limit <= 1.50 (docs/domain.md §2)"),
    "edge": PolicyClass(
        "edge", None, "edge site (report only, pPUE)", "边缘数据中心（仅报告，局部 PUE）",
        "GB 40879-2021 excludes edge DCs of <= 100 standard racks (docs/domain.md §2): report "
        "pPUE, do not alert on a ceiling"),
}

#: Ramp-up defaults: judge a new build after 6 months in service or above 40 % of design IT
#: load. dcmon's own default, not a policy number: the standards name the concept (dPUE while
#: a new build ramps up) but give no figure (docs/domain.md §1). Configurable per site.
DEFAULT_RAMP_MONTHS = 6
DEFAULT_RAMP_IT_LOAD = 0.4
#: Below this share of design IT load a PUE is never *confirmed* (still reported, unconfirmed):
#: fixed losses dominate (docs/domain.md §1). Also dcmon's own default; configurable.
DEFAULT_MIN_IT_LOAD = 0.1


class RampUp(Strict):
    """When a new build starts being judged: after ``months`` in service or above ``it_load``."""

    months: int = Field(default=DEFAULT_RAMP_MONTHS, ge=0, le=120)
    it_load: float = Field(default=DEFAULT_RAMP_IT_LOAD, ge=0, le=1)
    #: either: judged when one condition holds (the default); both: only when both hold.
    mode: Literal["either", "both"] = "either"


class RackRating(Strict):
    """Per-rack overrides of the site's rack and feed ratings."""

    rack_kw: float | None = Field(default=None, gt=0)
    feed_kw: float | None = Field(default=None, gt=0)


class SitePolicy(Strict):
    """``sites[].policy``: the site's class, commissioning date and ratings."""

    policy_class: PolicyClassName = Field(default="new_large", alias="class")
    #: Override the class ceiling (e.g. a stricter local target).
    ceiling: float | None = Field(default=None, ge=1.0, le=5.0)
    commissioned: date | None = None
    ramp_up: RampUp = Field(default_factory=RampUp)
    min_it_load: float = Field(default=DEFAULT_MIN_IT_LOAD, ge=0, le=1)
    #: Rated power of a rack (kW): rack over-utilisation is measured against it.
    rack_kw: float | None = Field(default=None, gt=0)
    #: What one feed of an A/B pair can carry alone (kW): failover risk is A+B against it.
    feed_kw: float | None = Field(default=None, gt=0)
    racks: dict[str, RackRating] = Field(default_factory=dict)

    @property
    def cls(self) -> PolicyClass:
        return POLICY_CLASSES[self.policy_class]

    @property
    def effective_ceiling(self) -> float | None:
        """The ceiling in force: the override, else the class default (None for edge)."""
        if self.ceiling is not None:
            return self.ceiling
        return self.cls.ceiling

    def rack_rating(self, rack: str) -> tuple[float | None, float | None]:
        """(rack kW, feed kW) of one rack: its override, else the site's."""
        r = self.racks.get(rack, RackRating())
        return (r.rack_kw or self.rack_kw, r.feed_kw or self.feed_kw)


