"""Every dashboard query returns data from a real Prometheus scraping ``dcmon demo``.

A panel that shows "No data" is a bug, so this runs each panel's queries the way Grafana would
(range queries through ``query_range``, instant ones through ``query``, template variables
expanded as "All") against a real Prometheus that scrapes the simulated site every second, and
insists that every query returns at least one series and every panel at least one finite value.
The demo's energy PUE windows are withheld (too little history), which is exactly the case the
dashboards must still show something for. One Prometheus, one demo, well under a minute.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.alert_servers import free_port, wait_ready
from tests.support.snmpsim import unavailable

try:
    from dcmon.exporters.grafana.build import Target, build_all, panels, targets, variable_queries
except ImportError:  # pragma: no cover - the dev extra installs it
    unavailable("grafana-foundation-sdk not installed: pip install -e '.[dev]'")

#: Grafana's variables as the dashboards' defaults ("All") and a short range expand them.
VARIABLES = {
    "site": ".*", "room": ".*", "window": "24h",
    "__rate_interval": "1m", "__interval": "1s", "__range": "1h",
}
DEADLINE_S = 40.0
RANGE_S = 60


def expand(expr: str) -> str:
    """Replace ``$name`` and ``${name}`` as Grafana does; refuse anything left over."""
    def sub(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        if name not in VARIABLES:
            raise AssertionError(f"unknown variable ${name} in {expr!r}")
        return VARIABLES[name]
    out = re.sub(r"\$\{(\w+)\}|\$(\w+)", sub, expr)
    assert "$" not in out, out
    return out


def _get(prom: str, path: str, params: dict[str, str]) -> Any:
    url = f"{prom}{path}?{urllib.parse.urlencode(params)}"
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.load(r)
    except urllib.error.HTTPError as exc:  # a 400 is a broken query: show Prometheus's words
        raise AssertionError(f"{params}: {exc.read().decode()}") from exc
    assert body["status"] == "success", body
    return body["data"]


def evaluate(prom: str, t: Target) -> list[dict[str, Any]]:
    """The series Grafana would get for this target now."""
    expr = expand(t.expr)
    now = time.time()
    if t.instant:
        data = _get(prom, "/api/v1/query", {"query": expr, "time": f"{now:.3f}"})
    else:
        data = _get(prom, "/api/v1/query_range", {
            "query": expr, "start": f"{now - RANGE_S:.3f}", "end": f"{now:.3f}", "step": "1"})
    result: list[dict[str, Any]] = data["result"]
    return result


def finite(series: list[dict[str, Any]]) -> bool:
    values = [v for s in series for _, v in ([s["value"]] if "value" in s else s["values"])]
    return any(math.isfinite(float(v)) for v in values)


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``dcmon demo`` on a free port, and Prometheus scraping it every second."""
    binary = shutil.which("prometheus")
    if binary is None:
        unavailable("prometheus not installed: run scripts/install-test-deps.sh")
    tmp = tmp_path_factory.mktemp("dash-prom")
    demo = subprocess.Popen(
        [sys.executable, "-m", "dcmon", "demo", "--duration", "300",
         "--listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    prom_proc: subprocess.Popen[bytes] | None = None
    log = (tmp / "prometheus.log").open("w")
    try:
        assert demo.stdout is not None
        target = None
        end = time.monotonic() + 30
        while target is None and time.monotonic() < end:
            line = demo.stdout.readline()
            if not line and demo.poll() is not None:
                break
            m = re.search(r"metrics\s+http://(127\.0\.0\.1:\d+)/metrics", line)
            target = m.group(1) if m else None
        assert target, "dcmon demo printed no metrics address"
        # Keep reading its summaries, or a full pipe would stall the demo on a slow machine.
        threading.Thread(target=demo.stdout.read, daemon=True).start()
        port = free_port()
        (tmp / "prometheus.yml").write_text(json.dumps({
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [{"job_name": "dcmon", "static_configs": [
                {"targets": [target]}]}]}))
        prom_proc = subprocess.Popen(
            [binary, f"--config.file={tmp / 'prometheus.yml'}",
             f"--storage.tsdb.path={tmp / 'tsdb'}", f"--web.listen-address=127.0.0.1:{port}",
             "--log.level=warn"], stdout=log, stderr=subprocess.STDOUT)
        prom = f"http://127.0.0.1:{port}"
        wait_ready(f"{prom}/-/ready", prom_proc, tmp / "prometheus.log")
        yield prom
    finally:
        if prom_proc is not None:
            prom_proc.terminate()
            prom_proc.wait(10)
        log.close()
        demo.send_signal(signal.SIGTERM)
        try:
            demo.wait(timeout=20)  # the reader thread drains stdout to EOF
        except subprocess.TimeoutExpired:  # only when it never got going: do not hang
            demo.kill()
            demo.wait(5)


def test_every_panel_shows_data(prometheus: str) -> None:
    """Poll until every query has data (the demo needs a few scrapes), then judge them all."""
    models = build_all()
    all_targets = [t for stem, m in models.items() for t in targets(stem, m)]
    assert len(all_targets) > 50
    failures: dict[Target, str] = {}
    end = time.monotonic() + DEADLINE_S
    while True:
        failures = {}
        results: dict[Target, list[dict[str, Any]]] = {}
        for t in all_targets:
            results[t] = evaluate(prometheus, t)
            if not results[t]:
                failures[t] = "no series"
        for stem, m in models.items():
            for p in panels(m):
                got = [s for t in all_targets if t.dashboard == stem and t.panel == p["title"]
                       for s in results[t]]
                if not finite(got):
                    failures[Target(stem, p["title"], "*", "", False)] = "no finite value"
        if not failures or time.monotonic() > end:
            break
        time.sleep(1)
    assert not failures, "\n".join(f"{t.dashboard} / {t.panel} / {t.ref}: {why}: {t.expr}"
                                   for t, why in failures.items())


def test_template_variables_have_values(prometheus: str) -> None:
    """``$site`` and ``$room`` offer the demo's sites and room (else every panel is empty)."""
    for stem, model in build_all().items():
        for name, query in variable_queries(model).items():
            m = re.fullmatch(r"label_values\((.+), (\w+)\)", query)
            assert m, f"{stem}: ${name}: {query}"
            values = _get(prometheus, f"/api/v1/label/{m.group(2)}/values",
                          {"match[]": expand(m.group(1))})
            assert values, f"{stem}: ${name} has no values: {query}"
            want = {"site": {"muni-new", "muni-old", "edge-hospital", "edge-school"},
                    "room": {"hall-1"}}[name]
            assert want <= set(values), (name, values)


def test_control_the_bare_energy_pue_has_no_data_on_the_demo(prometheus: str) -> None:
    """The premise of the fallbacks, and proof the check above can fail: on the demo every
    window of the sites without history is withheld, so a panel on ``dcmon_site_pue_ratio``
    alone would say "No data" for them. Only the old site, whose months of history the demo
    writes before it starts (for its retrofit), has energy PUE values."""
    bare = Target("control", "bare energy PUE", "A",
                  'dcmon_site_pue_ratio{site=~"$site", site!="muni-old"}', True)
    assert evaluate(prometheus, bare) == []
    history = Target("control", "energy PUE with history", "A",
                     'dcmon_site_pue_ratio{site="muni-old"}', True)
    assert {s["metric"]["site"] for s in evaluate(prometheus, history)} == {"muni-old"}
    withheld = Target("control", "status", "A", 'dcmon_site_pue_status{status="withheld"} == 1',
                      True)
    assert {s["metric"]["window"] for s in evaluate(prometheus, withheld)} >= {"1h", "24h"}
