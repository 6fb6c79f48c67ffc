"""net-snmp ``snmpd`` on 127.0.0.1 serving an APC rPDU2-like rack PDU, for benchmarks and tests.

The PDU's objects are fixed values served through snmpd ``override`` lines, so the agent does
no work per object beyond its own dispatch (a ``pass`` script would fork per request and
measure the script). What is served is what the shipped ``apc_rpdu2`` profile reads: one PDU
module, one phase, two banks, metered outlets, one temperature-humidity probe, and the
first-generation rPDU scalars and load table. There is no phase-to-phase table (a single-phase
PDU has none), so that column comes back empty, as on the real thing.

Access control is one com2sec group: every community in ``communities`` maps to the same
security name, group and read-only view. A city is served by one snmpd with a community per
PDU (``pdu00001`` ...): snmpd uses select(), so it cannot listen on thousands of ports, and
looking a community up among 10,000 com2sec lines costs it tens of microseconds. Every
community sees the same values.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from dcmon.collectors.snmp.ber import GET_REQUEST, VERSION_2C, decode_message, encode_request

SNMPD = "/usr/sbin/snmpd"
RPDU2 = "1.3.6.1.4.1.318.1.1.26"
RPDU = "1.3.6.1.4.1.318.1.1.12"
#: An OID every PDU answers, to tell when the agent is up.
PROBE_OID = f"{RPDU2}.4.3.1.5.1"

#: (snmpd override type, value) by OID.
Objects = dict[str, tuple[str, int | str]]


def rpdu2_objects(outlets: int = 8, banks: int = 2) -> Objects:
    """The PDU: 3.12 kW on one 230 V phase, ``banks`` banks, ``outlets`` metered outlets.

    With 8 outlets the apc_rpdu2 profile reads 44 samples from it with outlets on (6 device,
    5 phase, 2 bank, 24 outlet, 2 sensor, 5 first-generation).
    """
    dev, props, phase = f"{RPDU2}.4.3.1", f"{RPDU2}.4.2.1", f"{RPDU2}.6.3.1"
    bank, outlet, probe = f"{RPDU2}.8.3.1", f"{RPDU2}.9.4.3.1", f"{RPDU2}.10.2.2.1"
    objects: Objects = {
        f"{dev}.2.1": ("integer", 1),                       # module
        f"{dev}.5.1": ("integer", 312),                     # power, hundredths of kW
        f"{dev}.9.1": ("integer", 123_456),                 # energy, tenths of kWh
        f"{dev}.10.1": ("octet_str", "01/01/2024 00:00:00"),  # energy start time
        f"{dev}.16.1": ("integer", 328),                    # apparent power
        f"{dev}.17.1": ("integer", 95),                     # power factor
        f"{props}.2.1": ("integer", 1),
        f"{props}.9.1": ("integer", 32),                    # max current rating
        f"{props}.12.1": ("integer", 32),                   # max phase current rating
        f"{props}.13.1": ("integer", 37),                   # power rating, tenths of kW
        f"{RPDU}.1.15.0": ("integer", 230),                 # rPDUIdentDeviceLinetoLineVoltage
                                                            # (a setting: not read)
        f"{RPDU}.1.16.0": ("integer", 3120),                # rPDUIdentDevicePowerWatts
    }
    for col, value in ((2, 1), (3, 1), (5, 136), (6, 230), (7, 312), (8, 328), (9, 95)):
        objects[f"{phase}.{col}.1"] = ("integer", value)
    for b in range(1, banks + 1):
        objects.update({f"{bank}.2.{b}": ("integer", 1), f"{bank}.3.{b}": ("integer", b),
                        f"{bank}.5.{b}": ("integer", 136 // banks)})
    for o in range(1, outlets + 1):
        objects.update({
            f"{outlet}.2.{o}": ("integer", 1), f"{outlet}.3.{o}": ("octet_str", f"outlet-{o}"),
            f"{outlet}.4.{o}": ("integer", o), f"{outlet}.6.{o}": ("integer", 17),
            f"{outlet}.7.{o}": ("integer", 390), f"{outlet}.11.{o}": ("integer", 15_000 + o),
        })
    objects.update({
        f"{probe}.2.1": ("integer", 1), f"{probe}.3.1": ("octet_str", "rack-inlet"),
        f"{probe}.4.1": ("integer", 1), f"{probe}.8.1": ("integer", 235),
        f"{probe}.10.1": ("integer", 41),
    })
    # rPDULoadStatusTable: row 1 is the phase (bank 0), the others the banks (phase 0).
    load = f"{RPDU}.2.3.1.1"
    rows = [(136, 1, 0)] + [(136 // banks, 0, b) for b in range(1, banks + 1)]
    for i, (amps, ph, bk) in enumerate(rows, start=1):
        objects.update({f"{load}.2.{i}": ("integer", amps), f"{load}.4.{i}": ("integer", ph),
                        f"{load}.5.{i}": ("integer", bk)})
    return objects


def snmpd_config(objects: Objects, communities: Sequence[str], state_dir: Path) -> str:
    """snmpd.conf text: one com2sec group for ``communities``, and the objects as overrides."""
    lines = [f"[snmp] persistentDir {state_dir}", "[snmp] doDebugging 0"]
    lines += [f"com2sec bench 127.0.0.1 {c}" for c in communities]
    lines += ["group benchg v1 bench", "group benchg v2c bench",
              "view benchv included .1",
              'access benchg "" any noauth exact benchv none none']
    for oid, (kind, value) in objects.items():
        shown = f'"{value}"' if kind == "octet_str" else str(value)
        lines.append(f"override .{oid} {kind} {shown}")
    return "\n".join(lines) + "\n"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers(port: int, community: str, timeout: float = 0.5) -> bool:
    """Whether the agent on ``port`` answers a v2c GET of :data:`PROBE_OID`."""
    request = encode_request(VERSION_2C, community.encode(), GET_REQUEST, 1, [PROBE_OID], 0, 0)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(request, ("127.0.0.1", port))
        try:
            data = s.recv(65535)
        except OSError:
            return False
    return decode_message(data).varbinds[0].tag == "Integer32"


class Snmpd:
    """Run ``snmpd`` in the foreground on 127.0.0.1 with :func:`snmpd_config`; stop on exit."""

    def __init__(self, objects: Objects, communities: Sequence[str] = ("public",),
                 port: int | None = None) -> None:
        self.objects = objects
        self.communities = list(communities)
        self.port = port or free_udp_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self._dir = Path(tempfile.mkdtemp(prefix="dcmon-snmpd-"))

    @staticmethod
    def available() -> bool:
        return os.access(SNMPD, os.X_OK)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 60.0) -> Snmpd:
        conf = self._dir / "snmpd.conf"
        (self._dir / "state").mkdir()
        conf.write_text(snmpd_config(self.objects, self.communities, self._dir / "state"))
        # -C: only this config; MIBS="": no MIB files to parse (numeric OIDs only).
        env = {**os.environ, "MIBS": "", "SNMP_PERSISTENT_DIR": str(self._dir / "state")}
        self.proc = subprocess.Popen(
            [SNMPD, "-f", "-C", "-c", str(conf), "-Lf", str(self._dir / "snmpd.log"),
             f"udp:127.0.0.1:{self.port}"], env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ends = time.monotonic() + timeout
        while not answers(self.port, self.communities[0]):
            if self.proc.poll() is not None or time.monotonic() > ends:
                log = (self._dir / "snmpd.log").read_text(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(f"snmpd did not start on 127.0.0.1:{self.port}: {log}")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Snmpd:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
