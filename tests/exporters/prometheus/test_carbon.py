"""CUE, REF and WUE on /metrics: values from a real engine fed a carbon case, promtool clean."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from dcmon.exporters.prometheus.carbon import CarbonCollector
from dcmon.exporters.prometheus.engine import EngineCollector
from tests.support.capacity_api import hub_from_case
from tests.support.paths import CASES

CARBON = CASES / "carbon"


def _registry(case: str, state: Path) -> CollectorRegistry:
    reg = CollectorRegistry()
    hub = hub_from_case(CARBON / case, state)
    reg.register(CarbonCollector(hub))
    reg.register(EngineCollector(hub))
    return reg


def test_cue_ref_and_co2_of_the_last_hour(tmp_path: Path) -> None:
    # The last settled hour of the case (22:00-23:00): IT 20 kWh, facility 30, PV 5,
    # generator 2; grid 23 kWh x 0.5 = 11.5 kg + 1 l of diesel x 2.68 = 14.18 kg.
    reg = _registry("cue_grid_pv_diesel", tmp_path)
    base = {"site": "dc1", "window": "1h"}
    for basis in ("location", "market"):
        assert reg.get_sample_value("dcmon_site_cue_kg_per_kwh", {
            **base, "basis": basis, "interim": "true"}) == pytest.approx(14.18 / 20, rel=1e-6)
        assert reg.get_sample_value("dcmon_site_co2_grams", {**base, "basis": basis}
                                    ) == pytest.approx(14180, rel=1e-6)
    assert reg.get_sample_value("dcmon_site_ref_ratio", {**base, "interim": "true"}
                                ) == pytest.approx(5 / 30, rel=1e-6)
    assert reg.get_sample_value("dcmon_site_energy_by_source_joules", {
        **base, "source": "grid"}) == pytest.approx(23 * 3.6e6, rel=1e-6)
    assert reg.get_sample_value("dcmon_site_carbon_status", {**base, "status": "ok"}) == 1.0
    assert reg.get_sample_value("dcmon_site_grid_factor_kg_per_kwh", {
        **base, "source": "test factor"}) == 0.5
    # Lifetime renewable and generator energy: 24 h at 5 kW and at 2 kW.
    assert reg.get_sample_value("dcmon_site_renewable_energy_joules_total", {"site": "dc1"}
                                ) == pytest.approx(120 * 3.6e6, rel=1e-6)
    assert reg.get_sample_value("dcmon_site_generator_energy_joules_total", {"site": "dc1"}
                                ) == pytest.approx(48 * 3.6e6, rel=1e-6)
    # The 24h window ends at 23:00 (results settle two poll intervals): 23 of 24 hours.
    assert reg.get_sample_value("dcmon_site_carbon_coverage_ratio", {
        "site": "dc1", "window": "24h"}) == pytest.approx(23 / 24, rel=1e-6)
    # 7 days hold 23 h of data: below the minimum coverage, withheld, so absent.
    assert reg.get_sample_value("dcmon_site_cue_kg_per_kwh", {
        "site": "dc1", "window": "7d", "basis": "location", "interim": "true"}) is None
    assert reg.get_sample_value("dcmon_site_carbon_status", {
        "site": "dc1", "window": "7d", "status": "withheld"}) == 1.0


def test_wue_of_the_last_hour(tmp_path: Path) -> None:
    reg = _registry("wue_wrap", tmp_path)
    base = {"site": "dc1", "window": "1h"}
    # 0.4 m3 in the hour over 200 kWh of IT energy: 2.0 L/kWh.
    assert reg.get_sample_value("dcmon_site_wue_l_per_kwh", {**base, "interim": "true"}
                                ) == pytest.approx(2.0, rel=1e-6)
    assert reg.get_sample_value("dcmon_site_water_used_cubic_meters", base
                                ) == pytest.approx(0.4, rel=1e-6)
    assert reg.get_sample_value("dcmon_site_water_coverage_ratio", base) == 1.0
    # The lifetime water of the site: 24 h x 0.4 m3/h, across the meter's wrap.
    assert reg.get_sample_value("dcmon_site_water_cubic_meters_total", {"site": "dc1"}
                                ) == pytest.approx(9.6, rel=1e-6)


def test_promtool_check_metrics(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("CI"):
            pytest.fail("promtool missing in CI: scripts/install-test-deps.sh installs it")
        pytest.skip("promtool not installed: run scripts/install-test-deps.sh")
    for i, case in enumerate(("cue_grid_pv_diesel", "wue_wrap")):
        state = tmp_path / str(i)
        state.mkdir()
        text = generate_latest(_registry(case, state))
        proc = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                              timeout=30)
        assert proc.returncode == 0 and proc.stdout + proc.stderr == b"", proc.stdout + proc.stderr
