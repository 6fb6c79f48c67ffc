"""Commands that keep running: ``run`` (the service), ``demo`` and ``simulate``."""

from __future__ import annotations

import asyncio

import click

from dcmon.app.cli.common import fail, load_or_exit
from dcmon.app.demo import load_receivers, run_demo
from dcmon.app.service import ListenError, StartError, run_until_signal
from dcmon.app.shard import Shard
from dcmon.app.simulate import run_simulator
from dcmon.errors import ConfigError


@click.command()
@click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False))
@click.option("--listen", default=None,
              help="HOST:PORT for /metrics, /-/healthy and /-/ready (overrides "
                   "exporters.prometheus.listen).")
@click.option("--api-listen", default=None,
              help="HOST:PORT for the REST API, the status page and /-/reload (overrides "
                   "api.listen).")
@click.option("--shard", "shard_spec", default=None, envvar="DCMON_SHARD", show_envvar=True,
              metavar="K/N",
              help="Poll only shard K of N (K from 0: a StatefulSet ordinal): the devices "
                   "whose crc32(id) % N is K. Site PUE, capacity and alerts then come from "
                   "`dcmon rules --sharded` in Prometheus (docs/deployment.md).")
def run(config_file: str, listen: str | None, api_listen: str | None,
        shard_spec: str | None) -> None:
    """Poll every device in the inventory (or one shard's) and serve /metrics until SIGTERM;
    SIGHUP (or POST /-/reload) re-reads the inventory."""
    try:
        shard = None if shard_spec is None else Shard.parse(shard_spec)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--shard") from None
    cfg, reg = load_or_exit(config_file, secrets=True)  # every secret it uses, before starting
    try:
        asyncio.run(run_until_signal(cfg, reg, listen=listen, api_listen=api_listen,
                                     shard=shard))
    except StartError as exc:
        fail([str(exc)])


@click.command()
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
    if interval / speed < 0.2:
        raise click.BadParameter(f"{interval:g} simulated s at x{speed:g} polls every "
                                 f"{interval / speed:.2f} wall s; keep it >= 0.2",
                                 param_hint="--interval")
    try:
        extra = load_receivers(receivers)
    except (ConfigError, ValueError) as exc:
        fail([str(exc)])
    try:
        asyncio.run(run_demo(listen=listen, duration=duration, interval=interval,
                             api_listen=api_listen, speed=speed, receivers=extra))
    except ListenError as exc:
        fail([str(exc)])


@click.command()
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
    asyncio.run(run_simulator(speed=speed, host=host, base_port=base_port,
                              address=address, inventory_out=inventory_out, interval=interval,
                              events=events))
