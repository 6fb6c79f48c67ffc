"""``--shard K/N``: the spec, the stable split, the shard's inventory and a reload that keeps it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from dcmon.app.cli import main
from dcmon.app.inventory import load_config
from dcmon.app.service import start_service, stop_service
from dcmon.app.shard import Shard, shard_of
from dcmon.collectors.registry import ProfileRegistry
from dcmon.config.resolved import Config

DOC = {
    "credentials": {"ro": {"version": "2c", "community": "x"}},
    "state_dir": "state",
    "sites": [{"id": "s1", "energy": {"facility": ["incomer-1"]},
               "devices": [{"id": "incomer-1", "host": "127.0.0.1", "credential": "ro"},
                           {"id": "ups-1", "host": "127.0.0.1", "credential": "ro"}],
               "rooms": [{"id": "h1", "racks": [
                   {"id": f"r0{i}", "devices": [
                       {"id": f"pdu-r0{i}-{f}", "host": "127.0.0.1", "credential": "ro",
                        "feed": f.upper()} for f in "ab"]} for i in (1, 2)]}]}],
}


def _config(tmp: Path) -> Config:
    path = tmp / "site.yaml"
    path.write_text(yaml.safe_dump(DOC))
    return load_config(path, ProfileRegistry.load())


def test_parse() -> None:
    assert Shard.parse("1/3") == Shard(1, 3) and str(Shard.parse(" 0 / 2 ")) == "0/2"
    for bad, why in (("2/2", "from 0 to 1"), ("0/0", "at least 1"), ("1", "not K/N"),
                     ("-1/2", "not K/N"), ("a/b", "not K/N")):
        with pytest.raises(ValueError, match=why):
            Shard.parse(bad)


def test_the_split_is_crc32_and_the_same_in_every_process() -> None:
    # zlib.crc32 of the UTF-8 id: fixed values, unlike Python's per-process salted hash().
    assert [shard_of(d, 2) for d in ("pdu-r01-a", "pdu-r01-b", "pdu-r02-a", "pdu-r02-b",
                                     "ups-1", "incomer-1")] == [0, 0, 1, 1, 0, 1]
    assert [shard_of(d, 3) for d in ("pdu-r01-a", "pdu-r02-b", "incomer-1")] == [2, 0, 0]
    ids = [f"pdu-{i:04d}" for i in range(3000)]
    counts = [sum(1 for d in ids if shard_of(d, 3) == k) for k in range(3)]
    assert all(900 < c < 1100 for c in counts), counts  # an even share each


def test_a_shard_keeps_the_sites_and_its_own_state(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    parts = [Shard(k, 2).select(cfg) for k in range(2)]
    assert [[d.id for d in p.devices] for p in parts] == [
        ["ups-1", "pdu-r01-a", "pdu-r01-b"], ["incomer-1", "pdu-r02-a", "pdu-r02-b"]]
    for k, p in enumerate(parts):
        assert p.model.sites == cfg.model.sites  # topology, racks and policy whole
        assert p.model.state_dir == f"state/shard-{k}-of-2"
        assert p.file == cfg.file
    assert Shard(0, 1).select(cfg).devices == cfg.devices


def test_run_refuses_a_bad_shard(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(DOC))
    res = CliRunner().invoke(main, ["run", "--config", str(path), "--shard", "2/2"])
    assert res.exit_code == 2 and "from 0 to 1" in res.output


def test_service_and_reload_keep_to_the_shard(tmp_path: Path) -> None:
    """The running service polls the shard's devices; a reload that adds devices takes only
    the shard's; its state lives under state_dir/shard-K-of-N."""
    async def run() -> tuple[list[str], list[str], bool]:
        cfg = _config(tmp_path)
        svc = start_service(cfg, ProfileRegistry.load(), listen="127.0.0.1:0",
                            shard=Shard(1, 2))
        try:
            first = [d.id for d in svc.poller.config.devices]
            doc = yaml.safe_load((tmp_path / "site.yaml").read_text())
            doc["sites"][0]["devices"] += [{"id": "pdu-x1", "host": "127.0.0.1",
                                            "credential": "ro"},
                                           {"id": "pdu-x4", "host": "127.0.0.1",
                                            "credential": "ro"}]
            (tmp_path / "site.yaml").write_text(yaml.safe_dump(doc))
            assert svc.reloader is not None
            out = await svc.reloader.reload("test")
            assert out.ok, out.problems
            return first, [d.id for d in svc.poller.config.devices], svc.api is None
        finally:
            await stop_service(svc)

    first, after, no_api = asyncio.run(run())
    assert first == ["incomer-1", "pdu-r02-a", "pdu-r02-b"]
    assert sorted(after) == sorted([*first, "pdu-x4"])  # pdu-x1 is shard 0's
    assert no_api
    assert (tmp_path / "state" / "shard-1-of-2" / "dcmon.sqlite").is_file()
