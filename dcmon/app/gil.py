"""The interpreter's switch interval for ``dcmon run``: the event loop gets the GIL back sooner.

``dcmon run`` polls on one asyncio loop, and does its heavy work in other threads: the results
run (PUE, capacity, the live readings file, the results' /metrics text), the exposition packer
and the /metrics request threads. The loop holds the interpreter only briefly, but it gives it
up at every socket call and every wait for the next reply. While another thread is busy in
Python, the loop then waits for that thread to be *asked* to hand the interpreter back, which
CPython does after its switch interval (5 ms by default) — for every datagram, every time. A
city's loop sends and reads ~500 datagrams a second; during a results run it got the
interpreter ~200 times a second, so replies queued and polls started seconds late although the
loop was never stalled for long (the "convoy effect").

With a 0.1 ms interval the loop waits at most that long each time. Measured at 10,000 PDUs every
60 s with full scrapes every ~30 s (docs/performance.md, "A city", third pass): polls starting
more than 1 s late in the later rounds went from 1,925 of 15,000 (5 ms) to none of 20,000 in
most runs at 0.1 ms (two of seven runs still had 159 and 1,183), at about the same CPU
(0.46-0.66 of one core). The cost is more frequent switches between two busy threads, which
only happens while one of them is the loop.
"""

from __future__ import annotations

import sys

#: Seconds a thread may hold the interpreter while another one waits for it.
SWITCH_INTERVAL_S = 0.0001


def tune_switch_interval() -> float:
    """Shorten the interpreter's switch interval (never lengthen one set shorter); returns it."""
    if sys.getswitchinterval() > SWITCH_INTERVAL_S:
        sys.setswitchinterval(SWITCH_INTERVAL_S)
    return sys.getswitchinterval()
