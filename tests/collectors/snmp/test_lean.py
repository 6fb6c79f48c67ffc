"""The lean SNMP stack: BER codec, LeanSnmpClient and SnmpAgent, checked against pysnmp.

pysnmp is the reference: it reads the same agent and the lean client must return the same values,
value for value. Everything runs on 127.0.0.1 with short timeouts so the file stays fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import FrozenInstanceError
from typing import Any

import pytest
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    bulk_walk_cmd,
    get_cmd,
)

from dcmon.collectors.snmp import ber
from dcmon.collectors.snmp.api import SnmpError, SnmpTarget, VarBind
from dcmon.collectors.snmp.lean import LeanSnmpClient
from dcmon.sim.agent import OidStore, SnmpAgent

ENT = "1.3.6.1.4.1.99999"
SCALARS: dict[str, tuple[str, ber.Value]] = {
    "1.3.6.1.2.1.1.1.0": ("OctetString", "dcmon test PDU ⚡".encode()),
    "1.3.6.1.2.1.1.2.0": ("ObjectIdentifier", "1.3.6.1.4.1.318.1.3.4.5"),
    "1.3.6.1.2.1.1.3.0": ("TimeTicks", 4294967295),
    f"{ENT}.1.1.0": ("Integer32", -(2**31)),
    f"{ENT}.1.2.0": ("Integer32", -1),
    f"{ENT}.1.3.0": ("Integer32", 2**31 - 1),
    f"{ENT}.1.4.0": ("Counter64", 2**64 - 1),
    f"{ENT}.1.5.0": ("Counter64", 2**32 + 17),
    f"{ENT}.1.6.0": ("Counter32", 4294967295),
    f"{ENT}.1.7.0": ("Gauge32", 230),
    f"{ENT}.1.8.0": ("IpAddress", "192.168.10.254"),
    f"{ENT}.1.9.0": ("OctetString", b""),
    f"{ENT}.1.10.0": ("OctetString", bytes(range(256)) + b"x" * 44),  # long-form length
    f"{ENT}.1.11.0": ("Opaque", b"\x9f\x78\x04\x42\xf6\x00\x00"),
    f"{ENT}.1.12.0": ("Integer32", 0),
}
MISSING = [f"{ENT}.1.99.0", f"{ENT}.1.3.1"]  # noSuchObject, noSuchInstance
ROWS = 500
TABLE = f"{ENT}.2.1"


def table_values() -> dict[str, tuple[str, ber.Value]]:
    """A 500-row table: negative integers, Counter64 above 2**32, strings."""
    values: dict[str, tuple[str, ber.Value]] = {}
    for row in range(1, ROWS + 1):
        values[f"{TABLE}.2.{row}"] = ("Integer32", row * 10 - 2500)
        values[f"{TABLE}.3.{row}"] = ("Counter64", row * 2**33 + row)
        values[f"{TABLE}.4.{row}"] = ("OctetString", f"outlet-{row}".encode())
    return values


def make_store() -> OidStore:
    return OidStore({**SCALARS, **table_values()})


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


@contextlib.asynccontextmanager
async def serving(
    store: OidStore | None = None, **target: Any
) -> AsyncIterator[tuple[SnmpAgent, LeanSnmpClient, SnmpTarget]]:
    """An agent with the standard store, a lean client, and a target pointing at the agent."""
    agent = SnmpAgent({"public": store or make_store()})
    port = await agent.start()
    client = LeanSnmpClient()
    options: dict[str, Any] = {"timeout": 0.5, "retries": 0, **target}
    try:
        yield agent, client, SnmpTarget("127.0.0.1", port, **options)
    finally:
        await client.close()
        await agent.stop()


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- codec ------------------------------------------------------------------------------------


def test_codec_matches_textbook_bytes() -> None:
    """The classic v1 GetRequest for sysDescr.0, byte for byte (RFC 1157 layout)."""
    expected = bytes.fromhex(
        "302602010004067075626c6963a019020101020100020100300e300c06082b060102010101000500"
    )
    assert ber.encode_request(0, b"public", ber.GET_REQUEST, 1, ["1.3.6.1.2.1.1.1.0"]) == expected
    message = ber.decode_message(expected)
    assert (message.version, message.community, message.pdu_type) == (0, b"public", 0xA0)
    assert message.request_id == 1
    assert message.varbinds == [VarBind("1.3.6.1.2.1.1.1.0", "Null", None)]


@pytest.mark.parametrize(
    ("tag", "value", "wire"),
    [
        ("Integer32", 0, "020100"),
        ("Integer32", 127, "02017f"),
        ("Integer32", 128, "02020080"),
        ("Integer32", -128, "020180"),
        ("Integer32", -129, "0202ff7f"),
        ("Integer32", -(2**31), "020480000000"),
        ("Counter32", 4294967295, "410500ffffffff"),
        ("Gauge32", 0, "420100"),
        ("TimeTicks", 256, "43020100"),
        ("Counter64", 2**64 - 1, "460900ffffffffffffffff"),
        ("IpAddress", "10.0.255.1", "40040a00ff01"),
        ("ObjectIdentifier", "1.3.6.1.4.1.4294967295", "060a2b060104018fffffff7f"),
        ("ObjectIdentifier", "2.999.3", "0603883703"),
        ("OctetString", b"ab", "04026162"),
        ("Null", None, "0500"),
        ("noSuchObject", None, "8000"),
        ("noSuchInstance", None, "8100"),
        ("endOfMibView", None, "8200"),
    ],
)
def test_codec_value_encodings(tag: str, value: ber.Value, wire: str) -> None:
    assert ber.encode_value(tag, value).hex() == wire
    message = ber.decode_message(ber.encode_response(1, b"c", 7, 0, 0, [("1.3.6.1", tag, value)]))
    assert message.varbinds == [VarBind("1.3.6.1", tag, value)]


def test_codec_roundtrip_messages() -> None:
    varbinds = [(oid, tag, value) for oid, (tag, value) in SCALARS.items()]
    varbinds.append((f"{ENT}.9", "endOfMibView", None))
    data = ber.encode_response(1, b"s3cret", 2**31 - 1, 5, 3, varbinds)
    message = ber.decode_message(data)
    assert (message.version, message.community, message.pdu_type) == (1, b"s3cret", 0xA2)
    assert (message.request_id, message.error_status, message.error_index) == (2**31 - 1, 5, 3)
    assert [(vb.oid, vb.tag, vb.value) for vb in message.varbinds] == varbinds

    bulk = ber.encode_request(1, b"public", ber.GET_BULK_REQUEST, -5, ["1.3.6", "1.3.7"], 1, 40)
    message = ber.decode_message(bulk)
    assert (message.pdu_type, message.request_id) == (0xA5, -5)
    assert (message.non_repeaters, message.max_repetitions) == (1, 40)
    assert [vb.oid for vb in message.varbinds] == ["1.3.6", "1.3.7"]

    set_request = ber.encode_message(
        0, b"private", ber.SET_REQUEST, 9, 0, 0, ber.encode_varbind("1.3.6.1.2", "Gauge32", 12)
    )
    assert ber.decode_message(set_request).varbinds == [VarBind("1.3.6.1.2", "Gauge32", 12)]


def test_codec_decoded_varbinds_are_real_varbinds() -> None:
    """Decoding builds VarBinds without their __init__; they must still be the genuine article."""
    data = ber.encode_response(1, b"c", 1, 0, 0, [("1.3.6.1.2", "Counter64", 2**40)])
    (vb,) = ber.decode_message(data).varbinds
    assert type(vb) is VarBind
    assert vb == VarBind("1.3.6.1.2", "Counter64", 2**40)
    assert hash(vb) == hash(VarBind("1.3.6.1.2", "Counter64", 2**40))
    with pytest.raises(FrozenInstanceError):
        vb.value = 1  # type: ignore[misc]


def test_codec_leniency_and_refusals() -> None:
    # A Counter32 sent as four 0xFF bytes (no leading zero) still reads as 4294967295.
    varbind = b"\x30\x0b" + ber.encode_oid("1.3.6.1") + b"\x41\x04\xff\xff\xff\xff"
    lenient = ber.encode_message(1, b"c", ber.RESPONSE, 1, 0, 0, varbind)
    assert ber.decode_message(lenient).varbinds == [VarBind("1.3.6.1", "Counter32", 4294967295)]
    refused: list[tuple[str, ber.Value]] = [
        ("Integer32", 2**31),
        ("Counter32", -1),
        ("Counter64", 2**64),
        ("IpAddress", "300.1.1.1"),
        ("OctetString", 5),
        ("Bogus", 1),
    ]
    for tag, value in refused:
        with pytest.raises(ber.BerError):
            ber.encode_value(tag, value)
    for oid in ["1", "1.3.x", " 1.3", "1._3", "3.1", "1.40", ""]:
        with pytest.raises(ber.BerError):
            ber.encode_oid(oid)
    with pytest.raises(ber.BerError, match="version"):  # an SNMPv3 header
        ber.decode_message(b"\x30\x03\x02\x01\x03")


def test_codec_fuzz_raises_only_ber_error() -> None:
    rng = random.Random(20240611)
    samples = [
        ber.encode_response(1, b"public", 77, 0, 0, [(o, t, v) for o, (t, v) in SCALARS.items()]),
        ber.encode_request(0, b"x", ber.GET_BULK_REQUEST, 3, [f"{ENT}.1", "1.3.6.1.2.1.2"], 1, 9),
    ]
    decoded = 0

    def attempt(data: bytes) -> None:
        nonlocal decoded
        try:
            ber.decode_message(data)
            decoded += 1
        except ber.BerError:
            pass

    for sample in samples:
        for cut in range(len(sample)):
            attempt(sample[:cut])
    for _ in range(4000):
        attempt(bytes(rng.randrange(256) for _ in range(rng.randrange(80))))
        attempt(b"\x30" + bytes(rng.randrange(256) for _ in range(rng.randrange(80))))
    for _ in range(15000):
        mutated = bytearray(rng.choice(samples))
        for _ in range(rng.randint(1, 4)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        attempt(bytes(mutated))
    assert decoded > 0  # some mutations only change values; those must still decode


# --- agent ------------------------------------------------------------------------------------


def test_agent_getbulk_honours_non_repeaters_and_repetitions() -> None:
    agent = SnmpAgent({"public": make_store()})
    oids = ["1.3.6.1.2.1.1.2.0", f"{TABLE}.2", f"{TABLE}.4"]
    request = ber.encode_request(1, b"public", ber.GET_BULK_REQUEST, 5, oids, 1, 3)
    reply = agent.handle(request)
    assert reply is not None
    message = ber.decode_message(reply)
    assert [(vb.oid, vb.value) for vb in message.varbinds] == [
        ("1.3.6.1.2.1.1.3.0", 4294967295),
        (f"{TABLE}.2.1", -2490),
        (f"{TABLE}.4.1", b"outlet-1"),
        (f"{TABLE}.2.2", -2480),
        (f"{TABLE}.4.2", b"outlet-2"),
        (f"{TABLE}.2.3", -2470),
        (f"{TABLE}.4.3", b"outlet-3"),
    ]
    # Near the end of the view: one row, then every repeater is endOfMibView and the agent stops.
    last = f"{TABLE}.4.{ROWS - 1}"
    request = ber.encode_request(1, b"public", ber.GET_BULK_REQUEST, 6, [last], 0, 10)
    reply = agent.handle(request)
    assert reply is not None
    assert ber.decode_message(reply).varbinds == [
        VarBind(f"{TABLE}.4.{ROWS}", "OctetString", f"outlet-{ROWS}".encode()),
        VarBind(f"{TABLE}.4.{ROWS}", "endOfMibView", None),  # the column's last OID repeats
    ]
    assert agent.handle(ber.encode_request(1, b"nope", ber.GET_REQUEST, 7, [last])) is None


def test_agent_store_updates_and_getters() -> None:
    readings = iter(range(100, 200))
    store = OidStore({f"{ENT}.3.1.0": ("Gauge32", 1)})
    store.set(f"{ENT}.3.2.0", "Counter64", lambda: ("Counter64", next(readings)))
    store.update({f"{ENT}.3.0.5": ("Integer32", -7)})
    assert [key for key, _, _ in store.items()] == [
        (1, 3, 6, 1, 4, 1, 99999, 3, 0, 5),
        (1, 3, 6, 1, 4, 1, 99999, 3, 1, 0),
        (1, 3, 6, 1, 4, 1, 99999, 3, 2, 0),
    ]
    with pytest.raises(ValueError, match="Integer32"):
        store.set(f"{ENT}.3.3.0", "Integer32", 2**40)

    async def scenario() -> None:
        async with serving(store) as (_, client, target):
            oids = [f"{ENT}.3.2.0", f"{ENT}.3.1.0"]
            assert [vb.value for vb in await client.get(target, oids)] == [100, 1]
            store.set(f"{ENT}.3.1.0", "Gauge32", 2)
            assert [vb.value for vb in await client.get(target, oids)] == [101, 2]
            store.remove(f"{ENT}.3.1.0")
            assert (await client.get(target, oids))[1].tag == "noSuchObject"
            walked = await client.walk(target, f"{ENT}.3")
            assert [(vb.oid, vb.value) for vb in walked] == [
                (f"{ENT}.3.0.5", -7),
                (f"{ENT}.3.2.0", 103),
            ]

    run(scenario)


# --- lean client against the agent, and against pysnmp ------------------------------------------


def pysnmp_varbind(name: Any, value: Any) -> VarBind:
    """A pysnmp (ObjectName, value) as a VarBind, to compare value for value."""
    kind = type(value).__name__
    tag = {
        "Integer": "Integer32",
        "Unsigned32": "Gauge32",
        "NoSuchObject": "noSuchObject",
        "NoSuchInstance": "noSuchInstance",
        "EndOfMibView": "endOfMibView",
    }.get(kind, kind)
    converted: ber.Value
    if tag in ("OctetString", "Opaque"):
        converted = value.asOctets()
    elif tag == "IpAddress":
        converted = ".".join(map(str, value.asNumbers()))
    elif tag == "ObjectIdentifier":
        converted = str(value)
    elif tag in ("Null", "noSuchObject", "noSuchInstance", "endOfMibView"):
        converted = None
    else:
        converted = int(value)
    return VarBind(str(name), tag, converted)


async def pysnmp_get(
    engine: SnmpEngine, port: int, oids: list[str], mp_model: int = 1
) -> list[VarBind]:
    transport = await UdpTransportTarget.create(("127.0.0.1", port), timeout=1, retries=0)
    error, status, _, varbinds = await get_cmd(
        engine,
        CommunityData("public", mpModel=mp_model),
        transport,
        ContextData(),
        *[ObjectType(ObjectIdentity(oid)) for oid in oids],
        lookupMib=False,
    )
    assert error is None and int(status) == 0
    return [pysnmp_varbind(name, value) for name, value in varbinds]


async def pysnmp_walk(engine: SnmpEngine, port: int, base: str) -> list[VarBind]:
    transport = await UdpTransportTarget.create(("127.0.0.1", port), timeout=1, retries=0)
    found: list[VarBind] = []
    async for error, status, _, varbinds in bulk_walk_cmd(
        engine,
        CommunityData("public"),
        transport,
        ContextData(),
        0,
        25,
        ObjectType(ObjectIdentity(base)),
        lookupMib=False,
        lexicographicMode=False,
    ):
        assert error is None and int(status) == 0
        found.extend(pysnmp_varbind(name, value) for name, value in varbinds)
    return found


def test_lean_client_matches_pysnmp() -> None:
    async def scenario() -> None:
        async with serving() as (agent, client, target):
            engine = SnmpEngine()
            try:
                oids = [*SCALARS, *MISSING]
                lean = await client.get(target, oids)
                assert lean == await pysnmp_get(engine, agent.port, oids)
                assert [(vb.tag, vb.value) for vb in lean[: len(SCALARS)]] == list(SCALARS.values())
                assert [vb.tag for vb in lean[len(SCALARS) :]] == ["noSuchObject", "noSuchInstance"]

                for base in [f"{ENT}.1", f"{TABLE}.3"]:
                    assert await client.walk(target, base) == await pysnmp_walk(
                        engine, agent.port, base
                    )

                v1_oids = [oid for oid, (tag, _) in SCALARS.items() if tag != "Counter64"]
                v1 = SnmpTarget("127.0.0.1", agent.port, version="1", timeout=0.5, retries=0)
                assert await client.get(v1, v1_oids) == await pysnmp_get(
                    engine, agent.port, v1_oids, mp_model=0
                )
            finally:
                engine.close_dispatcher()

    run(scenario)


def test_walk_500_rows_in_order() -> None:
    async def scenario() -> None:
        async with serving(max_repetitions=25) as (agent, client, target):
            walked = await client.walk(target, f"{TABLE}.2")
            assert [vb.oid for vb in walked] == [f"{TABLE}.2.{row}" for row in range(1, ROWS + 1)]
            assert [vb.value for vb in walked] == [row * 10 - 2500 for row in range(1, ROWS + 1)]
            assert {vb.tag for vb in walked} == {"Integer32"}
            assert agent.received == ROWS // 25 + 1  # 20 full GetBulks + the one leaving the column

            counters = await client.walk(target, f"{TABLE}.3")
            assert counters[-1] == VarBind(f"{TABLE}.3.{ROWS}", "Counter64", ROWS * 2**33 + ROWS)
            assert all(vb.value > 2**32 for vb in counters)  # type: ignore[operator]

    run(scenario)


def test_get_splits_at_60_oids_and_keeps_order() -> None:
    async def scenario() -> None:
        async with serving() as (agent, client, target):
            oids = [f"{TABLE}.3.{row}" for row in range(150, 0, -1)]
            got = await client.get(target, oids)
            assert [vb.oid for vb in got] == oids
            assert [vb.value for vb in got] == [row * 2**33 + row for row in range(150, 0, -1)]
            assert agent.received == 3  # 60 + 60 + 30
            dotted = await client.get(target, [f".{TABLE}.4.7"])  # leading dot is accepted
            assert dotted == [VarBind(f"{TABLE}.4.7", "OctetString", b"outlet-7")]

    run(scenario)


def test_v1_missing_oid_becomes_no_such_object() -> None:
    async def scenario() -> None:
        async with serving(version="1") as (agent, client, target):
            oids = [f"{ENT}.1.2.0", f"{ENT}.1.99.0", f"{ENT}.1.7.0", f"{ENT}.1.5.0"]
            assert await client.get(target, oids) == [
                VarBind(f"{ENT}.1.2.0", "Integer32", -1),
                VarBind(f"{ENT}.1.99.0", "noSuchObject", None),
                VarBind(f"{ENT}.1.7.0", "Gauge32", 230),
                # v1 cannot carry Counter64, so the agent says noSuchName (RFC 2576)
                VarBind(f"{ENT}.1.5.0", "noSuchObject", None),
            ]
            assert agent.received == 3  # the full PDU, then without each missing OID
            walked = await client.walk(target, f"{ENT}.1")  # GetNext, skipping Counter64
            assert [vb.oid for vb in walked] == [
                oid
                for oid, (tag, _) in SCALARS.items()
                if oid.startswith(ENT) and tag != "Counter64"
            ]

    run(scenario)


def test_timeout_on_closed_port() -> None:
    async def scenario() -> None:
        client = LeanSnmpClient()
        target = SnmpTarget("127.0.0.1", free_udp_port(), timeout=0.2, retries=1)
        started = time.monotonic()
        try:
            with pytest.raises(SnmpError) as caught:
                await client.get(target, ["1.3.6.1.2.1.1.1.0"])
        finally:
            await client.close()
        assert caught.value.reason == "timeout"
        assert str(caught.value) == (
            f"no reply from 127.0.0.1:{target.port} after 2 tries (0.2s each)"
        )
        assert 0.35 < time.monotonic() - started < 1.5

    run(scenario)


def test_unknown_community_times_out_after_retries() -> None:
    async def scenario() -> None:
        async with serving(community="wrong", timeout=0.15, retries=2) as (agent, client, target):
            with pytest.raises(SnmpError) as caught:
                await client.walk(target, ENT)
            assert caught.value.reason == "timeout"
            assert agent.received == 3  # each retry was sent, none answered

    run(scenario)


def test_dead_device_then_recovery() -> None:
    async def scenario() -> None:
        async with serving(timeout=0.15) as (agent, client, target):
            agent.down = True
            with pytest.raises(SnmpError, match="no reply"):
                await client.get(target, [f"{ENT}.1.7.0"])
            agent.down = False
            assert (await client.get(target, [f"{ENT}.1.7.0"]))[0].value == 230

    run(scenario)


def test_garbage_reply_is_decode_error_for_that_request_only() -> None:
    async def scenario() -> None:
        async with serving() as (broken, client, target):
            healthy = SnmpAgent({"public": make_store()})
            good = SnmpTarget("127.0.0.1", await healthy.start(), timeout=0.5, retries=0)
            try:
                broken.garbage = True
                bad, fine = await asyncio.gather(
                    client.get(target, [f"{ENT}.1.7.0"]),
                    client.get(good, [f"{ENT}.1.7.0"]),
                    return_exceptions=True,
                )
                assert isinstance(bad, SnmpError) and bad.reason == "decode"
                assert fine == [VarBind(f"{ENT}.1.7.0", "Gauge32", 230)]
                broken.garbage = False
                assert (await client.get(target, [f"{ENT}.1.3.0"]))[0].value == 2**31 - 1
            finally:
                await healthy.stop()

    run(scenario)


def test_error_status_is_reported() -> None:
    def broken_meter() -> tuple[str, ber.Value]:
        raise RuntimeError("meter offline")

    store = make_store()
    store.set(f"{ENT}.1.50.0", "Gauge32", broken_meter)

    async def scenario() -> None:
        async with serving(store) as (_, client, target):
            with pytest.raises(SnmpError) as caught:
                await client.get(target, [f"{ENT}.1.7.0", f"{ENT}.1.50.0"])
            assert caught.value.reason == "error_status"
            assert str(caught.value) == "agent answered genErr (status 5) at index 2"

    run(scenario)


def test_v3_is_a_config_error() -> None:
    async def scenario() -> None:
        client = LeanSnmpClient()
        with pytest.raises(SnmpError) as caught:
            await client.get(SnmpTarget("127.0.0.1", version="3", user="u"), ["1.3.6.1"])
        assert caught.value.reason == "config"
        with pytest.raises(SnmpError) as caught:
            await client.get(SnmpTarget("127.0.0.1"), ["not.an.oid"])
        assert caught.value.reason == "config"
        await client.close()

    run(scenario)


# --- misbehaving agents -------------------------------------------------------------------------


class Scripted(asyncio.DatagramProtocol):
    """A fake agent: ``respond(request)`` returns the datagrams to send back, and from where."""

    def __init__(self, respond: Callable[[ber.Message], list[bytes]], sender: Any = None) -> None:
        self.respond = respond
        self.sender = sender
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        for reply in self.respond(ber.decode_message(data)):
            (self.sender or self.transport).sendto(reply, addr)


async def scripted(respond: Callable[[ber.Message], list[bytes]], sender: Any = None) -> Any:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: Scripted(respond, sender), local_addr=("127.0.0.1", 0)
    )
    return transport


def reply_to(
    request: ber.Message, varbinds: Sequence[tuple[str, str, ber.Value]], rid: int = 0
) -> bytes:
    return ber.encode_response(
        request.version, request.community, rid or request.request_id, 0, 0, varbinds
    )


def test_walk_detects_agent_loop() -> None:
    async def scenario() -> None:
        transport = await scripted(lambda req: [reply_to(req, [(f"{ENT}.5.1", "Integer32", 1)])])
        client = LeanSnmpClient()
        target = SnmpTarget("127.0.0.1", transport.get_extra_info("sockname")[1], timeout=0.5)
        try:
            with pytest.raises(SnmpError) as caught:
                await client.walk(target, f"{ENT}.5")
            assert caught.value.reason == "not_increasing"
            assert f"returned OID {ENT}.5.1 after {ENT}.5.1" in str(caught.value)
        finally:
            await client.close()
            transport.close()

    run(scenario)


def test_stray_replies_are_ignored() -> None:
    """A reply with an unknown request-id is dropped and the real one still accepted; a reply
    from another address than the one asked is dropped (so the request times out)."""

    async def scenario() -> None:
        value = [(f"{ENT}.1.7.0", "Gauge32", 230)]
        noisy = await scripted(lambda req: [reply_to(req, value, rid=999), reply_to(req, value)])
        elsewhere = await scripted(lambda req: [])
        spoofed = await scripted(lambda req: [reply_to(req, value)], sender=elsewhere)
        client = LeanSnmpClient()
        try:
            port = noisy.get_extra_info("sockname")[1]
            target = SnmpTarget("127.0.0.1", port, timeout=0.5, retries=0)
            assert await client.get(target, [f"{ENT}.1.7.0"]) == [VarBind(*value[0])]
            port = spoofed.get_extra_info("sockname")[1]
            target = SnmpTarget("127.0.0.1", port, timeout=0.2, retries=0)
            with pytest.raises(SnmpError, match="no reply"):
                await client.get(target, [f"{ENT}.1.7.0"])
        finally:
            await client.close()
            for transport in (noisy, elsewhere, spoofed):
                transport.close()

    run(scenario)
