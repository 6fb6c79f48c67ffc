"""Capacity ratings for the simulated site, so ``dcmon demo`` shows every capacity figure.

The simulated racks draw 2.8-4.0 kW split 52/48 over A and B. With 20 A / 230 V feeds (3.68 kW
derated at 80 %) the first racks survive a feed failure and the last one does not, so the demo
shows a failover risk next to healthy racks; U space and room cooling make headroom and its
binding limit visible.
"""

from __future__ import annotations

from typing import Any


def add_capacity(inv: dict[str, Any], *, rated_kw: float = 5.0, breaker_a: float = 20.0,
                 cooling_kw: float = 20.0) -> dict[str, Any]:
    """Add rack ratings, feeds, U space and room cooling to a SimulatedSite inventory."""
    for site in inv.get("sites", []):
        rate_site(site, rated_kw=rated_kw, breaker_a=breaker_a, cooling_kw=cooling_kw)
    return inv


def rate_site(site: dict[str, Any], *, rated_kw: float, breaker_a: float, cooling_kw: float
              ) -> dict[str, Any]:
    """One ``sites[]`` entry's ratings (kept where the entry already has them): rack rating,
    20 A-or-given breakers on A and B at 230 V, 42 U racks filling up along the row."""
    feed = {"breaker_a": breaker_a, "voltage": 230}
    for room in site.get("rooms", []):
        room.setdefault("cooling_kw", cooling_kw)
        for i, rack in enumerate(room.get("racks", []), 1):
            rack.setdefault("rated_kw", rated_kw)
            rack.setdefault("u_total", 42)
            rack.setdefault("u_used", min(42, 10 + 6 * i))
            rack.setdefault("feeds", {"A": dict(feed), "B": dict(feed)})
    return site
