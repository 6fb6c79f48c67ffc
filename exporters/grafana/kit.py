"""Small helpers shared by the dashboard definitions.

The foundation SDK is complete but verbose; these helpers fix the choices every dcmon panel
shares, so each dashboard reads as a list of questions and queries:

* every panel and query goes through the ``$datasource`` variable, so the same JSON works with
  the provisioned data source and with any Prometheus a user picks;
* every query has an explicit refId (Grafana's table merge and overrides address them);
* tables built from several instant queries are merged on their labels, which only works when
  every query carries the same label set: :func:`by` makes that explicit.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import prometheus
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

#: The provisioned data source (dashboards/provisioning/datasources/prometheus.yaml).
DATASOURCE_UID = "dcmon-prometheus"
DATASOURCE_NAME = "dcmon Prometheus"
#: Panels and template variables query through the ``$datasource`` variable.
DS = dm.DataSourceRef(type_val="prometheus", uid="${datasource}")

#: The PUE ceiling drawn as a threshold on PUE panels: the default class (``new_large``, 1.3).
#: Each site's own ceiling is the ``dcmon_site_pue_ceiling_ratio`` series (absent for edge
#: sites), which the city overview's Sites table and live-PUE plot show beside the PUE.
DEFAULT_CEILING = 1.3
CEILING_NOTE = (
    "The red threshold is the 1.3 ceiling of the default policy class `new_large` "
    "(docs/alerts.md); each site's own ceiling is `dcmon_site_pue_ceiling_ratio` (legacy 1.5, "
    "cold_region/hub_cluster 1.25, edge none), shown in the city overview's Sites table."
)
#: ``engine.min_coverage``: below it the engine withholds a window's PUE.
MIN_COVERAGE = 0.9

#: Status of a PUE window as one number (Grafana maps numbers, not label values, to colours):
#: 0 ok, 1 withheld, 2 metering_fault. Exactly one status per window is 1.
STATUS_CODE = (
    'max by (site, window) ('
    '(dcmon_site_pue_status{{site=~"$site", status="ok"{extra}}} == 1) * 0 '
    'or (dcmon_site_pue_status{{site=~"$site", status="withheld"{extra}}} == 1) '
    'or (dcmon_site_pue_status{{site=~"$site", status="metering_fault"{extra}}} == 1) * 2)'
)


def status_code(window: str | None = None) -> str:
    """:data:`STATUS_CODE` for every window, or for one (``$window``)."""
    extra = f', window="{window}"' if window else ""
    return STATUS_CODE.format(extra=extra)


def by(labels: str, expr: str, agg: str = "max") -> str:
    """``agg by (labels) (expr)``: one label set per query, so merged tables line up."""
    return f"{agg} by ({labels}) ({expr})"


def series(expr: str, legend: str = "", ref: str = "A") -> prometheus.Dataquery:
    """A range query: what time series, heatmaps and timelines plot."""
    return (prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref).range()
            .format(PromQueryFormat.TIME_SERIES).datasource(DS))


def instant(expr: str, legend: str = "", ref: str = "A") -> prometheus.Dataquery:
    """An instant query for stats, gauges and bar gauges: the value now, nothing to reduce."""
    return (prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref).instant()
            .format(PromQueryFormat.TIME_SERIES).datasource(DS))


def table(expr: str, ref: str) -> prometheus.Dataquery:
    """An instant query in table format: one row per label set, one column per query."""
    return (prometheus.Dataquery().expr(expr).ref_id(ref).instant()
            .format(PromQueryFormat.TABLE).datasource(DS))


def steps(*pairs: tuple[float | None, str]) -> db.ThresholdsConfig:
    """Absolute thresholds; the first pair's value is None (the base colour)."""
    return (db.ThresholdsConfig().mode(dm.ThresholdsMode.ABSOLUTE)
            .steps([dm.Threshold(value=v, color=c) for v, c in pairs]))


def pue_steps(ceiling: float = DEFAULT_CEILING) -> db.ThresholdsConfig:
    return steps((None, "green"), (ceiling, "red"))


def utilisation_steps() -> db.ThresholdsConfig:
    """The alert rules' levels (docs/alerts.md): warning above 0.8, critical above 0.95."""
    return steps((None, "green"), (0.8, "orange"), (0.95, "red"))


def texts(values: dict[str, tuple[str, str]]) -> list[dm.ValueMapping]:
    """Value mappings number -> (text, colour), e.g. status codes and up/down."""
    return [dm.ValueMap(options={k: dm.ValueMappingResult(text=t, color=c, index=i)
                                 for i, (k, (t, c)) in enumerate(values.items())})]


STATUS_TEXTS = texts({"0": ("ok", "green"), "1": ("withheld", "orange"),
                      "2": ("metering fault", "red")})
UP_TEXTS = texts({"1": ("up", "green"), "0": ("down", "red")})


def nan_text(text: str) -> dm.ValueMapping:
    """Shows ``text`` instead of NaN: the placeholder for a withheld PUE."""
    return dm.SpecialValueMap(options=dm.DashboardSpecialValueMapOptions(
        match=dm.SpecialValueMatch.NA_N, result=dm.ValueMappingResult(text=text, color="text")))


def merged_table(columns: dict[str, str], hide: tuple[str, ...] = ("Time",),
                 order: tuple[str, ...] = ()) -> list[dm.DataTransformerConfig]:
    """Merge the table queries on their labels, hide ``hide`` and rename ``Value #X``."""
    rename = {f"Value #{ref}": name for ref, name in columns.items()}
    index = {name: i for i, name in enumerate((*order, *rename.values()))}
    return [
        dm.DataTransformerConfig(id_val="merge", options={}),
        dm.DataTransformerConfig(id_val="organize", options={
            "excludeByName": dict.fromkeys(hide, True),
            "renameByName": rename,
            "indexByName": index,
        }),
    ]


def prop(id_val: str, value: object) -> dm.DynamicConfigValue:
    """One field-override property (``unit``, ``decimals``, ``mappings``, ...)."""
    return dm.DynamicConfigValue(id_val=id_val, value=value)


def site_variable(metric: str = "dcmon_device_up") -> db.QueryVariable:
    """``$site``: every site the metric has; All is ``.*`` so unlabelled series still match."""
    return (db.QueryVariable("site").label("Site").query(f"label_values({metric}, site)")
            .datasource(DS).multi(True).include_all(True).all_value(".*")
            .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED).sort(dm.VariableSort.ALPHABETICAL_ASC)
            .current(dm.VariableOption(selected=True, text="All", value="$__all")))


def room_variable() -> db.QueryVariable:
    """``$room``: the rooms of the chosen sites (from the capacity series)."""
    return (db.QueryVariable("room").label("Room")
            .query('label_values(dcmon_room_racks{site=~"$site"}, room)')
            .datasource(DS).multi(True).include_all(True).all_value(".*")
            .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED).sort(dm.VariableSort.ALPHABETICAL_ASC)
            .current(dm.VariableOption(selected=True, text="All", value="$__all")))


def datasource_variable() -> db.DatasourceVariable:
    """``$datasource``: the provisioned Prometheus by default, any other one by choice."""
    return (db.DatasourceVariable("datasource").label("Data source").type("prometheus")
            .current(dm.VariableOption(selected=True, text=DATASOURCE_NAME,
                                       value=DATASOURCE_UID)))


def base(uid: str, title: str, description: str, tags: list[str]) -> db.Dashboard:
    """A dcmon dashboard: tagged, linked to its siblings, 1 min refresh (the PUE cadence)."""
    return (db.Dashboard(title).uid(uid).description(description).tags(["dcmon", *tags])
            .editable().refresh("1m").time("now-6h", "now").timezone("browser")
            .tooltip(dm.DashboardCursorSync.CROSSHAIR)
            .link(db.DashboardLink("dcmon").type(dm.DashboardLinkType.DASHBOARDS)
                  .tags(["dcmon"]).as_dropdown(True).keep_time(True).include_vars(False)
                  .target_blank(False).icon("external link").tooltip("").url(""))
            .annotation(builtin_annotations())
            .with_variable(datasource_variable()))


def builtin_annotations() -> db.AnnotationQuery:
    """Grafana's own "Annotations & Alerts" entry, which every saved dashboard carries; without
    an ``annotations.list`` older dashboard code paths in Grafana stumble."""
    return (db.AnnotationQuery().name("Annotations & Alerts").built_in(1).enable(True)
            .hide(True).icon_color("rgba(0, 211, 255, 1)").type("dashboard")
            .datasource(dm.DataSourceRef(type_val="grafana", uid="-- Grafana --"))
            .target(db.AnnotationTarget().limit(100).match_any(False).tags([])
                    .type("dashboard")))
