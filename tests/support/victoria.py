"""A real VictoriaMetrics on 127.0.0.1: it accepts InfluxDB's ``/api/v2/write``, so it stands
in for InfluxDB 2 (which Debian does not package)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from tests.support.snmpsim import unavailable

BINARY = "victoria-metrics"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Victoria:
    """One victoria-metrics process that can be stopped and started on the same port and data."""

    def __init__(self, data: Path, port: int, *extra: str) -> None:
        path = shutil.which(BINARY) or ("/usr/bin/" + BINARY
                                        if Path("/usr/bin/" + BINARY).exists() else None)
        if path is None:
            unavailable(f"{BINARY} not installed: run scripts/install-test-deps.sh")
        self.binary = path
        self.data, self.port, self.extra = data, port, extra
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.data.parent / f"vm-{self.port}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [self.binary, f"-httpListenAddr=127.0.0.1:{self.port}",
             f"-storageDataPath={self.data}", "-retentionPeriod=100y", *self.extra],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"victoria-metrics exited {self.proc.returncode}: "
                                   f"{(self.data.parent / f'vm-{self.port}.log').read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as r:
                    if r.read().strip() == b"OK":
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("victoria-metrics did not become healthy in 15 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def export(self, match: str = '{__name__=~".+_value"}') -> list[dict[str, Any]]:
        """Every stored series matching ``match``, after making recent writes searchable."""
        urllib.request.urlopen(self.url + "/internal/force_flush", timeout=5).read()
        q = urllib.parse.urlencode({"match[]": match})
        with urllib.request.urlopen(f"{self.url}/api/v1/export?{q}", timeout=5) as r:
            return [json.loads(line) for line in r.read().decode().splitlines() if line]


