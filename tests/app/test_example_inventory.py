"""config/example.yaml, as the README uses it: it validates as given, and its energy topology
gives ``dcmon pue`` a PUE.

The README's first command under "Using it" runs as a subprocess from the repository root, with
no ``DCMON_*`` variable in the environment, exactly as a new user types it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from dcmon.app.cli import main
from tests.support.paths import ROOT

EXAMPLE = ROOT / "config" / "example.yaml"
IT_PDUS = ("pdu-a01-a", "pdu-a01-b", "pdu-a02-a", "pdu-a02-b", "pdu-a03-a", "pdu-a03-b")


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DCMON_")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def _readme_command() -> list[str]:
    """The first command of the README's "Using it" block, without its comment."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Using it\n\n```sh\n(.*?)```", text, re.S)
    assert block is not None
    first = block.group(1).splitlines()[0].split("#")[0].split()
    assert first == ["dcmon", "check-config", "config/example.yaml"]
    return first


def test_readme_check_config_runs_as_shown() -> None:
    cmd = _readme_command()
    out = subprocess.run([sys.executable, "-m", "dcmon", *cmd[1:]], cwd=ROOT, env=_clean_env(),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "config/example.yaml: OK: 2 site(s), 12 device(s), 2 credential(s)"
    assert "  credential ops-v3: authPriv SHA256/AES256" in lines
    assert ("  site city-dc1: PUE category 2 (pdu_output), backed by the metering; "
            "IT metering in 3/3 racks (100%)") in lines
    # The sample secrets are masked like real ones.
    assert "sample-" not in out.stdout + out.stderr


def test_example_marks_its_secrets_as_samples_and_ships_no_secret_file() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    secrets = re.findall(r"^\s+(community|auth_key|priv_key): (\S+)\s+# (\S+)", text, re.M)
    assert [(k, v.startswith("sample-"), note) for k, v, note in secrets] == [
        ("community", True, "SAMPLE;"), ("auth_key", True, "SAMPLE;"),
        ("priv_key", True, "SAMPLE;")]
    assert not (ROOT / "config" / "secrets").exists()


def test_production_form_of_the_example_reads_env_and_file(tmp_path: Path) -> None:
    """The forms the comments recommend: {env: ...} and a {file: ...} next to the inventory
    (generated here, never committed)."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for key, prod in (("community", "{env: DCMON_PDU_COMMUNITY}"),
                      ("auth_key", "{env: DCMON_V3_AUTH_KEY}"),
                      ("priv_key", "{file: secrets/v3-priv.key}")):
        text = re.sub(rf"^(\s+{key}): \S+", rf"\1: {prod}", text, count=1, flags=re.M)
    cfg = tmp_path / "site.yaml"
    cfg.write_text(text, encoding="utf-8")
    env = {**_clean_env(), "DCMON_PDU_COMMUNITY": "c0mmunity-under-test",
           "DCMON_V3_AUTH_KEY": "auth-key-under-test"}
    cmd = [sys.executable, "-m", "dcmon", "check-config", str(cfg)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert f"{cfg}: credentials.ops-v3.priv_key: cannot read secret file " \
           "secrets/v3-priv.key" in out.stdout + out.stderr
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "v3-priv.key").write_text("priv-key-under-test\n", encoding="utf-8")
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "under-test" not in out.stdout + out.stderr


def _readings(now: float) -> list[str]:
    """2.5 h of 30 s energy counters up to ``now``: 6 rack PDUs at 2 kW each (IT 12 kW), the
    incomer at 15.6 kW (PUE 1.3)."""
    out = []
    start = int(now // 30 * 30) - 9000
    for ts in range(start, int(now), 30):
        t = ts - start
        for dev in IT_PDUS:
            out.append({"ts": ts, "device": dev, "metric": "energy", "unit": "J",
                        "kind": "counter", "level": "total", "rack_power": True,
                        "value": 1e9 + 2000.0 * t})
        out.append({"ts": ts, "device": "incomer-1", "metric": "energy", "unit": "J",
                    "kind": "counter", "level": "total", "value": 5e10 + 15600.0 * t})
    return [json.dumps(r) for r in out]


def test_pue_on_the_example_topology(tmp_path: Path) -> None:
    cfg = tmp_path / "example.yaml"
    cfg.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    state = tmp_path / "dcmon-state"  # the example's state_dir, relative to the file
    state.mkdir()
    readings = tmp_path / "readings.jsonl"
    readings.write_text("\n".join(_readings(time.time())) + "\n", encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(main, ["replay", "--config", str(cfg), str(readings), "--store",
                               str(state / "dcmon.sqlite")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["pue", "--config", str(cfg), "--window", "1h", "--format",
                               "json"])
    assert res.exit_code == 0, res.output
    (site,) = [r for r in json.loads(res.stdout) if r["site"] == "city-dc1"]
    assert site["category"] == 2 and site["status"] == "ok", site
    assert abs(site["value"] - 1.3) < 1e-6
    assert abs(site["it_kwh"] - 12.0) < 1e-6 and abs(site["facility_kwh"] - 15.6) < 1e-6
