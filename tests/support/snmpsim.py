"""Start and stop an snmpsim (``snmpsim==1.1.7``) command responder for tests.

The responder lives in its own venv, built from Debian's ``/usr/bin/python3`` by
``scripts/install-test-deps.sh`` (default ``/opt/dcmon-snmpsim``, override with the environment
variable ``DCMON_SNMPSIM_VENV``). It always binds to 127.0.0.1 on a free UDP port.

Selecting a recording
---------------------
Every ``*.snmprec`` file below ``data_dir`` is one simulated agent, named by its path relative
to ``data_dir`` without the extension (``apc_ap8959eu3.snmprec`` -> ``apc_ap8959eu3``):

* SNMPv1/v2c: the community is that name (``snmpget -v2c -c apc_ap8959eu3 ...``). An unknown
  community gets no reply at all (a timeout).
* SNMPv3: the USM user only authenticates; the recording is chosen by the **context name**,
  which is that name when it is at most 32 characters long (``snmpget -v3 ... -n
  apc_ap8959eu3``), or else the MD5 hex digest of the name (that digest also works for short
  names). An empty or unknown context gets no reply (a timeout), not an error. Every configured
  user can read every recording.

Example of a working SNMPv3 authPriv request against ``v3_users=[{"user": "dcmon",
"auth_key": "authkey123", "auth_proto": "SHA", "priv_key": "privkey123", "priv_proto":
"AES"}]``::

    snmpget -v3 -l authPriv -u dcmon -a SHA -A authkey123 -x AES -X privkey123 \\
        -n apc_ap8959eu3 -On 127.0.0.1:PORT .1.3.6.1.4.1.318.1.1.26.4.3.1.5.1

snmpsim protocol names: auth ``MD5 SHA SHA224 SHA256 SHA384 SHA512 NONE``; priv ``DES 3DES AES
AES128 AES192 AES192BLMT AES256 AES256BLMT NONE``. For AES-192/256 with an auth digest shorter
than the priv key (e.g. SHA + AES256), snmpsim ``AES256`` is the Reeder key extension
(net-snmp ``-x AES256C``) and ``AES256BLMT`` the Blumenthal one (net-snmp ``-x AES256``). Keys
must be at least 8 characters.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import NoReturn

import pytest

DEFAULT_VENV = "/opt/dcmon-snmpsim"
START_TIMEOUT_S = 60.0

#: SNMPv3 users the shared test responder (conftest ``snmpsim_librenms``) is started with.
#: net-snmp equivalents: ``-l authPriv -a SHA -x AES`` and ``-l authPriv -a SHA-256 -x AES-256``.
TEST_V3_USERS: list[dict[str, str]] = [
    {
        "user": "dcmon-sha-aes",
        "auth_proto": "SHA",
        "auth_key": "dcmon-auth-key",
        "priv_proto": "AES",
        "priv_key": "dcmon-priv-key",
    },
    {
        "user": "dcmon-sha256-aes256",
        "auth_proto": "SHA256",
        "auth_key": "dcmon-auth-key-256",
        "priv_proto": "AES256BLMT",
        "priv_key": "dcmon-priv-key-256",
    },
]

_V3_OPTIONS = {
    "auth_key": "--v3-auth-key",
    "auth_proto": "--v3-auth-proto",
    "priv_key": "--v3-priv-key",
    "priv_proto": "--v3-priv-proto",
}


class SnmpsimNotInstalledError(RuntimeError):
    """The snmpsim venv (or its ``snmpsim-command-responder``) is missing."""


class SnmpsimStartError(RuntimeError):
    """snmpsim exited or did not answer in time; the message carries its log."""


def in_ci() -> bool:
    """Return True when running under CI (``CI=true``), where missing tools must fail."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> NoReturn:
    """Skip the current test because a tool is missing, or fail it under CI (``CI=true``)."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: missing test tools fail instead of skipping)")
    pytest.skip(reason)


def require_tool(name: str) -> str:
    """Return the path of executable ``name`` on PATH, else :func:`unavailable`."""
    path = shutil.which(name)
    if path is None:
        unavailable(f"{name} not installed: run scripts/install-test-deps.sh")
    return path


def snmpsim_venv() -> Path:
    """Return the snmpsim venv directory (``$DCMON_SNMPSIM_VENV`` or ``/opt/dcmon-snmpsim``)."""
    return Path(os.environ.get("DCMON_SNMPSIM_VENV") or DEFAULT_VENV)


def responder_path() -> Path:
    """Return the path of ``snmpsim-command-responder``.

    Raises:
        SnmpsimNotInstalledError: when the executable does not exist.
    """
    exe = snmpsim_venv() / "bin" / "snmpsim-command-responder"
    if not os.access(exe, os.X_OK):
        raise SnmpsimNotInstalledError(f"{exe} is missing (venv from $DCMON_SNMPSIM_VENV)")
    return exe


def free_udp_port(host: str = "127.0.0.1") -> int:
    """Return a UDP port on ``host`` that nobody holds right now.

    The socket is bound without SO_REUSEADDR, so a port held by another (pysnmp, which uses
    SO_REUSEADDR) process is never returned: two snmpsim processes could otherwise share a port
    silently.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _tlv(tag: int, payload: bytes) -> bytes:
    """Encode one BER TLV (definite length, short or long form)."""
    size = len(payload)
    if size < 0x80:
        return bytes([tag, size]) + payload
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + payload


def _probe_packet(request_id: int) -> bytes:
    """Build an SNMPv2c GET of sysObjectID.0 with community ``index``.

    snmpsim always serves the ``index`` community (its data-file index), whatever recordings it
    has, so any reply means the agent is up.
    """
    oid = bytes([0x2B, 6, 1, 2, 1, 1, 2, 0])  # 1.3.6.1.2.1.1.2.0
    varbind = _tlv(0x30, _tlv(0x06, oid) + _tlv(0x05, b""))
    pdu = _tlv(
        0xA0,
        _tlv(0x02, request_id.to_bytes(4, "big"))
        + _tlv(0x02, b"\x00")
        + _tlv(0x02, b"\x00")
        + _tlv(0x30, varbind),
    )
    return _tlv(0x30, _tlv(0x02, b"\x01") + _tlv(0x04, b"index") + pdu)


def probe(host: str, port: int, timeout: float = 0.3) -> bool:
    """Return True when an SNMP agent at ``host:port`` answers a v2c GET within ``timeout``."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(_probe_packet(0x1CE), (host, port))
            data, _ = sock.recvfrom(65535)
        except OSError:  # timeout, or ICMP port unreachable surfacing as ConnectionRefused
            return False
    return data[:1] == b"\x30"


def _v3_args(v3_users: Sequence[Mapping[str, str]]) -> list[str]:
    """Translate ``v3_users`` dicts into snmpsim ``--v3-*`` options (user first, then its keys)."""
    args: list[str] = []
    for spec in v3_users:
        unknown = set(spec) - {"user", *_V3_OPTIONS}
        if "user" not in spec or unknown:
            raise ValueError(
                f"v3 user needs 'user' and only {sorted(_V3_OPTIONS)}; got {sorted(spec)}"
            )
        args.append(f"--v3-user={spec['user']}")
        for key, option in _V3_OPTIONS.items():
            if key in spec:
                value = spec[key].upper() if key.endswith("_proto") else spec[key]
                args.append(f"{option}={value}")
    return args


class SnmpSim:
    """A running snmpsim command responder (use :func:`start_snmpsim` to create one).

    Attributes:
        host: always ``127.0.0.1``.
        port: the UDP port it serves.
        data_dir: the directory of ``*.snmprec`` recordings.
        command: the exact command line used.
        log_path: snmpsim's combined stdout/stderr.
        startup_seconds: time from spawn to the first answered probe.
    """

    host: str
    port: int

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        *,
        port: int,
        data_dir: Path,
        command: list[str],
        workdir: Path,
        log_path: Path,
    ) -> None:
        self.host = "127.0.0.1"
        self.port = port
        self.data_dir = data_dir
        self.command = command
        self.log_path = log_path
        self.startup_seconds = 0.0
        self._proc = proc
        self._workdir = workdir

    @property
    def endpoint(self) -> str:
        """Return ``host:port`` as net-snmp tools expect it."""
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        """Return the responder's process id."""
        return self._proc.pid

    def running(self) -> bool:
        """Return True while the responder process is alive."""
        return self._proc.poll() is None

    def log(self) -> str:
        """Return snmpsim's log so far (it logs one block per request at info level)."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def _wait_ready(self, timeout: float) -> None:
        """Poll until the agent answers; raise :class:`SnmpsimStartError` if it dies or hangs."""
        started = time.monotonic()
        deadline = started + timeout
        while True:
            if self._proc.poll() is not None:
                log_text = self.log()
                self.stop()
                raise SnmpsimStartError(
                    f"snmpsim exited with code {self._proc.returncode}:\n{log_text[-4000:]}"
                )
            if probe(self.host, self.port):
                self.startup_seconds = time.monotonic() - started
                return
            time.sleep(0.05)  # the probe fails at once while nothing is bound yet
            if time.monotonic() > deadline:
                log_text = self.log()
                self.stop()
                raise SnmpsimStartError(
                    f"snmpsim did not answer on {self.endpoint} within {timeout:.0f} s:\n"
                    f"{log_text[-4000:]}"
                )

    def stop(self) -> None:
        """Terminate the responder (SIGTERM, then SIGKILL after 5 s) and remove its temp dir."""
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)
        shutil.rmtree(self._workdir, ignore_errors=True)

    def __enter__(self) -> SnmpSim:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"SnmpSim({self.endpoint}, data_dir={str(self.data_dir)!r}, pid={self.pid})"


def start_snmpsim(
    data_dir: Path,
    *,
    v3_users: list[dict[str, str]] | None = None,
    timeout: float = START_TIMEOUT_S,
    log_level: str = "info",
) -> SnmpSim:
    """Start snmpsim on 127.0.0.1 serving ``data_dir`` and wait until it answers.

    Args:
        data_dir: directory of ``*.snmprec`` files (read-only is fine: the index goes to a
            private temporary cache directory that is removed on :meth:`SnmpSim.stop`).
        v3_users: SNMPv3 USM users, each a dict with ``user`` and optionally ``auth_key``,
            ``auth_proto``, ``priv_key``, ``priv_proto`` (snmpsim names, see the module
            docstring). Without any, snmpsim adds its default user ``simulator`` (MD5
            ``auctoritas`` / DES ``privatus``).
        timeout: seconds to wait for the first answer (indexing 57 files takes ~1 s).
        log_level: snmpsim ``--log-level`` (``debug``, ``info`` or ``error``).

    Returns:
        The running :class:`SnmpSim`; use it as a context manager or call ``stop()``.

    Raises:
        SnmpsimNotInstalledError: snmpsim's venv is missing.
        SnmpsimStartError: it exited early or did not answer within ``timeout``.
        FileNotFoundError: ``data_dir`` does not exist (snmpsim would serve nothing).
    """
    exe = responder_path()
    data_dir = Path(data_dir).resolve()
    if not data_dir.is_dir():
        raise FileNotFoundError(f"snmpsim data dir {data_dir} does not exist")

    workdir = Path(tempfile.mkdtemp(prefix="dcmon-snmpsim-"))
    cache_dir = workdir / "cache"
    cache_dir.mkdir()
    privilege_args: list[str] = []
    if os.geteuid() == 0:
        # snmpsim refuses to run as root ("Must drop privileges"); nobody must write the cache.
        shutil.chown(workdir, "nobody", "nogroup")
        shutil.chown(cache_dir, "nobody", "nogroup")
        privilege_args = ["--process-user=nobody", "--process-group=nogroup"]

    port = free_udp_port()
    command = [
        str(exe),
        f"--data-dir={data_dir}",
        f"--cache-dir={cache_dir}",
        f"--agent-udpv4-endpoint=127.0.0.1:{port}",
        *privilege_args,
        f"--log-level={log_level}",
        *_v3_args(v3_users or []),
    ]
    log_path = workdir / "snmpsim.log"
    with log_path.open("wb") as log_file:
        # A file, not a pipe: snmpsim logs every request and would block on a full pipe.
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=workdir,
        )
    sim = SnmpSim(
        proc, port=port, data_dir=data_dir, command=command, workdir=workdir, log_path=log_path
    )
    sim._wait_ready(timeout)
    return sim
