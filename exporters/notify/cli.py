"""``dcmon alerts``: list the alerts kept by ``dcmon run`` and the outbox per receiver."""

from __future__ import annotations

import json

import click

from dcmon.config.resolved import Config
from dcmon.engine.alerts.state import iso
from dcmon.engine.alerts.store import AlertStore, alerts_path


def print_alerts(cfg: Config, include_resolved: bool, fmt: str) -> int:
    path = alerts_path(cfg)
    if not path.exists():
        click.echo(f"no alert state at {path}: run `dcmon run` first", err=True)
        return 1
    store = AlertStore(path)
    try:
        alerts = store.alerts(include_resolved)
        counts = store.outbox_counts()
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps({"alerts": [{
            "fingerprint": a.fingerprint, "state": a.state, "labels": a.labels,
            "annotations": a.annotations, "active_since": iso(a.active_since),
            "value": a.value} for a in alerts], "outbox": counts}, indent=2,
            ensure_ascii=False))
        return 0
    click.echo(f"{'STATE':9} {'SEVERITY':9} {'ALERT':24} {'SINCE':21} {'VALUE':>8}  WHERE")
    for a in alerts:
        where = ",".join(f"{k}={v}" for k, v in a.labels.items()
                         if k not in ("alertname", "severity"))
        value = f"{a.value:.4g}" if a.value is not None else "-"
        click.echo(f"{a.state:9} {a.labels.get('severity', ''):9} {a.alertname:24} "
                   f"{iso(a.active_since)[:19]:21} {value:>8}  {where}")
        click.echo(f"{'':9} {a.annotations.get('summary', '')}")
    for rcv, c in sorted(counts.items()):
        click.echo(f"outbox {rcv}: {c['queued']} queued, {c['delivered']} delivered, "
                   f"{c['dead']} given up")
    return 0
