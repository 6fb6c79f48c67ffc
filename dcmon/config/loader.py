"""Load an inventory: read the file, validate it, check its secrets and every reference.

Every problem is collected and reported at once as ``FILE: KEY.PATH: fault`` lines. The device
profiles belong to ``dcmon.collectors``, which sits above this package, so the caller passes a
:class:`ProfileCatalog` factory (``ProfileRegistry.load`` in the app): a device's profile is
checked against the catalogue built from the inventory's own ``profile_dirs``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from dcmon.config.alerting import alerting_problems
from dcmon.config.api import api_problems
from dcmon.config.capacity import capacity_problems
from dcmon.config.carbon import carbon_problems
from dcmon.config.influx import influx_problems
from dcmon.config.inventory import (
    DEFAULT_POLL_DEADLINE,
    MIN_POLL_DEADLINE,
    ConfigModel,
    Device,
    Site,
)
from dcmon.config.resolved import Config, Credentials, DeviceSpec, credential_problems
from dcmon.config.retrofit import retrofit_problems
from dcmon.config.tenants import tenant_problems
from dcmon.config.topology import validate as validate_topology
from dcmon.config.yamlfile import load_yaml
from dcmon.errors import ConfigError, Problem, pydantic_problems


class ProfileCatalog(Protocol):
    """What the loader needs to know of the device profiles: their names and protocols."""

    def names(self) -> list[str]: ...

    def protocol_of(self, name: str) -> str | None: ...


#: Builds the catalogue from the inventory's extra profile directories.
CatalogFactory = Callable[[Iterable[Path]], ProfileCatalog]

#: The default port of each protocol.
DEFAULT_PORT = {"snmp": 161, "modbus": 502}
#: Device keys that only one protocol has, by the protocol that does not.
FOREIGN_KEYS = {
    "snmp": ("unit", "transport", "max_registers", "max_gap", "pause", "one_per_field",
             "close_after_poll"),
    "modbus": ("credential", "max_repetitions", "outlets", "poll_deadline", "max_walk_rows",
               "max_poll_varbinds", "max_poll_bytes"),
}


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


def parse_config(data: Any, file: str, profiles: CatalogFactory,
                 base: Path | None = None, *, secrets: bool = False,
                 state: bool = False) -> Config:
    """Validate an inventory document; raise ConfigError listing every problem.

    Secrets are checked for shape (and inline values for length) but env and file secrets
    are read only with ``secrets`` True: by ``check-config`` and by ``dcmon run`` before it
    starts, so a missing variable is reported with its key, while the offline commands, which
    use none of them, do not need the service's environment. ``state``: also check that
    ``state_dir`` can be used (for an inventory file that ``run`` will use; a one-device
    inventory of ``dcmon poll`` keeps no state).
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([Problem(file, "", "the inventory must be a YAML mapping")])
    try:
        m = ConfigModel.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(pydantic_problems(file, exc)) from None
    base = base or Path(file).resolve().parent
    dirs = [base / d for d in m.profile_dirs]
    catalog = profiles([d for d in dirs if d.is_dir()])
    problems = [Problem(file, f"profile_dirs.{i}", f"{m.profile_dirs[i]!r} is not a directory")
                for i, d in enumerate(dirs) if not d.is_dir()]
    problems.extend(_duplicate_places(m, file))
    if state:
        problems.extend(state_dir_problems(m.state_dir, file, base))
    for name, cred in m.credentials.items():
        problems.extend(credential_problems(name, cred, file, base, secrets))
    problems.extend(alerting_problems(m.alerting, file, base, secrets))
    devices = _devices(m, file, catalog, problems)
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
    problems.extend(tenant_problems(m.tenants, m.sites, file))
    problems.extend(carbon_problems(m.carbon, [(s.id, s.carbon, s.energy is not None)
                                               for s in m.sites],
                                    {d.id: d.site for d in devices}, file))
    problems.extend(api_problems(m.api, file, base, secrets))
    problems.extend(influx_problems(m.exporters.influx, file, base, secrets))
    problems.extend(retrofit_problems(m.sites, file, base, parents))
    if problems:
        raise ConfigError(problems)
    return Config(file=file, model=_without_devices(m), devices=tuple(devices), base=base,
                  credentials=Credentials(m.credentials))


def _without_devices(m: ConfigModel) -> ConfigModel:
    """The document with its device entries dropped once they are resolved, and its
    credentials (kept compact in :class:`Credentials`).

    Every reader takes devices from :attr:`Config.devices` (see :meth:`Config.in_rack`); the
    validated entries would keep ~1.8 kB each (a pydantic model with 27 fields), ~18 MB at
    10,000 devices, for nothing. Sites, rooms and racks stay: capacity, tenants and policy
    read them.
    """
    sites = [site.model_copy(update={"devices": [], "rooms": [
        room.model_copy(update={"devices": [], "racks": [
            rack.model_copy(update={"devices": []}) for rack in room.racks]})
        for room in site.rooms]}) for site in m.sites]
    return m.model_copy(update={"sites": sites, "credentials": {}})


def _first_seen(ids: Iterable[tuple[str, str]], what: str, file: str,
                where: str = "") -> list[Problem]:
    """A problem for each (key, id) whose id came before, naming the first one's key."""
    first: dict[str, str] = {}
    problems = []
    for key, ident in ids:
        if ident in first:
            problems.append(Problem(file, f"{key}.id", f"duplicate {what} id {ident!r}{where} "
                                                       f"(first at {first[ident]})"))
        else:
            first[ident] = key
    return problems


def _duplicate_places(m: ConfigModel, file: str) -> list[Problem]:
    """Site ids are unique; room ids within a site and rack ids within a room. Results,
    metrics and capacity are keyed by them, so a second ``dc1`` would merge two sites."""
    problems = _first_seen(((f"sites.{si}", s.id) for si, s in enumerate(m.sites)), "site",
                           file)
    for si, site in enumerate(m.sites):
        problems.extend(_first_seen(((f"sites.{si}.rooms.{ri}", r.id)
                                     for ri, r in enumerate(site.rooms)), "room", file,
                                    f" in site {site.id!r}"))
        for ri, room in enumerate(site.rooms):
            problems.extend(_first_seen(((f"sites.{si}.rooms.{ri}.racks.{ki}", k.id)
                                         for ki, k in enumerate(room.racks)), "rack", file,
                                        f" in room {room.id!r}"))
    return problems


def state_dir_problems(state_dir: str, file: str, base: Path) -> list[Problem]:
    """``state_dir`` must be a writable directory, or a path where one can be made: ``run``
    keeps its SQLite stores there and would otherwise fail at start, after ``check-config``
    said OK. A missing directory under an unwritable parent is not refused: inventories are
    often checked on another host than the one that runs them (``/var/lib/dcmon`` exists in
    the container only), and ``run`` says so in one line if it cannot create it."""
    try:
        path = base / state_dir
        if path.exists():
            if not path.is_dir():
                return [Problem(file, "state_dir", f"{state_dir} is a file, not a directory")]
            if not os.access(path, os.W_OK | os.X_OK):
                return [Problem(file, "state_dir", f"{state_dir} is not writable")]
            return []
        parent = next(p for p in path.parents if p.exists())
    except (OSError, ValueError) as exc:  # a NUL byte, a name too long
        return [Problem(file, "state_dir", f"{state_dir!r} is not a usable path: {exc}")]
    if not parent.is_dir():
        return [Problem(file, "state_dir", f"cannot be created: {parent} is a file")]
    return []


def _devices(m: ConfigModel, file: str, catalog: ProfileCatalog,
             problems: list[Problem]) -> list[DeviceSpec]:
    """Every device with its place and effective settings; duplicate ids and bad references
    are added to ``problems``."""
    seen: dict[str, str] = {}
    devices: list[DeviceSpec] = []
    known_profiles = [*catalog.names(), "auto"]
    for key, site, room, rack, dev in _walk_devices(m):
        if dev.id in seen:
            problems.append(Problem(file, f"{key}.id", f"duplicate device id {dev.id!r} "
                                                       f"(first at {seen[dev.id]})"))
        else:
            seen[dev.id] = key
        if dev.profile != "auto" and catalog.protocol_of(dev.profile) is None:
            known = ", ".join(known_profiles)
            problems.append(Problem(file, f"{key}.profile",
                                    f"unknown profile {dev.profile!r} (known: {known})"))
        problems.extend(_protocol_problems(dev, key, file, m, catalog))
        devices.append(_device_spec(m, key, site, room, rack, dev))
    return devices


def default_deadline(interval: float, timeout: float, retries: int) -> float:
    """The poll deadline nobody set: the interval, so a poll ends before the next is due, but
    at most DEFAULT_POLL_DEADLINE, at least MIN_POLL_DEADLINE (very short test intervals), and
    never shorter than one request's tries, so a dead device still says ``timeout``."""
    return max(min(interval, DEFAULT_POLL_DEADLINE), MIN_POLL_DEADLINE,
               timeout * (retries + 1))


def _device_spec(m: ConfigModel, key: str, site: Site, room: str, rack: str,
                 dev: Device) -> DeviceSpec:
    p = m.poll
    own = {k: v for k in FOREIGN_KEYS["snmp"] if (v := getattr(dev, k)) is not None}
    interval = dev.interval or p.interval
    return DeviceSpec(
        id=dev.id, site=site.id, room=room, rack=rack, key=key, host=dev.host,
        port=dev.port or DEFAULT_PORT[dev.protocol], protocol=dev.protocol,
        profile=dev.profile, credential=dev.credential or "",
        interval=interval,
        timeout=dev.timeout or p.timeout,
        retries=p.retries if dev.retries is None else dev.retries,
        max_repetitions=dev.max_repetitions,
        outlets=p.outlets if dev.outlets is None else dev.outlets, feed=dev.feed,
        parent=dev.parent, modbus=own or None,
        poll_deadline=dev.poll_deadline or p.poll_deadline
        or default_deadline(interval, dev.timeout or p.timeout,
                            p.retries if dev.retries is None else dev.retries),
        max_walk_rows=dev.max_walk_rows or p.max_walk_rows,
        max_poll_varbinds=dev.max_poll_varbinds or p.max_poll_varbinds,
        max_poll_bytes=dev.max_poll_bytes or p.max_poll_bytes,
    )


def _protocol_problems(dev: Device, key: str, file: str, m: ConfigModel,
                       catalog: ProfileCatalog) -> list[Problem]:
    """Settings that do not fit the device's protocol, and profiles of the other protocol."""
    problems = []
    for k in FOREIGN_KEYS[dev.protocol]:
        if getattr(dev, k) is not None:
            problems.append(Problem(file, f"{key}.{k}", f"not a setting of {dev.protocol} "
                                                        "devices"))
    proto = catalog.protocol_of(dev.profile)
    if proto is not None and proto != dev.protocol:
        problems.append(Problem(file, f"{key}.profile", f"profile {dev.profile!r} is a "
                                                        f"{proto} profile; set "
                                                        f"protocol: {proto}"))
    if "credential" in FOREIGN_KEYS[dev.protocol]:  # no authentication: no detection either
        if dev.profile == "auto":
            problems.append(Problem(file, f"{key}.profile", f"{dev.protocol} devices cannot be "
                                                            "detected: name their profile"))
    elif dev.credential is None:
        problems.append(Problem(file, f"{key}.credential", "required key is missing"))
    elif dev.credential not in m.credentials:
        defined = ", ".join(sorted(m.credentials)) or "none defined"
        problems.append(Problem(file, f"{key}.credential",
                                f"unknown credential {dev.credential!r} (defined: {defined})"))
    return problems


def load_config(path: str | Path, profiles: CatalogFactory, *, secrets: bool = False) -> Config:
    """Read and validate an inventory file (``secrets``: also read every env and file secret,
    see :func:`parse_config`)."""
    data = load_yaml(Path(path))
    return parse_config(data, str(path), profiles, Path(path).resolve().parent,
                        secrets=secrets, state=True)
