"""Tenant statements from the state of ``dcmon run`` or from recorded readings.

The engine computes a statement from an energy engine and its store
(:func:`dcmon.engine.tenants.statement.statement`); this module opens one: the store the
service keeps in ``state_dir``, or a fresh one filled by replaying JSON-lines readings (the
format of docs/energy.md), for audits, backfills and tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from dcmon.app.replay import counter_specs, parse_lines
from dcmon.collectors.registry import ProfileRegistry
from dcmon.config.resolved import Config
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.store import Store
from dcmon.engine.tenants.model import Statement
from dcmon.engine.tenants.statement import GridFactor, statement


def statement_from_store(config: Config, store_path: str | Path, site: str, month: str | None,
                         now: float, grid_factor: GridFactor | None = None,
                         settle: float = 0.0) -> Statement:
    """The statement from the store of ``dcmon run`` (its hourly energy)."""
    store = Store(store_path)
    try:
        return statement(config, EnergyEngine(config, store), site, month, now, grid_factor,
                         settle)
    finally:
        store.close()


def statement_from_readings(config: Config, registry: ProfileRegistry, lines: Iterable[str],
                            file: str, site: str, month: str | None,
                            grid_factor: GridFactor | None = None,
                            now: float | None = None) -> Statement:
    """Replay JSON-lines readings into a fresh store and compute the statement as of ``now``
    (default: the last reading's time)."""
    store = Store(":memory:")
    try:
        engine = EnergyEngine(config, store)
        readings = list(parse_lines(lines, file, counter_specs(config, registry)))
        readings.sort(key=lambda r: r.ts)  # stable: the file's order within a time
        engine.ingest(readings)
        engine.flush()
        at = now if now is not None else max((r.ts for r in readings), default=0.0)
        return statement(config, engine, site, month, at, grid_factor)
    finally:
        store.close()
