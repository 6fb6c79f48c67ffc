"""Devices in disguise: a device case or a real-device recording served from dcmon's own agent
on 127.0.0.1 as a device dcmon was never shown, which is how most of a city's fleet looks to it.

* ``hide(values, sibling=False)``: the agent says nothing about its vendor (Net-SNMP's
  sysObjectID, sysDescr "Linux"), or (``sibling``) it is a model of its vendor that no profile
  lists (``<enterprise>.99999.1``).
* ``drop_cells(values, fraction, seed)``: an older or smaller firmware that lacks some objects.

``scored`` polls such agents as ``profile: auto`` devices (detection, the chosen profile, the
standard MIBs completing it) and scores their readings against LibreNMS's values
(tests/support/coverage.py). ``benchmarks/generic_detection.py`` prints these figures and
``tests/collectors/test_disguised_devices.py`` holds them to a bar.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Collection
from typing import Any

from dcmon.model import PollResult
from dcmon.sim.agent import OidStore
from tests.support import librenms
from tests.support.agent_poll import serving
from tests.support.coverage import Score, score_results
from tests.support.device_cases import poll_many_async, snmprec_values

Values = dict[str, tuple[str, Any]]
#: Agent stores by community.
Stores = dict[str | bytes, OidStore]
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
GENERIC: Values = {SYS_OBJECT_ID: ("ObjectIdentifier", "1.3.6.1.4.1.8072.3.2.10"),
                   "1.3.6.1.2.1.1.1.0": ("OctetString", b"Linux")}


def hide(values: Values, sibling: bool = False) -> Values:
    """``values`` with the generic identity, or (``sibling``) an unknown product of the same
    enterprise; an agent without a vendor sysObjectID keeps its own then."""
    if not sibling:
        return {**values, **GENERIC}
    oid = str(values.get(SYS_OBJECT_ID, ("", ""))[1])
    parts = oid.split(".")
    if oid.startswith("1.3.6.1.4.1.") and len(parts) >= 7:
        return {**values, SYS_OBJECT_ID: ("ObjectIdentifier", ".".join(parts[:7]) + ".99999.1")}
    return values


def under(oid: str, bases: Collection[str]) -> bool:
    """Whether ``oid`` is one of ``bases`` or inside one of them (a column's cells)."""
    return any(oid == b or oid.startswith(b + ".") for b in bases)


def without(values: Values, bases: Collection[str]) -> Values:
    """``values`` without the objects under ``bases`` (an agent that lacks those columns)."""
    return {o: v for o, v in values.items() if not under(o, bases)}


def drop_cells(values: Values, fraction: float, seed: int, keep: Collection[str] = ()) -> Values:
    """``values`` without a random ``fraction`` of its objects (sysObjectID and the objects under
    ``keep`` kept)."""
    rnd = random.Random(seed)
    return {o: v for o, v in values.items()
            if o == SYS_OBJECT_ID or rnd.random() >= fraction or under(o, keep)}


def recording(name: str) -> Values:
    """A real-device recording as OidStore values."""
    return snmprec_values((librenms.snmprec_dir() / f"{name}.snmprec").read_text("latin-1"))


def polled(stores: Stores, names: list[str]) -> dict[str, PollResult]:
    """Poll each community of one agent once as a ``profile: auto`` device."""
    async def go() -> dict[str, PollResult]:
        async with serving(stores) as port:
            return await poll_many_async(port, names)
    return asyncio.run(go())


def scored(stores: Stores, names: list[str]) -> Score:
    """:func:`polled`, each recording scored against LibreNMS, summed."""
    return score_results(polled(stores, names))
