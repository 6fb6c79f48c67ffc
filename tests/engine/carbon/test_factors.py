"""The grid factor of a site at a moment: its own list, the city's, the national default."""

from __future__ import annotations

from pathlib import Path

import yaml

from dcmon.app.inventory import load_config
from dcmon.config.resolved import Config
from dcmon.engine.carbon.factors import grid_factor, residual_factor

JAN_2022 = 1641038400.0  # 2022-01-01 12:00 UTC
JAN_2026 = 1767268800.0  # 2026-01-01 12:00 UTC


def _config(tmp_path: Path, **carbon: object) -> Config:
    inv = {"credentials": {"ro": {"version": "2c", "community": "x"}},
           "sites": [{"id": "dc1", "devices": [
                          {"id": m, "host": "127.0.0.1", "credential": "ro", "profile": "ups_mib"}
                          for m in ("m1", "m2")],
                      "energy": {"facility": ["m1"], "it": ["m2"], "timezone": "Asia/Shanghai"},
                      **({"carbon": carbon} if carbon else {})}]}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(inv))
    return load_config(path)


def test_shipped_national_factors(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    assert grid_factor(cfg, "dc1", JAN_2022) == (
        0.5366, "MEE/NBS 2022 national grid average (notice of 2024-12-20)")
    value, source = grid_factor(cfg, "dc1", JAN_2026)
    assert value == 0.5306 and source.endswith("the latest listed (2023), applied to 2026")
    assert residual_factor(cfg, "dc1", JAN_2026)[0] == 0.6096
    # 2021 has no published residual factor: the grid factor stands in.
    assert residual_factor(cfg, "dc1", 1625140800.0)[0] == 0.5568


def test_site_factor_by_local_year(tmp_path: Path) -> None:
    cfg = _config(tmp_path, grid_factors=[
        {"year": 2025, "kg_per_kwh": 0.6, "source": "prov 2025"},
        {"year": 2026, "kg_per_kwh": 0.5, "source": "prov 2026"}])
    # 2025-12-31 17:00 UTC is 2026-01-01 01:00 in Shanghai: the site's year is 2026.
    assert grid_factor(cfg, "dc1", 1767200400.0) == (0.5, "prov 2026")
    assert grid_factor(cfg, "dc1", 1767196800.0 - 3600) == (
        0.6, "prov 2025")
    value, source = grid_factor(cfg, "dc1", JAN_2022)
    assert value == 0.6 and "the earliest listed (2025), applied to 2022" in source
