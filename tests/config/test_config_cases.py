"""Config error cases kept as folders: tests/cases/config/<name>/{config.yaml, expected.txt}.

``expected.txt`` holds the exact problem lines ``dcmon check-config`` must print, with ``{file}``
for the config path and ``{profiles}`` for the comma-separated list of built-in profiles.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dcmon.app.cli import main
from dcmon.app.inventory import load_config
from dcmon.collectors.registry import ProfileRegistry
from dcmon.errors import ConfigError
from tests.support.paths import CASES

CASES = CASES / "config"
SECRETS = ("topsecret-auth-value", "supersecret-priv-key")


def _cases() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "expected.txt").exists())


@pytest.mark.parametrize("case", _cases())
def test_config_case(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = CASES / case
    cfg = folder / "config.yaml"
    known = ", ".join([*ProfileRegistry.load().names(), "auto"])
    expected = (folder / "expected.txt").read_text().replace("{file}", str(cfg)).replace(
        "{profiles}, auto", known).splitlines()
    for k in [k for k in os.environ if k.startswith("DCMON_TEST_UNSET")]:
        monkeypatch.delenv(k)
    # The real CLI, in-process (click's runner) so the suite stays fast.
    res = CliRunner().invoke(main, ["check-config", str(cfg)])
    assert res.exit_code == 1, res.output
    assert res.stdout.splitlines() == expected
    for secret in SECRETS:
        assert secret not in res.output


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    cfg = tmp_path / "many.yaml"
    cfg.write_text(
        "credentials: {ro: {version: '2c', community: x}}\n"
        "sites:\n"
        "  - id: s\n"
        "    devices:\n"
        "      - {id: d1, host: 127.0.0.1, credential: nope, profile: nope}\n"
        "      - {id: d1, host: 127.0.0.1, credential: ro}\n"
    )
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    keys = [p.key for p in err.value.problems]
    assert keys == ["sites.0.devices.0.profile", "sites.0.devices.0.credential",
                    "sites.0.devices.1.id"]


def test_secrets_from_env_and_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "priv.key").write_text("file-priv-secret\n")
    monkeypatch.setenv("DCMON_T_AUTH", "env-auth-secret")
    cfg = tmp_path / "ok.yaml"
    cfg.write_text(
        "credentials:\n"
        "  v3: {version: '3', user: ops, auth_protocol: SHA256, auth_key: {env: DCMON_T_AUTH},\n"
        "       priv_protocol: AES256, priv_key: {file: priv.key}}\n"
        "sites: [{id: s, devices: [{id: d1, host: pdu-1.example.net, credential: v3}]}]\n"
    )
    c = load_config(cfg)
    cred = c.credential("v3")  # read when a poll needs it
    assert cred.auth_key is not None and cred.auth_key.get_secret_value() == "env-auth-secret"
    assert cred.priv_key is not None and cred.priv_key.get_secret_value() == "file-priv-secret"
    for text in (repr(cred), str(c), repr(c.model)):
        assert "env-auth-secret" not in text and "file-priv-secret" not in text
    proc = subprocess.run([sys.executable, "-m", "dcmon", "check-config", str(cfg)],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "DCMON_T_AUTH": "env-auth-secret"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "authPriv SHA256/AES256" in proc.stdout
    assert "env-auth-secret" not in proc.stdout + proc.stderr
