"""Detection by content: does each device case get its profile when its agent hides who it is?

Serves every synthetic device case of ``tests/cases/devices`` from dcmon's own SNMP agent on
127.0.0.1 twice: as written, and with its sysObjectID replaced by Net-SNMP's generic
``1.3.6.1.4.1.8072.3.2.10`` and its sysDescr by ``Linux`` (an agent that says nothing about its
vendor and that no declared probe may catch). Runs auto-detection on both and prints the cases
whose profile differs, then how many of them agree, and what the content scan asks such an
agent for (the built-in profiles' vendor scalars and columns, and the requests they take).
With ``--sibling``, the hidden identity is instead an unknown product of the same vendor
(sysObjectID ``<its enterprise>.99999.1``, sysDescr kept): a model none of the vendor's
profiles lists, so its siblings compete. With ``--recordings``, the recordings of real devices
(``$DCMON_SHARED_DIR/devices/librenms``, test data kept outside the repository) are served the
same two ways instead of the cases, and also polled and scored against LibreNMS's values;
with ``--recordings`` it also scores them with a random fifth of their objects removed (an
older firmware; seeds 0 and 1, as tests/collectors/test_disguised_devices.py uses).

    .venv/bin/python benchmarks/generic_detection.py [--sibling] [--recordings] [CASE ...]
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dcmon.collectors.registry import ProfileRegistry  # noqa: E402
from dcmon.collectors.snmp.api import SnmpTarget  # noqa: E402
from dcmon.collectors.snmp.columns import MAX_COLUMNS_PER_REQUEST  # noqa: E402
from dcmon.collectors.snmp.content import content_scan  # noqa: E402
from dcmon.collectors.snmp.detect import detect  # noqa: E402
from dcmon.collectors.snmp.lean import MAX_OIDS_PER_GET, LeanSnmpClient  # noqa: E402
from dcmon.collectors.snmp.model import CompiledProfile  # noqa: E402
from dcmon.sim.agent import OidStore  # noqa: E402
from tests.support import librenms  # noqa: E402
from tests.support.agent_poll import serving  # noqa: E402
from tests.support.coverage import Score  # noqa: E402
from tests.support.device_cases import DEVICES, case_names, case_values  # noqa: E402
from tests.support.disguise import Stores, drop_cells, hide, recording, scored  # noqa: E402


async def _detected(stores: Stores, names: list[str]) -> dict[str, str]:
    profiles = ProfileRegistry.load().all()
    out = {}
    async with serving(stores) as port:
        client = LeanSnmpClient()
        try:
            for name in names:
                found = await detect(client, SnmpTarget("127.0.0.1", port, community=name,
                                                        timeout=2), profiles)
                out[name] = found.profile.name if found.profile else "-"
        finally:
            await client.close()
    return out


def run(names: list[str], load: Any = case_values,
        sibling: bool = False) -> tuple[dict[str, str], dict[str, str]]:
    """(profile per case as written, profile per case with its identity hidden); ``load``
    gives a case's (or recording's) OidStore values."""
    plain: Stores = {n: OidStore(load(n)) for n in names}
    hidden: Stores = {n: OidStore(hide(load(n), sibling)) for n in names}
    return asyncio.run(_detected(plain, names)), asyncio.run(_detected(hidden, names))


def _expects(name: str, recordings: bool) -> str:
    if recordings:
        return "-"
    return str(json.loads((DEVICES / name / "expected.json").read_text("utf-8")).get("profile"))


def _print_wrong(sc: Score) -> None:
    for line in sc.wrong_details:
        print("  " + line)


def main() -> None:
    args = sys.argv[1:]
    recordings, sibling = "--recordings" in args, "--sibling" in args
    args = [a for a in args if a not in ("--recordings", "--sibling")]
    if recordings and librenms.librenms_dir() is None:
        sys.exit("recordings not found: set DCMON_SHARED_DIR to the folder holding "
                 "devices/librenms")
    names = args or (librenms.recordings() if recordings else case_names())
    what = "recordings" if recordings else "cases"
    start = time.monotonic()
    own, generic = run(names, recording if recordings else case_values, sibling)
    identity = "an unknown product's sysObjectID" if sibling else "a generic identity"
    differ = [n for n in names if own[n] != generic[n]]
    print(f"| {what[:-1]} | profile (own sysObjectID) | profile (hidden) | case expects |")
    print("|---|---|---|---|")
    for n in differ:
        print(f"| {n} | {own[n]} | {generic[n]} | {_expects(n, recordings)} |")
    print(f"\n{len(names) - len(differ)} of {len(names)} {what} get the same profile with "
          f"{identity} ({time.monotonic() - start:.1f} s)")
    if recordings:
        hidden: Stores = {n: OidStore(hide(recording(n), sibling)) for n in names}
        sc = scored(hidden, names)
        print(f"with {identity}, of the sensors LibreNMS reads: {sc.n_right} right, "
              f"{sc.n_wrong} wrong, {sc.n_missed} missed ({sc.coverage:.1%} right)")
        _print_wrong(sc)
        for seed in (0, 1):
            sc = scored({n: OidStore(drop_cells(recording(n), 0.2, seed)) for n in names}, names)
            print(f"a fifth of their objects removed (seed {seed}): {sc.n_right} right, "
                  f"{sc.n_wrong} wrong, {sc.n_missed} missed")
            _print_wrong(sc)
    snmp = [p for p in ProfileRegistry.load().all() if isinstance(p, CompiledProfile)]
    _, scalars, columns = content_scan(snmp)
    gets = -(-len(scalars) // MAX_OIDS_PER_GET)
    bulks = -(-len(columns) // MAX_COLUMNS_PER_REQUEST)
    print(f"content scan: {len(scalars)} vendor scalars in {gets} GETs, {len(columns)} vendor "
          f"columns in at least {bulks} GETBULKs ({gets + bulks} requests)")
    print(f"whole run: {time.monotonic() - start:.1f} s")


if __name__ == "__main__":
    main()
