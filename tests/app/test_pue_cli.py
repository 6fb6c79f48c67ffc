"""``dcmon pue`` reads the state store that ``dcmon run`` (here: ``dcmon replay --store``) wrote."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from dcmon.app.cli import main
from tests.support.paths import CASES

CASE = CASES / "energy" / "wrap"


def test_pue_from_store(tmp_path: Path) -> None:
    cfg = tmp_path / "site.yaml"
    shutil.copy(CASE / "config.yaml", cfg)
    with cfg.open("a") as f:
        f.write("state_dir: state\n")
    (tmp_path / "state").mkdir()
    store = tmp_path / "state" / "dcmon.sqlite"
    runner = CliRunner()
    res = runner.invoke(main, ["replay", "--config", str(cfg), str(CASE / "readings.jsonl"),
                               "--store", str(store)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["pue", "--config", str(cfg), "--window", "year:2026",
                               "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    site = next(r for r in doc if r["zone"] is None)
    # The year so far holds one hour of data: energies are exact, coverage is tiny -> withheld.
    assert site["it_kwh"] == 2.0 and abs(site["facility_kwh"] - 2.6) < 1e-9
    assert site["status"] == "withheld" and "coverage" in site["reason"]
    res = runner.invoke(main, ["pue", "--config", str(cfg), "--window", "fortnight"])
    assert res.exit_code == 2 and "unknown window" in res.output


def test_pue_without_store(tmp_path: Path) -> None:
    cfg = tmp_path / "site.yaml"
    shutil.copy(CASE / "config.yaml", cfg)
    res = CliRunner().invoke(main, ["pue", "--config", str(cfg)])
    assert res.exit_code == 1 and "no state store" in res.output


def test_pue_unknown_site_names_the_known_ones(tmp_path: Path) -> None:
    """A typo in --site is an error, not an empty table with exit 0; so is a site that has
    no energy topology."""
    cfg = tmp_path / "site.yaml"
    shutil.copy(CASE / "config.yaml", cfg)
    with cfg.open("a") as f:
        f.write("state_dir: state\n")
    (tmp_path / "state").mkdir()
    runner = CliRunner()
    res = runner.invoke(main, ["replay", "--config", str(cfg), str(CASE / "readings.jsonl"),
                               "--store", str(tmp_path / "state" / "dcmon.sqlite")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["pue", "--config", str(cfg), "--site", "nope"])
    assert res.exit_code == 1
    assert res.stderr.strip() == "unknown site 'nope' (known: dc1)" and res.stdout == ""
    res = runner.invoke(main, ["pue", "--config", str(cfg), "--site", "dc1", "--window",
                               "year:2026", "--format", "json"])
    assert res.exit_code == 0 and [r["site"] for r in json.loads(res.stdout)] == ["dc1"]
    cfg.write_text((CASE / "config.yaml").read_text() + "  - {id: edge, devices: [{id: e1, "
                   "host: 127.0.0.1, credential: ro}]}\nstate_dir: state\n")
    res = runner.invoke(main, ["pue", "--config", str(cfg), "--site", "edge"])
    assert res.exit_code == 1 and "site 'edge' has no energy topology" in res.stderr
