"""``Config.metering``: the ISO/IEC 30134-2 category a site's metering backs, which is what
every PUE result reports (docs/energy.md, "Measurement category")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dcmon.app.inventory import parse_config
from dcmon.collectors.registry import ProfileRegistry
from dcmon.config.resolved import Metering

REG = ProfileRegistry.load()


def _dev(i: str) -> dict[str, Any]:
    return {"id": i, "host": "127.0.0.1", "credential": "ro"}


def _metering(energy: dict[str, Any] | None, racks: list[list[str]],
              site_devices: tuple[str, ...] = ("meter1", "ups1", "fpdu1")) -> Metering:
    site: dict[str, Any] = {
        "id": "dc1", "devices": [_dev(d) for d in site_devices],
        "rooms": [{"id": "hall", "racks": [
            {"id": f"r{n}", "devices": [_dev(d) for d in devs]}
            for n, devs in enumerate(racks, 1)]}]}
    if energy is not None:
        site["energy"] = energy
    cfg = parse_config({"credentials": {"ro": {"version": "2c", "community": "x"}},
                        "sites": [site]}, "site.yaml", REG, Path("."))
    return cfg.metering("dc1")


FAC = {"facility": ["meter1"]}


@pytest.mark.parametrize(("energy", "racks", "want"), [
    # Every rack has a PDU in E_IT: the declared category holds.
    ({**FAC, "it": "racks"}, [["p1"], ["p2"]], (2, 2, 2, 2, "")),
    ({**FAC, "it": "racks", "it_level": "it_input"}, [["p1"], ["p2"]], (2, 2, 3, 3, "")),
    # A rack without a meter: E_IT misses its load; no category (not "0").
    ({**FAC, "it": "racks"}, [["p1"], []], (1, 2, 2, None,
     "1 of 2 racks have no IT meter in E_IT (hall/r2): their IT energy is not measured")),
    ({**FAC, "it": "racks", "it_level": "it_input"}, [["p1"], [], []], (1, 3, 3, None,
     "2 of 3 racks have no IT meter in E_IT (hall/r2, hall/r3): their IT energy is not "
     "measured")),
    # A listed PDU set that leaves a metered rack out is no better.
    ({**FAC, "it": ["p1"]}, [["p1"], ["p2"]], (2, 2, 2, None,
     "1 of 2 racks have no IT meter in E_IT (hall/r2): their IT energy is not measured")),
    # UPS output metering covers the racks downstream of it: category 1.
    ({**FAC, "it": ["ups1"], "it_level": "ups_output"}, [["p1"], []], (1, 2, 1, 1, "")),
    # Floor PDUs outside racks: rack coverage cannot be judged, the declaration stands.
    ({**FAC, "it": ["fpdu1"]}, [[], []], (0, 2, 2, 2, "")),
    # Nothing in E_IT at all.
    ({**FAC, "it": "racks"}, [[], []], (0, 2, 2, None, "no IT meters in E_IT")),
    (None, [["p1"]], (1, 1, None, None, "no energy topology")),
])
def test_category_the_metering_backs(energy: dict[str, Any] | None, racks: list[list[str]],
                                      want: tuple[int, int, int | None, int | None, str]
                                      ) -> None:
    m = _metering(energy, racks)
    assert (m.metered_racks, m.racks, m.claim, m.category, m.reason) == want
