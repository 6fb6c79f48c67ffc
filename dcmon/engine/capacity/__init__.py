"""Capacity per rack, room, site and city: load against ratings, A/B feeds and failover,
cooling, space, standard racks, headroom and the forecast (docs/capacity.md)."""
