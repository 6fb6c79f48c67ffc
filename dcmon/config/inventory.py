"""The site inventory's schema: sites -> rooms -> racks -> devices, credentials and settings.

Every problem is collected and reported at once as ``FILE: KEY.PATH: fault`` lines, because an
operator fixing a 2,000-device inventory wants the whole list, not one error per run. Unknown keys
are errors (a typo must not silently disable a setting). Credentials are kept apart from devices
and referenced by name; secret values may be given inline, as ``{env: NAME}`` or as
``{file: PATH}``, and are held as :class:`pydantic.SecretStr` so they print as ``**********``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from dcmon.config.alerting import AlertingSettings
from dcmon.config.api import ApiSettings
from dcmon.config.capacity import CapacitySettings, CoolingUnit, RackFeeds
from dcmon.config.carbon import CarbonSettings, SiteCarbon
from dcmon.config.influx import InfluxExporter
from dcmon.config.policy import SitePolicy
from dcmon.config.retrofit import Retrofit
from dcmon.config.secrets import SecretValue
from dcmon.config.strict import Strict, check_listen
from dcmon.config.tenants import Tariff, Tenant
from dcmon.config.topology import EnergyTopology

_HOST_RE = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
                      r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")






def _ident(v: str) -> str:
    if not _ID_RE.match(v):
        raise ValueError(f"{v!r} is not a valid id (letters, digits, '_', '.', '-')")
    return v


Ident = Annotated[str, Field(min_length=1, max_length=128)]


class CommunityCredential(Strict):
    version: Literal["1", "2c"]
    community: SecretValue


class V3Credential(Strict):
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


#: The poll deadline when neither the device nor ``poll`` names one: the interval, at most
#: DEFAULT_POLL_DEADLINE and at least MIN_POLL_DEADLINE (see loader.default_deadline).
DEFAULT_POLL_DEADLINE = 30.0
MIN_POLL_DEADLINE = 5.0


class PollDefaults(Strict):
    interval: float = Field(default=30.0, gt=0, le=86400)
    timeout: float = Field(default=2.0, gt=0, le=60)
    retries: int = Field(default=1, ge=0, le=10)
    max_repetitions: int = Field(default=25, ge=1, le=200)
    #: SNMP: wall-clock seconds one poll may take in all (detection, GET, every walk), so an
    #: agent answering just inside the timeout cannot hold a poll for minutes. None: the
    #: device's interval within 5-30 s, and at least timeout x (retries + 1).
    poll_deadline: float | None = Field(default=None, gt=0, le=3600)
    #: SNMP: rows one walk (one table column) may return, varbinds and bytes (OIDs and values)
    #: one poll may receive. Past them the poll ends with reason ``walk_limit``.
    max_walk_rows: int = Field(default=10_000, ge=1, le=10_000_000)
    max_poll_varbinds: int = Field(default=100_000, ge=1, le=100_000_000)
    max_poll_bytes: int = Field(default=16 * 1024 * 1024, ge=1024, le=2**34)
    #: Global cap on devices polled at once, whatever their schedule.
    concurrency: int = Field(default=64, ge=1, le=10000)
    #: Cap on polls of devices whose last poll failed (down, or never answered), kept apart
    #: from ``concurrency`` so dead devices never take the slots live ones need. Default: a
    #: quarter of ``concurrency`` (docs/configuration.md, "Dead devices").
    down_concurrency: int | None = Field(default=None, ge=1, le=10000)
    #: SNMP client for v1/v2c: "lean" (dcmon's own codec, 10-20x less CPU; checked value for
    #: value against pysnmp on every recording) or "pysnmp". v3 devices always use pysnmp.
    snmp_client: Literal["pysnmp", "lean"] = "lean"
    #: Per-outlet metrics are opt-in: a city with every outlet on is ~1M series.
    outlets: bool = False


class Device(Strict):
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
    poll_deadline: float | None = Field(default=None, gt=0, le=3600)
    max_walk_rows: int | None = Field(default=None, ge=1, le=10_000_000)
    max_poll_varbinds: int | None = Field(default=None, ge=1, le=100_000_000)
    max_poll_bytes: int | None = Field(default=None, ge=1024, le=2**34)
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


class Rack(Strict):
    id: Ident
    name: str = ""
    devices: list[Device] = Field(default_factory=list)
    #: Capacity (docs/capacity.md): provisioned kW, U space, and the A/B feeds' breakers.
    rated_kw: float | None = Field(default=None, gt=0)
    u_total: int | None = Field(default=None, ge=1, le=100)
    u_used: int | None = Field(default=None, ge=0, le=100)
    feeds: RackFeeds | None = None
    #: The tenant billed for this rack (docs/tenants.md); none = the "unassigned" line.
    tenant: str | None = None

    _id = field_validator("id")(classmethod(lambda cls, v: _ident(v)))


class Room(Strict):
    id: Ident
    name: str = ""
    racks: list[Rack] = Field(default_factory=list)
    devices: list[Device] = Field(default_factory=list)
    #: Capacity (docs/capacity.md): cooling as one figure or per unit, and the room's power.
    cooling_kw: float | None = Field(default=None, ge=0)
    cooling_units: list[CoolingUnit] = Field(default_factory=list)
    power_kw: float | None = Field(default=None, ge=0)

    _id = field_validator("id")(classmethod(lambda cls, v: _ident(v)))


class Site(Strict):
    id: Ident
    name: str = ""
    rooms: list[Room] = Field(default_factory=list)
    devices: list[Device] = Field(default_factory=list)
    #: Power topology for PUE (facility, IT, cooling, zones); none = no PUE for this site.
    energy: EnergyTopology | None = None
    #: PUE policy class, commissioning ramp-up and ratings (docs/alerts.md); none = new_large.
    policy: SitePolicy | None = None
    #: Electricity tariffs, flat or time-of-use, each from a date (docs/tenants.md).
    tariffs: list[Tariff] = Field(default_factory=list)
    #: Energy conservation measures to verify (docs/retrofit.md).
    retrofits: list[Retrofit] = Field(default_factory=list)
    #: Carbon, renewables and water (docs/carbon.md); none = grid only, no water.
    carbon: SiteCarbon | None = None

    _id = field_validator("id")(classmethod(lambda cls, v: _ident(v)))


class PrometheusExporter(Strict):
    listen: str = "127.0.0.1:9630"

    _listen = field_validator("listen")(classmethod(lambda cls, v: check_listen(v)))


class Exporters(Strict):
    prometheus: PrometheusExporter = Field(default_factory=PrometheusExporter)
    #: InfluxDB v2 line-protocol export with an outage spool (exporters/influx/README.md).
    influx: InfluxExporter | None = None


class EngineSettings(Strict):
    """Energy and PUE engine settings (defaults follow docs/energy.md)."""

    #: A PUE is withheld (with the reason) when fewer meter-hours than this share are present.
    min_coverage: float = Field(default=0.9, ge=0, le=1)
    #: Power is integrated into energy only across gaps of at most this many poll intervals.
    max_gap_intervals: float = Field(default=3.0, ge=1, le=1000)


class ConfigModel(Strict):
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
    #: Tenants billed for their racks' energy (docs/tenants.md).
    tenants: list[Tenant] = Field(default_factory=list)
    #: City-wide grid emission factors (docs/carbon.md).
    carbon: CarbonSettings = Field(default_factory=CarbonSettings)
