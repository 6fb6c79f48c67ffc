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
from dataclasses import replace
from typing import Any

from dcmon import clock
from dcmon.config.durations import parse_duration
from dcmon.config.inventory import Site
from dcmon.config.resolved import Config
from dcmon.config.topology import category_label
from dcmon.engine.capacity.compute import compute_capacity
from dcmon.engine.capacity.model import SiteCapacity
from dcmon.engine.capacity.rack import CapacityInputs
from dcmon.exporters.rules.capacity import rack_rated_kw, rack_usable_kw
from dcmon.exporters.rules.carbon import carbon_tests
from dcmon.exporters.rules.generate import (
    PUE,
    capacity_rules,
    device_rules,
    metering_rules,
    policy_of,
    site_pue_rules,
)
from dcmon.model import Reading, Source

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
                rack_kw, feed_kw = rack_rated_kw(site, rack), pol.rack_rating(rack.id)[1]
                devs = cfg.in_rack(site.id, room.id, rack.id)
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


def _rack_loads(cfg: Config, site: Site) -> dict[str, float]:
    """Watts per rack device: each rack draws about half its usable power (1.2 kW unrated),
    split evenly over its devices, in whole watts (sums and ratios stay exact)."""
    out: dict[str, float] = {}
    for room in site.rooms:
        for i, rack in enumerate(room.racks):
            devs = [d.id for d in cfg.in_rack(site.id, room.id, rack.id)]
            usable = rack_usable_kw(cfg, site, rack)
            rack_w = 1200.0 + 100 * i if usable is None else round(usable * 500) + 100 * i
            for d in devs:
                out[d] = float(round(rack_w / len(devs)))
    return out


def _engine_site(cfg: Config, site: Site, loads: dict[str, float]) -> SiteCapacity:
    """What the engine's capacity says of ``site`` with these live loads (basis now)."""
    readings = {d: [Reading(d, "power", w, "W", {}, 0.0, Source("test"), rack_power=True,
                            level="total")] for d, w in loads.items()}
    cfg_now = replace(cfg, model=cfg.model.model_copy(update={
        "capacity": cfg.model.capacity.model_copy(update={"basis": "now"})}))
    cap = compute_capacity(cfg_now, CapacityInputs(readings, {}, 0.0, 3600.0), site.id)
    return cap.sites[0]


def _sample(expr: str, labels: dict[str, str], value: float | None, scale: float,
            kw: bool = False) -> dict[str, Any] | None:
    """A promql_expr_test of ``round(expr * scale)``: promtool compares floats exactly, the
    engine rounds to 6 places, so both sides are compared as whole numbers (``kw``: the
    engine's figure is in kW, the series in W)."""
    if value is None:
        return None
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    want = math.floor(value * (1000 if kw else 1) * scale + 0.5)
    return {"expr": f"round({expr} * {scale:g})" if scale != 1 else f"round({expr})",
            "eval_time": _at(STEP_S), "exp_samples": [{"labels": f"{{{inner}}}",
                                                       "value": want}]}


def capacity_recording_tests(cfg: Config) -> list[Test]:
    """The capacity recording rules against the engine's own capacity, for the first site with
    racks: live loads on every rack device, the engine computes, Prometheus must agree."""
    site = next((s for s in cfg.model.sites if any(cfg.in_rack(s.id, ro.id, r.id)
                                                    for ro in s.rooms for r in ro.racks)), None)
    if site is None:
        return []
    loads = _rack_loads(cfg, site)
    eng = _engine_site(cfg, site, loads)
    place = {d.id: (d.room, d.rack) for d in cfg.devices if d.site == site.id and d.rack}
    series = [_series("dcmon_power_watts", {"device": d, "rack": place[d][1], "rack_power": "true",
                                            "room": place[d][0], "site": site.id}, _vals((w, 3)))
              for d, w in loads.items()]
    checks: list[dict[str, Any] | None] = []
    for room in eng.rooms:
        for r in room.racks:
            lab = {"site": r.site, "room": r.room, "rack": r.rack}
            checks.append(_sample(f'dcmon:rack_utilisation_ratio{{rack="{r.rack}"}}', lab,
                                  r.utilisation, 1e6))
            checks.append(_sample(f'dcmon:rack_headroom_watts{{rack="{r.rack}"}}',
                                  {**lab, "limit": "power"}, r.headroom.power_kw, 1, kw=True))
        checks.append(_sample(f'dcmon:room_headroom_watts{{room="{room.room}"}}',
                              {"site": site.id, "room": room.room, "limit": "power"},
                              room.headroom.power_kw, 1, kw=True))
    sl = {"site": site.id}
    t = eng.totals
    checks += [
        _sample(f'dcmon:site_headroom_watts{{site="{site.id}"}}',
                {**sl, "limit": "power"}, eng.headroom.power_kw, 1, kw=True),
        _sample(f'dcmon:site_racks{{site="{site.id}"}}', {**sl, "state": "in_use"},
                float(t.racks_in_use), 1),
        _sample(f'dcmon:site_standard_racks{{site="{site.id}",kind="measured"}}',
                {**sl, "kind": "measured"}, t.std_racks_measured, 1e6),
        _sample(f'dcmon:site_standard_racks{{site="{site.id}",kind="in_use"}}',
                {**sl, "kind": "in_use"}, t.std_racks_in_use, 1e6)]
    return [{"name": f"{site.id}: rack and site capacity as the engine computes it (live load)",
             "interval": _at(STEP_S), "input_series": series,
             "promql_expr_test": [c for c in checks if c is not None]}]


def rule_tests(cfg: Config, rule_file: str = "rules.yml", sharded: bool = False
               ) -> dict[str, Any]:
    """The ``promtool test rules`` document for ``rule_file``; the sharded rules get the
    tests that do not read the engine's site results (devices, racks, capacity)."""
    pue = [] if sharded else [*pue_tests(cfg), *metering_tests(cfg)]
    return {"rule_files": [rule_file], "evaluation_interval": _at(STEP_S),
            "tests": [*pue, *device_tests(cfg), *capacity_tests(cfg),
                      *capacity_recording_tests(cfg), *carbon_tests(cfg, clock.now())]}
