"""Carbon recording rules: CUE, REF and WUE per site and window from monotonic counters.

For sharded deployments (no process sees a whole site) and for users who keep long history in
Prometheus. Every input is a lifetime counter the engine exports per site and shard
(``dcmon_site_{facility,it,renewable,generator}_energy_joules_total``,
``dcmon_site_water_cubic_meters_total``), so ``sum by (site)`` adds the shards:

* ``dcmon:site_grid_energy_joules{site,window}``: facility - renewable - generator energy;
* ``dcmon:site_cue_kg_per_kwh{site,window,basis="location"}``: grid energy x the grid factor /
  IT energy (joules cancel out);
* ``dcmon:site_ref_ratio{site,window}``: metered renewable / facility energy;
* ``dcmon:site_wue_l_per_kwh{site,window}``: litres of water per kWh of IT energy.

Prometheus knows no monthly data, so the rules leave out what the engine takes from it: fuel
burnt and green certificates (the engine's ``dcmon_site_cue_kg_per_kwh`` includes them). The
grid factor is a number in the rule: the one in force when the rules were generated, so they
are regenerated when a year's factor changes (docs/carbon.md).
"""

from __future__ import annotations

import math
from typing import Any

from dcmon.config.inventory import Site
from dcmon.config.resolved import Config
from dcmon.engine.carbon.factors import grid_factor

Rule = dict[str, Any]
STEP_S = 300


def _inc(family: str, site: str, window: str) -> str:
    return f'sum by (site) (increase({family}{{site="{site}"}}[{window}]))'


def _grid(site: Site, window: str) -> str:
    c = site.carbon
    parts = [_inc("dcmon_site_facility_energy_joules_total", site.id, window)]
    if c is not None and c.renewable:
        parts.append(_inc("dcmon_site_renewable_energy_joules_total", site.id, window))
    if c is not None and c.generators:
        parts.append(_inc("dcmon_site_generator_energy_joules_total", site.id, window))
    return " - ".join(parts)


def carbon_group(cfg: Config, at: float) -> Rule:
    """The ``dcmon-carbon`` group for the sites with a topology (grid factor in force at
    ``at``)."""
    rules: list[Rule] = []
    for site in cfg.model.sites:
        if site.energy is None:
            continue
        factor, _ = grid_factor(cfg, site.id, at)
        c = site.carbon
        for w in cfg.model.alerting.rules.pue.windows:
            lab = {"site": site.id, "window": w}
            it = _inc("dcmon_site_it_energy_joules_total", site.id, w)
            rules.append({"record": "dcmon:site_grid_energy_joules", "expr": _grid(site, w),
                          "labels": lab})
            rules.append({"record": "dcmon:site_cue_kg_per_kwh",
                          "expr": f"({_grid(site, w)}) * {factor:.10g} / {it}",
                          "labels": {**lab, "basis": "location"}})
            if c is not None and c.renewable:
                rules.append({"record": "dcmon:site_ref_ratio", "labels": lab, "expr":
                              f"{_inc('dcmon_site_renewable_energy_joules_total', site.id, w)}"
                              f" / {_inc('dcmon_site_facility_energy_joules_total', site.id, w)}"})
            if c is not None and c.water:
                rules.append({"record": "dcmon:site_wue_l_per_kwh", "labels": lab, "expr":
                              f"{_inc('dcmon_site_water_cubic_meters_total', site.id, w)}"
                              f" * 1000 / ({it} / 3600000)"})
    return {"name": "dcmon-carbon", "rules": rules}


def carbon_tests(cfg: Config, at: float) -> list[dict[str, Any]]:
    """A ``promtool test rules`` case for the first site with a topology: steady counters
    (facility 30 kW, IT 20 kW, renewable 5 kW, generator 2 kW, water 0.6 m3/h) and the
    figures they must give."""
    site = next((s for s in cfg.model.sites if s.energy is not None), None)
    if site is None:
        return []
    w = cfg.model.alerting.rules.pue.windows[0]
    c = site.carbon
    ren = 5000.0 if c is not None and c.renewable else 0.0
    gen = 2000.0 if c is not None and c.generators else 0.0
    steps = int(_seconds(w) // STEP_S) + 2
    lab = f'site="{site.id}"'

    def counter(name: str, per_s: float) -> dict[str, str]:
        return {"series": f"{name}{{{lab}}}", "values": f"0+{per_s * STEP_S:.10g}x{steps}"}

    series = [counter("dcmon_site_facility_energy_joules_total", 30000.0),
              counter("dcmon_site_it_energy_joules_total", 20000.0)]
    if ren:
        series.append(counter("dcmon_site_renewable_energy_joules_total", ren))
    if gen:
        series.append(counter("dcmon_site_generator_energy_joules_total", gen))
    factor, _ = grid_factor(cfg, site.id, at)
    checks = [_check(f'dcmon:site_cue_kg_per_kwh{{{lab},window="{w}"}}',
                     {"site": site.id, "window": w, "basis": "location"},
                     (30000 - ren - gen) * factor / 20000, w)]
    if ren:
        checks.append(_check(f'dcmon:site_ref_ratio{{{lab},window="{w}"}}',
                             {"site": site.id, "window": w}, ren / 30000, w))
    if c is not None and c.water:
        series.append(counter("dcmon_site_water_cubic_meters_total", 0.6 / 3600))
        checks.append(_check(f'dcmon:site_wue_l_per_kwh{{{lab},window="{w}"}}',
                             {"site": site.id, "window": w}, 600 / 20, w))
    return [{"name": f"{site.id}: CUE, REF and WUE from steady counters ({w})",
             "interval": f"{STEP_S // 60}m", "input_series": series,
             "promql_expr_test": checks}]


def _seconds(window: str) -> float:
    unit = {"h": 3600, "d": 86400}[window[-1]]
    return float(window[:-1]) * unit


def _check(expr: str, labels: dict[str, str], value: float, window: str) -> dict[str, Any]:
    """``round(expr * 1e6)`` against the value in millionths: promtool compares exactly."""
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return {"expr": f"round({expr} * 1e6)", "eval_time": f"{int(_seconds(window)) // 60 + 5}m",
            "exp_samples": [{"labels": f"{{{inner}}}",
                             "value": math.floor(value * 1e6 + 0.5)}]}
