"""Prometheus recording and alerting rules generated from the inventory and its policy.

For users who alert in Prometheus, and for sharded deployments where no single dcmon sees a
whole site. The same inventory drives the built-in engine (:mod:`dcmon.engine.alerts.rules`), so
both
paths alert on the same thresholds, with the same alert names and labels:

* ``dcmon-policy``: the inventory's numbers as series (rack and feed ratings, design IT power),
  so generic alert expressions can join against them;
* ``dcmon-site``: site IT and facility power from the topology's meters (no double counting:
  a PDU counts at its rack-power level), rack power, and the energy PUE per window from the
  sites' monotonic energy counters (``sum by (site)`` makes it shard-safe);
* ``dcmon-alerts``: PUE above ceiling (one rule per site, confirmed and unconfirmed), metering
  fault, device down, stale data, rack over-utilisation and feed failover risk.

Hysteresis is the classic ``ALERTS`` self-join: once active, an alert stays active down to the
clear level. Time-based ramp-up compares ``time()`` with the commissioning date plus the
ramp-up months, rendered as a Unix timestamp.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from dcmon import clock
from dcmon.config.durations import format_duration
from dcmon.config.inventory import Site
from dcmon.config.policy import SitePolicy
from dcmon.config.resolved import Config
from dcmon.config.topology import MeterRef, expand
from dcmon.engine.alerts.gate import ramp_end_ts
from dcmon.engine.pue import WINDOWS
from dcmon.exporters.rules.capacity import capacity_group, capacity_policy, rack_rated_kw
from dcmon.exporters.rules.carbon import carbon_group

Rule = dict[str, Any]

PUE = "DcmonPueAboveCeiling"


def q(v: str) -> str:
    """A PromQL string literal."""
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Re(str):
    """A regex label matcher value (``=~``)."""


class NotRe(str):
    """A negative regex label matcher value (``!~``)."""


def sel(name: str, **labels: str) -> str:
    """A selector; values of type :class:`Re` / :class:`NotRe` match as regexes."""
    def op(v: str) -> str:
        return "=~" if isinstance(v, Re) else "!~" if isinstance(v, NotRe) else "="
    inner = ",".join(f"{k}{op(v)}{q(v)}" for k, v in labels.items())
    return f"{name}{{{inner}}}" if inner else name


def num(x: float) -> str:
    return f"{x:.10g}"


def policy_of(site: Site) -> SitePolicy:
    return site.policy if site.policy is not None else SitePolicy()


# --------------------------------------------------------------------------------- recording


def meter_power(ref: MeterRef) -> str:
    """One meter's power, chosen as the engine's :func:`dcmon.engine.pue.narrow` does: its labelled
    series, or a PDU's rack-power level, else a meter's total level (not total + phases: an
    SDM630 incomer would count twice), else all its series."""
    if ref.labels:
        return f"sum({sel('dcmon_power_watts', device=ref.device, **ref.labels)})"
    return (f"(sum({sel('dcmon_power_watts', device=ref.device, rack_power='true')}) or "
            f"sum({sel('dcmon_power_watts', device=ref.device, level=Re('total|device'))}) or "
            f"sum({sel('dcmon_power_watts', device=ref.device)}))")


def _sum(refs: list[MeterRef]) -> str:
    return " + ".join(meter_power(r) for r in refs)


def policy_group(cfg: Config) -> Rule:
    rules: list[Rule] = []
    for site in cfg.model.sites:
        pol = policy_of(site)
        if site.energy is not None and site.energy.design_it_kw:
            rules.append({"record": "dcmon:site_design_it_power_watts",
                          "expr": f"vector({num(site.energy.design_it_kw * 1000)})",
                          "labels": {"site": site.id}})
        for room in site.rooms:
            for rack in room.racks:
                feed_kw = pol.rack_rating(rack.id)[1]
                rack_kw = rack_rated_kw(site, rack)  # as the engine: the rack's, else policy
                where = {"site": site.id, "room": room.id, "rack": rack.id}
                if rack_kw:
                    rules.append({"record": "dcmon:rack_rated_power_watts",
                                  "expr": f"vector({num(rack_kw * 1000)})", "labels": where})
                feeds = {d.feed for d in cfg.in_rack(site.id, room.id, rack.id)}
                if feed_kw and {"A", "B"} <= feeds:
                    rules.append({"record": "dcmon:rack_feed_rated_power_watts",
                                  "expr": f"vector({num(feed_kw * 1000)})", "labels": where})
    return {"name": "dcmon-policy", "rules": [*rules, *capacity_policy(cfg)]}


def site_group(cfg: Config, sharded: bool) -> Rule:
    rules: list[Rule] = [{
        "record": "dcmon:rack_power_watts",
        "expr": 'sum by (site, room, rack) (dcmon_power_watts{rack_power="true",rack!=""})'}]
    windows = cfg.model.alerting.rules.pue.windows
    for site in cfg.model.sites:
        topo = site.energy
        if topo is None:
            continue
        meters = expand(topo, cfg.rack_devices(site.id))
        lab = {"site": site.id}
        if meters["it"]:
            it = _sum(meters["it"])
            fac = (_sum(meters["facility"]) if meters["facility"] else
                   f"{it} + {_sum(meters['facility_components'])}"
                   if meters["facility_components"] else None)
            rules.append({"record": "dcmon:site_it_power_watts", "expr": it, "labels": lab})
            if fac is not None:
                rules.append({"record": "dcmon:site_facility_power_watts", "expr": fac,
                              "labels": lab})
        f_sel = sel("dcmon_site_facility_energy_joules_total", site=site.id)
        i_sel = sel("dcmon_site_it_energy_joules_total", site=site.id)
        for w in windows:
            rules.append({
                "record": "dcmon:site_pue_energy_ratio",
                "expr": f"sum by (site) (increase({f_sel}[{w}])) / "
                        f"sum by (site) (increase({i_sel}[{w}]))",
                "labels": {"site": site.id, "window": w}})
            if topo.design_it_kw:
                rules.append({
                    "record": "dcmon:site_it_load_energy_ratio",
                    "expr": f"sum by (site) (increase({i_sel}[{w}])) / {num(WINDOWS[w])} / "
                            f"on(site) {sel('dcmon:site_design_it_power_watts', site=site.id)}",
                    "labels": {"site": site.id, "window": w}})
        judged = judged_expr(site, windows, sharded)
        if judged:
            rules.append({"record": "dcmon:site_pue_judged", "expr": judged,
                          "labels": {"site": site.id}})
    rules.append({"record": "dcmon:site_pue_instant_ratio",
                  "expr": "dcmon:site_facility_power_watts / on(site) "
                          "dcmon:site_it_power_watts"})
    return {"name": "dcmon-site", "rules": rules}


def judged_expr(site: Site, windows: Sequence[str], sharded: bool) -> str:
    """Per (site, window): 1 when a breach would be confirmed (gates pass). Mirrors
    :func:`dcmon.engine.alerts.gate.judge`; coverage is the engine's (withheld value = no ok
    value)."""
    pol = policy_of(site)
    if pol.effective_ceiling is None or site.energy is None:
        return ""
    wre = Re("|".join(windows))
    load = sel("dcmon:site_it_load_energy_ratio" if sharded else "dcmon_site_it_load_ratio",
               site=site.id, window=wre)
    base = sel("dcmon:site_pue_energy_ratio" if sharded else "dcmon_site_pue_coverage_ratio",
               site=site.id, window=wre)
    end = ramp_end_ts(pol, site.energy.timezone)
    by_time = f"({base} and on() (vector(time()) >= {num(end)}))"
    by_load = f"({load} >= {num(pol.ramp_up.it_load)})"
    judged = (f"({by_load} and on(site, window) {by_time})" if pol.ramp_up.mode == "both"
              else f"({by_load} or on(site, window) {by_time})")
    floor = f" unless on(site, window) ({load} < {num(pol.min_it_load)})" \
        if pol.min_it_load > 0 else ""
    return f"{judged}{floor}"


# ---------------------------------------------------------------------------------- alerting


def _hyst(expr: str, clear: str, alertname: str, on: str, **alert_labels: str) -> str:
    """``expr > threshold``, or, while the alert is active, ``expr > clear``."""
    return (f"({expr}) or on({on}) (({clear}) and on({on}) "
            f"{sel('ALERTS', alertname=alertname, **alert_labels)})")


def pue_rules(cfg: Config, sharded: bool) -> list[Rule]:
    return [r for site in cfg.model.sites for r in site_pue_rules(cfg, site, sharded)]


def site_pue_rules(cfg: Config, site: Site, sharded: bool) -> list[Rule]:
    """[confirmed, unconfirmed] PUE rules of one site ([] for edge or no topology)."""
    rule = cfg.model.alerting.rules.pue
    pol = policy_of(site)
    ceiling = pol.effective_ceiling
    out: list[Rule] = []
    if not rule.enabled or site.energy is None or ceiling is None:
        return out
    wre = Re("|".join(rule.windows))
    clear = ceiling - rule.hysteresis
    engine = sel("dcmon_site_pue_ratio", site=site.id, window=wre)
    raw = sel("dcmon:site_pue_energy_ratio", site=site.id, window=wre)
    judged = sel("dcmon:site_pue_judged", site=site.id)
    value = raw if sharded else engine
    confirmed = _hyst(f"{value} > {num(ceiling)}", f"{value} > {num(clear)}", PUE,
                      "site, window", site=site.id, confirmed="true")
    either = raw if sharded else f"({engine} or on(site, window) {raw})"
    unconfirmed = _hyst(f"{either} > {num(ceiling)}", f"{either} > {num(clear)}", PUE,
                        "site, window", site=site.id, confirmed="false")
    cls = pol.cls
    for conf, expr, sev in (
            ("true", f"({confirmed}) and on(site, window) {judged}", rule.severity),
            ("false", f"({unconfirmed}) unless on(site, window) ({value} and on(site, window)"
                      f" {judged})", rule.unconfirmed_severity)):
        tag, tag_zh = ("", "") if conf == "true" else ("UNCONFIRMED ", "【未确认】")
        why = "" if conf == "true" else (
            " Not confirmed: coverage, minimum IT load or commissioning ramp-up "
            f"(commissioned {pol.commissioned or '?'}, judged after {pol.ramp_up.months} "
            f"months or above {pol.ramp_up.it_load:.0%} of design IT load).")
        out.append({
            "alert": PUE, "expr": expr, "for": format_duration(rule.for_s),
            "labels": {"site": site.id, "severity": sev, "confirmed": conf},
            "annotations": {
                "summary": f"{tag}{{{{ $labels.site }}}}: PUE {{{{ $value | printf "
                           f"\"%.3f\" }}}} over {{{{ $labels.window }}}} is above the "
                           f"{ceiling:.2f} ceiling",
                "summary_zh": f"{tag_zh}{{{{ $labels.site }}}}：{{{{ $labels.window }}}} "
                              f"PUE {{{{ $value | printf \"%.3f\" }}}} 超过限值 "
                              f"{ceiling:.2f}",
                "description": (
                    f"Site {{{{ $labels.site }}}}: energy PUE over the last "
                    f"{{{{ $labels.window }}}} is {{{{ $value | printf \"%.3f\" }}}}, above "
                    f"the {ceiling:.2f} ceiling of its class ({cls.en}; {cls.source})."
                    f"{why} Check first: cooling plant, then UPS mode and load."),
                "description_zh": (
                    f"站点 {{{{ $labels.site }}}}：最近 {{{{ $labels.window }}}} 能耗 PUE 为 "
                    f"{{{{ $value | printf \"%.3f\" }}}}，超过{cls.zh}限值 {ceiling:.2f}"
                    f"（{cls.source}）。请先检查制冷系统，再查 UPS 运行模式与负载率。"),
                "threshold": num(ceiling)}})
    return out


def metering_rules(cfg: Config, sharded: bool) -> list[Rule]:
    rule = cfg.model.alerting.rules.metering_fault
    if not rule.enabled:
        return []
    wre = Re("|".join(cfg.model.alerting.rules.pue.windows))
    window = (f"{sel('dcmon:site_pue_energy_ratio', window=wre)} < 1" if sharded else
              f"{sel('dcmon_site_pue_status', status='metering_fault', window=wre)} == 1")
    fac, it = (("dcmon:site_facility_power_watts", "dcmon:site_it_power_watts") if sharded
               else ("dcmon_site_facility_power_watts", "dcmon_site_it_power_watts"))
    ann = {
        "summary": "{{ $labels.site }}: metering fault (PUE < 1, IT above facility)",
        "summary_zh": "{{ $labels.site }}：计量故障（PUE 小于 1，IT 大于总量）",
        "description": "Site {{ $labels.site }}: IT energy or power exceeds facility "
                       "({{ $labels.window }}). Check first: meter roles in sites.energy, "
                       "then meter scaling and CT ratios.",
        "description_zh": "站点 {{ $labels.site }}：IT 能耗或功率大于总量（{{ $labels.window }}）。"
                          "请先检查计量角色，再查电表倍率与互感器变比。"}
    return [
        {"alert": "DcmonMeteringFault", "expr": window, "for": format_duration(rule.for_s),
         "labels": {"severity": rule.severity}, "annotations": ann},
        {"alert": "DcmonMeteringFault", "expr": f"{fac} < on(site) {it}",
         "for": format_duration(rule.instant_for_s),
         "labels": {"severity": rule.severity, "window": "instant"}, "annotations": ann}]


def device_rules(cfg: Config) -> list[Rule]:
    rules = cfg.model.alerting.rules
    out: list[Rule] = []
    if rules.device_down.enabled:
        out.append({
            "alert": "DcmonDeviceDown", "expr": "dcmon_device_up == 0",
            "for": format_duration(rules.device_down.for_s),
            "labels": {"severity": rules.device_down.severity},
            "annotations": {
                "summary": "{{ $labels.device }} is down",
                "summary_zh": "设备 {{ $labels.device }} 无法采集",
                "description": "Device {{ $labels.device }} ({{ $labels.site }}/{{ $labels.room "
                               "}}/{{ $labels.rack }}) failed its last poll. Check first: "
                               "network reach, then the SNMP credential or Modbus unit id.",
                "description_zh": "设备 {{ $labels.device }}（{{ $labels.site }}/{{ $labels.room "
                                  "}}/{{ $labels.rack }}）最近一次采集失败。请先检查网络连通，"
                                  "再查 SNMP 凭据或 Modbus 从站地址。"}})
    if rules.stale.enabled:
        by_limit: dict[float, list[str]] = {}
        for d in cfg.devices:
            by_limit.setdefault(rules.stale.after_intervals * d.interval, []).append(d.id)
        default = rules.stale.after_intervals * cfg.model.poll.interval
        others = sorted(d for lim, ds in by_limit.items() if lim != default for d in ds)
        groups: list[tuple[float, dict[str, str]]] = [
            (default, {"device": NotRe("|".join(map(re.escape, others)))} if others else {})]
        groups += [(lim, {"device": Re("|".join(map(re.escape, sorted(ds))))})
                   for lim, ds in sorted(by_limit.items()) if lim != default]
        parts = [f"(time() - ({sel('dcmon_device_last_success_timestamp_seconds', **m)} > 0)) "
                 f"> {num(limit)}" for limit, m in groups]
        after = f"{rules.stale.after_intervals:g}"
        out.append({
            "alert": "DcmonStaleData",
            "expr": f"({' or '.join(parts)}) unless on(device) (dcmon_device_up == 0)",
            "labels": {"severity": rules.stale.severity},
            "annotations": {
                "summary": "{{ $labels.device }}: no data for {{ $value | humanizeDuration }}",
                "summary_zh": "设备 {{ $labels.device }}：{{ $value | humanizeDuration }} 无数据",
                "description": "Device {{ $labels.device }} has not delivered a reading for "
                               "{{ $value | humanizeDuration }} (limit " + after + " poll "
                               "intervals) although it is not reported down. Check first: "
                               "whether dcmon is polling it, then `dcmon poll`.",
                "description_zh": "设备 {{ $labels.device }} 已 {{ $value | humanizeDuration }} "
                                  "没有读数（上限为 " + after + " 个采集周期）。请先检查 dcmon "
                                  "是否在采集它，再手动执行 dcmon poll。"}})
    return out


def capacity_rules(cfg: Config) -> list[Rule]:
    out: list[Rule] = []
    on = "site, room, rack"
    rules = cfg.model.alerting.rules
    for name, rated, rule, what, what_zh in (
            ("DcmonRackOverUtilised", "dcmon:rack_rated_power_watts", rules.rack,
             "of its rated power", "额定功率"),
            ("DcmonFeedFailoverRisk", "dcmon:rack_feed_rated_power_watts",
             rules.feed, "of what one feed carries alone (A+B)",
             "单路容量（A+B 合计）")):
        if not rule.enabled:
            continue
        ratio = f"dcmon:rack_power_watts / on({on}) {rated}"
        for sev, level in (("warning", rule.warning), ("critical", rule.critical)):
            out.append({
                "alert": name,
                "expr": _hyst(f"{ratio} > {num(level)}",
                              f"{ratio} > {num(level - rule.hysteresis)}", name, on,
                              severity=sev),
                "for": format_duration(rule.for_s),
                "labels": {"severity": sev},
                "annotations": {
                    "summary": f"{{{{ $labels.site }}}}/{{{{ $labels.rack }}}}: "
                               f"{{{{ $value | humanizePercentage }}}} {what}",
                    "summary_zh": f"{{{{ $labels.site }}}}/{{{{ $labels.rack }}}}：达到{what_zh}的 "
                                  f"{{{{ $value | humanizePercentage }}}}",
                    "description": f"Rack {{{{ $labels.rack }}}} in {{{{ $labels.site }}}}/"
                                   f"{{{{ $labels.room }}}} draws {{{{ $value | "
                                   f"humanizePercentage }}}} {what} (alert above "
                                   f"{level:.0%}). Check first: recent installs, then the A/B "
                                   f"balance and breaker ratings.",
                    "description_zh": f"{{{{ $labels.site }}}}/{{{{ $labels.room }}}} 的机柜 "
                                      f"{{{{ $labels.rack }}}} 功率达到{what_zh}的 {{{{ $value | "
                                      f"humanizePercentage }}}}（告警阈值 {level:.0%}）。"
                                      f"请先检查近期上架设备，再查 A/B 均衡与断路器额定值。",
                    "threshold": num(level)}})
    cap = rules.capacity
    if cap.enabled:
        # The same judgement as dcmon.engine.alerts.rules.capacity_rule: a trustworthy trend (R²)
        # that
        # reaches the site's power or cooling limit within the threshold.
        days = "dcmon_site_time_until_full_seconds / 86400"
        out.append({
            "alert": "DcmonCapacityRunningOut",
            "expr": f"({days} < {num(cap.days)}) and on(site) "
                    f"(dcmon_site_forecast_fit_r2 >= {num(cap.min_r2)})",
            "labels": {"severity": cap.severity},
            "annotations": {
                "summary": f"{{{{ $labels.site }}}}: capacity full in {{{{ $value | printf "
                           f"\"%.0f\" }}}} days (alert under {cap.days:.0f})",
                "summary_zh": f"{{{{ $labels.site }}}}：预计 {{{{ $value | printf \"%.0f\" }}}} "
                              f"天后容量用尽（告警阈值 {cap.days:.0f} 天）",
                "description": "Check first: the capacity report's load trend and headroom per "
                               "room, then plan racks, cooling or power before placing more "
                               "load.",
                "description_zh": "请先查看容量报告的负载趋势和各机房余量，再规划新增机柜、制冷"
                                  "或配电。",
                "threshold": num(cap.days)}})
    return out


def rule_file(cfg: Config, sharded: bool = False) -> dict[str, Any]:
    """The whole rule file as a YAML-ready document."""
    alerts = [*pue_rules(cfg, sharded), *metering_rules(cfg, sharded), *device_rules(cfg),
              *capacity_rules(cfg)]
    return {"groups": [policy_group(cfg), site_group(cfg, sharded), capacity_group(cfg),
                       carbon_group(cfg, clock.now()), {"name": "dcmon-alerts",
                                                        "rules": alerts}]}
