"""``promtool test rules`` unit tests generated for the generated rules.

The tests are derived from the same inventory, so a user who changes a ceiling, a ramp-up or a
rack rating regenerates both and ``promtool test rules rules_test.yml`` proves the rules still
do what the policy says: a judged breach fires confirmed after ``for``; a breach below the
minimum IT load (or inside a load-based ramp-up) fires *unconfirmed*; an active alert holds
inside the hysteresis band and clears below it; metering faults, devices down, stale devices,
and racks over their rating fire. promtool starts the clock at 0 (1970), so a time-based
ramp-up is never over inside these tests: the load condition is what they exercise.

Expected annotations are rendered here with the few template functions the rules use.
"""

from __future__ import annotations

import math
import re
from typing import Any

from dcmon.config.durations import parse_duration
from dcmon.config.inventory import Site
from dcmon.config.resolved import Config
from dcmon.config.topology import category_label
from dcmon.exporters.rules.generate import (
    PUE,
    capacity_rules,
    device_rules,
    metering_rules,
    policy_of,
    site_pue_rules,
)

STEP_S = 300  # input series and evaluation interval (5m: every evaluation sees a sample)
Test = dict[str, Any]


def humanize(v: float) -> str:
    """Prometheus' ``humanize`` for the plain range the rules need (|v| < 1000)."""
    if v == 0 or math.isnan(v) or math.isinf(v) or abs(v) >= 1:
        if abs(v) >= 1000:
            for i, p in enumerate("kMGTPEZY", 1):
                if abs(v) < 1000 ** (i + 1):
                    return f"{v / 1000 ** i:.4g}{p}"
        return f"{v:.4g}"
    for i, p in enumerate("munpfazy", 1):
        if abs(v) >= 1000 ** -i:
            return f"{v * 1000 ** i:.4g}{p}"
    return f"{v:.4g}"


def humanize_duration(v: float) -> str:
    """Prometheus' ``humanizeDuration`` for v >= 1 s."""
    if v < 1:
        return f"{v:.4g}s"
    n = int(v)
    d, h, m, s = n // 86400, n // 3600 % 24, n // 60 % 60, n % 60
    if d:
        return f"{d}d {h}h {m}m {s}s"
    if h:
        return f"{h}h {m}m {s}s"
    if m:
        return f"{m}m {s}s"
    return f"{v:.4g}s"


_TPL = re.compile(r"\{\{\s*(.*?)\s*\}\}")


def render(text: str, labels: dict[str, str], value: float) -> str:
    def one(m: re.Match[str]) -> str:
        expr = m.group(1)
        if expr.startswith("$labels."):
            return labels.get(expr[len("$labels."):], "")
        if expr == '$value | printf "%.3f"':
            return f"{value:.3f}"
        if expr == "$value | humanizePercentage":
            return humanize(value * 100) + "%"
        if expr == "$value | humanizeDuration":
            return humanize_duration(value)
        raise ValueError(f"template not supported by the test generator: {expr}")
    return _TPL.sub(one, text)


def _series(name: str, labels: dict[str, str], values: str) -> dict[str, str]:
    inner = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return {"series": f"{name}{{{inner}}}", "values": values}


def _vals(*parts: tuple[float, int]) -> str:
    """promtool's expanding notation: (value, samples) runs."""
    return " ".join(f"{v:.10g}x{n - 1}" if n > 1 else f"{v:.10g}" for v, n in parts)


def _alert(rule: dict[str, Any], labels: dict[str, str], value: float) -> dict[str, Any]:
    full = {k: v for k, v in {**labels, **rule["labels"]}.items() if v}
    return {"exp_labels": full,
            "exp_annotations": {k: render(v, full, value)
                                for k, v in rule["annotations"].items()}}


def _dur_s(d: str) -> int:
    return int(parse_duration(d))


def _at(seconds: int) -> str:
    return f"{seconds // 60}m" if seconds % 60 == 0 else f"{seconds}s"


def _pue_inputs(site: Site, labels: dict[str, str], pue: str, load: float | None,
                n: int) -> list[dict[str, str]]:
    assert site.energy is not None
    wl = {"site": site.id, "window": labels["window"]}
    s = [_series("dcmon_site_pue_ratio", labels, pue),
         _series("dcmon_site_pue_coverage_ratio", wl, _vals((1, n)))]
    if load is not None and site.energy.design_it_kw is not None:
        s.append(_series("dcmon_site_it_load_ratio", wl, _vals((load, n))))
    return s


def site_pue_tests(cfg: Config, site: Site) -> list[Test]:
    rules = site_pue_rules(cfg, site, False)
    if not rules or site.energy is None:
        return []
    conf, unconf = rules
    setting = cfg.model.alerting.rules.pue
    pol = policy_of(site)
    ceiling = pol.effective_ceiling
    assert ceiling is not None
    w = setting.windows[0]
    labels = {"category": category_label(cfg.metering(site.id).category), "interim": "true",
              "site": site.id, "window": w}
    n_fire = _dur_s(conf["for"]) // STEP_S + 2
    t_fire = (n_fire - 1) * STEP_S
    has_load = site.energy.design_it_kw is not None
    high = min(1.0, max(pol.ramp_up.it_load, pol.min_it_load) + 0.1)
    low = pol.min_it_load / 2 if pol.min_it_load > 0 else (
        pol.ramp_up.it_load / 2 if pol.commissioned is not None else None)
    over = ceiling + 0.05
    out: list[Test] = []
    if has_load or pol.commissioned is None:  # promtool's clock starts in 1970
        band = ceiling - setting.hysteresis / 2
        below = ceiling - setting.hysteresis - 0.01
        n_band = 4
        pue = _vals((over, n_fire), (band, n_band), (below, n_band))
        evals = [{"eval_time": _at(t_fire), "alertname": PUE,
                  "exp_alerts": [_alert(conf, labels, over)]}]
        if setting.hysteresis > 0:
            evals.append({"eval_time": _at(t_fire + n_band * STEP_S), "alertname": PUE,
                          "exp_alerts": [_alert(conf, labels, band)]})
        evals.append({"eval_time": _at(t_fire + 2 * n_band * STEP_S), "alertname": PUE,
                      "exp_alerts": []})
        out.append({"name": f"{site.id}: PUE {over:.2f} > {ceiling:.2f} ({w}), judged: "
                            f"confirmed after {conf['for']}, holds at {band:.3f}, clears "
                            f"at {below:.2f}",
                    "interval": _at(STEP_S),
                    "input_series": _pue_inputs(site, labels, pue, high, n_fire + 2 * n_band),
                    "alert_rule_test": evals})
    if low is not None and has_load:
        out.append({"name": f"{site.id}: PUE {over:.2f} at {low:.0%} IT load: unconfirmed",
                    "interval": _at(STEP_S),
                    "input_series": _pue_inputs(site, labels, _vals((over, n_fire)), low, n_fire),
                    "alert_rule_test": [{"eval_time": _at(t_fire), "alertname": PUE,
                                         "exp_alerts": [_alert(unconf, labels, over)]}]})
    return out


def pue_tests(cfg: Config) -> list[Test]:
    return [t for site in cfg.model.sites for t in site_pue_tests(cfg, site)]


def metering_tests(cfg: Config) -> list[Test]:
    rules = metering_rules(cfg, False)
    site = next((s for s in cfg.model.sites if s.energy is not None), None)
    if not rules or site is None:
        return []
    w = cfg.model.alerting.rules.pue.windows[0]
    rule = rules[0]
    n = _dur_s(rule["for"]) // STEP_S + 2
    labels = {"site": site.id, "status": "metering_fault", "window": w}
    return [{"name": f"{site.id}: PUE < 1 is a metering fault", "interval": _at(STEP_S),
             "input_series": [_series("dcmon_site_pue_status", labels, _vals((1, n)))],
             "alert_rule_test": [{"eval_time": _at((n - 1) * STEP_S),
                                  "alertname": "DcmonMeteringFault",
                                  "exp_alerts": [_alert(rule, labels, 1.0)]}]}]


def device_tests(cfg: Config) -> list[Test]:
    rules = {r["alert"]: r for r in device_rules(cfg)}
    if not cfg.devices:
        return []
    d = cfg.devices[0]
    labels = {"device": d.id, "profile": d.profile, "rack": d.rack, "room": d.room,
              "site": d.site}
    out: list[Test] = []
    if "DcmonDeviceDown" in rules:
        r = rules["DcmonDeviceDown"]
        n = _dur_s(r["for"]) // STEP_S + 2
        out.append({"name": f"{d.id} down for {r['for']}", "interval": _at(STEP_S),
                    "input_series": [_series("dcmon_device_up", labels, _vals((0, n)))],
                    "alert_rule_test": [{"eval_time": _at((n - 1) * STEP_S),
                                         "alertname": "DcmonDeviceDown",
                                         "exp_alerts": [_alert(r, labels, 0.0)]}]})
    stale = [r for r in device_rules(cfg) if r["alert"] == "DcmonStaleData"]
    if stale:
        limit = cfg.model.alerting.rules.stale.after_intervals * d.interval
        r = stale[0]
        t = (int(limit) // STEP_S + 2) * STEP_S
        out.append({"name": f"{d.id} silent for more than {limit:.0f} s", "interval": _at(STEP_S),
                    "input_series": [
                        _series("dcmon_device_up", labels, _vals((1, t // STEP_S + 1))),
                        _series("dcmon_device_last_success_timestamp_seconds", labels,
                                _vals((60, t // STEP_S + 1)))],
                    "alert_rule_test": [{"eval_time": _at(t), "alertname": "DcmonStaleData",
                                         "exp_alerts": [_alert(r, labels, float(t - 60))]}]})
    return out


def _rated_rack(cfg: Config, feed: bool) -> tuple[Site, str, str, float, list[str]] | None:
    for site in cfg.model.sites:
        pol = policy_of(site)
        for room in site.rooms:
            for rack in room.racks:
                rack_kw, feed_kw = pol.rack_rating(rack.id)
                devs = [d for d in rack.devices]
                if feed and feed_kw and {"A", "B"} <= {d.feed for d in devs}:
                    return site, room.id, rack.id, feed_kw, [d.id for d in devs if d.feed]
                if not feed and rack_kw and devs:
                    return site, room.id, rack.id, rack_kw, [devs[0].id]
    return None


def capacity_tests(cfg: Config) -> list[Test]:
    out: list[Test] = []
    rules = capacity_rules(cfg)
    for name, feed, setting in (("DcmonRackOverUtilised", False, cfg.model.alerting.rules.rack),
                                ("DcmonFeedFailoverRisk", True, cfg.model.alerting.rules.feed)):
        found = _rated_rack(cfg, feed)
        rule = next((r for r in rules if r["alert"] == name
                     and r["labels"]["severity"] == "warning"), None)
        if found is None or rule is None:
            continue
        site, room, rack, kw, devs = found
        ratio = round((setting.warning + setting.critical) / 2, 4)
        n = _dur_s(rule["for"]) // STEP_S + 2
        series = [_series("dcmon_power_watts", {"device": dev, "rack": rack, "rack_power": "true",
                                                "room": room, "site": site.id},
                          _vals((ratio * kw * 1000 / len(devs), n))) for dev in devs]
        labels = {"rack": rack, "room": room, "site": site.id}
        out.append({"name": f"{site.id}/{rack}: {ratio:.0%} of {kw} kW ({name})",
                    "interval": _at(STEP_S), "input_series": series,
                    "alert_rule_test": [{"eval_time": _at((n - 1) * STEP_S), "alertname": name,
                                         "exp_alerts": [_alert(rule, labels, ratio)]}]})
    return out


def rule_tests(cfg: Config, rule_file: str = "rules.yml") -> dict[str, Any]:
    """The ``promtool test rules`` document for ``rule_file`` (non-sharded rules)."""
    return {"rule_files": [rule_file], "evaluation_interval": _at(STEP_S),
            "tests": [*pue_tests(cfg), *metering_tests(cfg), *device_tests(cfg),
                      *capacity_tests(cfg)]}
