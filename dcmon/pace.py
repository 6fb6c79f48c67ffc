"""A duty cycle for background work, so the polling event loop is never starved of the GIL.

``dcmon run`` polls on one asyncio loop, which holds the interpreter only briefly but needs it
hundreds of times a second (every datagram). The results job (capacity, PUE, the results'
/metrics text, the live readings file) is seconds of pure Python once a minute for a city.
While it ran beside a /metrics scrape, the loop got the interpreter only a third of the time,
polls took longer, the concurrency slots filled and polls started late (docs/performance.md,
"A city").

So a thread that runs paced work (:func:`paced`) rests ``REST_S`` after each ``WORK_S`` of
work: :func:`pace` is called between small steps (a rack, a block of meters, a metric family)
and sleeps, without the GIL, when the thread has worked long enough. The job takes about twice
its CPU time in wall time and never more than half of the interpreter. Elsewhere (a scrape, the
command line, tests) :func:`pace` does nothing.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

#: Seconds of work between two rests, and each rest (seconds without the interpreter).
WORK_S = 0.004
REST_S = 0.004


class _Pacer(threading.local):
    """This thread's duty cycle: None when its work is not paced."""

    since: float | None = None
    work_s: float = WORK_S
    rest_s: float = REST_S
    #: Rests taken since :func:`paced` started, and the longest stretch of work between two
    #: (seconds): how finely the work is cut (the benchmark and tests read them).
    rests: int = 0
    longest_s: float = 0.0


_pacer = _Pacer()


def pace() -> None:
    """Rest if this thread's paced work has run ``WORK_S`` since its last rest."""
    since = _pacer.since
    if since is None:
        return
    worked = time.perf_counter() - since
    if worked >= _pacer.work_s:
        _pacer.longest_s = max(_pacer.longest_s, worked)
        time.sleep(_pacer.rest_s)
        _pacer.rests += 1
        _pacer.since = time.perf_counter()


@contextlib.contextmanager
def paced(work_s: float | None = None, rest_s: float | None = None) -> Iterator[_Pacer]:
    """Pace this thread's calls to :func:`pace` while in the block (not nested); by default
    ``WORK_S`` of work, then ``REST_S`` of rest. The pacer, yielded, keeps its counts after."""
    if _pacer.since is not None:
        raise RuntimeError("paced() does not nest")
    _pacer.work_s = WORK_S if work_s is None else work_s
    _pacer.rest_s = REST_S if rest_s is None else rest_s
    _pacer.rests, _pacer.longest_s = 0, 0.0
    _pacer.since = time.perf_counter()
    try:
        yield _pacer
    finally:
        if _pacer.since is not None:
            _pacer.longest_s = max(_pacer.longest_s, time.perf_counter() - _pacer.since)
        _pacer.since = None
