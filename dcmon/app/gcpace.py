"""Keep Python's full garbage collections short: survivors of each are frozen.

``dcmon run`` replaces every reading of every device each interval (500,000 objects a minute
for a city), and CPython starts a full collection whenever a quarter of its long-lived objects
are new. A full collection walks every live object with the interpreter held: at 4,000 PDUs it
took 0.2-0.5 s every 12-15 s, at 10,000 1-2 s, and the polls waited (docs/performance.md,
"A city"). Readings hold no reference cycles; they are freed by reference counting alone.

So after the service has started, and after each full collection, the objects that survived
are frozen (:func:`gc.freeze`): later collections walk only what was created since, and a
frozen object is still freed the moment its last reference goes. What freezing costs: a
reference cycle among frozen objects is not collected until they are unfrozen, so once an hour
the pacer unfreezes everything and the next full collection walks the whole heap once.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time

#: How often the whole heap is collected (seconds): cycles among frozen objects wait this long.
UNFREEZE_EVERY_S = 3600.0


class GcPacer:
    """Freezes the survivors of each full collection, on the service's event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop,
                 unfreeze_every_s: float = UNFREEZE_EVERY_S) -> None:
        self.loop = loop
        self.unfreeze_every_s = unfreeze_every_s
        self._unfrozen_at = time.monotonic()
        #: Freezes and unfreezes done (for tests and the benchmark).
        self.freezes = 0
        self.unfreezes = 0

    def start(self) -> None:
        """Freeze what the start built (inventory, profiles, jobs) and follow collections."""
        gc.callbacks.append(self._on_gc)
        self._freeze()

    def stop(self) -> None:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        gc.unfreeze()

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        # Any thread may collect; the freeze runs on the loop, outside the collection.
        if phase == "stop" and info.get("generation") == 2 and not self.loop.is_closed():
            # The loop may close between the check and the call: the service is stopping.
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self._freeze)

    def unfreeze_now(self) -> None:
        """Let the next full collection walk everything: after a reload, the old inventory,
        API application and jobs are garbage held in cycles that a freeze would keep until
        the hourly unfreeze (one set per reload)."""
        gc.unfreeze()
        self._unfrozen_at = time.monotonic()
        self.unfreezes += 1

    def _freeze(self) -> None:
        if time.monotonic() - self._unfrozen_at >= self.unfreeze_every_s:
            gc.unfreeze()  # the next full collection walks everything once
            self._unfrozen_at = time.monotonic()
            self.unfreezes += 1
            return
        gc.freeze()
        self.freezes += 1
