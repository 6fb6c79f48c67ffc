"""Tenants and tariffs for the simulated city, so ``dcmon demo`` can print a statement.

The city's departments share the two municipal sites, the hospital and the school own their
edge rooms, and the last rack of each municipal hall has no tenant (the statement's
"unassigned" line). The tariff is a typical provincial time-of-use tariff for large
industrial users (peak, flat and valley hours; CNY per kWh), given from a date well before
the simulation starts.
"""

from __future__ import annotations

from typing import Any

TENANTS: list[dict[str, Any]] = [
    {"id": "gov-data", "name": {"zh": "市政务服务和数据管理局",
                                "en": "City Government Services and Data Administration"},
     "cost_centre": "CC-0101"},
    {"id": "public-security", "name": {"zh": "市公安局", "en": "City Public Security Bureau"},
     "cost_centre": "CC-0204"},
    {"id": "health", "name": {"zh": "市卫生健康委员会", "en": "City Health Commission"},
     "cost_centre": "CC-0301"},
    {"id": "hospital", "name": {"zh": "市人民医院", "en": "People's Hospital"},
     "cost_centre": "CC-0710"},
    {"id": "school", "name": {"zh": "市第一中学", "en": "No. 1 Middle School"},
     "cost_centre": "CC-0822"},
]
#: Rack id -> tenant per site; racks not named have no tenant.
RACKS: dict[str, dict[str, str]] = {
    "muni-new": {"r01": "gov-data", "r02": "gov-data", "r03": "public-security",
                 "r04": "public-security", "r05": "health"},
    "muni-old": {"r01": "gov-data", "r02": "public-security", "r03": "health"},
    "edge-hospital": {"r01": "hospital", "r02": "hospital"},
    "edge-school": {"r01": "school"},
}
TARIFF: dict[str, Any] = {
    "from": "2020-01-01", "currency": "CNY",
    "periods": [{"name": "peak", "hours": ["08-11", "18-23"], "price": 1.05},
                {"name": "flat", "hours": ["07-08", "11-18"], "price": 0.64},
                {"name": "valley", "hours": ["23-07"], "price": 0.27}],
}


def assign_tenants(inv: dict[str, Any]) -> dict[str, Any]:
    """Add the tenants, the racks' tenants and the tariff to a SimulatedCity inventory."""
    inv["tenants"] = [dict(t) for t in TENANTS]
    for site in inv.get("sites", []):
        owners = RACKS.get(site["id"], {})
        site.setdefault("tariffs", [dict(TARIFF)])
        for room in site.get("rooms", []):
            for rack in room.get("racks", []):
                if rack["id"] in owners:
                    rack.setdefault("tenant", owners[rack["id"]])
    return inv
