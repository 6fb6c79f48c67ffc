"""SNMPv3 authPriv against a real agent (snmpsim), including wrong keys and unknown users.

The v3 context name selects the recording (snmpsim maps contexts to data files). Wrong keys
must give an error that says it is SNMPv3 authentication, names the user and the protocols,
and never contains a key.
"""

from __future__ import annotations

import asyncio

import pytest

from dcmon.collectors.snmp.api import SnmpError, SnmpTarget, VarBind
from dcmon.collectors.snmp.client import PysnmpClient
from tests.support.snmpsim import TEST_V3_USERS, SnmpSim

POWER_OID = "1.3.6.1.4.1.318.1.1.26.4.3.1.5.1"  # apc_ap8959eu3 rPDU2DeviceStatusPower: 27
PRIV = {"AES": "AES", "AES256BLMT": "AES256"}  # snmpsim names -> dcmon names


def _target(sim: SnmpSim, u: dict[str, str], **over: str) -> SnmpTarget:
    user = u
    fields = {
        "user": user["user"], "auth_protocol": user["auth_proto"], "auth_key": user["auth_key"],
        "priv_protocol": PRIV[user["priv_proto"]], "priv_key": user["priv_key"],
    }
    fields.update(over)
    return SnmpTarget(sim.host, sim.port, "3", context="apc_ap8959eu3", timeout=1.0, retries=0,
                      **fields)  # type: ignore[arg-type]


def _get(target: SnmpTarget) -> list[VarBind]:
    async def go() -> list[VarBind]:
        client = PysnmpClient()
        try:
            return await client.get(target, [POWER_OID])
        finally:
            await client.close()

    return asyncio.run(go())


@pytest.mark.parametrize("user", TEST_V3_USERS, ids=lambda u: u["user"])
def test_authpriv_reads(snmpsim_librenms: SnmpSim, user: dict[str, str]) -> None:
    vbs = _get(_target(snmpsim_librenms, user))
    assert [(vb.oid, vb.value) for vb in vbs] == [(POWER_OID, 27)]


def test_wrong_auth_key_is_a_clear_auth_error(snmpsim_librenms: SnmpSim) -> None:
    user = TEST_V3_USERS[0]
    with pytest.raises(SnmpError) as err:
        _get(_target(snmpsim_librenms, user, auth_key="not-the-auth-key"))
    assert err.value.reason == "auth"
    msg = err.value.message
    assert "SNMPv3" in msg and user["user"] in msg and "SHA" in msg
    assert "not-the-auth-key" not in msg and user["priv_key"] not in msg


def test_unknown_user_is_an_auth_error(snmpsim_librenms: SnmpSim) -> None:
    with pytest.raises(SnmpError) as err:
        _get(_target(snmpsim_librenms, TEST_V3_USERS[0], user="nobody-here"))
    assert err.value.reason == "auth"
    assert "nobody-here" in err.value.message


def test_wrong_priv_key_names_privacy(snmpsim_librenms: SnmpSim) -> None:
    user = TEST_V3_USERS[1]
    with pytest.raises(SnmpError) as err:
        _get(_target(snmpsim_librenms, user, priv_key="not-the-priv-key"))
    # The agent cannot decrypt the request and stays silent: the message must point at priv.
    assert err.value.reason in ("timeout", "auth")
    assert "priv" in err.value.message.lower()
    assert "not-the-priv-key" not in err.value.message
