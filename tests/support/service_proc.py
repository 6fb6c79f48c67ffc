"""``dcmon run`` as a real subprocess, and plain HTTP against its listeners on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(url: str, method: str = "GET", headers: Mapping[str, str] | None = None
         ) -> tuple[int, str]:
    """(status, body) of one request; HTTP errors are answers, not exceptions."""
    req = urllib.request.Request(url, method=method, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return int(r.status), r.read().decode()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode()


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of the first sample of ``name`` carrying ``labels`` (None: absent)."""
    for line in text.splitlines():
        if not (line.startswith(name + "{") or line.startswith(name + " ")):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def start_run(config: Path, *args: str, env: Mapping[str, str] | None = None,
              log_format: str = "text") -> subprocess.Popen[str]:
    """``dcmon --log-format F run --config FILE ARGS``, output (stdout and stderr) piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "dcmon", "--log-format", log_format, "run", "--config",
         str(config), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(env) if env is not None else None)


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 15.0,
             every: float = 0.2) -> T:
    """Call ``probe`` until it returns something truthy; fail with ``what`` after timeout."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except OSError:
            last = None
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")
