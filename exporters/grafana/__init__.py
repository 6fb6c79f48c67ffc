"""Grafana dashboards as code for dcmon (grafana-foundation-sdk, Grafana 11.6 schema).

* :mod:`dcmon.exporters.grafana.boards`: the five dashboards (city overview, site PUE
  compliance, rack capacity, cooling, device health) over the series dcmon exports;
* :mod:`dcmon.exporters.grafana.build`: deterministic JSON for ``dashboards/json`` and provisioning;
* :mod:`dcmon.exporters.grafana.push`: upload through Grafana's HTTP API with grafana-client.

Nothing is imported here, so ``import dcmon.exporters.grafana`` works without the ``dashboards``
extra; see dashboards/README.md.
"""
