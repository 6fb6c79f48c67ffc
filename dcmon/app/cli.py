"""The ``dcmon`` command line: check-config, profiles, poll, run and demo.

Commands are thin: they parse options, call the core, and print. Exit codes: 0 good, 1 the input
(config, profile, device) is bad, 2 usage errors (click's own).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from dcmon import __version__
from dcmon.app.report import report
from dcmon.collectors.modbus.model import CompiledModbusProfile
from dcmon.collectors.registry import ProfileRegistry, describe
from dcmon.collectors.snmp.api import SnmpError, SnmpTarget
from dcmon.errors import ConfigError
from dcmon.model import PollResult

log = logging.getLogger("dcmon")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # pysnmp and apscheduler are chatty at INFO; their news is not the operator's.
    for noisy in ("apscheduler", "pysnmp", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # "skipped: maximum number of running instances reached" is the no-overlap rule working
    # (a dead device's poll outlasting its interval); the health log already says it is down.
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)


def _registry(profile_dirs: tuple[str, ...] = ()) -> ProfileRegistry:
    try:
        return ProfileRegistry.load(Path(d) for d in profile_dirs)
    except ConfigError as exc:
        for p in exc.problems:
            click.echo(str(p), err=True)
        sys.exit(1)


@click.group()
@click.version_option(__version__, prog_name="dcmon")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def main(verbose: bool) -> None:
    """dcmon: data-centre energy and capacity monitor."""
    _setup_logging(verbose)


@main.command("check-config")
@click.argument("file", type=click.Path(dir_okay=False))
def check_config(file: str) -> None:
    """Validate an inventory FILE: exit 0 when good, else print one line per problem."""
    from dcmon.app.inventory import load_config

    try:
        cfg = load_config(file)
    except ConfigError as exc:
        for p in exc.problems:
            click.echo(str(p))
        click.echo(f"{file}: {len(exc.problems)} problem(s)", err=True)
        sys.exit(1)
    n_sites = len(cfg.model.sites)
    click.echo(f"{file}: OK: {n_sites} site(s), {len(cfg.devices)} device(s), "
               f"{len(cfg.credentials)} credential(s)")
    for name, cred in sorted(cfg.credentials.items()):
        click.echo(f"  credential {name}: {cred.security}")
    for site in cfg.model.sites:
        metered, racks, best = cfg.metering(site.id)
        share = f"{metered}/{racks} racks ({metered / racks:.0%})" if racks else "no racks"
        if site.energy is None:
            click.echo(f"  site {site.id}: no energy topology (no PUE); IT metering in {share}")
            continue
        click.echo(f"  site {site.id}: PUE category {site.energy.category} "
                   f"({site.energy.it_level}); metering allows category {best}; IT metering "
                   f"in {share}")


# ------------------------------------------------------------------------------------ profiles


@main.group()
def profiles() -> None:
    """List, show and detect device profiles."""


@profiles.command("list")
@click.option("--profile-dir", multiple=True, help="Extra directory of profile YAML files.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def profiles_list(profile_dir: tuple[str, ...], fmt: str) -> None:
    """List every known profile."""
    reg = _registry(profile_dir)
    if fmt == "json":
        click.echo(json.dumps([{"profile": p.name, "protocol": p.protocol,
                                "description": p.description, "metrics": len(p.metrics),
                                "sys_object_id": list(p.sys_object_ids)} for p in reg.all()],
                              indent=2))
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
    reg = _registry(profile_dir)
    p = reg.get(name)
    if p is None:
        click.echo(f"unknown profile {name!r} (known: {', '.join(reg.names())})", err=True)
        sys.exit(1)
    click.echo(json.dumps(describe(p), indent=2))


def _snmp_options(f: Any) -> Any:
    opts = [
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
        click.option("--client", "client_name", type=click.Choice(["pysnmp", "lean"]),
                     default="lean", show_default=True,
                     help="SNMP implementation for v1/v2c (v3 always uses pysnmp)."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _target(host: str, port: int, version: str | None, community: str, v3_user: str | None,
            context: str, auth_protocol: str | None, auth_key: str | None,
            priv_protocol: str | None, priv_key: str | None, timeout: float, retries: int,
            max_repetitions: int) -> SnmpTarget:
    version = version or ("3" if v3_user else "2c")
    return SnmpTarget(
        host=host, port=port, version=version, community=community, user=v3_user or "",
        auth_protocol=auth_protocol.upper() if auth_protocol else None, auth_key=auth_key,
        priv_protocol=priv_protocol.upper() if priv_protocol else None, priv_key=priv_key,
        context=context, timeout=timeout, retries=retries, max_repetitions=max_repetitions,
    )


def _client(name: str, target: SnmpTarget | None = None) -> Any:
    if name == "lean" and (target is None or target.version != "3"):
        from dcmon.collectors.snmp.lean import LeanSnmpClient

        return LeanSnmpClient()
    from dcmon.collectors.snmp.client import PysnmpClient

    return PysnmpClient()


@profiles.command("detect")
@click.argument("host")
@_snmp_options
@click.option("--profile-dir", multiple=True)
def profiles_detect(host: str, profile_dir: tuple[str, ...], client_name: str,
                    **kw: Any) -> None:
    """Ask HOST who it is and print the profile dcmon would choose, and why."""
    from dcmon.collectors.snmp.detect import detect

    reg = _registry(profile_dir)
    target = _target(host, **kw)

    async def go() -> int:
        client = _client(client_name, target)
        try:
            found = await detect(client, target, reg.all())
        except SnmpError as exc:
            click.echo(f"{host}:{target.port}: {exc.reason}: {exc.message}", err=True)
            return 1
        finally:
            await client.close()
        click.echo(f"sysObjectID: {found.sys_object_id or '(none)'}")
        click.echo(f"sysDescr:    {found.sys_descr}")
        click.echo(f"profile:     {found.profile.name if found.profile else '(none)'}")
        click.echo(f"why:         {found.reason}")
        return 0 if found.profile else 1

    sys.exit(asyncio.run(go()))


# ---------------------------------------------------------------------------------------- poll


def _print_table(result: PollResult) -> None:
    """Readings with where each came from: OID and raw value (SNMP) or table and address."""
    modbus = any(r.source.protocol == "modbus" for r in result.readings)
    where = ("TABLE", "ADDRESS") if modbus else ("OID",)
    rows = [(r.metric, f"{r.value:.6g}", r.unit,
             ",".join(f"{k}={v}" for k, v in sorted(r.labels.items())),
             *((str(r.source.table), str(r.source.address)) if modbus else (str(r.source.oid),)),
             str(r.source.raw)) for r in result.readings]
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


def _poll_failed(fmt: str, device: str, profile: str, reason: str, message: str) -> int:
    """Print a poll that produced nothing, in the same shapes as a PollResult; return 1."""
    if fmt == "json":
        click.echo(json.dumps({"device": device, "profile": profile, "readings": [],
                               "errors": [{"reason": reason, "message": message, "oid": None}]},
                              indent=2))
    else:
        click.echo(f"{reason}: {message}", err=True)
    return 1


def _poll_modbus(reg: ProfileRegistry, host: str, profile_name: str, fmt: str,
                 device_id: str | None, protocol: str, unit: int, transport: str,
                 kw: dict[str, Any]) -> int:
    """``dcmon poll --protocol modbus``: one Modbus unit, one profile, the same JSON contract."""
    from click.core import ParameterSource

    from dcmon.collectors.modbus.client import BusSpec
    from dcmon.collectors.modbus.collector import ModbusCollector, ModbusDevice

    device = device_id or host
    profile = reg.get(profile_name)
    modbus_names = ", ".join(p.name for p in reg.all() if isinstance(p, CompiledModbusProfile))
    if protocol != "modbus":
        return _poll_failed(fmt, device, profile_name, "usage", f"profile {profile_name!r} is "
                            "a Modbus profile: add --protocol modbus")
    if not isinstance(profile, CompiledModbusProfile):
        what = ("Modbus has no auto-detection: name the profile with --profile"
                if profile_name == "auto" else f"{profile_name!r} is not a Modbus profile"
                if profile is not None else f"unknown profile {profile_name!r}")
        return _poll_failed(fmt, device, profile_name, "usage",
                            f"{what} (Modbus profiles: {modbus_names})")
    ctx = click.get_current_context()
    port = 502 if ctx.get_parameter_source("port") == ParameterSource.DEFAULT else kw["port"]
    dev = ModbusDevice(device, BusSpec(host, port, "rtu-over-tcp" if transport == "rtu-over-tcp"
                                       else "tcp", timeout=kw["timeout"]),
                       unit=unit, retries=kw["retries"])

    async def go() -> PollResult:
        collector = ModbusCollector()
        try:
            return await collector.poll(dev, profile)
        finally:
            await collector.close()

    result = asyncio.run(go())
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), indent=2))
    else:
        _print_table(result)
    return 0 if result.ok else 1


@main.command()
@click.argument("host")
@_snmp_options
@click.option("--profile", "profile_name", default="auto", show_default=True,
              help="Profile name, or auto (detect by sysObjectID).")
@click.option("--profile-dir", multiple=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--device-id", default=None, help="Device id to report (default: HOST).")
@click.option("--protocol", type=click.Choice(["snmp", "modbus"]), default="snmp",
              show_default=True, help="modbus: --port defaults to 502 and --profile is required.")
@click.option("--unit", type=click.IntRange(0, 255), default=1, show_default=True,
              help="Modbus unit (device) id.")
@click.option("--transport", type=click.Choice(["tcp", "rtu-over-tcp"]), default="tcp",
              show_default=True, help="Modbus TCP, or RTU frames through a serial gateway.")
def poll(host: str, profile_name: str, profile_dir: tuple[str, ...], fmt: str,
         device_id: str | None, client_name: str, protocol: str, unit: int, transport: str,
         **kw: Any) -> None:
    """Poll one device once and print its readings (all of them, outlets included)."""
    from dcmon.collectors.snmp.collector import SnmpCollector
    from dcmon.collectors.snmp.detect import detect

    reg = _registry(profile_dir)
    if protocol == "modbus" or isinstance(reg.get(profile_name), CompiledModbusProfile):
        sys.exit(_poll_modbus(reg, host, profile_name, fmt, device_id, protocol, unit,
                              transport, kw))
    target = _target(host, **kw)
    device = device_id or host

    async def go() -> PollResult | str:
        client = _client(client_name, target)
        try:
            if profile_name == "auto":
                try:
                    found = await detect(client, target, reg.all())
                except SnmpError as exc:
                    return f"{exc.reason}: {exc.message}"
                if found.profile is None:
                    return f"no_profile: {found.reason}"
                profile = found.profile
            else:
                p = reg.get(profile_name)
                if p is None:
                    return f"unknown profile {profile_name!r} (known: {', '.join(reg.names())})"
                profile = p
            return await SnmpCollector(client).poll(device, target, profile,
                                                    include_outlets=True)
        finally:
            await client.close()

    result = asyncio.run(go())
    if isinstance(result, str):
        if fmt == "json":
            reason, _, msg = result.partition(": ")
            click.echo(json.dumps({"device": device, "profile": profile_name, "readings": [],
                                   "errors": [{"reason": reason, "message": msg, "oid": None}]},
                                  indent=2))
        else:
            click.echo(result, err=True)
        sys.exit(1)
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), indent=2))
    else:
        _print_table(result)
    sys.exit(0 if result.ok else 1)


# ----------------------------------------------------------------------------------- pue/replay


def _load(config_file: str) -> Any:
    from dcmon.app.inventory import load_config

    try:
        return load_config(config_file)
    except ConfigError as exc:
        for p in exc.problems:
            click.echo(str(p), err=True)
        sys.exit(1)


def _print_pue(results: list[Any]) -> None:
    head = f"{'SITE':14} {'ZONE':10} {'WINDOW':8} {'PUE':>7} {'CAT':>3} {'COVER':>6} " \
           f"{'IT kWh':>12} {'DC kWh':>12} {'LOAD':>6}  STATUS"
    click.echo(head)
    for r in results:
        pue = f"{r.value:.3f}" if r.value is not None else "-"
        load = f"{r.it_load_fraction:.0%}" if r.it_load_fraction is not None else "-"
        status = r.status + (" interim" if r.interim and r.status == "ok" else "")
        if r.reason:
            status += f": {r.reason}"
        click.echo(f"{r.site:14} {r.zone or '':10} {r.window:8} {pue:>7} {r.category:>3} "
                   f"{r.coverage:6.1%} {r.it_kwh:12.1f} {r.facility_kwh:12.1f} {load:>6}  "
                   f"{status}")


@main.command()
@click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False))
@click.option("--site", default=None)
@click.option("--window", "windows", multiple=True,
              help="1h, 24h, 7d, 30d, 365d, month, month:YYYY-MM, year, year:YYYY "
                   "(repeatable; default: all rolling windows, this month and this year)")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def pue(config_file: str, site: str | None, windows: tuple[str, ...], fmt: str) -> None:
    """Energy-based PUE per site and window, from the state store of ``dcmon run``."""
    import time

    from dcmon.engine.ingest import EnergyEngine
    from dcmon.engine.pue import PueCalculator
    from dcmon.engine.store import Store

    cfg = _load(config_file)
    state = Path(config_file).resolve().parent / cfg.model.state_dir / "dcmon.sqlite"
    if not state.exists():
        click.echo(f"no state store at {state}: run `dcmon run --config {config_file}` first",
                   err=True)
        sys.exit(1)
    engine = EnergyEngine(cfg, Store(state))
    try:
        calc = PueCalculator(cfg, engine)  # a live store: only hours every meter has passed
        results = calc.results(time.time(), list(windows) or None, site, calc.settle_s())
    except ValueError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    if fmt == "json":
        click.echo(json.dumps([r.as_dict() for r in results], indent=2))
    else:
        _print_pue(results)


@main.command()
@click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False))
@click.argument("readings", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--store", "store_path", default=":memory:", show_default=True,
              help="SQLite file to keep the replayed state in.")
@click.option("--window", "windows", multiple=True, help="As for `dcmon pue` (repeatable).")
def replay(config_file: str, readings: str, store_path: str, windows: tuple[str, ...]) -> None:
    """Feed READINGS.jsonl (one Reading per line) through the engine and print JSON results."""
    from dcmon.app.replay import replay as run_replay

    cfg = _load(config_file)
    reg = _registry(tuple(str(Path(config_file).resolve().parent / d)
                          for d in cfg.model.profile_dirs))
    try:
        if readings == "-":
            out = run_replay(cfg, reg, sys.stdin, "<stdin>", store_path,
                             windows=list(windows) or None)
        else:
            with open(readings, encoding="utf-8") as f:
                out = run_replay(cfg, reg, f, readings, store_path,
                                 windows=list(windows) or None)
    except ConfigError as exc:
        for p in exc.problems:
            click.echo(str(p), err=True)
        sys.exit(1)
    click.echo(json.dumps(out, indent=2))


# --------------------------------------------------------------------------------- rules/alerts


@main.command()
@click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option("--sharded", is_flag=True,
              help="Alert on the PUE recorded from energy counters summed over shards.")
def rules(config_file: str, out_dir: str, sharded: bool) -> None:
    """Write Prometheus rules (rules.yml) and their promtool tests (rules_test.yml)."""
    from dcmon.exporters.rules.cli import write_rules

    for path in write_rules(_load(config_file), Path(out_dir), sharded):
        click.echo(str(path))


@main.command()
@click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False))
@click.option("--all", "include_resolved", is_flag=True, help="Also resolved alerts.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def alerts(config_file: str, include_resolved: bool, fmt: str) -> None:
    """List alerts from the state of ``dcmon run`` (<state_dir>/alerts.sqlite)."""
    from dcmon.exporters.notify.cli import print_alerts

    sys.exit(print_alerts(_load(config_file), include_resolved, fmt))


# ------------------------------------------------------------------------------------ run/demo


@main.command()
@click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False))
@click.option("--listen", default=None, help="HOST:PORT for /metrics (overrides the config).")
def run(config_file: str, listen: str | None) -> None:
    """Poll every device in the inventory and serve /metrics until SIGTERM."""
    from dcmon.app.inventory import load_config
    from dcmon.app.service import run_until_signal

    try:
        cfg = load_config(config_file)
    except ConfigError as exc:
        for p in exc.problems:
            click.echo(str(p), err=True)
        sys.exit(1)
    reg = _registry(tuple(str(Path(config_file).resolve().parent / d)
                          for d in cfg.model.profile_dirs))
    asyncio.run(run_until_signal(cfg, reg, listen=listen))


@main.command()
@click.option("--listen", default="127.0.0.1:9630", show_default=True,
              help="HOST:PORT for /metrics.")
@click.option("--duration", type=float, default=None,
              help="Stop after this many (wall) seconds (default: run until Ctrl-C).")
@click.option("--interval", type=float, default=120.0, show_default=True,
              help="Poll interval in simulated seconds (1 s of wall time at x120).")
@click.option("--api-listen", default="127.0.0.1:9640", show_default=True,
              help="HOST:PORT for the REST API and the status page (docs/api.md).")
@click.option("--speed", type=click.FloatRange(min=1.0, max=3600.0), default=120.0,
              show_default=True, help="Simulated seconds per real second (1: real time).")
@click.option("--receivers", type=click.Path(exists=True, dir_okay=False), default=None,
              help="YAML with alerting receivers (and routes) to notify besides the console "
                   "(docs/alerts.md), e.g. your DingTalk robot or a test SMTP server.")
def demo(listen: str, duration: float | None, interval: float, api_listen: str,
         speed: float, receivers: str | None) -> None:
    """Run a simulated city on 127.0.0.1 and monitor it: no hardware, no servers needed."""
    from dcmon.app.demo import run_demo

    if interval / speed < 0.2:
        raise click.BadParameter(f"{interval:g} simulated s at x{speed:g} polls every "
                                 f"{interval / speed:.2f} wall s; keep it >= 0.2",
                                 param_hint="--interval")
    asyncio.run(run_demo(listen=listen, duration=duration, interval=interval,
                         api_listen=api_listen, speed=speed, receivers=receivers))


@main.command()
@click.option("--speed", type=click.FloatRange(min=1.0, max=3600.0), default=1.0,
              show_default=True, help="Simulated seconds per real second (keep 1 when another "
                                      "process polls it: it cannot share the clock).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address the agents bind (0.0.0.0 inside a container).")
@click.option("--base-port", type=click.IntRange(1, 65000), default=None,
              help="First port; each site takes a block of 20 consecutive ports "
                   "(default: any free ports).")
@click.option("--address", default="127.0.0.1", show_default=True,
              help="Host name dcmon uses to reach the agents, written into the inventory.")
@click.option("--inventory-out", type=click.Path(dir_okay=False), default=None,
              help="Write the inventory here (default: print it).")
@click.option("--interval", type=float, default=60.0, show_default=True,
              help="Poll interval written into the inventory (seconds).")
@click.option("--events/--no-events", default=True, show_default=True,
              help="Scripted counter wrap, user reset and PDU outage.")
def simulate(speed: float, host: str, base_port: int | None, address: str,
             inventory_out: str | None, interval: float, events: bool) -> None:
    """Run only the simulated city (4 sites: PDUs, UPSes, InRow units, Modbus meters)."""
    from dcmon.app.simulate import run_simulator

    asyncio.run(run_simulator(speed=speed, host=host, base_port=base_port,
                              address=address, inventory_out=inventory_out, interval=interval,
                              events=events))


# ---------------------------------------------------------------------------------- dashboards


@main.group()
def dashboards() -> None:
    """Grafana dashboards as code (exporters/grafana, dashboards/README.md)."""


@dashboards.command("build")
@click.option("--out", "out_dir", default="dashboards/json", show_default=True,
              type=click.Path(file_okay=False), help="Directory for the JSON files.")
def dashboards_build(out_dir: str) -> None:
    """Write one JSON file per dashboard (what Grafana's file provisioning reads)."""
    from dcmon.exporters.grafana.cli import build_command

    sys.exit(build_command(Path(out_dir)))


@dashboards.command("push")
@click.option("--url", required=True, help="Grafana's base URL, e.g. http://localhost:3000.")
@click.option("--token", envvar="DCMON_GRAFANA_TOKEN", default=None,
              help="Service-account token (or env DCMON_GRAFANA_TOKEN).")
@click.option("--folder", default="dcmon", show_default=True,
              help="Folder title; '' for the General folder.")
def dashboards_push(url: str, token: str | None, folder: str) -> None:
    """Upload every dashboard through Grafana's HTTP API (replaces the same uid)."""
    from dcmon.exporters.grafana.cli import push_command

    sys.exit(push_command(url, token, folder or None))


main.add_command(report)  # dcmon report capacity (dcmon/report_cli.py)


if __name__ == "__main__":  # pragma: no cover
    main()
