"""The synthetic device cases (``tests/cases/devices/<case>/{device.snmprec,expected.json}``) and
``profile: auto`` polls of any snmpsim community, as ``dcmon run`` polls them.

Each case is one agent written by hand from its MIBs: ``device.snmprec`` is what it answers and
``expected.json`` names the profile auto-detection must choose (``"profile"``) and every reading
dcmon must produce with it (``"readings": [{metric, labels, value, unit}]``).

:func:`serve` copies every case into one snmpsim data directory as ``<case>.snmprec``, so the
community of a case is its folder name; :func:`poll_auto` polls one case the way ``dcmon run``
polls a ``profile: auto`` device (detection, the chosen profile, the standard MIBs completing
it); :func:`differences` compares the readings with the expectation.
"""

from __future__ import annotations

import asyncio
import json
import math
import shutil
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from dcmon.collectors.registry import ProfileRegistry
from dcmon.collectors.snmp.detect import Detection
from dcmon.collectors.snmp.device import SnmpDevices
from dcmon.config.loader import parse_config
from dcmon.model import PollResult
from tests.support.librenms import decode_value
from tests.support.paths import CASES
from tests.support.snmpsim import SnmpSim, start_snmpsim

DEVICES = CASES / "devices"
REL_TOL = 1e-9


def case_names() -> list[str]:
    """Every case folder that has both files, sorted."""
    return sorted(p.name for p in DEVICES.iterdir()
                  if (p / "device.snmprec").is_file() and (p / "expected.json").is_file())


def expected(case: str) -> dict[str, Any]:
    """The case's ``expected.json``."""
    data: dict[str, Any] = json.loads((DEVICES / case / "expected.json").read_text("utf-8"))
    return data


def serve(data_dir: Path, cases: Iterable[str]) -> SnmpSim:
    """One snmpsim on 127.0.0.1 serving every case (community = case name)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o755)  # snmpsim drops privileges when started as root
    for case in cases:
        shutil.copyfile(DEVICES / case / "device.snmprec", data_dir / f"{case}.snmprec")
    return start_snmpsim(data_dir)


_TAGS = {"2": "Integer32", "4": "OctetString", "5": "Null", "6": "ObjectIdentifier",
         "64": "IpAddress", "65": "Counter32", "66": "Gauge32", "67": "TimeTicks",
         "68": "Opaque", "70": "Counter64"}


def snmprec_values(text: str) -> dict[str, tuple[str, Any]]:
    """``oid|tag|value`` lines (the snmprec format: plain tags, or a hex ``x`` / escaped ``e``
    suffix, decoded as the LibreNMS recordings are) as OidStore values."""
    out: dict[str, tuple[str, Any]] = {}
    for line in text.strip().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        oid, tag, value = line.strip().split("|", 2)
        name = _TAGS[tag.rstrip("xe")]
        if tag != tag.rstrip("xe"):
            value = decode_value(tag, value)
            if name in ("OctetString", "Opaque"):
                out[oid] = (name, value.encode("latin-1"))
                continue
        out[oid] = (name, value.encode() if name in ("OctetString", "Opaque") else
                    None if name == "Null" else
                    value if name in ("ObjectIdentifier", "IpAddress") else int(value))
    return out


def case_values(case: str) -> dict[str, tuple[str, Any]]:
    """A case's ``device.snmprec`` as OidStore values (for agents the test changes)."""
    return snmprec_values((DEVICES / case / "device.snmprec").read_text("utf-8"))


def inventory(port: int, communities: Sequence[str]) -> dict[str, Any]:
    """An inventory of ``profile: auto`` devices on one agent, one per community."""
    return _inventory(port, communities)


def _inventory(port: int, cases: Sequence[str]) -> dict[str, Any]:
    return {
        "poll": {"timeout": 3, "retries": 1, "snmp_client": "lean"},
        "credentials": {c: {"version": "2c", "community": c} for c in cases},
        "sites": [{"id": "cases", "devices": [
            {"id": c, "host": "127.0.0.1", "port": port, "profile": "auto", "credential": c,
             "outlets": True} for c in cases]}],
    }


async def poll_auto_async(port: int, case: str,
                          times: int = 1) -> tuple[Detection | None, list[PollResult]]:
    """Poll one community ``times`` times as one ``profile: auto`` device (its memory kept)."""
    reg = ProfileRegistry.load()
    cfg = parse_config(_inventory(port, [case]), "<cases>", lambda _dirs: reg)
    devices = SnmpDevices(cfg, reg.snmp())
    try:
        results = [await devices.poll(cfg.devices[0], None) for _ in range(times)]
        return devices.detected(case), results
    finally:
        await devices.close()


def poll_auto(port: int, case: str, times: int = 1) -> tuple[Detection | None, list[PollResult]]:
    """Poll one case ``times`` times as a ``profile: auto`` device; its detection and results."""
    return asyncio.run(poll_auto_async(port, case, times))


async def poll_many_async(port: int, communities: Sequence[str],
                          concurrency: int = 8) -> dict[str, PollResult]:
    """Poll every community of one agent as a ``profile: auto`` device, a few at a time."""
    reg = ProfileRegistry.load()
    cfg = parse_config(_inventory(port, communities), "<agents>", lambda _dirs: reg)
    devices = SnmpDevices(cfg, reg.snmp())
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> tuple[str, PollResult]:
        async with sem:
            return communities[i], await devices.poll(cfg.devices[i], None)

    try:
        return dict(await asyncio.gather(*(one(i) for i in range(len(communities)))))
    finally:
        await devices.close()


def poll_many(port: int, communities: Sequence[str], concurrency: int = 8) -> dict[str, PollResult]:
    """Poll every community of one agent as a ``profile: auto`` device, a few at a time."""
    return asyncio.run(poll_many_async(port, communities, concurrency))


def series_key(metric: str, unit: str,
               labels: Mapping[str, str]) -> tuple[str, str, tuple[Any, ...]]:
    """What tells one reading's series from another's: metric, unit and labels."""
    return metric, unit, tuple(sorted(labels.items()))


def differences(want: Sequence[Mapping[str, Any]], got: Sequence[Mapping[str, Any]]) -> list[str]:
    """What differs between expected and actual readings ({metric, labels, value, unit}).

    Readings pair up by metric, unit and labels; values must agree within 1e-9 relative.
    Duplicates count: two readings with the same key must both be expected.
    """
    w = Counter(series_key(r["metric"], r["unit"], r["labels"]) for r in want)
    g = Counter(series_key(r["metric"], r["unit"], r["labels"]) for r in got)
    out = [f"missing {k} x{n}" for k, n in (w - g).items()]
    out += [f"unexpected {k} x{n}" for k, n in (g - w).items()]
    values: dict[tuple[str, str, tuple[Any, ...]], list[float]] = {}
    for r in want:
        key = series_key(r["metric"], r["unit"], r["labels"])
        values.setdefault(key, []).append(float(r["value"]))
    for r in got:
        k = series_key(r["metric"], r["unit"], r["labels"])
        options = values.get(k, [])
        hit = next((v for v in options if math.isclose(v, float(r["value"]), rel_tol=REL_TOL,
                                                       abs_tol=1e-12)), None)
        if hit is not None:
            options.remove(hit)
        elif options:
            out.append(f"value {k}: got {r['value']}, expected one of {options}")
    return out
