"""Offline runs of the engine: ``dcmon replay``, and capacity from a store or recorded readings.

For backfill from exports, for audits and for tests. Input is JSON Lines, one Reading per line:

    {"ts": 1767225600, "device": "pdu-a01-a", "metric": "energy", "value": 7.2e9, "unit": "J",
     "labels": {"pdu": "1"}, "kind": "counter", "level": "total"}

Required: ``ts`` (Unix seconds), ``device``, ``metric``, ``value``, ``unit``. Optional:
``labels`` ({}), ``kind`` ("counter" for energy in J and water in m3, else "gauge"), ``level`` (""),
``rack_power`` (false), ``reset_marker``, ``counter_max`` and ``counter_capped`` (else taken
from the device's profile when the inventory names one), ``resettable``.
Lines must be in time order per series; devices may interleave in any order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

from dcmon.collectors.registry import ProfileRegistry
from dcmon.collectors.schema import counter_max
from dcmon.config.resolved import Config
from dcmon.engine.capacity.calculator import CapacityCalculator, latest_readings
from dcmon.engine.capacity.model import CityCapacity
from dcmon.engine.carbon.calculator import CarbonCalculator
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.pue import PueCalculator, PueResult
from dcmon.engine.store import Store
from dcmon.errors import ConfigError, Problem
from dcmon.model import Reading, Source

_SRC = Source("replay")


def counter_specs(config: Config, registry: ProfileRegistry
                   ) -> dict[tuple[str, str], tuple[float | None, bool, bool]]:
    """(device, metric) -> (counter_max, capped, resettable) from the devices' profiles."""
    out: dict[tuple[str, str], tuple[float | None, bool, bool]] = {}
    for d in config.devices:
        p = registry.get(d.profile)
        if p is None:
            continue
        for m in p.metrics:
            if m.kind == "counter":
                out[(d.id, m.name)] = (counter_max(m), m.cap is not None, m.resettable)
    return out


def parse_lines(lines: Iterable[str], file: str,
                specs: dict[tuple[str, str], tuple[float | None, bool, bool]]
                ) -> Iterator[Reading]:
    """Readings from JSON lines; a bad line raises ConfigError naming file and line.

    A year of a hundred meters is millions of lines, so the loop stays flat: one dictionary
    lookup per optional key, positional arguments, no helper calls for a well-formed line."""
    src, no_spec = _SRC, _NO_SPEC
    for n, line in enumerate(lines, 1):
        try:
            try:
                d, end = _scan(line, 0)
            except StopIteration:  # blank, leading whitespace, or not JSON
                if not line.strip():
                    continue
                d = json.loads(line)
            else:
                if end != len(line) and line[end:] != "\n" and line[end:].strip(" \t\n\r"):
                    d = json.loads(line)  # extra data: json.loads words the error
            unit = str(d["unit"])  # first: a line that is not an object fails here
            get = d.get
            device, metric = d["device"], d["metric"]
            spec = specs.get((device, metric), no_spec)
            yield Reading(
                str(device), str(metric), float(d["value"]), unit, get("labels") or {},
                float(d["ts"]), src,
                "counter" if get("kind", "counter" if unit in _COUNTING else "gauge") == "counter"
                else "gauge",
                str(get("level", "")), bool(get("rack_power")), get("reset_marker"),
                get("counter_max", spec[0]), bool(get("counter_capped", spec[1])),
                bool(get("resettable", spec[2])))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError([Problem(file, f"line {n}", f"not a reading: {exc!r}")]) from None


#: Units whose readings are counters unless a line says otherwise: energy and water volume.
_COUNTING = ("J", "m3")
_NO_SPEC: tuple[float | None, bool, bool] = (None, False, False)
#: The scanner json.loads runs (C), without the decoder's whitespace regexes around it; a line
#: it cannot read whole goes through json.loads, so errors read exactly as before.
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def replay(config: Config, registry: ProfileRegistry, stream: TextIO, file: str,
           store_path: str | Path = ":memory:", batch: int = 50_000,
           windows: list[str] | None = None) -> dict[str, Any]:
    """Run every reading through a fresh engine; return PUE results and account totals.

    Readings go in batches of ``batch``: the engine accounts a batch in memory and writes it
    in one transaction."""
    store = Store(store_path)
    engine = EnergyEngine(config, store)
    specs = counter_specs(config, registry)
    last_ts = 0.0
    count = 0
    readings = parse_lines(stream, file, specs)
    while buf := list(islice(readings, batch)):
        engine.ingest(buf)
        engine.flush()
        count += len(buf)
        last_ts = max((last_ts, *(r.ts for r in buf)))  # as max(last_ts, r.ts) per reading
        del buf  # before the next batch is read, not after: one batch in memory at a time
    calc = PueCalculator(config, engine)
    results = settled_results(calc, last_ts, windows) if last_ts else []
    now = max((r.end for r in results), default=0.0)
    carbon = CarbonCalculator(config, engine)
    co2, water = [], []
    for site, _ in calc.sites() if last_ts else []:
        c, w = carbon.results(settled_now(calc, site, last_ts), windows, site)
        co2 += [r.as_dict() for r in c]
        water += [r.as_dict() for r in w]
    waters = {k: {"device": s.device, "metric": s.metric, "labels": dict(s.labels),
                  "lifetime_m3": total, "wraps": wraps, "resets": resets}
              for k, (s, total, wraps, resets) in sorted(engine.water_lifetime().items())}
    accounts = {k: {"device": s.device, "metric": s.metric, "labels": dict(s.labels),
                    "lifetime_j": total, "wraps": wraps, "resets": resets,
                    "false_zeros": engine.counters[k].false_zeros}
                for k, (s, total, wraps, resets) in sorted(engine.lifetime().items())}
    store.close()
    return {"readings": count, "end": now, "results": [r.as_dict() for r in results],
            "accounts": accounts, "carbon": co2, "water": water, "water_accounts": waters}


def settled_results(calc: PueCalculator, last_ts: float, windows: list[str] | None
                    ) -> list[PueResult]:
    """PUE windows of every site, ending at the last hour boundary that all its meters have
    reported past.

    An hour is booked whole only once every meter has been read at or after its end; a window
    closed sooner holds a nearly empty last hour in which the meters read last are missing
    minutes, and facility and IT meters are read at different moments (docs/energy.md,
    "settled"). A meter silent for longer than the live service waits
    (:meth:`PueCalculator.settle_s` before the last reading) is not waited for: it is missing,
    and the window's coverage says so.
    """
    out: list[PueResult] = []
    for site, _ in calc.sites():
        out += calc.results(settled_now(calc, site, last_ts), windows, site)
    return out


def settled_now(calc: PueCalculator, site: str, last_ts: float) -> float:
    """The moment a replay's windows of ``site`` end at (see :func:`settled_results`)."""
    waited = last_ts - calc.settle_s()
    seen = calc.reported_until(site)
    return waited if seen is None else max(seen, waited)


def capacity_from_store(config: Config, store_path: str | Path, now: float,
                        site: str | None = None,
                        readings: Mapping[str, Sequence[Reading]] | None = None
                        ) -> CityCapacity:
    """Capacity from the state store of ``dcmon run`` (its history) and ``readings``, the
    service's latest (dcmon/app/live.py); without them live values are missing and flagged."""
    store = Store(store_path)
    try:
        return CapacityCalculator(config, EnergyEngine(config, store)).compute(
            now, readings or {}, site)
    finally:
        store.close()


def capacity_from_readings(config: Config, registry: ProfileRegistry, lines: Iterable[str],
                           file: str, store_path: str | Path = ":memory:",
                           now: float | None = None) -> CityCapacity:
    """Replay JSON-lines readings (docs/energy.md format) and compute capacity at ``now``
    (default: the last reading's time); the last readings of each device are the snapshot."""
    store = Store(store_path)
    try:
        engine = EnergyEngine(config, store)
        readings = list(parse_lines(lines, file, counter_specs(config, registry)))
        # Time order per series is required; a stable sort by time keeps the file's order.
        readings.sort(key=lambda r: r.ts)
        engine.ingest(readings)
        engine.flush()
        at = now if now is not None else (max((r.ts for r in readings), default=0.0))
        return CapacityCalculator(config, engine).compute(at, latest_readings(readings))
    finally:
        store.close()
