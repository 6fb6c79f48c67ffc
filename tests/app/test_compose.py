"""docker-compose.yml and the files it mounts: checked without a Docker engine.

There is no Docker here, so the stack is validated as data: the services, images, ports and
volumes; every file it mounts exists; the inventory it gives dcmon is valid and points at the
compose services; the Prometheus config and the generated rules pass promtool, and the rules are
exactly what ``dcmon rules`` makes from that inventory; Alertmanager's config passes amtool; the
Grafana provisioning points at the services; and every variable compose needs is documented.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from dcmon.app.inventory import load_config
from tests.support.paths import ROOT
from tests.support.snmpsim import unavailable

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
ENV = {"DCMON_SNMP_COMMUNITY": "dcmon-sim", "DCMON_INFLUX_TOKEN": "test-influx-token",
       "DCMON_API_TOKEN": "test-api-token-0123456789abcdef"}


def _binds(service: str) -> dict[str, str]:
    """Container path -> repo-relative source of the service's bind mounts."""
    out = {}
    for v in SERVICES[service].get("volumes", []):
        src, dst = v.split(":")[:2]
        if src.startswith("./"):
            out[dst] = src[2:]
    return out


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        unavailable(f"{name} not installed: run scripts/install-test-deps.sh")
    return path


def test_services_images_and_ports() -> None:
    assert set(SERVICES) == {"dcmon", "simulator", "prometheus", "alertmanager", "grafana",
                             "influxdb"}
    for name in ("dcmon", "simulator"):
        assert SERVICES[name]["build"] == "." and SERVICES[name]["image"] == "dcmon:local"
    assert SERVICES["dcmon"]["command"] == ["run", "--config", "/etc/dcmon/site.yaml"]
    assert SERVICES["simulator"]["command"][0] == "simulate"
    assert SERVICES["prometheus"]["image"].startswith("prom/prometheus:v")
    assert SERVICES["alertmanager"]["image"].startswith("prom/alertmanager:v")
    assert re.fullmatch(r"grafana/grafana:11\.6\.\d+", SERVICES["grafana"]["image"])
    assert SERVICES["influxdb"]["image"] == "influxdb:2.7.11"
    published = {name: {p.rsplit(":", 1)[1] for p in s.get("ports", [])}
                 for name, s in SERVICES.items() if s.get("ports")}
    assert published == {"dcmon": {"9630", "9640"},
                         "prometheus": {"9090"}, "alertmanager": {"9093"}, "grafana": {"3000"},
                         "influxdb": {"8086"}}
    for s in SERVICES.values():  # nothing is published beyond the host itself
        assert all(p.startswith("127.0.0.1:") for p in s.get("ports", []))
    env = SERVICES["influxdb"]["environment"]
    assert env["DOCKER_INFLUXDB_INIT_MODE"] == "setup"
    assert {"DOCKER_INFLUXDB_INIT_ORG", "DOCKER_INFLUXDB_INIT_BUCKET",
            "DOCKER_INFLUXDB_INIT_ADMIN_TOKEN", "DOCKER_INFLUXDB_INIT_PASSWORD"} <= set(env)


def test_volumes_and_mounted_files_exist() -> None:
    named = set(COMPOSE["volumes"])
    for name, s in SERVICES.items():
        for v in s.get("volumes", []):
            src = v.split(":")[0]
            if src.startswith("./"):
                path = ROOT / src[2:]
                assert path.exists(), f"{name}: {src} missing"
            else:
                assert src in named, f"{name}: volume {src} is not declared"
    assert _binds("dcmon") == {"/etc/dcmon/site.yaml": "config/compose-site.yaml"}
    assert "dcmon-state:/var/lib/dcmon" in SERVICES["dcmon"]["volumes"]
    for d in ("prometheus", "alertmanager", "grafana", "influxdb"):
        assert any(not v.startswith("./") for v in SERVICES[d]["volumes"]), f"{d}: no data volume"


def test_dockerfile_builds_the_package() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", text, re.M)
    assert "pip install -c constraints.txt ." in text
    assert re.search(r"^COPY .*\bconstraints\.txt\b", text, re.M)
    assert 'ENTRYPOINT ["dcmon"]' in text
    assert 'CMD ["run", "--config", "/etc/dcmon/site.yaml"]' in text
    pyproject = (ROOT / "pyproject.toml").read_text()
    include = re.search(r'include = \[(.*?)\]', pyproject)
    assert include is not None
    for pkg in re.findall(r'"(\w+)\*"', include.group(1)):  # every package is copied in
        assert f"COPY {pkg} ./{pkg}" in text, pkg
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".git" in ignored


def test_inventory_points_at_the_compose_services(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    cfg = load_config(ROOT / "config" / "compose-site.yaml")
    assert len(cfg.devices) == 40 and {d.host for d in cfg.devices} == {"simulator"}
    m = cfg.model
    assert m.exporters.prometheus.listen == "0.0.0.0:9630"
    assert m.api.listen == "0.0.0.0:9640"
    influx = m.exporters.influx
    assert influx is not None and influx.url == "http://influxdb:8086"
    env = SERVICES["influxdb"]["environment"]
    assert (influx.org, influx.bucket) == (env["DOCKER_INFLUXDB_INIT_ORG"],
                                           env["DOCKER_INFLUXDB_INIT_BUCKET"])
    assert m.state_dir == "/var/lib/dcmon"  # the dcmon-state volume
    # Every secret the inventory reads from the environment is passed to the container.
    for name in re.findall(r"\{env: (\w+)\}", (ROOT / "config/compose-site.yaml").read_text()):
        assert name in SERVICES["dcmon"]["environment"], name


def test_prometheus_config_and_rules(tmp_path: Path) -> None:
    prom = yaml.safe_load((ROOT / "config/prometheus.yml").read_text())
    targets = {j["job_name"]: j["static_configs"][0]["targets"] for j in prom["scrape_configs"]}
    assert targets == {"dcmon": ["dcmon:9630"]}
    assert prom["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == \
        ["alertmanager:9093"]
    assert _binds("prometheus")["/etc/prometheus/rules"] == "config/rules"
    assert prom["rule_files"] == ["rules/rules.yml"]  # relative: same layout in the container
    out = subprocess.run([_tool("promtool"), "check", "config",
                          str(ROOT / "config/prometheus.yml")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    # The committed rules are what `dcmon rules` makes from the compose inventory.
    gen = subprocess.run([sys.executable, "-m", "dcmon", "rules", "--config",
                          str(ROOT / "config/compose-site.yaml"), "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=120, cwd=ROOT,
                         env={**_base_env(), **ENV})
    assert gen.returncode == 0, gen.stderr
    for f in ("rules.yml", "rules_test.yml"):
        assert (tmp_path / f).read_text() == (ROOT / "config/rules" / f).read_text(), \
            f"config/rules/{f} is stale: dcmon rules --config config/compose-site.yaml " \
            "--out config/rules"


def _base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("DCMON_")}


def test_alertmanager_config() -> None:
    out = subprocess.run([_tool("amtool"), "check-config", str(ROOT / "config/alertmanager.yml")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert _binds("alertmanager") == {"/etc/alertmanager/alertmanager.yml":
                                      "config/alertmanager.yml"}


def test_grafana_provisioning() -> None:
    binds = _binds("grafana")
    ds = yaml.safe_load((ROOT / binds["/etc/grafana/provisioning/datasources/dcmon.yml"])
                        .read_text())["datasources"]
    assert {s["type"]: s["url"] for s in ds} == {"prometheus": "http://prometheus:9090",
                                                 "influxdb": "http://influxdb:8086"}
    prom = next(s for s in ds if s["type"] == "prometheus")
    # The dashboards' generic provisioning file has the uid the dashboards select by default.
    generic = yaml.safe_load((ROOT / "dashboards/provisioning/datasources/prometheus.yaml")
                             .read_text())["datasources"][0]
    assert prom["uid"] == generic["uid"] and prom["isDefault"]
    influx = next(s for s in ds if s["type"] == "influxdb")
    assert influx["secureJsonData"]["token"].lstrip("$") in SERVICES["grafana"]["environment"]
    provider = yaml.safe_load((ROOT / binds["/etc/grafana/provisioning/dashboards/dcmon.yaml"])
                              .read_text())["providers"]
    assert [p["options"]["path"] for p in provider] == ["/var/lib/grafana/dashboards/dcmon"]
    assert binds["/var/lib/grafana/dashboards/dcmon"] == "dashboards/json"
    assert list((ROOT / "dashboards/json").glob("*.json"))


def test_every_compose_variable_is_documented() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    names = set(re.findall(r"\$\{(\w+)", text))
    assert names == {"DCMON_SNMP_COMMUNITY", "DCMON_INFLUX_TOKEN", "DCMON_API_TOKEN",
                     "INFLUXDB_ADMIN_PASSWORD", "GRAFANA_ADMIN_PASSWORD"}
    doc = (ROOT / "docs/deployment.md").read_text()
    for name in names:
        assert name in doc, name


def test_compose_inventory_is_the_simulated_city() -> None:
    """config/compose-site.yaml is what scripts/compose_inventory.py writes: the ports
    `dcmon simulate --base-port 16101` binds, so the compose stack polls every simulated device."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import compose_inventory
    finally:
        sys.path.pop(0)
    want = compose_inventory.render()
    got = (ROOT / "config" / "compose-site.yaml").read_text()
    assert got == want, ("config/compose-site.yaml is stale: .venv/bin/python "
                         "scripts/compose_inventory.py > config/compose-site.yaml")
    cfg = yaml.safe_load(got)
    assert [s["id"] for s in cfg["sites"]] == ["muni-new", "muni-old", "edge-hospital",
                                              "edge-school"]
