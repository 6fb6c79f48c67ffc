"""Two shards and Prometheus tell the site's figures as one dcmon does.

The simulated site (4 racks of A/B PDUs, a UPS, a Modbus incomer) is polled by two real
``dcmon run --shard 0/2`` and ``--shard 1/2`` processes; a real Prometheus scrapes both every
second and evaluates ``dcmon rules --sharded``. The same site polled by the engine of a single
(unsharded) process must give the same instant PUE, rack power and utilisation, site standard
racks and power headroom. The tolerance is 1 % relative: the shards and the single engine poll
a few seconds apart and the PDUs report power in 10 W steps, so a rack can differ by one step.
Each shard polls a share of the devices, every device is polled by exactly one shard, and a
shard publishes no site PUE or capacity of its own.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from dcmon.app.cli import main
from dcmon.app.inventory import parse_config
from dcmon.app.poller import Poller
from dcmon.app.shard import Shard
from dcmon.collectors.registry import ProfileRegistry
from dcmon.engine.results import Results, ResultsHub
from tests.support.prometheus import prometheus, values
from tests.support.service_proc import free_port, http, metric, start_run, wait_for
from tests.support.simsite import hub_for, threaded_site

TOLERANCE = 0.01  # relative
SITE = "demo-dc"


def _inventory(doc: dict[str, Any], state: Path) -> dict[str, Any]:
    """The site's inventory, rated racks (6 kW), capacity on the live load, 1 s polls."""
    doc["state_dir"] = str(state)
    doc["capacity"] = {"basis": "now"}
    doc["poll"]["interval"] = 1
    return doc


async def _single(poller: Poller, hub: ResultsHub) -> Results:
    """One unsharded round: every device polled, then the engine's results."""
    await asyncio.gather(*(poller.poll(d) for d in poller.config.devices))
    res = hub.recompute()
    await poller.close()
    return res


def _stop(procs: list[subprocess.Popen[str]]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(10)


def test_two_shards_and_prometheus_match_one_engine(tmp_path: Path) -> None:
    with threaded_site(racks=4, site_extra={"policy": {"class": "new_large", "rack_kw": 6}}
                       ) as ts:
        doc = _inventory(ts.site.inventory(interval=1), tmp_path / "state")
        inv = tmp_path / "site.yaml"
        inv.write_text(yaml.safe_dump(doc))
        res = CliRunner().invoke(main, ["rules", "--config", str(inv), "--out",
                                        str(tmp_path / "rules"), "--sharded"])
        assert res.exit_code == 0, res.output
        ports = [free_port(), free_port()]
        procs = [start_run(inv, "--shard", f"{k}/2", "--listen", f"127.0.0.1:{ports[k]}")
                 for k in range(2)]
        try:
            wait_for("both shards' first poll round", lambda: all(
                http(f"http://127.0.0.1:{p}/-/ready")[0] == 200 for p in ports), timeout=30)
            _check_shards(ports, doc)
            with prometheus(tmp_path, [f"127.0.0.1:{p}" for p in ports],
                            [tmp_path / "rules" / "rules.yml"]) as prom:
                _compare(prom, ts, doc)
        finally:
            _stop(procs)
        out = [p.stdout.read() if p.stdout else "" for p in procs]
        assert all("Traceback" not in o for o in out), out


def _check_shards(ports: list[int], doc: dict[str, Any]) -> None:
    """Each shard polls its crc32 share; together all devices, each once; no site results."""
    cfg = parse_config(doc, "<test>", ProfileRegistry.load())
    seen: list[set[str]] = []
    for k, port in enumerate(ports):
        _, text = http(f"http://127.0.0.1:{port}/metrics")
        assert metric(text, "dcmon_shard_info", shard=str(k), shards="2") == 1.0
        devices = {d.id for d in cfg.devices if metric(text, "dcmon_device_up", device=d.id)
                   is not None}
        assert devices == {d.id for d in cfg.devices if Shard(k, 2).owns(d.id)}
        assert devices, f"shard {k}/2 polls no device"
        seen.append(devices)
        for absent in ("dcmon_site_pue_instant_ratio", "dcmon_site_it_power_watts",
                       "dcmon_rack_utilisation_ratio", "dcmon_site_standard_racks"):
            assert metric(text, absent) is None, f"shard {k}/2 publishes {absent}"
    assert seen[0].isdisjoint(seen[1]) and seen[0] | seen[1] == {d.id for d in cfg.devices}


def _compare(prom: str, ts: Any, doc: dict[str, Any]) -> None:
    def ready() -> bool:
        racks = values(prom, "dcmon:rack_utilisation_ratio", "rack")
        up = values(prom, "count(dcmon_device_up == 1)")
        return len(racks) == 4 and up.get((), 0) == len(poller.config.devices) \
            and bool(values(prom, "dcmon:site_pue_instant_ratio")) \
            and bool(values(prom, "dcmon:site_headroom_watts"))
    _, poller, hub = hub_for(ts.site, doc=doc)
    wait_for("Prometheus recording the sharded site", ready, timeout=40, every=0.5)
    eng = asyncio.run(_single(poller, hub))
    pue = values(prom, f'dcmon:site_pue_instant_ratio{{site="{SITE}"}}')[()]
    rack_w = values(prom, "dcmon:rack_power_watts", "rack")
    util = values(prom, "dcmon:rack_utilisation_ratio", "rack")
    std = values(prom, "dcmon:site_standard_racks", "kind")
    headroom = values(prom, 'dcmon:site_headroom_watts{limit="power"}')[()]
    assert eng.instant[0].value is not None
    assert pue == pytest.approx(eng.instant[0].value, rel=TOLERANCE)
    assert eng.capacity is not None
    site = eng.capacity.sites[0]
    racks = {r.rack: r for room in site.rooms for r in room.racks}
    assert set(rack_w) == {(r,) for r in racks}
    for name, r in racks.items():
        assert r.now_kw is not None and r.utilisation is not None
        assert rack_w[(name,)] == pytest.approx(r.now_kw * 1000, rel=TOLERANCE)
        assert util[(name,)] == pytest.approx(r.utilisation, rel=TOLERANCE)
    assert std[("measured",)] == pytest.approx(site.totals.std_racks_measured, rel=TOLERANCE)
    assert std[("in_use",)] == pytest.approx(site.totals.std_racks_in_use, rel=TOLERANCE)
    assert site.headroom.power_kw is not None
    assert headroom == pytest.approx(site.headroom.power_kw * 1000, rel=TOLERANCE)
    # The simulated incomer draws 1.32 x IT: the sharded PUE is the site's.
    assert pue == pytest.approx(1.32, rel=0.02)
