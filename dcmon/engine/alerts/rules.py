"""Alert rules: engine results and device health -> observations (breach, hold or clear).

Each rule reads only what the engine already computed (PUE results, live readings, poll
health), so alerts tell the same numbers as /metrics, ``dcmon pue`` and the API. A rule never
sends anything; :mod:`dcmon.engine.alerts.state` keeps state and decides what to notify.

Rules: PUE above the policy ceiling (gated on coverage, minimum IT load and the commissioning
ramp-up: a gated breach is reported *unconfirmed*, never dropped), metering fault (PUE < 1, or
live IT power above facility power), device down, stale data, rack over-utilisation and A/B
feed failover risk (against ratings in ``sites[].policy``). Capacity forecasting is not here:
it needs the capacity engine. A new rule is a function added to :data:`RULES`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from dcmon.config.alerting import UtilisationRule
from dcmon.config.inventory import Site
from dcmon.config.policy import SitePolicy
from dcmon.config.resolved import Config, DeviceSpec
from dcmon.engine.alerts import text as alert_text
from dcmon.engine.alerts.gate import judge
from dcmon.engine.alerts.state import Alert, Observation, Text, fingerprint
from dcmon.engine.capacity.model import SiteCapacity
from dcmon.engine.pue import InstantPue, PueResult
from dcmon.engine.snapshot import DeviceHealth
from dcmon.model import Reading

PUE = "DcmonPueAboveCeiling"
METERING = "DcmonMeteringFault"
DOWN = "DcmonDeviceDown"
STALE = "DcmonStaleData"
RACK = "DcmonRackOverUtilised"
FEED = "DcmonFeedFailoverRisk"
CAPACITY = "DcmonCapacityRunningOut"


@dataclass(frozen=True)
class AlertInputs:
    """What one evaluation looks at. ``health`` empty = device rules are not evaluated
    (offline replay has no poller)."""

    pue: Sequence[PueResult] = ()
    instant: Sequence[InstantPue] = ()
    health: Mapping[str, DeviceHealth] = field(default_factory=dict)
    readings: Mapping[str, tuple[Reading, ...]] = field(default_factory=dict)
    #: When polling started (a device never heard from is stale from then on).
    started: float = 0.0
    #: Capacity per site (its forecast feeds the "capacity running out" rule).
    capacity: Sequence[SiteCapacity] = ()


TextFn = Callable[[str, str, str, float, float, float, float], Text]
Rule = Callable[[Config, float, AlertInputs, Mapping[str, Alert]], list[Observation]]


def site_policy(site: Site) -> SitePolicy:
    """The site's policy; a site without one is a new large build (the city's default)."""
    return site.policy if site.policy is not None else SitePolicy()


def pue_rule(cfg: Config, now: float, inp: AlertInputs, prev: Mapping[str, Alert]
             ) -> list[Observation]:
    rule = cfg.model.alerting.rules.pue
    if not rule.enabled:
        return []
    out: list[Observation] = []
    sites = {s.id: s for s in cfg.model.sites if s.energy is not None}
    for r in inp.pue:
        site = sites.get(r.site)
        if site is None or r.zone is not None or r.window not in rule.windows:
            continue
        assert site.energy is not None
        pol = site_policy(site)
        ceiling = pol.effective_ceiling
        if ceiling is None:  # edge: report only
            continue
        labels = {"site": r.site, "window": r.window}
        # A withheld value still has its energies: judge the raw ratio, unconfirmed.
        value = r.value if r.status == "ok" else (
            r.facility_kwh / r.it_kwh if r.status == "withheld" and r.it_kwh > 0 else None)
        if value is None or value < 1.0:
            out.append(Observation(PUE, labels, "hold"))
            continue
        gate = judge(pol, now, r.coverage, cfg.model.engine.min_coverage, r.it_load_fraction,
                     site.energy.timezone)
        text = alert_text.pue(r.site, r.window, value, ceiling, pol.cls, gate,
                              r.it_load_fraction, r.coverage, r.category)
        state: Literal["breach", "hold", "clear"] = (
            "breach" if value > ceiling else
            "hold" if value > ceiling - rule.hysteresis else "clear")
        out.append(Observation(
            PUE, labels, state, text,
            severity=rule.severity if gate.confirmed else rule.unconfirmed_severity,
            confirmed=gate.confirmed, for_s=rule.for_s, value=value, threshold=ceiling))
    return out


def metering_rule(cfg: Config, now: float, inp: AlertInputs, prev: Mapping[str, Alert]
                  ) -> list[Observation]:
    rule = cfg.model.alerting.rules.metering_fault
    if not rule.enabled:
        return []
    windows = cfg.model.alerting.rules.pue.windows
    out: list[Observation] = []
    for r in inp.pue:
        if r.zone is not None or r.window not in windows:
            continue
        labels = {"site": r.site, "window": r.window}
        if r.status == "metering_fault" and r.value is not None:
            out.append(Observation(
                METERING, labels, "breach",
                alert_text.metering_fault(r.site, r.window, r.value, r.it_kwh, r.facility_kwh),
                severity=rule.severity, for_s=rule.for_s, value=r.value, threshold=1.0))
        else:
            out.append(Observation(METERING, labels, "clear" if r.status == "ok" else "hold"))
    for i in inp.instant:
        labels = {"site": i.site, "window": "instant"}
        if i.facility_w is None or not i.it_w or i.missing:
            out.append(Observation(METERING, labels, "hold"))
        elif i.facility_w < i.it_w:
            out.append(Observation(
                METERING, labels, "breach", alert_text.instant_fault(i.site, i.facility_w,
                                                                     i.it_w),
                severity=rule.severity, for_s=rule.instant_for_s,
                value=i.facility_w / i.it_w, threshold=1.0))
        else:
            out.append(Observation(METERING, labels, "clear"))
    return out


def _dev_labels(d: DeviceSpec) -> dict[str, str]:
    return {"site": d.site, "room": d.room, "rack": d.rack, "device": d.id}


def _where(d: DeviceSpec) -> str:
    return "/".join(x for x in (d.site, d.room, d.rack) if x)


def device_rules(cfg: Config, now: float, inp: AlertInputs, prev: Mapping[str, Alert]
                 ) -> list[Observation]:
    if not inp.health:
        return []
    rules = cfg.model.alerting.rules
    out: list[Observation] = []
    for d in cfg.devices:
        h = inp.health.get(d.id)
        down = h is not None and h.polls > 0 and not h.up
        if rules.device_down.enabled:
            if down and h is not None:
                out.append(Observation(
                    DOWN, _dev_labels(d), "breach",
                    alert_text.device_down(d.id, _where(d), h.last_error, h.last_reason,
                                           h.consecutive_failures),
                    severity=rules.device_down.severity, for_s=rules.device_down.for_s,
                    value=float(h.consecutive_failures)))
            else:  # the resolution says the device recovered, not the last "is down"
                out.append(Observation(DOWN, _dev_labels(d), "clear",
                                       alert_text.device_up(d.id, _where(d))))
        if rules.stale.enabled:
            heard = h.last_success_ts if h is not None and h.last_success_ts > 0 else inp.started
            age, limit = now - heard, rules.stale.after_intervals * d.interval
            if not down and heard > 0 and age > limit:
                out.append(Observation(
                    STALE, _dev_labels(d), "breach",
                    alert_text.stale(d.id, _where(d), age, limit),
                    severity=rules.stale.severity, value=age, threshold=limit))
            else:
                out.append(Observation(STALE, _dev_labels(d), "clear",
                                       alert_text.fresh(d.id, _where(d))))
    return out


def _rack_power(devs: list[DeviceSpec], inp: AlertInputs) -> float | None:
    """Sum of the rack-power level of the rack's devices; None when one is down or silent."""
    total, seen = 0.0, False
    for d in devs:
        h = inp.health.get(d.id)
        if h is not None and h.polls > 0 and not h.up:
            return None
        got = [r.value for r in inp.readings.get(d.id, ())
               if r.rack_power and r.metric == "power" and r.unit == "W"]
        seen = seen or bool(got)
        total += sum(got)
    return total if seen else None


def _level(ratio: float, rule: UtilisationRule, prev: Alert | None
           ) -> tuple[Literal["breach", "hold", "clear"], str]:
    """(state, severity) with hysteresis on both the alert and its critical level."""
    was_crit = prev is not None and prev.active and prev.labels.get("severity") == "critical"
    crit = ratio > rule.critical or (was_crit and ratio > rule.critical - rule.hysteresis)
    severity = "critical" if crit else "warning"
    if ratio > rule.warning:
        return "breach", severity
    if ratio > rule.warning - rule.hysteresis:
        return "hold", severity
    return "clear", severity


def rack_rules(cfg: Config, now: float, inp: AlertInputs, prev: Mapping[str, Alert]
               ) -> list[Observation]:
    rules = cfg.model.alerting.rules
    out: list[Observation] = []
    if not inp.health and not inp.readings:  # offline replay: no live power
        return out
    for site in cfg.model.sites:
        pol = site_policy(site)
        for room in site.rooms:
            for rk in room.racks:
                rack_kw, feed_kw = pol.rack_rating(rk.id)
                # The inventory's rating (capacity, docs/capacity.md) wins over the policy's.
                rack_kw = rk.rated_kw or rack_kw
                devs = [d for d in cfg.devices
                        if d.site == site.id and d.room == room.id and d.rack == rk.id]
                labels = {"site": site.id, "room": room.id, "rack": rk.id}
                kw_w = _rack_power(devs, inp) if (rack_kw or feed_kw) else None
                checks: list[tuple[str, UtilisationRule, float | None, TextFn]] = [
                    (RACK, rules.rack, rack_kw, alert_text.rack)]
                if {"A", "B"} <= {d.feed for d in devs}:
                    checks.append((FEED, rules.feed, feed_kw, alert_text.feed))
                for name, rule, rating, text in checks:
                    if not rule.enabled or rating is None:
                        continue
                    if kw_w is None:
                        out.append(Observation(name, labels, "hold"))
                        continue
                    ratio = kw_w / (rating * 1000)
                    state, sev = _level(ratio, rule, prev.get(fingerprint(name, labels)))
                    limit = rule.critical if sev == "critical" else rule.warning
                    out.append(Observation(
                        name, labels, state,
                        text(site.id, room.id, rk.id, kw_w / 1000, rating, ratio, limit),
                        severity=sev, for_s=rule.for_s, value=ratio, threshold=limit))
    return out


def capacity_rule(cfg: Config, now: float, inp: AlertInputs, prev: Mapping[str, Alert]
                  ) -> list[Observation]:
    """The forecast of days until full is under the threshold, with a trustworthy fit."""
    rule = cfg.model.alerting.rules.capacity
    if not rule.enabled:
        return []
    out: list[Observation] = []
    for sc in inp.capacity:
        f = sc.forecast
        labels = {"site": sc.site}
        if f.status == "full" or (f.status == "ok" and f.days_until_full is not None
                                   and f.days_until_full < rule.days
                                   and (f.r2 or 0.0) >= rule.min_r2):
            days = 0.0 if f.status == "full" else float(f.days_until_full or 0.0)
            out.append(Observation(
                CAPACITY, labels, "breach",
                alert_text.capacity(sc.site, days, rule.days, f.slope_kw_per_day or 0.0,
                                    f.r2 or 0.0, sc.headroom.binding or "capacity"),
                severity=rule.severity, value=days, threshold=rule.days))
        elif f.status in ("ok", "not_growing", "no_limit"):
            out.append(Observation(CAPACITY, labels, "clear"))
        else:  # insufficient data: neither raise nor clear
            out.append(Observation(CAPACITY, labels, "hold"))
    return out


RULES: list[Rule] = [pue_rule, metering_rule, device_rules, rack_rules, capacity_rule]


def observe(cfg: Config, now: float, inp: AlertInputs, prev: Mapping[str, Alert]
            ) -> list[Observation]:
    """Every rule's observations for one evaluation at ``now``."""
    if not cfg.model.alerting.enabled:
        return []
    return [o for rule in RULES for o in rule(cfg, now, inp, prev)]
