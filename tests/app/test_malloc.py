"""``dcmon run`` tunes glibc's allocator once, unless the operator's environment already does."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from dcmon.app.malloc import tune_malloc

GLIBC = platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(not GLIBC, reason="the settings are glibc's; elsewhere nothing is done")
def test_glibc_gets_both_settings_unless_the_environment_has_them() -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    code = "from dcmon.app.malloc import tune_malloc; print(','.join(tune_malloc()))"
    run = lambda env: subprocess.run([sys.executable, "-c", code], check=True,  # noqa: E731
                                     capture_output=True, text=True, env=env).stdout.strip()
    assert run(clean) == "MALLOC_ARENA_MAX,MALLOC_MMAP_THRESHOLD_"
    assert run({**clean, "MALLOC_ARENA_MAX": "4"}) == "MALLOC_MMAP_THRESHOLD_"
    assert run({**clean, "MALLOC_ARENA_MAX": "4", "MALLOC_MMAP_THRESHOLD_": "65536"}) == ""


def test_this_interpreter_is_tuned_on_glibc_only() -> None:
    if GLIBC:
        assert tune_malloc()  # this interpreter: applied (and harmless to apply again)
    else:
        assert tune_malloc() == []


def test_trim_gives_freed_heap_pages_back() -> None:
    """64 MB freed in blocks below the mmap threshold stay resident until trimmed."""
    code = ("import gc\n"
            "from dcmon.app.malloc import trim_malloc, tune_malloc\n"
            "def rss(): return int(open('/proc/self/statm').read().split()[1]) * 4096\n"
            "tune_malloc()\n"
            "blocks, keep = [], []\n"
            "for _ in range(640):  # a live heap block above each freed one: no trim at the top\n"
            "    blocks.append(bytearray(100_000)); keep.append(bytearray(1000))\n"
            "del blocks; gc.collect()\n"
            "before = rss(); print(trim_malloc(), before - rss())")
    if not GLIBC:
        pytest.skip("malloc_trim is glibc's")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, env=clean).stdout.split()
    assert out[0] == "True"
    assert int(out[1]) > 32_000_000, out
