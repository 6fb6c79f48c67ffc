"""Capacity recording rules: the engine's rack, room and site power figures, from device series.

A sharded deployment has no process that sees a whole site, so Prometheus computes what the
engine's capacity would (:mod:`dcmon.engine.capacity`), on the live load (``capacity.basis:
now``; the engine's default basis is the history peak, which Prometheus can take with
``max_over_time`` over these series):

* ``dcmon:rack_utilisation_ratio``: rack power / its rating (the rack's ``rated_kw``, else the
  policy's ``rack_kw``);
* ``dcmon:rack_headroom_watts{limit="power"}``: what the rack can carry (its rating, and no more
  than one derated feed: ``dcmon:rack_usable_power_watts``) minus its power;
* ``dcmon:room_headroom_watts`` and ``dcmon:site_headroom_watts`` (``limit="power"``): the racks'
  positive headroom summed, and no more than a room's ``power_kw`` less its load; a site's is the
  sum of its rooms' (capacity cannot move between rooms). Cooling and space headroom stay the
  engine's;
* ``dcmon:site_rack_power_watts``; ``dcmon:site_racks{state="in_use"}`` (racks above
  ``in_use_threshold_kw``); ``dcmon:site_standard_racks{kind="measured"}`` (rack power /
  ``standard_rack_kw``) and ``{kind="in_use"}`` (racks in use, each counted at its rating in
  standard racks, as the engine counts them); ``dcmon:city_standard_racks{kind}``.
"""

from __future__ import annotations

from typing import Any

from dcmon.config.inventory import Rack, Room, Site
from dcmon.config.policy import SitePolicy
from dcmon.config.resolved import Config

Rule = dict[str, Any]

RACK = "site, room, rack"


def _num(x: float) -> str:
    return f"{x:.10g}"


def rack_rated_kw(site: Site, rack: Rack) -> float | None:
    """The rack's rating as the engine reads it: its own ``rated_kw``, else the policy's."""
    pol = site.policy if site.policy is not None else SitePolicy()
    return rack.rated_kw or pol.rack_rating(rack.id)[0]


def rack_usable_kw(cfg: Config, site: Site, rack: Rack) -> float | None:
    """What the rack can carry: its rating, and with feeds no more than one derated feed."""
    derated = [f.rated_kw * cfg.model.capacity.derating
               for _, f in (rack.feeds.items() if rack.feeds else [])]
    known = [v for v in (rack_rated_kw(site, rack), min(derated) if derated else None)
             if v is not None]
    return min(known) if known else None


def capacity_policy(cfg: Config) -> list[Rule]:
    """Static series for the ``dcmon-policy`` group: usable rack power, room power ratings."""
    out: list[Rule] = []
    for site in cfg.model.sites:
        for room in site.rooms:
            out.extend(_room_policy(cfg, site, room))
    return out


def _room_policy(cfg: Config, site: Site, room: Room) -> list[Rule]:
    out: list[Rule] = []
    if room.power_kw is not None:
        out.append({"record": "dcmon:room_rated_power_watts",
                    "expr": f"vector({_num(room.power_kw * 1000)})",
                    "labels": {"site": site.id, "room": room.id}})
    for rack in room.racks:
        usable = rack_usable_kw(cfg, site, rack)
        if usable is not None:
            out.append({"record": "dcmon:rack_usable_power_watts",
                        "expr": f"vector({_num(usable * 1000)})",
                        "labels": {"site": site.id, "room": room.id, "rack": rack.id}})
    return out


def capacity_group(cfg: Config) -> Rule:
    """The ``dcmon-capacity`` group (evaluated in order: each rule reads the ones above)."""
    s = cfg.model.capacity
    std_w = _num(s.standard_rack_kw * 1000)
    in_use = f"(dcmon:rack_power_watts > {_num(s.in_use_threshold_kw * 1000)})"
    site_w = "dcmon:site_rack_power_watts"
    zero = f"on(site) (0 * {site_w})"  # a site with rack power and no rack in use: 0, not absent
    rack_h = 'dcmon:rack_headroom_watts{limit="power"}'
    room_h = (f'label_replace(sum by (site, room) (clamp_min({rack_h}, 0)), "of", "racks", "", '
              f'"") or label_replace(dcmon:room_rated_power_watts - on(site, room) '
              f'sum by (site, room) (dcmon:rack_power_watts), "of", "room", "", "")')
    rules: list[Rule] = [
        {"record": "dcmon:rack_utilisation_ratio",
         "expr": f"dcmon:rack_power_watts / on({RACK}) dcmon:rack_rated_power_watts"},
        {"record": "dcmon:rack_headroom_watts",
         "expr": f"dcmon:rack_usable_power_watts - on({RACK}) dcmon:rack_power_watts",
         "labels": {"limit": "power"}},
        {"record": "dcmon:room_headroom_watts", "expr": f"min by (site, room) ({room_h})",
         "labels": {"limit": "power"}},
        {"record": "dcmon:site_headroom_watts",
         "expr": 'sum by (site) (dcmon:room_headroom_watts{limit="power"})',
         "labels": {"limit": "power"}},
        {"record": "dcmon:site_rack_power_watts",
         "expr": "sum by (site) (dcmon:rack_power_watts)"},
        {"record": "dcmon:site_racks", "expr": f"count by (site) ({in_use}) or {zero}",
         "labels": {"state": "in_use"}},
        {"record": "dcmon:site_standard_racks", "expr": f"{site_w} / {std_w}",
         "labels": {"kind": "measured"}},
        {"record": "dcmon:site_standard_racks",
         "expr": f"sum by (site) ((dcmon:rack_rated_power_watts and on({RACK}) {in_use}) or "
                 f"on({RACK}) {in_use}) / {std_w} or {zero}",
         "labels": {"kind": "in_use"}},
        {"record": "dcmon:city_standard_racks",
         "expr": "sum by (kind) (dcmon:site_standard_racks)"},
    ]
    return {"name": "dcmon-capacity", "rules": rules}
