"""Whether a PUE breach is confirmed: coverage, minimum IT load and the commissioning ramp-up.

A breach inside the ramp-up, below the minimum load or on thin data is still reported, as
*unconfirmed* with the reason in English and Chinese: it is never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from dcmon.config.policy import SitePolicy


def add_months(d: date, months: int) -> date:
    """``d`` plus whole calendar months (the day clamped to the month's end)."""
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(y, m, day)
        except ValueError:
            continue
    raise ValueError(d)  # pragma: no cover


def ramp_end_ts(policy: SitePolicy, tz: str = "UTC") -> float:
    """Unix time at which the ramp-up's time condition is met (0 when no date is given: a site
    without a commissioning date is judged, so a missing date can never hide a breach)."""
    if policy.commissioned is None:
        return 0.0
    end = add_months(policy.commissioned, policy.ramp_up.months)
    return datetime(end.year, end.month, end.day, tzinfo=ZoneInfo(tz)).timestamp()


@dataclass(frozen=True, slots=True)
class Gate:
    """Why a breach is not confirmed (empty = confirmed), in English and Chinese."""

    en: tuple[str, ...] = ()
    zh: tuple[str, ...] = ()

    @property
    def confirmed(self) -> bool:
        return not self.en


def judge(policy: SitePolicy, now: float, coverage: float, min_coverage: float,
          it_load: float | None, tz: str = "UTC") -> Gate:
    """Gate a PUE breach on coverage, minimum IT load and the commissioning ramp-up.

    Unknown IT load (no ``design_it_kw``) does not gate: only what is known can hold a breach
    back.
    """
    en: list[str] = []
    zh: list[str] = []
    if coverage < min_coverage:
        en.append(f"coverage {coverage:.0%} of the window is below {min_coverage:.0%}")
        zh.append(f"数据覆盖率 {coverage:.0%} 低于 {min_coverage:.0%}")
    if it_load is not None and it_load < policy.min_it_load:
        en.append(f"IT load {it_load:.0%} of design is below the minimum "
                  f"{policy.min_it_load:.0%}")
        zh.append(f"IT 负载 {it_load:.0%} 低于最低判定负载 {policy.min_it_load:.0%}")
    end = ramp_end_ts(policy, tz)
    ramp = policy.ramp_up
    by_time = now >= end
    by_load = it_load is not None and it_load >= ramp.it_load
    judged = (by_time and by_load) if ramp.mode == "both" else (by_time or by_load)
    if not judged:
        since = policy.commissioned.isoformat() if policy.commissioned else "?"
        load = f"{it_load:.0%}" if it_load is not None else "unknown"
        en.append(f"in commissioning ramp-up (commissioned {since}, judged after "
                  f"{ramp.months} months or above {ramp.it_load:.0%} of design IT load; "
                  f"IT load now {load})")
        zh.append(f"处于投产爬坡期（{since} 投产，投产满 {ramp.months} 个月或 IT 负载超过设计值 "
                  f"{ramp.it_load:.0%} 后判定；当前 IT 负载 {load}）")
    return Gate(tuple(en), tuple(zh))


