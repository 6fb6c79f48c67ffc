"""The sharded deployment examples parse and agree with each other: config/compose-sharded.yml
(two shards, Prometheus with the sharded rules) and config/k8s/statefulset.yaml (the pod ordinal
becomes --shard K/N, N the replicas)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from dcmon.app.cli import main
from dcmon.app.inventory import load_config
from dcmon.app.shard import Shard
from tests.support.paths import ROOT
from tests.support.snmpsim import require_tool

CONFIG = ROOT / "config"


def test_compose_runs_each_shard_once_and_prometheus_scrapes_them_all() -> None:
    doc = yaml.safe_load((CONFIG / "compose-sharded.yml").read_text())
    shards = {name: svc for name, svc in doc["services"].items() if "--shard" in
              svc.get("command", [])}
    specs = [Shard.parse(s["command"][s["command"].index("--shard") + 1])
             for s in shards.values()]
    assert sorted(specs, key=lambda s: s.index) == [Shard(0, 2), Shard(1, 2)]
    volumes = [v.split(":")[0] for s in shards.values() for v in s["volumes"]]
    assert len({v for v in volumes if v.endswith("-state")}) == 2  # a state volume each
    for s in shards.values():
        assert (CONFIG / s["volumes"][0].split(":")[0]).is_file()
    prom = yaml.safe_load((CONFIG / "prometheus-sharded.yml").read_text())
    targets = prom["scrape_configs"][0]["static_configs"][0]["targets"]
    assert sorted(targets) == sorted(f"{name}:9630" for name in shards)
    mounts = dict(v.split(":")[:2] for v in doc["services"]["prometheus"]["volumes"])
    assert mounts["./prometheus-sharded.yml"] == "/etc/prometheus/prometheus.yml"
    assert prom["rule_files"] == ["rules-sharded/rules.yml"]
    assert mounts["./rules-sharded"] == "/etc/prometheus/rules-sharded"


def test_compose_rules_are_the_sharded_rules_of_the_inventory(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["rules", "--config", str(CONFIG / "compose-site.yaml"),
                                    "--out", str(tmp_path), "--sharded"])
    assert res.exit_code == 0, res.output
    for name in ("rules.yml", "rules_test.yml"):
        assert (tmp_path / name).read_text() == (CONFIG / "rules-sharded" / name).read_text()
    promtool = require_tool("promtool")
    check = subprocess.run([promtool, "check", "config", "prometheus-sharded.yml"], cwd=CONFIG,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    test = subprocess.run([promtool, "test", "rules", "rules_test.yml"],
                          cwd=CONFIG / "rules-sharded", capture_output=True, text=True,
                          timeout=60)
    assert test.returncode == 0, test.stdout + test.stderr


def test_statefulset_turns_the_ordinal_into_the_shard() -> None:
    docs = list(yaml.safe_load_all((CONFIG / "k8s" / "statefulset.yaml").read_text()))
    kinds = {d["kind"]: d for d in docs}
    assert set(kinds) == {"Service", "StatefulSet"}
    sts = kinds["StatefulSet"]
    replicas = sts["spec"]["replicas"]
    pod = sts["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    spec = c["args"][c["args"].index("--shard") + 1]
    env = {e["name"]: e for e in c["env"]}
    assert env["ORDINAL"]["valueFrom"]["fieldRef"]["fieldPath"] == \
        "metadata.labels['apps.kubernetes.io/pod-index']"
    # Kubernetes expands $(ORDINAL) in args: every pod gets a valid, distinct shard of N.
    assert [Shard.parse(spec.replace("$(ORDINAL)", str(k))) for k in range(replicas)] == \
        [Shard(k, replicas) for k in range(replicas)]
    assert kinds["Service"]["spec"]["clusterIP"] == "None"
    assert sts["spec"]["serviceName"] == kinds["Service"]["metadata"]["name"]
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    assert mounts["state"] == "/var/lib/dcmon"
    assert [t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]] == ["state"]
    assert c["readinessProbe"]["httpGet"]["path"] == "/-/ready"


def test_the_inventory_both_examples_mount_loads_for_every_shard(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in {"DCMON_SNMP_COMMUNITY": "x", "DCMON_INFLUX_TOKEN": "t" * 32,
                 "DCMON_API_TOKEN": "unused-by-shards"}.items():
        monkeypatch.setenv(k, v)
    cfg = load_config(CONFIG / "compose-site.yaml", secrets=True)
    parts = [Shard(k, 2).select(cfg) for k in range(2)]
    assert all(p.devices for p in parts)
    assert sum(len(p.devices) for p in parts) == len(cfg.devices)
