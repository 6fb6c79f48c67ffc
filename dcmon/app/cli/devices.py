"""``dcmon profiles`` and ``dcmon poll``: look at one device the way ``dcmon run`` does.

The options describe one device; they become a one-device inventory, checked by the same schema
as a real one, and the device is polled (or asked who it is) by the same
:class:`~dcmon.app.poller.Poller` that ``dcmon run`` uses. A device that answers here answers
the service the same way.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import click
from click.core import ParameterSource

from dcmon.app.cli.common import fail, registry_or_exit
from dcmon.app.inventory import parse_config
from dcmon.app.poller import Poller
from dcmon.collectors.registry import ProfileRegistry, describe
from dcmon.collectors.snmp.api import SnmpError
from dcmon.collectors.snmp.detect import Detection
from dcmon.config.loader import FOREIGN_KEYS
from dcmon.config.resolved import Config
from dcmon.errors import ConfigError
from dcmon.model import PollResult, Source

SITE = "command-line"


@click.group()
def profiles() -> None:
    """List, show and detect device profiles."""


@profiles.command("list")
@click.option("--profile-dir", multiple=True, help="Extra directory of profile YAML files.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def profiles_list(profile_dir: tuple[str, ...], fmt: str) -> None:
    """List every known profile."""
    reg = registry_or_exit(profile_dir)
    if fmt == "json":
        click.echo(json.dumps([{"profile": p.name, "protocol": p.protocol,
                                "description": p.description, "metrics": len(p.metrics),
                                "sys_object_id": list(getattr(p, "sys_object_ids", ()))}
                               for p in reg.all()], indent=2))
        return
    width = max((len(n) for n in reg.names()), default=10)
    for p in reg.all():
        click.echo(f"{p.name:<{width}}  {p.protocol:<6} {len(p.metrics):>3} metrics  "
                   f"{p.description}")


@profiles.command("show")
@click.argument("name")
@click.option("--profile-dir", multiple=True, help="Extra directory of profile YAML files.")
def profiles_show(name: str, profile_dir: tuple[str, ...]) -> None:
    """Show a compiled profile as JSON."""
    reg = registry_or_exit(profile_dir)
    p = reg.get(name)
    if p is None:
        fail([f"unknown profile {name!r} (known: {', '.join(reg.names())})"])
    click.echo(json.dumps(describe(p), indent=2))


_SNMP_OPTIONS = [
    click.option("--port", default=161, show_default=True, type=click.IntRange(1, 65535)),
    click.option("--snmp-version", "version", type=click.Choice(["1", "2c", "3"]),
                 default=None, help="Default: 3 when --v3-user is given, else 2c."),
    click.option("--community", envvar="DCMON_COMMUNITY", default="public",
                 show_default=True, help="Or env DCMON_COMMUNITY."),
    click.option("--v3-user", default=None),
    click.option("--v3-context", "context", default="", help="SNMPv3 context name."),
    click.option("--auth-protocol", type=click.Choice(
        ["MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"], case_sensitive=False)),
    click.option("--auth-key", envvar="DCMON_AUTH_KEY", help="Or env DCMON_AUTH_KEY."),
    click.option("--priv-protocol", type=click.Choice(
        ["DES", "AES", "AES128", "AES192", "AES256", "AES192C", "AES256C"],
        case_sensitive=False)),
    click.option("--priv-key", envvar="DCMON_PRIV_KEY", help="Or env DCMON_PRIV_KEY."),
    click.option("--timeout", default=2.0, show_default=True, type=float),
    click.option("--retries", default=1, show_default=True, type=int),
    click.option("--max-repetitions", default=25, show_default=True, type=int),
    click.option("--deadline", type=click.FloatRange(min=0, min_open=True), default=None,
                 help="Seconds the whole poll may take (SNMP; default 30, at least "
                      "timeout x (retries + 1))."),
    click.option("--client", "client_name", type=click.Choice(["pysnmp", "lean"]),
                 default="lean", show_default=True,
                 help="SNMP implementation for v1/v2c (v3 always uses pysnmp)."),
    click.option("--profile-dir", multiple=True, help="Extra directory of profile YAML files."),
]


def _snmp_options(f: Any) -> Any:
    for o in reversed(_SNMP_OPTIONS):
        f = o(f)
    return f


def _credential(version: str | None, community: str, v3_user: str | None, context: str,
                auth_protocol: str | None, auth_key: str | None, priv_protocol: str | None,
                priv_key: str | None) -> dict[str, Any]:
    """The inventory credential the options describe (secrets inline: they never print)."""
    version = version or ("3" if v3_user else "2c")
    if version != "3":
        return {"version": version, "community": community}
    cred: dict[str, Any] = {"version": "3", "user": v3_user or "", "context": context}
    if auth_protocol:
        cred.update(auth_protocol=auth_protocol.upper(), auth_key=auth_key)
    if priv_protocol:
        cred.update(priv_protocol=priv_protocol.upper(), priv_key=priv_key)
    return cred


def one_device(reg: ProfileRegistry, host: str, device: dict[str, Any],
               poll: dict[str, Any], credential: dict[str, Any] | None) -> Config:
    """A one-device inventory from command-line options, validated like any inventory."""
    dev = {"id": device.pop("id"), "host": host, **{k: v for k, v in device.items()
                                                    if v is not None}}
    inv: dict[str, Any] = {"poll": poll, "sites": [{"id": SITE, "devices": [dev]}]}
    if credential is not None:
        inv["credentials"] = {"command-line": credential}
        dev["credential"] = "command-line"
    return parse_config(inv, "<command line>", reg)


def _print_table(result: PollResult) -> None:
    """Readings with where each came from: OID and raw value (SNMP) or table and address."""
    none = Source("")  # `dcmon poll` polls with sources; a reading without one shows None
    modbus = any((r.source or none).table is not None for r in result.readings)
    where = ("TABLE", "ADDRESS") if modbus else ("OID",)
    rows = [(r.metric, f"{r.value:.6g}", r.unit,
             ",".join(f"{k}={v}" for k, v in sorted(r.labels.items())),
             *((str(s.table), str(s.address)) if modbus else (str(s.oid),)), str(s.raw))
            for r in result.readings for s in (r.source or none,)]
    head = ("METRIC", "VALUE", "UNIT", "LABELS", *where, "RAW")
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(head)]
    click.echo(f"device {result.device}  profile {result.profile}  "
               f"{len(result.readings)} readings in {result.duration * 1000:.0f} ms")
    click.echo("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    for e in result.errors:
        click.echo(f"error: {e.reason}: {e.message}" + (f" ({e.oid})" if e.oid else ""))


def _print_result(result: PollResult, fmt: str, stats: bool = False) -> None:
    cost = result.stats
    if fmt == "json":
        doc = result.as_dict()
        if stats and cost is not None:
            doc["stats"] = {"requests": cost.requests, "varbinds": cost.varbinds,
                            "bytes": cost.bytes}
        click.echo(json.dumps(doc, indent=2))
        return
    _print_table(result)
    if stats and cost is not None:
        click.echo(f"stats: {cost.requests} requests, {cost.varbinds} varbinds, "
                   f"{cost.bytes} bytes received, {len(result.readings)} readings")


def _refused(fmt: str, device: str, profile: str, reason: str, message: str) -> None:
    """A poll that could not start, in the same shapes as a PollResult; exit 1."""
    if fmt == "json":
        click.echo(json.dumps({"device": device, "profile": profile, "readings": [],
                               "errors": [{"reason": reason, "message": message, "oid": None}]},
                              indent=2))
    else:
        click.echo(f"{reason}: {message}", err=True)
    sys.exit(1)


async def _run_poll(cfg: Config, reg: ProfileRegistry) -> PollResult:
    poller = Poller(cfg, reg)
    try:
        return await poller.poll(cfg.devices[0])
    finally:
        await poller.close()


@click.command()
@click.argument("host")
@_snmp_options
@click.option("--profile", "profile_name", default="auto", show_default=True,
              help="Profile name, or auto (detect by sysObjectID and by what the device "
                   "answers).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--device-id", default=None, help="Device id to report (default: HOST).")
@click.option("--protocol", type=click.Choice(["snmp", "modbus"]), default="snmp",
              show_default=True, help="modbus: --port defaults to 502 and --profile is required.")
@click.option("--unit", type=click.IntRange(0, 255), default=1, show_default=True,
              help="Modbus unit (device) id.")
@click.option("--transport", type=click.Choice(["tcp", "rtu-over-tcp"]), default="tcp",
              show_default=True, help="Modbus TCP, or RTU frames through a serial gateway.")
@click.option("--stats", is_flag=True,
              help="Also print what the poll cost: requests, varbinds and bytes (SNMP).")
def poll(host: str, profile_name: str, profile_dir: tuple[str, ...], fmt: str,
         device_id: str | None, client_name: str, protocol: str, unit: int, transport: str,
         port: int, timeout: float, retries: int, max_repetitions: int,
         deadline: float | None, stats: bool, **cred: Any) -> None:
    """Poll one device once and print its readings (all of them, outlets included)."""
    reg = registry_or_exit(profile_dir)
    given = click.get_current_context().get_parameter_source("port") != ParameterSource.DEFAULT
    device: dict[str, Any] = {"id": device_id or host, "protocol": protocol,
                              "profile": profile_name, "port": port if given else None,
                              "outlets": True, "max_repetitions": max_repetitions,
                              "unit": unit, "transport": transport}
    foreign = FOREIGN_KEYS[protocol]  # options of the other protocols do not apply
    device = {k: v for k, v in device.items() if k not in foreign}
    try:
        cfg = one_device(reg, host, device, {"timeout": timeout, "retries": retries,
                                             "snmp_client": client_name,
                                             "poll_deadline": deadline},
                         None if "credential" in foreign else _credential(**cred))
    except ConfigError as exc:
        _refused(fmt, device_id or host, profile_name, "usage",
                 "; ".join(p.message for p in exc.problems))
    result = asyncio.run(_run_poll(cfg, reg))
    _print_result(result, fmt, stats)
    sys.exit(0 if result.ok else 1)


@profiles.command("detect")
@click.argument("host")
@_snmp_options
def profiles_detect(host: str, profile_dir: tuple[str, ...], client_name: str, port: int,
                    timeout: float, retries: int, max_repetitions: int,
                    deadline: float | None, **cred: Any) -> None:
    """Ask HOST who it is and print the profile dcmon would choose, and why."""
    reg = registry_or_exit(profile_dir)
    try:
        cfg = one_device(reg, host, {"id": host, "port": port,
                                     "max_repetitions": max_repetitions},
                         {"timeout": timeout, "retries": retries, "snmp_client": client_name,
                          "poll_deadline": deadline},
                         _credential(**cred))
    except ConfigError as exc:
        fail(exc.problems)
    sys.exit(asyncio.run(_detect(cfg, reg, host, port)))


async def _detect(cfg: Config, reg: ProfileRegistry, host: str, port: int) -> int:
    poller = Poller(cfg, reg)
    try:
        found = await poller.detect(cfg.devices[0])
    except SnmpError as exc:
        click.echo(f"{host}:{port}: {exc.reason}: {exc.message}", err=True)
        return 1
    finally:
        await poller.close()
    if isinstance(found, str):
        click.echo(found, err=True)
        return 1
    click.echo(f"sysObjectID: {found.sys_object_id or '(none)'}")
    click.echo(f"sysDescr:    {found.sys_descr}")
    click.echo(f"profile:     {found.profile.name if found.profile else '(none)'}")
    click.echo(f"why:         {found.reason}")
    _print_candidates(found)
    return 0 if found.profile else 1


def _print_candidates(found: Detection) -> None:
    """Every profile detection tried: how it was found and what it read."""
    if not found.candidates:
        return
    chosen = found.profile.name if found.profile else None
    complements = {p.name for p in found.complements}
    rows = [("", "CANDIDATE", "READ", "WITH STANDARD", "FOUND BY")]
    for c in found.candidates:
        mark = "*" if c.profile.name == chosen else "+" if c.profile.name in complements else ""
        read = str(c.readings) if c.tried else "-"
        note = c.via + ("" if c.tried else " (not polled: a named candidate reads)")
        rows.append((mark, c.profile.name, read, str(c.score) if c.tried else "-",
                     note + (f"; error: {c.error}" if c.error else "")))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    click.echo("candidates (* chosen, + completes it with the quantities it lacks):")
    for r in rows:
        click.echo("  " + "  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True))
                   + "  " + r[4])
