"""Checks of the LibreNMS reference harness: expectations, snmprec parsing and snmpsim (v2c, v3).

Needs ``<repo>/../shared/devices/librenms`` (or ``$DCMON_SHARED_DIR``); skips without it. The
snmpsim tests skip when snmpsim / net-snmp are not installed, and fail instead under CI=true.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

import pytest

from tests.support import librenms
from tests.support.coverage import Score, score
from tests.support.snmpsim import TEST_V3_USERS, SnmpSim, require_tool

FIVE = ("apc_ap8959eu3", "apc_smt750x-nmc2", "raritan-pdu_px2", "sentry4", "generex-ups_cs141")
CORE_CLASSES = ("power", "current", "voltage", "frequency", "temperature", "power_consumed")

# README example: apc_ap8959eu3 rPDU2DeviceStatusPower raw 27 (x10 = 270 W).
APC_POWER_OID = "1.3.6.1.4.1.318.1.1.26.4.3.1.5.1"

# net-snmp's messages for a wrong auth key and a wrong priv key (snmpget stderr).
AUTH_FAILURE = "Authentication failure (incorrect password, community or key)"
DECRYPTION_ERROR = "Decryption error"


def snmpget(*args: str) -> subprocess.CompletedProcess[str]:
    """Run net-snmp ``snmpget`` (short timeout, no retries) and capture its output."""
    exe = require_tool("snmpget")
    return subprocess.run(
        [exe, "-On", "-t", "1", "-r", "0", *args],
        capture_output=True,
        text=True,
        timeout=15,
        check=False,
    )


def v3_args(user: dict[str, str], **override: str) -> list[str]:
    """Return net-snmp authPriv options for a ``TEST_V3_USERS`` entry (keys overridable)."""
    auth = {"SHA": "SHA", "SHA256": "SHA-256"}[user["auth_proto"]]
    # snmpsim AES256BLMT (Blumenthal) is net-snmp's AES-256; snmpsim AES256 is net-snmp AES256C.
    priv = {"AES": "AES", "AES256BLMT": "AES-256"}[user["priv_proto"]]
    return [
        "-v3", "-l", "authPriv", "-u", user["user"],
        "-a", auth, "-A", override.get("auth_key", user["auth_key"]),
        "-x", priv, "-X", override.get("priv_key", user["priv_key"]),
    ]  # fmt: skip


@pytest.mark.parametrize("name", FIVE)
def test_expectations_load(librenms_dir: Path, name: str) -> None:
    """The five reference devices list core energy sensors with values and numeric OIDs."""
    assert name in librenms.recordings()
    sensors = [s for s in librenms.expected_sensors(name) if s.sensor_class in CORE_CLASSES]
    assert sensors, f"{name}: no {CORE_CLASSES} sensors"
    for s in sensors:
        assert s.recording == name
        assert s.oid and not s.oid.startswith(".") and all(p.isdigit() for p in s.oid.split("."))
        assert s.descr and s.index
        assert isinstance(s.value, float)
        assert librenms.raw_value(name, s.oid) is not None, f"{name} {s.oid} not recorded"
        assert librenms.derivable(s), f"{name} {s}"
    counts = Counter(s.sensor_class for s in sensors)
    print(f"{name}: {len(sensors)} sensors {dict(sorted(counts.items()))}")


def test_readme_examples(librenms_dir: Path) -> None:
    """The README's worked examples come out of expected_sensors and derive()."""
    by_oid = {s.oid: s for s in librenms.expected_sensors("apc_ap8959eu3")}
    power = by_oid[APC_POWER_OID]
    assert (power.sensor_class, power.multiplier, power.value) == ("power", 10.0, 270.0)
    assert librenms.raw_value("apc_ap8959eu3", "." + APC_POWER_OID) == "27"
    energy = [s for s in by_oid.values() if s.sensor_class == "power_consumed"]
    assert [s.value for s in energy] == [1967.7]
    # Poller value, not the undivided discovery value (214 in discovery).
    temps = {s.value for s in librenms.expected_sensors("apc_uniflair-sp")}
    assert 21.4 in temps and 214.0 not in temps
    freq = [s for s in librenms.expected_sensors("generex-ups_cs141")
            if s.sensor_class == "frequency" and s.type == "rfc1628"]  # fmt: skip
    assert 50.0 in {s.value for s in freq}


def test_exclusions_and_derivation(librenms_dir: Path) -> None:
    """State, dateToRuntime and the 3 unscorable sensors are out; all the rest derive (README)."""
    total = derived = 0
    for name in librenms.recordings():
        for s in librenms.expected_sensors(name):
            assert s.sensor_class != "state" and s.user_func != "dateToRuntime"
            assert (name, s.index) not in librenms.UNSCORABLE
            total += 1
            derived += librenms.derivable(s)
    # README: "1136 non-state sensors could be read back over snmpsim and matched the rule".
    assert (total, derived) == (1136, 1136)
    assert librenms.raw_value("hpe-mapdu_pdu2", "1.2.3.4.5.6.7.8.9") is None
    # derive() corner cases from the README.
    assert librenms.derive("-32768", 10, 0, None) == 0.0
    assert librenms.derive("2.3", 0, 0, "string_to_float") == 2.3
    assert librenms.derive("-4", 0, 0, None) == -4.0
    assert librenms.derive("212", 0, 0, "fahrenheit_to_celsius") == 100.0


def test_snmprec_decoding(librenms_dir: Path) -> None:
    """``4x`` hex strings decode to text ("2.3" on ict-mps) and 64x to dotted IP addresses."""
    assert librenms.raw_tag("ict-mps", "1.3.6.1.4.1.39145.13.8.0") == "4x"
    assert librenms.raw_value("ict-mps", "1.3.6.1.4.1.39145.13.8.0") == "2.3"
    assert librenms.raw_tag("eltek-webpower", "1.3.6.1.2.1.3.1.1.3.1.10.0.8.6") == "64x"
    assert librenms.raw_value("eltek-webpower", "1.3.6.1.2.1.3.1.1.3.1.10.0.8.6") == "10.0.8.6"
    # No `e` records in this set: check the decoder directly.
    assert librenms.decode_value("4e", r"a\x00b\n") == "a\x00b\n"
    assert librenms.decode_value("66", "123") == "123"


def test_snmpsim_v2c_readme_example(snmpsim_librenms: SnmpSim) -> None:
    """snmpget -v2c -c apc_ap8959eu3 gives INTEGER: 27 (README example)."""
    out = snmpget("-v2c", "-c", "apc_ap8959eu3", snmpsim_librenms.endpoint, "." + APC_POWER_OID)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f".{APC_POWER_OID} = INTEGER: 27"
    print(f"snmpsim {snmpsim_librenms.endpoint} ready in {snmpsim_librenms.startup_seconds:.2f} s")


def test_snmpsim_unknown_community_times_out(snmpsim_librenms: SnmpSim) -> None:
    """An unknown community gets no reply at all."""
    out = snmpget("-v2c", "-c", "no-such-device", snmpsim_librenms.endpoint, "." + APC_POWER_OID)
    assert out.returncode != 0
    assert "Timeout" in out.stdout + out.stderr


@pytest.mark.parametrize("user", TEST_V3_USERS, ids=lambda u: u["user"])
def test_snmpsim_v3_authpriv(snmpsim_librenms: SnmpSim, user: dict[str, str]) -> None:
    """A v3 authPriv GET selects the recording by context name (-n) and returns 27."""
    ep = snmpsim_librenms.endpoint
    out = snmpget(*v3_args(user), "-n", "apc_ap8959eu3", ep, "." + APC_POWER_OID)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f".{APC_POWER_OID} = INTEGER: 27"


def test_snmpsim_v3_wrong_keys_fail(snmpsim_librenms: SnmpSim) -> None:
    """Wrong auth key -> authentication failure; wrong priv key -> decryption error."""
    user = TEST_V3_USERS[0]
    ep = snmpsim_librenms.endpoint
    oid = "." + APC_POWER_OID
    bad_auth = snmpget(*v3_args(user, auth_key="wrong-auth-key"), "-n", "apc_ap8959eu3", ep, oid)
    assert bad_auth.returncode != 0 and "INTEGER" not in bad_auth.stdout
    assert AUTH_FAILURE in bad_auth.stderr, bad_auth.stderr
    bad_priv = snmpget(*v3_args(user, priv_key="wrong-priv-key"), "-n", "apc_ap8959eu3", ep, oid)
    assert bad_priv.returncode != 0 and "INTEGER" not in bad_priv.stdout
    assert DECRYPTION_ERROR in bad_priv.stderr, bad_priv.stderr
    print(f"wrong auth: {bad_auth.stderr.strip()!r}; wrong priv: {bad_priv.stderr.strip()!r}")


def test_score_counts_true_units_apart(librenms_dir: Path) -> None:
    """LibreNMS files the Gude 1202's apparent power (VA) and the Janitza UMG 96's reactive
    energy (kvarh) as power and energy: read at the same OID with the same value in VA or varh
    they are right in their true unit; another value is wrong; the class's own unit (J) stays
    plain right."""

    def one(rec: str, oid: str, value: float, unit: str) -> Score:
        return score(rec, [{"metric": "x", "value": value, "unit": unit, "source": {"oid": oid}}])

    va = "1.3.6.1.4.1.28507.43.1.5.1.2.1.10.1"  # epc1202PowerApparent, LibreNMS 38 "power"
    assert one("gude-epc_1202", va, 38.0, "VA").true_unit == {"power": 1}
    wrong = one("gude-epc_1202", va, 39.0, "VA")
    assert wrong.wrong == {"power": 1} and not wrong.true_unit
    assert any(f"WRONG power {va}" in d for d in wrong.details)
    kvarh = "1.3.6.1.4.1.34278.4.2.0"  # qh3, LibreNMS -6383.7 "power_consumed"
    good = one("janitza-umg96_umg96", kvarh, -6383700.0, "varh")
    assert good.true_unit == {"power_consumed": 1} and good.right_in("power_consumed") == 1
    assert good.n_right == 1 and good.scorable == 27  # every other sensor of the recording: missed
    plain = one("janitza-umg96_umg96", kvarh, -6383.7 * 3.6e6, "J")
    assert plain.right == {"power_consumed": 1} and plain.n_true_unit == 0
