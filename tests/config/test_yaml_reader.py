"""The one YAML reader (dcmon/config/yamlfile.py) on files a case folder cannot hold well.

Binary and wrongly encoded files are written here; every one must end as ``FILE: ...`` lines
from ``dcmon check-config`` (exit 1), never a traceback. The same reader loads the profiles, so
a profile with a duplicate key is refused with the profile's file and key.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from dcmon.app.cli import main
from dcmon.app.inventory import load_config
from dcmon.config.yamlfile import MAX_BYTES, MAX_NODES


def check(cfg: Path) -> list[str]:
    """``dcmon check-config`` in-process: the problem lines, after asserting exit 1."""
    res = CliRunner().invoke(main, ["check-config", str(cfg)])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    return res.stdout.splitlines()


@pytest.mark.parametrize(("data", "message"), [
    (b"sites: []\n\x00\x01\x02\xff\xfe", "a binary file, not YAML text (NUL byte at offset 10)"),
    (b"sites:\n  - id: dc1\n    name: Salle \xe9te\n",
     "not UTF-8 text: byte 0xe9 at line 3, column 17 (save the file as UTF-8)"),
    ("sites: []\n".encode("utf-16"), "UTF-16 text: save the file as UTF-8"),
    (b"sites: []\nstate_dir: a\x07b\n",
     "YAML error at line 2, column 13: character #x0007 is not allowed in YAML text"),
    (b"sites: []\n---\nsites: []\n",
     "a second YAML document starts at line 2: the file must hold one"),
])
def test_bytes_that_are_not_an_inventory(tmp_path: Path, data: bytes, message: str) -> None:
    cfg = tmp_path / "site.yaml"
    cfg.write_bytes(data)
    assert check(cfg) == [f"{cfg}: {message}"]


def test_utf8_with_a_byte_order_mark_is_text(tmp_path: Path) -> None:
    cfg = tmp_path / "site.yaml"
    cfg.write_bytes("\ufeffsites: [{id: dc1, name: 机房 A}]\n".encode())
    assert load_config(cfg).model.sites[0].name == "机房 A"


def test_a_file_over_the_size_limit_is_not_parsed(tmp_path: Path) -> None:
    cfg = tmp_path / "site.yaml"
    cfg.write_bytes(b"#" * MAX_BYTES + b"\n")
    assert check(cfg) == [f"{cfg}: the file is larger than 16 MiB: not an inventory or profile"]


def test_a_missing_file(tmp_path: Path) -> None:
    assert check(tmp_path / "absent.yaml") == [
        f"{tmp_path / 'absent.yaml'}: cannot read: No such file or directory"]


def test_aliases_that_expand_without_bound_are_refused_quickly(tmp_path: Path) -> None:
    """Nine levels of ten aliases each: 10**9 values once expanded ("billion laughs")."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    cfg = tmp_path / "site.yaml"
    cfg.write_text("\n".join(lines) + "\n")
    t0 = time.monotonic()
    assert check(cfg) == [f"{cfg}: the document grows past {MAX_NODES:,} values once its "
                          "aliases are expanded"]
    assert time.monotonic() - t0 < 20


def test_merge_keys_may_override_what_they_merge(tmp_path: Path) -> None:
    """``<<: *pdu`` then a key of ``pdu`` is an override, not a duplicate key."""
    cfg = tmp_path / "site.yaml"
    cfg.write_text(
        "credentials: {ro: {version: '2c', community: public}}\n"
        "sites:\n"
        "  - id: dc1\n"
        "    devices:\n"
        "      - &pdu {id: pdu1, host: 10.0.0.1, credential: ro, port: 1161, interval: 60}\n"
        "      - {<<: *pdu, id: pdu2, host: 10.0.0.2, interval: 30}\n")
    pdu1, pdu2 = load_config(cfg).devices
    assert (pdu2.id, pdu2.host, pdu2.port, pdu2.interval, pdu2.credential) == (
        "pdu2", "10.0.0.2", 1161, 30.0, "ro")
    assert (pdu1.id, pdu1.interval) == ("pdu1", 60.0)


def test_keys_equal_only_when_their_values_are(tmp_path: Path) -> None:
    """``1`` and ``'1'`` are two keys; ``id`` and ``"id"`` are one."""
    cfg = tmp_path / "site.yaml"
    cfg.write_text("credentials: {ro: {version: '2c', community: public}}\n"
                   "sites:\n"
                   "  - {id: dc1, \"id\": dc2}\n")
    assert check(cfg) == [f"{cfg}: sites.0.id: duplicate key at line 3 (first at line 3); "
                          "YAML would keep only the last"]


def test_numbers_written_as_strings_are_still_numbers(tmp_path: Path) -> None:
    cfg = tmp_path / "site.yaml"
    cfg.write_text("credentials: {ro: {version: '2c', community: public}}\n"
                   "poll: {interval: '45', retries: '2'}\n"
                   "sites: [{id: dc1, devices: [{id: u1, host: 10.0.0.1, port: '1161', "
                   "credential: ro, outlets: true}]}]\n")
    c = load_config(cfg)
    (dev,) = c.devices
    assert (dev.port, dev.interval, dev.retries, dev.outlets) == (1161, 45.0, 2, True)


def test_only_safe_tags(tmp_path: Path) -> None:
    cfg = tmp_path / "site.yaml"
    cfg.write_text("sites: []\nstate_dir: !!python/object/apply:os.getcwd []\n")
    assert check(cfg) == [
        f"{cfg}: YAML error at line 2, column 12: could not determine a constructor for the "
        "tag 'tag:yaml.org,2002:python/object/apply:os.getcwd'"]


def test_a_profile_with_a_duplicate_key_names_the_profile(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    profile = profiles / "my_meter.yaml"
    profile.write_text("name: my_meter\n"
                       "protocol: modbus\n"
                       "description: a meter\n"
                       "description: the same meter\n"
                       "fields: []\n")
    cfg = tmp_path / "site.yaml"
    cfg.write_text("profile_dirs: [profiles]\nsites: []\n")
    assert check(cfg) == [f"{profile}: description: duplicate key at line 4 (first at line 3); "
                          "YAML would keep only the last"]


def test_a_binary_profile_names_the_profile(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "blob.yaml").write_bytes(b"\x89PNG\r\n\x1a\n")
    cfg = tmp_path / "site.yaml"
    cfg.write_text("profile_dirs: [profiles]\nsites: []\n")
    assert check(cfg) == [f"{profiles / 'blob.yaml'}: not UTF-8 text: byte 0x89 at line 1, "
                          "column 1 (save the file as UTF-8)"]
