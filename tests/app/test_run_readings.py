"""What ``dcmon run`` keeps per reading: no Source, and one shared dict per label set.

A city's snapshot holds half a million readings; their OID strings, raw values and a labels
dict each cost ~100 MB at 10,000 PDUs (docs/performance.md, "Memory per device"). The service
polls without sources, while ``dcmon poll`` (the same Poller, sources on) still shows them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml

from dcmon.app.inventory import load_config
from dcmon.app.poller import Poller
from dcmon.app.service import start_service, stop_service
from dcmon.collectors.registry import ProfileRegistry
from dcmon.model import Reading
from tests.support.simsite import threaded_site


def test_run_keeps_no_source_and_shares_label_sets(tmp_path: Path) -> None:
    with threaded_site(racks=2) as ts:
        path = tmp_path / "site.yaml"
        path.write_text(yaml.safe_dump(ts.site.inventory(interval=1.0, listen="127.0.0.1:0")))
        reg = ProfileRegistry.load()
        cfg = load_config(path, reg)

        async def run() -> tuple[dict[str, tuple[Reading, ...]], tuple[Reading, ...]]:
            svc = start_service(cfg, reg, listen="127.0.0.1:0", api_listen="127.0.0.1:0")
            try:
                for _ in range(100):
                    await asyncio.sleep(0.1)
                    if all(h.polls for h in svc.poller.snapshot.health().values()):
                        break
                got = svc.poller.snapshot.readings()
            finally:
                await stop_service(svc)
            cli = Poller(cfg, reg)  # as `dcmon poll` builds it
            try:
                one = await cli.poll(cfg.device("pdu-r01-a"))
            finally:
                await cli.close()
            return got, one.readings

        run_readings, poll_readings = asyncio.run(run())
    a, b = run_readings["pdu-r01-a"], run_readings["pdu-r02-a"]
    assert len(a) >= 5 and all(r.source is None for rs in run_readings.values() for r in rs)
    assert "source" not in a[0].as_dict()
    # The same label set in two PDUs' readings is one dict, not a copy per reading.
    by_labels = {(r.metric, tuple(r.labels.items())): r.labels for r in a if r.labels}
    shared = [r for r in b if (r.metric, tuple(r.labels.items())) in by_labels]
    assert shared and all(r.labels is by_labels[(r.metric, tuple(r.labels.items()))]
                          for r in shared)
    # `dcmon poll` still tells where each value came from.
    assert poll_readings and all(r.source is not None and (r.source.oid or "").startswith(
        "1.3.6.1.") for r in poll_readings)
    assert poll_readings[0].as_dict()["source"]["protocol"] == "snmp"
