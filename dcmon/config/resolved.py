"""A loaded inventory: every device with its place and effective settings, secrets read.

This is what the rest of dcmon reads. The YAML schema (:mod:`dcmon.config.inventory`) says what
a user may write; :class:`Config` says what a poll, the engine and the exporters get from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from dcmon.config.inventory import DEFAULT_POLL_DEADLINE, ConfigModel, PollDefaults


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """One device with its place, resolved credential and effective poll settings."""

    id: str
    site: str
    room: str
    rack: str
    key: str
    host: str
    port: int
    protocol: str
    profile: str
    credential: str
    interval: float
    timeout: float
    retries: int
    max_repetitions: int | None
    outlets: bool
    feed: str | None
    parent: str | None = None
    #: Modbus settings as given (None = the profile's default), see collectors/modbus.
    modbus: dict[str, Any] | None = None
    #: SNMP: wall-clock seconds one poll may take, and the walk limits (see PollDefaults).
    poll_deadline: float = DEFAULT_POLL_DEADLINE
    max_walk_rows: int = 10_000
    max_poll_varbinds: int = 100_000
    max_poll_bytes: int = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ResolvedCredential:
    """A credential with secrets read; ``repr`` hides every secret."""

    version: str
    community: SecretStr | None = None
    user: str = ""
    auth_protocol: str | None = None
    auth_key: SecretStr | None = None
    priv_protocol: str | None = None
    priv_key: SecretStr | None = None
    context: str = ""

    @property
    def security(self) -> str:
        if self.version != "3":
            return f"v{self.version}"
        if self.priv_protocol:
            return f"authPriv {self.auth_protocol}/{self.priv_protocol}"
        if self.auth_protocol:
            return f"authNoPriv {self.auth_protocol}"
        return "noAuthNoPriv"


@dataclass(frozen=True, repr=False)
class Config:
    """A loaded, validated inventory."""

    def __repr__(self) -> str:
        return f"Config({self.file!r}, {len(self.devices)} devices)"

    file: str
    model: ConfigModel
    devices: tuple[DeviceSpec, ...]
    credentials: dict[str, ResolvedCredential]

    @property
    def poll(self) -> PollDefaults:
        return self.model.poll

    def device(self, device_id: str) -> DeviceSpec | None:
        return next((d for d in self.devices if d.id == device_id), None)

    def metering(self, site: str) -> tuple[int, int, int]:
        """(racks with at least one metered device, racks in total, best category possible).

        Category 3 needs IT-input metering (declared ``it_level: it_input``), category 2 needs a
        metered PDU in every rack, category 1 needs UPS-output meters in the IT sum.
        """
        racks = [(ro.id, r.id) for s in self.model.sites if s.id == site for ro in s.rooms
                 for r in ro.racks]
        metered = {(d.room, d.rack) for d in self.devices if d.site == site and d.rack}
        n_metered = sum(1 for r in racks if r in metered)
        topo = next((s.energy for s in self.model.sites if s.id == site), None)
        if topo is not None and topo.it_level == "it_input":
            best = 3
        elif racks and n_metered == len(racks):
            best = 2
        elif topo is not None and topo.it != "racks" and topo.it:
            best = 1
        else:
            best = 0
        return n_metered, len(racks), best

    def rack_devices(self, site: str) -> list[str]:
        """Devices that sit in a rack of ``site`` (the default IT meters: rack PDUs)."""
        return [d.id for d in self.devices if d.site == site and d.rack]
