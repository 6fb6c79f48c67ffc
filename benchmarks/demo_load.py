"""What `dcmon demo` costs and how soon it tells its story.

Runs the demo in-process at its defaults (the simulated city, x120, 120 s simulated polls) for
``--seconds`` of wall time and prints: CPU seconds used (simulator and dcmon share the process),
polls completed per wall second, and the wall time until the new build's confirmed PUE alert
was first notified. Figures go to docs/performance.md.

    .venv/bin/python benchmarks/demo_load.py --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import time
from typing import Any

from dcmon.app.demo import run_demo


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    seen: dict[str, Any] = {}
    polls = 0

    def count(_: object) -> None:
        nonlocal polls
        polls += 1

    def started(svc: Any, city: Any) -> None:
        seen["svc"] = svc
        svc.poller.listeners.append(count)

    async def watch() -> None:
        while "svc" not in seen:
            await asyncio.sleep(0.1)
        store = seen["svc"].alerts.store
        while "alert_s" not in seen:
            for a in store.active().values():
                if (a.alertname == "DcmonPueAboveCeiling" and a.labels.get("site") == "muni-new"
                        and a.state == "firing" and a.labels.get("confirmed") == "true"):
                    seen["alert_s"] = time.monotonic() - t0
            await asyncio.sleep(0.1)

    async def both() -> None:
        w = asyncio.create_task(watch())
        await run_demo(listen="127.0.0.1:0", api_listen="127.0.0.1:0", duration=args.seconds,
                       quiet=True, on_started=started)
        w.cancel()

    t0 = time.monotonic()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    asyncio.run(both())
    wall = time.monotonic() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    print(f"wall {wall:.1f} s, CPU {cpu:.1f} s ({cpu / wall:.0%} of one core)")
    print(f"polls {polls} ({polls / wall:.1f}/s wall, 38 devices every 1 s asked)")
    alert = seen.get("alert_s")
    print("first confirmed muni-new PUE alert: "
          + (f"{alert:.1f} s after start" if alert is not None else "not within the run"))


if __name__ == "__main__":
    main()
