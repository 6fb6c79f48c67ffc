"""Dead devices beside live ones: how regularly the live ones are polled by ``dcmon run``.

Binds ``--dead`` UDP sockets on 127.0.0.1 that never answer and starts ``--live`` simulated
APC PDUs, runs the real service over them for ``--duration`` seconds, and prints when each
live device's first successful poll came (seconds after start) and the gaps between its
successful polls. A live device should be polled every interval whatever the dead ones do.

    .venv/bin/python benchmarks/dead_devices.py [--dead 500] [--live 4] [--interval 10]
        [--timeout 1] [--retries 1] [--duration 90] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.dead_fleet import run_fleet


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dead", type=int, default=500)
    ap.add_argument("--live", type=int, default=4)
    ap.add_argument("--interval", type=float, default=10.0)
    ap.add_argument("--timeout", type=float, default=1.0)
    ap.add_argument("--retries", type=int, default=1)
    ap.add_argument("--duration", type=float, default=90.0)
    ap.add_argument("--concurrency", type=int, default=64)
    a = ap.parse_args()
    logging.disable(logging.CRITICAL)  # 500 "device is down" lines say nothing here
    run = run_fleet(dead=a.dead, live=a.live, interval=a.interval, timeout=a.timeout,
                    retries=a.retries, duration=a.duration,
                    poll={"concurrency": a.concurrency})
    print(f"{a.dead} dead + {a.live} live devices, interval {a.interval:g} s, timeout "
          f"{a.timeout:g} s, retries {a.retries}, concurrency {a.concurrency}, "
          f"{a.duration:g} s")
    for dev, first in sorted(run.first().items()):
        gaps = run.gaps()[dev]
        spread = (f"gaps {min(gaps):.2f} / {statistics.median(gaps):.2f} / {max(gaps):.2f} s "
                  f"(min / median / max of {len(gaps)})" if gaps else "no second poll")
        print(f"  {dev}: first poll {first:.2f} s after start, {spread}")
    print(f"  worst gap {run.worst_gap():.2f} s = {run.worst_gap() / a.interval:.2f} intervals; "
          f"{run.dead_polls} polls of dead devices")


if __name__ == "__main__":
    main()
