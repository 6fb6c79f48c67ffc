"""Self-metrics of alerting: active alerts and the outbox per receiver.

A receiver that has been failing for an hour shows as a growing ``queued`` count long before
anyone misses a notification; alert on it in Prometheus (exporters/notify/README.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from dcmon.engine.alerts.store import AlertStore


class NotifyCollector(Collector):
    def __init__(self, store: AlertStore) -> None:
        self.store = store

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        alerts = GaugeMetricFamily("dcmon_alerts", "Active alerts by name, severity and state",
                                   labels=["alertname", "severity", "state"])
        counts = Counter((a.alertname, a.labels.get("severity", ""), a.state)
                         for a in self.store.alerts())
        for key, n in sorted(counts.items()):
            alerts.add_metric(list(key), float(n))
        yield alerts
        queued = GaugeMetricFamily("dcmon_notify_queued", "Notifications waiting in the "
                                   "outbox", labels=["receiver"])
        sent = CounterMetricFamily("dcmon_notify_delivered", "Notifications delivered",
                                   labels=["receiver"])
        dead = CounterMetricFamily("dcmon_notify_dropped", "Notifications given up after "
                                   "outbox.max_age", labels=["receiver"])
        for rcv, c in sorted(self.store.outbox_counts().items()):
            queued.add_metric([rcv], float(c["queued"]))
            sent.add_metric([rcv], float(c["delivered"]))
            dead.add_metric([rcv], float(c["dead"]))
        yield from (queued, sent, dead)
