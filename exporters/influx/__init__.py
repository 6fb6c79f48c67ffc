"""InfluxDB v2 exporter: every reading as line protocol, batched, spooled to disk while down.

The inventory schema for this exporter lives in :mod:`dcmon.config.influx` (the core never
imports exporters), so loading an inventory does not pull in the HTTP client. The writer lives in
:mod:`dcmon.exporters.influx.exporter`.
"""
