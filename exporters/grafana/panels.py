"""Pieces every dcmon dashboard uses: label selectors, the live-PUE series, legend, stat panels.

See :mod:`dcmon.exporters.grafana.boards` for the dashboards themselves.
"""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import (
    prometheus,
    stat,
)
from grafana_foundation_sdk.builders import timeseries as ts
from grafana_foundation_sdk.models import common as cm

from dcmon.exporters.grafana.kit import DS

S = 'site=~"$site"'
SR = 'site=~"$site", room=~"$room"'
#: The live PUE as one more "window", so PUE plots never go blank while windows are withheld.
LIVE_PUE = 'label_replace(dcmon_site_pue_instant_ratio{{{sel}}}, "window", "live", "", "")'
J_PER_KWH = "3.6e6"

PUE_WINDOWS = "24h,7d,30d,month,year,365d,1h"


def legend_table(*calcs: str) -> cb.VizLegendOptions:
    return (cb.VizLegendOptions().display_mode(cm.LegendDisplayMode.TABLE)
            .placement(cm.LegendPlacement.BOTTOM).show_legend(True).calcs(list(calcs)))


def threshold_lines(panel: ts.Panel) -> ts.Panel:
    """Threshold steps drawn as lines (PUE ceiling, coverage floor)."""
    return panel.thresholds_style(cb.GraphThresholdsStyleConfig()
                                  .mode(cm.GraphThresholdsStyleMode.LINE))


def last_value() -> cb.ReduceDataOptions:
    return cb.ReduceDataOptions().calcs(["lastNotNull"]).values(False)


def stat_panel(title: str, description: str, *targets: prometheus.Dataquery, unit: str = "none",
          w: int = 6, h: int = 5) -> stat.Panel:
    p = (stat.Panel().title(title).description(description).unit(unit).span(w).height(h)
         .reduce_options(last_value()).graph_mode(cm.BigValueGraphMode.NONE)
         .color_mode(cm.BigValueColorMode.VALUE).text_mode(cm.BigValueTextMode.AUTO))
    for t in targets:
        p = p.with_target(t)
    return p


def add(dashboard: db.Dashboard, *items: Any) -> db.Dashboard:
    """Lay rows and panels out in the order given (a row starts a new collapsible section).

    Every panel and row gets the ``$datasource`` variable at panel level too, not only on its
    queries: Grafana's panel editor, "Explore" and library-panel export read the panel's own
    ``datasource``, and with null there they fall back to the default data source instead of
    the one the user picked.
    """
    for item in items:
        item = item.datasource(DS)
        dashboard = (dashboard.with_row(item) if isinstance(item, db.Row)
                     else dashboard.with_panel(item))
    return dashboard
