"""The writer's own health as Prometheus metrics: backlog, throughput, drops and errors.

A custom collector reads one consistent :class:`InfluxStats` per scrape, so the spool gauges and
the counters agree with each other, and a scrape never waits on a write.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from dcmon.exporters.influx.exporter import DROP_REASONS, InfluxWriter


class InfluxCollector(Collector):
    """Yields ``dcmon_influx_*`` from the writer's stats."""

    def __init__(self, writer: InfluxWriter) -> None:
        self.writer = writer

    def describe(self) -> list[Metric]:
        # Nothing at registration: collect() then runs only on scrapes.
        return []

    def collect(self) -> Iterator[Metric]:
        s = self.writer.stats()
        yield GaugeMetricFamily("dcmon_influx_spool_points",
                                "Points waiting in the disk spool for the InfluxDB server",
                                value=float(s.spool_points))
        yield GaugeMetricFamily("dcmon_influx_spool_bytes", "Size of the disk spool",
                                value=float(s.spool_bytes))
        yield GaugeMetricFamily("dcmon_influx_queue_points",
                                "Points in memory between the poller and the writer",
                                value=float(s.queue_points))
        yield GaugeMetricFamily("dcmon_influx_up", "1 if the last write to InfluxDB succeeded",
                                value=1.0 if s.up else 0.0)
        yield CounterMetricFamily("dcmon_influx_written_points",
                                  "Points the InfluxDB server acknowledged",
                                  value=float(s.written_points))
        yield CounterMetricFamily("dcmon_influx_write_errors",
                                  "Write requests that failed (refused, timed out, rejected)",
                                  value=float(s.write_errors))
        dropped = CounterMetricFamily(
            "dcmon_influx_dropped_points",
            "Points never written, by reason: spool_full (oldest dropped), queue_full, "
            "rejected (HTTP 400/422), invalid (NaN or infinite value), closed",
            labels=["reason"])
        for reason in DROP_REASONS:
            dropped.add_metric([reason], float(s.dropped.get(reason, 0)))
        yield dropped
