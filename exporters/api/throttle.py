"""Throttling failed authentication per client address: 429 with Retry-After after a burst.

A client address may present ``api.auth_failures`` wrong credentials (a bearer token, the
status page's cookie or its login form) within ``api.auth_failure_window_s`` seconds (a
sliding window); beyond that every further wrong credential from that address is answered 429
with ``Retry-After`` instead of 401. Throttled failures count too, so an address that keeps
guessing stays throttled; ``Retry-After`` says when the oldest of its last ``auth_failures``
failures leaves the window, i.e. when a wrong token would be answered 401 again. The
first refusal of a burst is logged once, at warning, with the address; the rest of the burst is
not (a guessing run must not flood the log), and no credential ever reaches a log line.

A valid token is never throttled or delayed, even from an address that is being throttled:
the API's scheduler and a guesser may share an address (a NAT, a proxy), and a lockout keyed on
the address would let anyone there lock the platform out. The price is that a throttled
address still learns which guess is right, so the throttle does not keep tokens safe; their
length does (16 characters at least, 43 when generated as docs/api.md says). What it does is
make a guessing run loud (one log line per burst) and tell well-behaved scripts with a stale
token to back off. A request without any credential is not a guess and is not counted (a
browser opening the status page before logging in).

Addresses are the TCP peer's (``request.client.host``); ``X-Forwarded-For`` is not trusted.
Behind a reverse proxy every client shares the proxy's address, so a guesser there throttles
the wrong tokens of everyone behind it, and still never the valid ones. At most
``MAX_CLIENTS`` addresses are remembered (the oldest dropped first), so a scan from many
addresses cannot grow memory without bound.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from starlette.requests import HTTPConnection

log = logging.getLogger("dcmon.exporters.api.throttle")

#: Addresses remembered at most; beyond it the least recently failing one is forgotten.
MAX_CLIENTS = 10_000


def client_address(conn: HTTPConnection) -> str:
    """The TCP peer's address ("?" when the server does not know it)."""
    return conn.client.host if conn.client is not None else "?"


class FailureThrottle:
    """Failed authentications per address in a sliding window; thread-safe (the API's sync
    handlers run on a thread pool, the status page's login on the event loop)."""

    def __init__(self, limit: int = 20, window_s: float = 60.0, *,
                 max_clients: int = MAX_CLIENTS,
                 now: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("the throttle needs limit >= 1 and window_s > 0")
        self.limit, self.window_s, self.max_clients, self.now = limit, window_s, max_clients, now
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._loud: set[str] = set()  # addresses whose current burst is already logged
        self._lock = threading.Lock()

    def failed(self, client: str) -> int | None:
        """Record a wrong credential from ``client``. None: answer 401 as usual; else the
        address is throttled: answer 429 with this many seconds in ``Retry-After``."""
        with self._lock:
            now = self.now()
            times = self._recent(client, now)
            throttled = len(times) >= self.limit
            times.append(now)  # the deque keeps the last ``limit`` failures
            self._failures.move_to_end(client)
            self._forget_oldest()
            if not throttled:
                self._loud.discard(client)  # a new burst will be logged again
                return None
            wait = max(1, math.ceil(times[0] + self.window_s - now))
            if client not in self._loud:
                self._loud.add(client)
                log.warning("throttling authentication from %s: more than %d wrong "
                            "credentials within %g s; its wrong ones are answered 429 (first "
                            "Retry-After %d s) while that lasts; valid tokens still pass "
                            "(logged once per burst)", client, self.limit, self.window_s, wait)
            return wait

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.get(client)
        if times is None:
            times = self._failures[client] = deque(maxlen=self.limit)
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def _forget_oldest(self) -> None:
        while len(self._failures) > self.max_clients:
            client, _ = self._failures.popitem(last=False)
            self._loud.discard(client)
