"""A misbehaving SNMP v2c agent on 127.0.0.1, for the tests that dcmon survives one.

It decodes requests and encodes replies with dcmon's own codec (``dcmon.collectors.snmp.ber``),
answers GETs for the scalars of ``tests/cases/snmp/hostile/hostile_pdu.yaml`` honestly, and
misbehaves on GETNEXT/GETBULK according to its mode:

* ``endless``: every OID X is followed by X.1 (always greater, always inside the subtree, one
  arc longer each step): a table that never ends.
* ``endless_rows``: column C is followed by C.1, C.2, C.3 ... for ever (OIDs stay short, so only
  the row and varbind limits can stop it).
* ``non_increasing``: every GETNEXT/GETBULK is answered with the first row again.
* ``slow``: a correct three-phase table, but one varbind per reply and every reply sent
  ``delay`` seconds late (just inside the client's timeout).
* ``garbage``: random bytes for every request.

The agent runs on its own event loop in a thread (:func:`running_agent`), so a test may poll it
from the same process or from a ``python -m dcmon poll`` subprocess.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from dcmon.collectors.snmp import ber

ENT = "1.3.6.1.4.1.99999.42"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
POWER = f"{ENT}.1.1.0"
#: The table columns of the hostile_pdu profile (current in tenths of A, voltage in V).
CURRENT = f"{ENT}.2.1.3"
VOLTAGE = f"{ENT}.2.1.4"
COLUMNS = (CURRENT, VOLTAGE)
PHASES = 3
SCALARS: dict[str, tuple[str, ber.Value]] = {
    SYS_OBJECT_ID: ("ObjectIdentifier", ENT),
    "1.3.6.1.2.1.1.1.0": ("OctetString", b"hostile test agent"),
    POWER: ("Integer32", 1234),
}
MODES = ("endless", "endless_rows", "non_increasing", "slow", "garbage")

VarBindSpec = tuple[str, str, ber.Value]


def _arcs(oid: str) -> tuple[int, ...]:
    return tuple(int(x) for x in oid.split("."))


def _column_of(oid: str) -> str | None:
    for column in COLUMNS:
        if oid == column or oid.startswith(column + "."):
            return column
    return None


def _honest_next(oid: str) -> VarBindSpec:
    """The real next OID in a small three-phase table (used by the slow mode)."""
    key = _arcs(oid)
    for column in COLUMNS:
        for phase in range(1, PHASES + 1):
            row = f"{column}.{phase}"
            if _arcs(row) > key:
                value = 100 + phase if column == CURRENT else 230
                return row, "Integer32", value
    return oid, "endOfMibView", None


@dataclass
class HostileAgent(asyncio.DatagramProtocol):
    """One hostile agent; ``requests`` counts what it was asked."""

    mode: str
    delay: float = 0.0
    seed: int = 7
    requests: int = 0
    transport: asyncio.DatagramTransport | None = None
    _random: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r} (one of {', '.join(MODES)})")
        self._random.seed(self.seed)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.requests += 1
        if self.mode == "garbage":
            self._send(self._garbage(), addr)
            return
        try:
            request = ber.decode_message(data)
        except ber.BerError:
            return
        varbinds = self.answer(request)
        reply = ber.encode_response(request.version, request.community, request.request_id,
                                    0, 0, varbinds)
        if self.mode == "slow":
            asyncio.get_running_loop().call_later(self.delay, self._send, reply, addr)
        else:
            self._send(reply, addr)

    def _send(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(data, addr)

    def _garbage(self) -> bytes:
        """Random bytes that cannot be mistaken for a message (no SEQUENCE tag first)."""
        size = self._random.randrange(1, 200)
        data = bytearray(self._random.randbytes(size))
        if data[0] == 0x30:
            data[0] = 0x31
        return bytes(data)

    def answer(self, request: ber.Message) -> list[VarBindSpec]:
        oids = [vb.oid for vb in request.varbinds]
        if request.pdu_type == ber.GET_REQUEST:
            return [(oid, *SCALARS.get(oid, ("noSuchObject", None))) for oid in oids]
        count = request.max_repetitions if request.pdu_type == ber.GET_BULK_REQUEST else 1
        return self._page(oids[0], max(1, count))

    def _page(self, oid: str, count: int) -> list[VarBindSpec]:
        if self.mode == "slow":
            return [_honest_next(oid)]
        column = _column_of(oid)
        if column is None:
            return [(oid, "endOfMibView", None)]
        if self.mode == "non_increasing":
            return [(f"{column}.1", "Integer32", 1)] * count
        page: list[VarBindSpec] = []
        for _ in range(count):
            if self.mode == "endless":
                oid = oid + ".1"
            else:  # endless_rows
                row = oid[len(column) + 1:].split(".")[0] if oid != column else "0"
                oid = f"{column}.{int(row) + 1}"
            page.append((oid, "Integer32", 1))
        return page


@dataclass
class RunningAgent:
    """A started agent: its port and the agent itself (for its request count)."""

    port: int
    agent: HostileAgent


@contextlib.contextmanager
def running_agent(mode: str, delay: float = 0.0) -> Iterator[RunningAgent]:
    """Serve a hostile agent on 127.0.0.1 from a thread with its own event loop."""
    loop = asyncio.new_event_loop()
    agent = HostileAgent(mode, delay)
    ready = threading.Event()

    async def start() -> None:
        await loop.create_datagram_endpoint(lambda: agent, local_addr=("127.0.0.1", 0))
        ready.set()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=serve, name=f"hostile-{mode}", daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("hostile agent did not start")
    assert agent.transport is not None
    port = int(agent.transport.get_extra_info("sockname")[1])
    try:
        yield RunningAgent(port, agent)
    finally:
        loop.call_soon_threadsafe(agent.transport.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def vm_rss_kib() -> int:
    """This process's resident set size in KiB (VmRSS of /proc/self/status)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")



def inventory(port: int, client: str, device: dict[str, object] | None = None,
              **poll: object) -> dict[str, object]:
    """A one-device inventory for the hostile agent on ``port`` (profile hostile_pdu)."""
    dev: dict[str, object] = {"id": "hostile", "host": "127.0.0.1", "port": port,
                              "credential": "ro", "profile": "hostile_pdu", **(device or {})}
    return {
        "poll": {"timeout": 0.5, "retries": 1, "snmp_client": client, **poll},
        "credentials": {"ro": {"version": "2c", "community": "public"}},
        "sites": [{"id": "lab", "devices": [dev]}],
    }
