"""What a loaded inventory keeps: resolved devices and compact credentials, not the validated
device entries (a large site's memory), with every reader still seeing what was written."""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

from dcmon.app.inventory import parse_config
from dcmon.config.inventory import CommunityCredential, V3Credential
from dcmon.config.resolved import security


def _city(n: int) -> dict[str, Any]:
    """``n`` PDUs, two per rack, each with its own community (as benchmarks/city_scale.py)."""
    devices = [{"id": f"pdu{i:05d}", "host": "127.0.0.1", "port": 1161, "profile": "apc_rpdu2",
                "credential": f"c{i:05d}", "feed": "AB"[i % 2]} for i in range(1, n + 1)]
    racks = [{"id": f"rack{r:04d}", "devices": devices[r:r + 2]} for r in range(0, n, 2)]
    creds: dict[str, Any] = {f"c{i:05d}": {"version": "2c", "community": f"c{i:05d}"}
                             for i in range(1, n + 1)}
    creds["v3"] = {"version": "3", "user": "mon", "auth_protocol": "SHA",
                   "auth_key": "authkey123", "priv_protocol": "AES", "priv_key": "privkey123"}
    return {"credentials": creds, "sites": [{"id": "s1", "rooms": [{"id": "h1", "racks": racks}]}]}


def test_devices_are_read_from_the_resolved_view() -> None:
    cfg = parse_config(_city(6), "city.yaml")
    racks = cfg.model.sites[0].rooms[0].racks
    assert [r.id for r in racks] == ["rack0000", "rack0002", "rack0004"]
    assert all(not r.devices for r in racks)  # kept once, in cfg.devices
    assert [(d.id, d.feed) for d in cfg.in_rack("s1", "h1", "rack0002")] == [
        ("pdu00003", "B"), ("pdu00004", "A")]
    assert cfg.in_rack("s1", "h1", "nope") == []
    assert len(cfg.devices) == 6


def test_credentials_read_as_written() -> None:
    cfg = parse_config(_city(4), "city.yaml")
    assert list(cfg.credentials) == ["c00001", "c00002", "c00003", "c00004", "v3"]
    assert len(cfg.credentials) == 5 and not cfg.model.credentials
    c1 = cfg.credentials["c00001"]
    assert isinstance(c1, CommunityCredential) and security(c1) == "v2c"
    assert cfg.credential("c00001").community is not None
    assert cfg.credential("c00001").community.get_secret_value() == "c00001"  # type: ignore[union-attr]
    # Reload compares credentials as written: equal when unchanged, unequal when changed.
    again = parse_config(_city(4), "city.yaml")
    assert cfg.credentials["c00002"] == again.credentials["c00002"]
    assert cfg.credentials["c00002"] != again.credentials["c00003"]
    v3 = cfg.credentials["v3"]
    assert isinstance(v3, V3Credential) and security(v3) == "authPriv SHA/AES"
    assert cfg.credentials.get("missing") is None


def test_kept_bytes_per_device() -> None:
    """Resolved, a device with its own credential keeps under 1 kB (it was ~2.9 kB when the
    validated entries and credential models were kept)."""
    n = 2000
    doc = _city(n)
    parse_config(_city(2), "warm.yaml")
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        cfg = parse_config(doc, "city.yaml")
        del doc
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(cfg.devices) == n
    assert kept / n < 1000, f"{kept / n:.0f} B per device"
