"""A real Prometheus (the Debian binary) on 127.0.0.1 scraping given targets with given rules."""

from __future__ import annotations

import json
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.alert_servers import free_port, wait_ready
from tests.support.snmpsim import require_tool


@contextmanager
def prometheus(tmp: Path, targets: list[str], rule_files: list[Path],
               every: str = "1s") -> Iterator[str]:
    """Prometheus scraping ``targets`` (job ``dcmon``) and evaluating ``rule_files`` every
    ``every``; yields its base URL and stops it afterwards."""
    binary = require_tool("prometheus")
    port = free_port()
    conf = tmp / "prometheus.yml"
    conf.write_text(json.dumps({
        "global": {"scrape_interval": every, "evaluation_interval": every},
        "rule_files": [str(p) for p in rule_files],
        "scrape_configs": [{"job_name": "dcmon", "static_configs": [{"targets": targets}]}]}))
    log_path = tmp / "prometheus.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [binary, f"--config.file={conf}", f"--storage.tsdb.path={tmp / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(f"{url}/-/ready", proc, log_path)
            yield url
        finally:
            proc.terminate()
            proc.wait(10)


def query(url: str, expr: str) -> list[dict[str, Any]]:
    """The instant vector of ``expr`` now (``[{"metric": {...}, "value": [ts, "v"]}]``)."""
    with urllib.request.urlopen(f"{url}/api/v1/query?"
                                f"{urllib.parse.urlencode({'query': expr})}", timeout=5) as r:
        result: list[dict[str, Any]] = json.load(r)["data"]["result"]
    return result


def values(url: str, expr: str, *by: str) -> dict[tuple[str, ...], float]:
    """``expr`` now, keyed by the values of the labels ``by``."""
    return {tuple(s["metric"].get(k, "") for k in by): float(s["value"][1])
            for s in query(url, expr)}
