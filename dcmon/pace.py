"""A duty cycle for background work, so the polling event loop is never starved of the GIL.

``dcmon run`` polls on one asyncio loop, which holds the interpreter only briefly but needs it
hundreds of times a second (every datagram). The results job (capacity, PUE, the results'
/metrics text, the live readings file) is seconds of pure Python once a minute for a city.
While it ran beside a /metrics scrape, three threads wanted the interpreter at once, polls
took longer, the concurrency slots filled and polls started late (docs/performance.md, "A
city", fifth pass).

So a thread that runs paced work (:func:`paced`) rests ``REST_S`` after each ``WORK_S`` of
work: :func:`pace` is called between small steps (a rack, a block of meters, a metric family)
and sleeps, without the GIL, when the thread has worked long enough. The job takes about twice
its CPU time in wall time and never more than half of the interpreter. Elsewhere (a scrape, the
command line, tests) :func:`pace` does nothing.

A /metrics scrape is more urgent than the results job (Prometheus gives up after its scrape
timeout, 10 s by default; a results run only has to land within its minute), so while one is
served (:func:`urgent`) paced work keeps resting, for at most ``URGENT_WAIT_S`` in one paced
block: a client that reads a scrape slowly cannot hold the results job back for longer.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

#: Seconds of work between two rests, and each rest (seconds without the interpreter).
WORK_S = 0.004
REST_S = 0.004
#: Seconds paced work may wait in all, in one :func:`paced` block, for urgent work to end.
URGENT_WAIT_S = 5.0

#: Urgent work under way in any thread (:func:`urgent`); read without a lock: a stale count
#: only makes one rest shorter or longer.
_urgent = [0]
_urgent_lock = threading.Lock()


class _Pacer(threading.local):
    """This thread's duty cycle: None when its work is not paced."""

    since: float | None = None
    work_s: float = WORK_S
    rest_s: float = REST_S
    #: Rests taken since :func:`paced` started, and the longest stretch of work between two
    #: (seconds): how finely the work is cut (the benchmark and tests read them).
    rests: int = 0
    longest_s: float = 0.0
    #: Seconds spent waiting for urgent work (at most ``URGENT_WAIT_S``).
    waited_s: float = 0.0


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
        _wait_for_urgent()
        _pacer.since = time.perf_counter()


def _wait_for_urgent() -> None:
    """Rest on while urgent work runs, within this block's ``URGENT_WAIT_S``."""
    if not _urgent[0] or _pacer.waited_s >= URGENT_WAIT_S:
        return
    t0 = time.perf_counter()
    while _urgent[0] and _pacer.waited_s + (time.perf_counter() - t0) < URGENT_WAIT_S:
        time.sleep(_pacer.rest_s or REST_S)
    _pacer.waited_s += time.perf_counter() - t0


@contextlib.contextmanager
def urgent() -> Iterator[None]:
    """Mark work that paced work in other threads should make way for (a scrape)."""
    with _urgent_lock:
        _urgent[0] += 1
    try:
        yield
    finally:
        with _urgent_lock:
            _urgent[0] -= 1


@contextlib.contextmanager
def paced(work_s: float | None = None, rest_s: float | None = None) -> Iterator[_Pacer]:
    """Pace this thread's calls to :func:`pace` while in the block (not nested); by default
    ``WORK_S`` of work, then ``REST_S`` of rest. The pacer, yielded, keeps its counts after."""
    if _pacer.since is not None:
        raise RuntimeError("paced() does not nest")
    _pacer.work_s = WORK_S if work_s is None else work_s
    _pacer.rest_s = REST_S if rest_s is None else rest_s
    _pacer.rests, _pacer.longest_s, _pacer.waited_s = 0, 0.0, 0.0
    _pacer.since = time.perf_counter()
    try:
        yield _pacer
    finally:
        if _pacer.since is not None:
            _pacer.longest_s = max(_pacer.longest_s, time.perf_counter() - _pacer.since)
        _pacer.since = None
