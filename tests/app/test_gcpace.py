"""The garbage-collection pacer: survivors of a full collection are frozen, objects are still
freed by reference counting, and the hourly unfreeze lets a full collection reclaim cycles."""

from __future__ import annotations

import asyncio
import gc
import weakref

from dcmon.app.gcpace import GcPacer


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_freeze_after_full_collections_and_unfreeze_hourly() -> None:
    async def run() -> None:
        pacer = GcPacer(asyncio.get_running_loop(), unfreeze_every_s=3600)
        pacer.start()
        try:
            assert pacer.freezes == 1 and gc.get_freeze_count() > 0
            kept = [Node() for _ in range(1000)]
            gc.collect()  # a full collection: its survivors are frozen on the loop
            await asyncio.sleep(0)
            assert pacer.freezes == 2
            frozen = gc.get_freeze_count()
            one = weakref.ref(kept[0])
            del kept  # frozen objects still go when their last reference does
            assert one() is None and gc.get_freeze_count() < frozen
            a, b = Node(), Node()
            a.other, b.other = b, a  # a cycle, frozen by the next full collection
            gone = weakref.ref(a)
            gc.collect()
            await asyncio.sleep(0)
            del a, b
            gc.collect()  # the frozen cycle survives a full collection ...
            await asyncio.sleep(0)
            assert gone() is not None
            pacer.unfreeze_every_s = 0.0  # ... until the hourly unfreeze
            gc.collect()
            await asyncio.sleep(0)
            assert pacer.unfreezes == 1 and gc.get_freeze_count() == 0
            gc.collect()
            assert gone() is None
        finally:
            pacer.stop()
        assert pacer._on_gc not in gc.callbacks and gc.get_freeze_count() == 0

    asyncio.run(run())


def test_a_reload_unfreezes_so_its_garbage_cycles_go_at_the_next_collection() -> None:
    """After a reload the old inventory, API app and jobs are garbage in cycles; frozen, they
    would wait for the hourly unfreeze (one set per reload)."""
    async def run() -> None:
        pacer = GcPacer(asyncio.get_running_loop(), unfreeze_every_s=3600)
        pacer.start()
        try:
            a, b = Node(), Node()
            a.other, b.other = b, a
            gone = weakref.ref(a)
            gc.collect()
            await asyncio.sleep(0)  # the cycle is frozen now
            del a, b
            gc.collect()
            await asyncio.sleep(0)
            assert gone() is not None and gc.get_freeze_count() > 0
            pacer.unfreeze_now()  # what the reloader calls after applying a reload
            assert gc.get_freeze_count() == 0 and pacer.unfreezes == 1
            gc.collect()
            assert gone() is None
        finally:
            pacer.stop()
    asyncio.run(run())
