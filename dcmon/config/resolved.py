"""A loaded inventory: every device with its place and effective settings.

This is what the rest of dcmon reads. The YAML schema (:mod:`dcmon.config.inventory`) says what
a user may write; :class:`Config` says what a poll, the engine and the exporters get from it.
Secrets given as ``{env: NAME}`` or ``{file: PATH}`` are not read at load: each is read by what
uses it (an SNMP credential by a poll, see :meth:`Config.credential`), so ``dcmon pue`` or
``dcmon report`` work where only the service has its secrets.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from dcmon.config.inventory import (
    DEFAULT_POLL_DEADLINE,
    CommunityCredential,
    ConfigModel,
    Credential,
    PollDefaults,
    V3Credential,
)
from dcmon.config.secrets import SecretRef, SecretValue, read_secret
from dcmon.config.topology import MeterRef, expand
from dcmon.errors import ConfigError, Problem


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



#: Shorter SNMPv3 keys are refused by the USM key derivation (RFC 3414).
MIN_V3_KEY_LEN = 8


def credential_problems(name: str, cred: Credential, file: str, base: Path,
                        read: bool = True) -> list[Problem]:
    """Problems of one credential's secrets by key. With ``read`` False only inline values
    are checked (env and file secrets are read by the poll that uses them)."""
    problems: list[Problem] = []
    _resolve(name, cred, file, base, problems, read)
    return problems


def resolve_credential(name: str, cred: Credential, file: str, base: Path
                       ) -> ResolvedCredential:
    """The credential with its secrets read now; ConfigError names file and key, never the
    value."""
    problems: list[Problem] = []
    out = _resolve(name, cred, file, base, problems, True)
    if problems:
        raise ConfigError(problems)
    return out


def _resolve(name: str, cred: Credential, file: str, base: Path, problems: list[Problem],
             read: bool) -> ResolvedCredential:
    key = f"credentials.{name}"

    def secret(value: SecretValue | None, label: str) -> SecretStr | None:
        if value is None or (not read and isinstance(value, SecretRef)):
            return None
        try:
            return read_secret(value, base)
        except ValueError as exc:
            problems.append(Problem(file, f"{key}.{label}", str(exc)))
            return None

    if isinstance(cred, CommunityCredential):
        return ResolvedCredential(version=cred.version,
                                  community=secret(cred.community, "community"))
    auth, priv = secret(cred.auth_key, "auth_key"), secret(cred.priv_key, "priv_key")
    for label, value in (("auth_key", auth), ("priv_key", priv)):
        if value is not None and len(value.get_secret_value()) < MIN_V3_KEY_LEN:
            problems.append(Problem(file, f"{key}.{label}", "SNMPv3 keys must be at least "
                                                            f"{MIN_V3_KEY_LEN} characters"))
    return ResolvedCredential(
        version="3", user=cred.user, auth_protocol=cred.auth_protocol, auth_key=auth,
        priv_protocol=cred.priv_protocol, priv_key=priv, context=cred.context,
    )


def security(cred: Credential) -> str:
    """``v2c``, ``authPriv SHA256/AES256``, ...: what ``check-config`` says of a credential,
    without reading its secrets."""
    if isinstance(cred, CommunityCredential):
        return f"v{cred.version}"
    if cred.priv_protocol:
        return f"authPriv {cred.auth_protocol}/{cred.priv_protocol}"
    if cred.auth_protocol:
        return f"authNoPriv {cred.auth_protocol}"
    return "noAuthNoPriv"


@dataclass(frozen=True, slots=True)
class Metering:
    """What a site's metering backs, for ``check-config`` and every PUE result.

    ISO/IEC 30134-2 names the measurement category by where E_IT is metered: UPS output = 1,
    PDU output = 2, IT equipment input = 3 (``it_level`` declares it). The declaration is a
    *claim*: category 2 or 3 summed from rack meters also needs an IT meter in every rack,
    else E_IT misses the load of the racks without one and no category can be stated.
    """

    #: Racks with at least one metered device, and racks in total.
    metered_racks: int
    racks: int
    #: The category ``it_level`` declares (None: the site has no energy topology).
    claim: int | None
    #: The category the metering backs; None when it backs none (``reason`` says why).
    category: int | None
    reason: str
    #: ``reason`` as a stable code and its parameters (pages translate them; ``reason`` is
    #: the English text): no_energy_topology, no_it_meters, racks_unmetered (missing, racks,
    #: shown).
    reason_code: str = ""
    reason_args: tuple[tuple[str, int | str], ...] = ()


class Credentials(Mapping[str, Credential]):
    """The inventory's credentials as written, by name.

    A v1/v2c credential is kept as (version, community) and made a model again when read (by a
    poll, ``check-config`` and reload): ~0.1 kB instead of a ~0.6 kB pydantic model, which
    counts when every device of a large site has its own community (~5 MB at 10,000).
    """

    __slots__ = ("_items",)

    def __init__(self, creds: Mapping[str, Credential] | None = None) -> None:
        self._items: dict[str, tuple[str, SecretValue] | V3Credential] = {
            name: (sys.intern(c.version), c.community) if isinstance(c, CommunityCredential)
            else c for name, c in (creds or {}).items()}

    def __getitem__(self, name: str) -> Credential:
        item = self._items[name]
        if isinstance(item, tuple):
            return CommunityCredential.model_construct(version=item[0], community=item[1])
        return item

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def any_v3(self) -> bool:
        """Whether any credential is SNMPv3 (its devices need the pysnmp client)."""
        return any(not isinstance(item, tuple) for item in self._items.values())


@dataclass(frozen=True, repr=False)
class Config:
    """A loaded, validated inventory."""

    def __repr__(self) -> str:
        return f"Config({self.file!r}, {len(self.devices)} devices)"

    file: str
    #: The document as validated, without its device entries and credentials: those are in
    #: ``devices`` and ``credentials``.
    model: ConfigModel
    devices: tuple[DeviceSpec, ...]
    #: The folder the inventory's relative paths (secret files, profile directories) start at.
    base: Path = Path(".")
    credentials: Credentials = field(default_factory=Credentials)

    @property
    def poll(self) -> PollDefaults:
        return self.model.poll

    def credential(self, name: str) -> ResolvedCredential:
        """The named credential with its secrets read now (raises ConfigError naming file and
        key): only a poll needs them."""
        cred = self.credentials.get(name)
        if cred is None:
            raise ConfigError([Problem(self.file, f"credentials.{name}",
                                       "unknown credential")])
        return resolve_credential(name, cred, self.file, self.base)

    def device(self, device_id: str) -> DeviceSpec | None:
        return next((d for d in self.devices if d.id == device_id), None)

    def metering(self, site: str) -> Metering:
        """What the site's metering backs: racks with metered devices, and the measurement
        category its IT sum supports (see :class:`Metering`); worked out once per inventory."""
        got = self._metering.get(site)
        if got is None:
            got = self._metering[site] = self._work_out_metering(site)
        return got

    @cached_property
    def _metering(self) -> dict[str, Metering]:
        return {}

    def _work_out_metering(self, site: str) -> Metering:
        sdef = next((s for s in self.model.sites if s.id == site), None)
        racks = [(ro.id, r.id) for ro in (sdef.rooms if sdef else []) for r in ro.racks]
        in_rack = {d.id: (d.room, d.rack) for d in self.devices if d.site == site and d.rack}
        n_metered = len(set(in_rack.values()) & set(racks))
        topo = sdef.energy if sdef is not None else None
        if topo is None:
            return Metering(n_metered, len(racks), None, None, "no energy topology",
                            "no_energy_topology")
        it = {ref.device for ref in self.meters(site)["it"]}
        claim = topo.category
        if not it:
            return Metering(n_metered, len(racks), claim, None, "no IT meters in E_IT",
                            "no_it_meters")
        covered = {in_rack[d] for d in it if d in in_rack}
        missing = [f"{ro}/{r}" for ro, r in racks if (ro, r) not in covered]
        # Meters outside racks (floor PDUs, UPS outputs) feed racks the inventory does not
        # link them to, so rack coverage is judged only when E_IT is summed from rack meters.
        if claim >= 2 and missing and it <= set(in_rack):
            shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
            return Metering(n_metered, len(racks), claim, None,
                            f"{len(missing)} of {len(racks)} racks have no IT meter in E_IT "
                            f"({shown}): their IT energy is not measured", "racks_unmetered",
                            (("missing", len(missing)), ("racks", len(racks)), ("shown", shown)))
        return Metering(n_metered, len(racks), claim, claim, "")

    def in_rack(self, site: str, room: str, rack: str) -> list[DeviceSpec]:
        """The devices of one rack, in inventory order (the document keeps no device entries
        once they are resolved)."""
        return self._by_rack.get((site, room, rack), [])

    def racks(self) -> list[list[DeviceSpec]]:
        """The devices of every rack, rack by rack, racks and devices in inventory order."""
        return list(self._by_rack.values())

    @cached_property
    def _by_rack(self) -> dict[tuple[str, str, str], list[DeviceSpec]]:
        out: dict[tuple[str, str, str], list[DeviceSpec]] = {}
        for d in self.devices:
            if d.rack:
                out.setdefault((d.site, d.room, d.rack), []).append(d)
        return out

    def rack_devices(self, site: str) -> list[str]:
        """Devices that sit in a rack of ``site`` (the default IT meters: rack PDUs)."""
        return list(self._rack_ids.get(site, ()))

    @cached_property
    def _rack_ids(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for d in self.devices:
            if d.rack:
                out.setdefault(d.site, []).append(d.id)
        return out

    def meters(self, site: str) -> dict[str, list[MeterRef]]:
        """The meters of each sum of ``site``'s energy topology (:func:`topology.expand`),
        which must be set. Expanded once per inventory: the results run asks for every
        site's several times a run, and a city's ``it: racks`` made 200,000 MeterRef models
        each time (~1 s of the run)."""
        got = self._meters.get(site)
        if got is None:
            topo = next(s.energy for s in self.model.sites if s.id == site)
            assert topo is not None, f"site {site} has no energy topology"
            got = self._meters[site] = expand(topo, self.rack_devices(site))
        return {role: list(refs) for role, refs in got.items()}

    @cached_property
    def _meters(self) -> dict[str, dict[str, list[MeterRef]]]:
        return {}
