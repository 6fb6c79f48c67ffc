"""The five dcmon dashboards, as grafana-foundation-sdk builders (Grafana 11.6 schema).

Every query uses only series dcmon exports (exporters/prometheus/*.py, docs/metrics.md,
docs/energy.md, docs/capacity.md), and every panel must show data on the simulated city of
``dcmon demo`` (a test proves it against a real Prometheus). Two rules follow from that:

* the energy PUE of a window (``dcmon_site_pue_ratio``) is *absent* while the engine withholds
  it (coverage below 0.9, the first hour of every new site), so no panel relies on it alone:
  plots add the live PUE as a ``window="live"`` series, and tables keep a row per window from
  the always-present coverage series, with NaN (shown as "withheld") in the PUE column;
* figures that need hardware the demo lacks (cooling-unit power, humidity, zone pPUE, the
  capacity forecast) are left out rather than shown empty; dashboards/README.md lists them.

Each dashboard is a module with one function per panel.
"""

from __future__ import annotations

from collections.abc import Callable

from grafana_foundation_sdk.builders import dashboard as db

from dcmon.exporters.grafana.boards.carbon import site_carbon
from dcmon.exporters.grafana.boards.city import city_overview
from dcmon.exporters.grafana.boards.cooling import cooling
from dcmon.exporters.grafana.boards.devices import device_health
from dcmon.exporters.grafana.boards.racks import rack_capacity
from dcmon.exporters.grafana.boards.site_pue import site_pue

#: File stem (dashboards/json/<stem>.json) -> dashboard builder.
DASHBOARDS: dict[str, Callable[[], db.Dashboard]] = {
    "city-overview": city_overview,
    "site-pue": site_pue,
    "rack-capacity": rack_capacity,
    "cooling": cooling,
    "device-health": device_health,
    "site-carbon": site_carbon,
}
