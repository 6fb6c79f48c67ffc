"""C allocator settings for ``dcmon run``: fewer glibc arenas, large buffers handed back.

Python takes its small objects from its own pools; everything larger (dict tables of a city's
devices, scrape bodies, gzip buffers, SQLite pages) comes from the C library's ``malloc``.
glibc gives each thread that allocates its own arena, up to eight per core, and an arena keeps
what its thread freed for that thread's next use. ``dcmon run`` has several threads that
allocate in bursts (the /metrics server's request threads, the engine's writer, the results
run, the exposition packer), so the freed memory of one burst sat resident in its arena while
the next burst grew another. Two settings, applied once at start-up
(docs/performance.md, "A city"):

* ``M_ARENA_MAX`` 2: the threads share two arenas, so memory freed by one thread is reused by
  the others (what ``MALLOC_ARENA_MAX=2`` in the environment would do);
* ``M_MMAP_THRESHOLD`` 256 KiB, fixed: a block that large (a scrape's 1 MB write block, a
  results body) is mapped on its own and unmapped when freed. glibc otherwise raises the
  threshold after each such free, up to 32 MiB, and later blocks stay in the heap.

And after each results run (a burst of ~100 MB of short-lived objects at 10,000 PDUs),
:func:`trim_malloc` hands the heap's free pages back to the system (``malloc_trim``).

An operator's own ``MALLOC_ARENA_MAX`` or ``MALLOC_MMAP_THRESHOLD_`` wins: the setting is left
alone. On a C library that is not glibc (musl, macOS) nothing is done.
"""

from __future__ import annotations

import ctypes
import logging
import os

log = logging.getLogger("dcmon.app.malloc")

#: glibc's ``mallopt`` parameters (malloc.h).
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8

ARENAS = 2
MMAP_THRESHOLD = 256 * 1024

_SETTINGS = ((M_ARENA_MAX, ARENAS, "MALLOC_ARENA_MAX"),
             (M_MMAP_THRESHOLD, MMAP_THRESHOLD, "MALLOC_MMAP_THRESHOLD_"))


def tune_malloc() -> list[str]:
    """Apply the settings that the environment does not already set; returns their names
    (empty when the C library is not glibc)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter runs on
    except (OSError, AttributeError):  # not glibc: no mallopt, nothing to tune
        return []
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    done = []
    for param, value, env in _SETTINGS:
        if env in os.environ:
            continue
        if mallopt(param, value) == 1:
            done.append(env)
        else:
            log.debug("mallopt(%d, %d) refused", param, value)
    return done


def trim_malloc() -> bool:
    """Give the C heap's free pages back to the system (glibc ``malloc_trim``); False where
    there is no such call. ctypes lets go of the interpreter meanwhile: polls go on."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return False
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    trim(0)
    return True
