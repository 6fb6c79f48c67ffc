"""The site inventory: sites -> rooms -> racks -> devices, validated strictly.

Every problem is collected and reported at once as ``FILE: KEY.PATH: fault`` lines, because an
operator fixing a 2,000-device inventory wants the whole list, not one error per run. Unknown keys
are errors (a typo must not silently disable a setting). Credentials are kept apart from devices
and referenced by name; secret values may be given inline, as ``{env: NAME}`` or as
``{file: PATH}``, and are held as :class:`pydantic.SecretStr` so they print as ``**********``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from dcmon.config.api import ApiSettings, api_problems
from dcmon.config.capacity import CapacitySettings, CoolingUnit, RackFeeds, capacity_problems
from dcmon.errors import ConfigError, Problem, pydantic_problems
from dcmon.config.influx import InfluxExporter, influx_problems
from dcmon.config.policy import AlertingSettings, SitePolicy, alerting_problems
from dcmon.config.strict import check_listen
from dcmon.collectors.registry import ProfileRegistry, yaml_error_text
from dcmon.config.secrets import SecretValue, read_secret
from dcmon.config.topology import EnergyTopology
from dcmon.config.topology import validate as validate_topology

_HOST_RE = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
                      r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)




def _ident(v: str) -> str:
    if not _ID_RE.match(v):
        raise ValueError(f"{v!r} is not a valid id (letters, digits, '_', '.', '-')")
    return v


Ident = Annotated[str, Field(min_length=1, max_length=128)]


class CommunityCredential(_Strict):
    version: Literal["1", "2c"]
    community: SecretValue


class V3Credential(_Strict):
    version: Literal["3"]
    user: str = Field(min_length=1)
    auth_protocol: Literal["MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"] | None = None
    auth_key: SecretValue | None = None
    priv_protocol: Literal["DES", "AES", "AES128", "AES192", "AES256", "AES192C",
                           "AES256C"] | None = None
    priv_key: SecretValue | None = None
    context: str = ""

    @model_validator(mode="after")
    def _levels(self) -> V3Credential:
        if (self.auth_protocol is None) != (self.auth_key is None):
            raise ValueError("auth_protocol and auth_key go together")
        if (self.priv_protocol is None) != (self.priv_key is None):
            raise ValueError("priv_protocol and priv_key go together")
        if self.priv_protocol and not self.auth_protocol:
            raise ValueError("privacy (priv_*) needs authentication (auth_*) too")
        return self


Credential = Annotated[CommunityCredential | V3Credential, Field(discriminator="version")]


class PollDefaults(_Strict):
    interval: float = Field(default=30.0, gt=0, le=86400)
    timeout: float = Field(default=2.0, gt=0, le=60)
    retries: int = Field(default=1, ge=0, le=10)
    max_repetitions: int = Field(default=25, ge=1, le=200)
    #: Global cap on devices polled at once, whatever their schedule.
    concurrency: int = Field(default=64, ge=1, le=10000)
    #: SNMP client for v1/v2c: "lean" (dcmon's own codec, 10-20x less CPU; checked value for
    #: value against pysnmp on every recording) or "pysnmp". v3 devices always use pysnmp.
    snmp_client: Literal["pysnmp", "lean"] = "lean"
    #: Per-outlet metrics are opt-in: a city with every outlet on is ~1M series.
    outlets: bool = False


class Device(_Strict):
    id: Ident
    host: str
    #: Default 161 for SNMP, 502 for Modbus.
    port: int | None = None
    protocol: Literal["snmp", "modbus"] = "snmp"
    profile: str = "auto"
    #: SNMP only (Modbus has no authentication).
    credential: str | None = None
    #: Modbus only: unit (slave) id, transport, and per-device request workarounds.
    unit: int | None = Field(default=None, ge=0, le=255)
    transport: Literal["tcp", "rtu-over-tcp", "serial"] | None = None
    max_registers: int | None = Field(default=None, ge=1, le=125)
    max_gap: int | None = Field(default=None, ge=0, le=125)
    pause: float | None = Field(default=None, ge=0, le=10)
    one_per_field: bool | None = None
    close_after_poll: bool | None = None
    interval: float | None = Field(default=None, gt=0, le=86400)
    timeout: float | None = Field(default=None, gt=0, le=60)
    retries: int | None = Field(default=None, ge=0, le=10)
    max_repetitions: int | None = Field(default=None, ge=1, le=200)
    outlets: bool | None = None
    feed: Literal["A", "B"] | None = None
    #: The device that feeds this one (a PDU's UPS): used to refuse double counting.
    parent: str | None = None
    description: str = ""

    _id = field_validator("id")(classmethod(lambda cls, v: _ident(v)))

    @field_validator("host")
    @classmethod
    def _host(cls, v: str) -> str:
        try:
            ipaddress.ip_address(v)
            return v
        except ValueError:
            pass
        if not _HOST_RE.match(v) or v.replace(".", "").isdigit():
            raise ValueError(f"{v!r} is not an IP address or host name")
        return v

    @field_validator("port")
    @classmethod
    def _port(cls, v: int | None) -> int | None:
        if v is not None and not 1 <= v <= 65535:
            raise ValueError(f"port {v} is out of range 1-65535")
        return v


class Rack(_Strict):
    id: Ident
    name: str = ""
    devices: list[Device] = Field(default_factory=list)
    #: Capacity (docs/capacity.md): provisioned kW, U space, and the A/B feeds' breakers.
    rated_kw: float | None = Field(default=None, gt=0)
    u_total: int | None = Field(default=None, ge=1, le=100)
    u_used: int | None = Field(default=None, ge=0, le=100)
    feeds: RackFeeds | None = None

    _id = field_validator("id")(classmethod(lambda cls, v: _ident(v)))


class Room(_Strict):
    id: Ident
    name: str = ""
    racks: list[Rack] = Field(default_factory=list)
    devices: list[Device] = Field(default_factory=list)
    #: Capacity (docs/capacity.md): cooling as one figure or per unit, and the room's power.
    cooling_kw: float | None = Field(default=None, ge=0)
    cooling_units: list[CoolingUnit] = Field(default_factory=list)
    power_kw: float | None = Field(default=None, ge=0)

    _id = field_validator("id")(classmethod(lambda cls, v: _ident(v)))


class Site(_Strict):
    id: Ident
    name: str = ""
    rooms: list[Room] = Field(default_factory=list)
    devices: list[Device] = Field(default_factory=list)
    #: Power topology for PUE (facility, IT, cooling, zones); none = no PUE for this site.
    energy: EnergyTopology | None = None
    #: PUE policy class, commissioning ramp-up and ratings (docs/alerts.md); none = new_large.
    policy: SitePolicy | None = None

    _id = field_validator("id")(classmethod(lambda cls, v: _ident(v)))


class PrometheusExporter(_Strict):
    listen: str = "127.0.0.1:9630"

    _listen = field_validator("listen")(classmethod(lambda cls, v: check_listen(v)))


class Exporters(_Strict):
    prometheus: PrometheusExporter = Field(default_factory=PrometheusExporter)
    #: InfluxDB v2 line-protocol export with an outage spool (exporters/influx/README.md).
    influx: InfluxExporter | None = None


class EngineSettings(_Strict):
    """Energy and PUE engine settings (defaults follow docs/energy.md)."""

    #: A PUE is withheld (with the reason) when fewer meter-hours than this share are present.
    min_coverage: float = Field(default=0.9, ge=0, le=1)
    #: Power is integrated into energy only across gaps of at most this many poll intervals.
    max_gap_intervals: float = Field(default=3.0, ge=1, le=1000)


class ConfigModel(_Strict):
    version: Literal[1] = 1
    poll: PollDefaults = Field(default_factory=PollDefaults)
    credentials: dict[str, Credential] = Field(default_factory=dict)
    sites: list[Site] = Field(default_factory=list)
    exporters: Exporters = Field(default_factory=Exporters)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    state_dir: str = "./dcmon-state"
    profile_dirs: list[str] = Field(default_factory=list)
    alerting: AlertingSettings = Field(default_factory=AlertingSettings)
    capacity: CapacitySettings = Field(default_factory=CapacitySettings)
    api: ApiSettings = Field(default_factory=ApiSettings)


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


def _walk_devices(m: ConfigModel) -> Iterator[tuple[str, Site, str, str, Device]]:
    for si, site in enumerate(m.sites):
        for di, dev in enumerate(site.devices):
            yield f"sites.{si}.devices.{di}", site, "", "", dev
        for ri, room in enumerate(site.rooms):
            for di, dev in enumerate(room.devices):
                yield f"sites.{si}.rooms.{ri}.devices.{di}", site, room.id, "", dev
            for ki, rack in enumerate(room.racks):
                for di, dev in enumerate(rack.devices):
                    yield (f"sites.{si}.rooms.{ri}.racks.{ki}.devices.{di}", site, room.id,
                           rack.id, dev)


def _read_secret(value: SecretValue, file: str, key: str,
                 problems: list[Problem], base: Path) -> SecretStr | None:
    try:
        return read_secret(value, base)
    except ValueError as exc:
        problems.append(Problem(file, key, str(exc)))
        return None


def _resolve_credentials(m: ConfigModel, file: str, base: Path,
                         problems: list[Problem]) -> dict[str, ResolvedCredential]:
    out: dict[str, ResolvedCredential] = {}
    for name, cred in m.credentials.items():
        key = f"credentials.{name}"
        if isinstance(cred, CommunityCredential):
            community = _read_secret(cred.community, file, f"{key}.community", problems, base)
            out[name] = ResolvedCredential(version=cred.version, community=community)
        else:
            auth = (_read_secret(cred.auth_key, file, f"{key}.auth_key", problems, base)
                    if cred.auth_key is not None else None)
            priv = (_read_secret(cred.priv_key, file, f"{key}.priv_key", problems, base)
                    if cred.priv_key is not None else None)
            for label, secret in (("auth_key", auth), ("priv_key", priv)):
                if secret is not None and len(secret.get_secret_value()) < 8:
                    problems.append(Problem(file, f"{key}.{label}", "SNMPv3 keys must be at "
                                                                    "least 8 characters"))
            out[name] = ResolvedCredential(
                version="3", user=cred.user, auth_protocol=cred.auth_protocol, auth_key=auth,
                priv_protocol=cred.priv_protocol, priv_key=priv, context=cred.context,
            )
    return out


def parse_config(data: Any, file: str, registry: ProfileRegistry | None = None,
                 base: Path | None = None) -> Config:
    """Validate an inventory document; raise ConfigError listing every problem."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([Problem(file, "", "the inventory must be a YAML mapping")])
    try:
        m = ConfigModel.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(pydantic_problems(file, exc)) from None
    problems: list[Problem] = []
    base = base or Path(file).resolve().parent
    if registry is None:
        try:
            registry = ProfileRegistry.load(base / d for d in m.profile_dirs)
        except ConfigError as exc:
            raise ConfigError(exc.problems) from None
    creds = _resolve_credentials(m, file, base, problems)
    problems.extend(alerting_problems(m.alerting, file, base))
    seen: dict[str, str] = {}
    devices: list[DeviceSpec] = []
    known_profiles = [*registry.names(), "auto"]
    for key, site, room, rack, dev in _walk_devices(m):
        if dev.id in seen:
            problems.append(Problem(file, f"{key}.id", f"duplicate device id {dev.id!r} "
                                                       f"(first at {seen[dev.id]})"))
        else:
            seen[dev.id] = key
        if dev.profile != "auto" and dev.profile not in registry:
            known = ", ".join(known_profiles)
            problems.append(Problem(file, f"{key}.profile",
                                    f"unknown profile {dev.profile!r} (known: {known})"))
        problems.extend(_protocol_problems(dev, key, file, m, registry))
        p = m.poll
        modbus = None
        if dev.protocol == "modbus":
            modbus = {k: v for k in ("unit", "transport", "max_registers", "max_gap", "pause",
                                     "one_per_field", "close_after_poll")
                      if (v := getattr(dev, k)) is not None}
        devices.append(DeviceSpec(
            id=dev.id, site=site.id, room=room, rack=rack, key=key, host=dev.host,
            port=dev.port or (502 if dev.protocol == "modbus" else 161), protocol=dev.protocol,
            profile=dev.profile, credential=dev.credential or "",
            interval=dev.interval or p.interval,
            timeout=dev.timeout or p.timeout,
            retries=p.retries if dev.retries is None else dev.retries,
            max_repetitions=dev.max_repetitions,
            outlets=p.outlets if dev.outlets is None else dev.outlets, feed=dev.feed,
            parent=dev.parent, modbus=modbus,
        ))
    parents = {d.id: d.parent for d in devices}
    for d in devices:
        if d.parent is not None and d.parent not in parents:
            problems.append(Problem(file, f"{d.key}.parent", f"unknown device {d.parent!r}"))
    for si, site in enumerate(m.sites):
        if site.energy is not None:
            problems.extend(validate_topology(
                site.energy, f"sites.{si}.energy", file, parents,
                [d.id for d in devices if d.site == site.id and d.rack]))
    problems.extend(capacity_problems(m.sites, set(parents), file))
    problems.extend(api_problems(m.api, file, base))
    problems.extend(influx_problems(m.exporters.influx, file, base))
    if problems:
        raise ConfigError(problems)
    return Config(file=file, model=m, devices=tuple(devices), credentials=creds)


_SNMP_ONLY = ("credential", "max_repetitions", "outlets")
_MODBUS_ONLY = ("unit", "transport", "max_registers", "max_gap", "pause", "one_per_field",
                "close_after_poll")


def _protocol_problems(dev: Device, key: str, file: str, m: ConfigModel,
                       registry: ProfileRegistry) -> list[Problem]:
    """Settings that do not fit the device's protocol, and profiles of the other protocol."""
    problems = []
    wrong = _MODBUS_ONLY if dev.protocol == "snmp" else _SNMP_ONLY
    for k in wrong:
        if getattr(dev, k) is not None:
            problems.append(Problem(file, f"{key}.{k}", f"not a setting of {dev.protocol} "
                                                        "devices"))
    prof = registry.get(dev.profile)
    if prof is not None and prof.protocol != dev.protocol:
        problems.append(Problem(file, f"{key}.profile", f"profile {dev.profile!r} is a "
                                                        f"{prof.protocol} profile; set "
                                                        f"protocol: {prof.protocol}"))
    if dev.protocol == "modbus":
        if dev.profile == "auto":
            problems.append(Problem(file, f"{key}.profile", "Modbus devices cannot be detected: "
                                                            "name their profile"))
    elif dev.credential is None:
        problems.append(Problem(file, f"{key}.credential", "required key is missing"))
    elif dev.credential not in m.credentials:
        defined = ", ".join(sorted(m.credentials)) or "none defined"
        problems.append(Problem(file, f"{key}.credential",
                                f"unknown credential {dev.credential!r} (defined: {defined})"))
    return problems


def load_config(path: str | Path, registry: ProfileRegistry | None = None) -> Config:
    """Read and validate an inventory file."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([Problem(file, "", f"cannot read: {exc.strerror}")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(file, "", yaml_error_text(exc))]) from None
    return parse_config(data, file, registry, Path(path).resolve().parent)
