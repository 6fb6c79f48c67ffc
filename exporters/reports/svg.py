"""Small inline-SVG charts for the capacity report and the status page: a load trend, a heatmap,
bar charts, lines over time and sparklines.

Hand-written SVG rather than a charting library: the report must render the same in a browser,
in Chromium's PDF printer and from the API, with no JavaScript and no build step. Every chart is
an ``<svg class="chart" data-chart=...>`` with ``role="img"`` and a text label, so tests and
screen readers can find it; missing data is drawn as such (hatched, "no data"), never as zero.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime


def esc(s: object) -> str:
    return html.escape(str(s), quote=True)


def _open(kind: str, w: int, h: int, label: str) -> str:
    return (f'<svg class="chart" data-chart="{kind}" role="img" aria-label="{esc(label)}" '
            f'viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
            f'xmlns="http://www.w3.org/2000/svg"><title>{esc(label)}</title>')


def _nice_max(v: float) -> float:
    """A round axis maximum at or above v."""
    if v <= 0:
        return 1.0
    mag: float = 10.0 ** len(str(int(v))) / 10
    for step in (1, 2, 2.5, 5, 10):
        if v <= step * mag:
            return step * mag
    return 10 * mag


def utilisation_colour(u: float | None) -> str:
    """Green below 60 %, amber to 80 %, red above (None: grey)."""
    if u is None:
        return "#c8c8c8"
    if u < 0.6:
        return "#3a9d5d"
    if u < 0.8:
        return "#e0a526"
    return "#d0453b"


@dataclass(frozen=True)
class _Plot:
    """The plot area of a time chart (a w × h chart with 56/16/16/32 px margins) and the maps
    from data to pixels; ``grid`` draws its box, five y rules and the two x end labels."""

    w: int
    h: int
    x0: float
    x1: float
    y0: float
    y1: float
    left: int = 56
    top: int = 16

    @property
    def pw(self) -> int:
        return self.w - self.left - 16

    @property
    def ph(self) -> int:
        return self.h - self.top - 32

    def px(self, x: float) -> float:
        return self.left + (x - self.x0) / (self.x1 - self.x0) * self.pw

    def py(self, y: float) -> float:
        return self.top + self.ph - (y - self.y0) / (self.y1 - self.y0) * self.ph

    def grid(self, ylabel: Callable[[float], str], xlabel: Callable[[float], str]) -> str:
        left, pw = self.left, self.pw
        out = [f'<rect x="{left}" y="{self.top}" width="{pw}" height="{self.ph}" '
               'fill="#fafafa" stroke="#ccc"/>']
        for i in range(5):
            y = self.y0 + (self.y1 - self.y0) * i / 4
            py = self.py(y)
            out.append(f'<line x1="{left}" x2="{left + pw}" y1="{py:.1f}" y2="{py:.1f}" '
                       f'stroke="#e4e4e4"/><text x="{left - 6}" y="{py + 4:.1f}" '
                       f'text-anchor="end" class="axis">{ylabel(y)}</text>')
        for x in (self.x0, self.x1):
            anchor = "start" if x == self.x0 else "end"
            out.append(f'<text x="{self.px(x):.1f}" y="{self.h - 10}" text-anchor="{anchor}" '
                       f'class="axis">{esc(xlabel(x))}</text>')
        return "".join(out)


def _no_data(out: list[str], w: int, h: int, text: str) -> str:
    out.append(f'<text x="{w / 2}" y="{h / 2}" text-anchor="middle" class="na">'
               f'{esc(text)}</text></svg>')
    return "".join(out)


def _utc(fmt: str) -> Callable[[float], str]:
    return lambda x: datetime.fromtimestamp(x, UTC).strftime(fmt)


def trend(points: Sequence[tuple[float, float]], label: str, *, limit_kw: float | None = None,
          limit_label: str = "", fit: tuple[float, float] | None = None, now: float = 0.0,
          no_data: str = "no data", w: int = 640, h: int = 240) -> str:
    """Daily peak kW over days as a line, the fitted trend dashed, the limit as a red rule.

    ``fit`` is (slope kW/day, intercept kW at ``now``).
    """
    out = [_open("trend", w, h, label)]
    if not points:
        return _no_data(out, w, h, no_data)
    xs = [p[0] for p in points]
    x0, x1 = min(xs), max(max(xs), now or max(xs))
    x1 = x1 if x1 > x0 else x0 + 86400
    ymax = _nice_max(max([p[1] for p in points] + ([limit_kw] if limit_kw else [])) * 1.1)
    plot = _Plot(w, h, x0, x1, 0.0, ymax)
    px, py, left, pw = plot.px, plot.py, plot.left, plot.pw
    out.append(plot.grid(lambda y: f"{y:g} kW", _utc("%Y-%m-%d")))
    if limit_kw is not None:
        out.append(f'<line class="limit" x1="{left}" x2="{left + pw}" y1="{py(limit_kw):.1f}" '
                   f'y2="{py(limit_kw):.1f}" stroke="#d0453b" stroke-width="1.5"/>'
                   f'<text x="{left + pw - 4}" y="{py(limit_kw) - 4:.1f}" text-anchor="end" '
                   f'class="axis" fill="#d0453b">{esc(limit_label)} {limit_kw:g} kW</text>')
    if fit is not None and now:
        slope, intercept = fit

        def at(x: float) -> float:
            return intercept + slope * (x - now) / 86400

        out.append(f'<line class="fit" x1="{px(x0):.1f}" y1="{py(at(x0)):.1f}" '
                   f'x2="{px(x1):.1f}" y2="{py(at(x1)):.1f}" stroke="#555" '
                   'stroke-dasharray="5 4"/>')
    path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in points)
    out.append(f'<polyline class="series" points="{path}" fill="none" stroke="#2b6cb0" '
               'stroke-width="2"/>')
    out.extend(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5" fill="#2b6cb0">'
               f'<title>{y:.2f} kW</title></circle>' for x, y in points)
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True)
class Cell:
    """One heatmap cell: a rack, its utilisation (None: not measured) and its label."""

    row: str
    label: str
    value: float | None
    text: str


def heatmap(cells: Sequence[Cell], label: str, *, no_data: str = "no data", cols: int = 12,
            cw: int = 52, ch: int = 34) -> str:
    """Racks as coloured cells by utilisation, one block of rows per room."""
    rows: dict[str, list[Cell]] = {}
    for c in cells:
        rows.setdefault(c.row, []).append(c)
    left = 110
    lines = sum(max(1, -(-len(v) // cols)) for v in rows.values()) or 1
    w, h = left + cols * cw + 8, lines * ch + 40
    out = [_open("heatmap", w, h, label),
           '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><rect width="6" height="6" fill="#e8e8e8"/>'
           '<line x1="0" y1="0" x2="0" y2="6" stroke="#aaa" stroke-width="2"/></pattern></defs>']
    y = 8
    for room, cs in rows.items():
        out.append(f'<text x="4" y="{y + ch / 2 + 4:.0f}" class="axis">{esc(room)}</text>')
        for i, c in enumerate(cs):
            if i and i % cols == 0:
                y += ch
            x = left + (i % cols) * cw
            fill = "url(#hatch)" if c.value is None else utilisation_colour(c.value)
            out.append(f'<g class="cell" data-rack="{esc(c.label)}"><rect x="{x}" y="{y}" '
                       f'width="{cw - 3}" height="{ch - 3}" rx="3" fill="{fill}"><title>'
                       f'{esc(c.label)}: {esc(c.text)}</title></rect>'
                       f'<text x="{x + (cw - 3) / 2:.0f}" y="{y + 13}" text-anchor="middle" '
                       f'class="cell-id">{esc(c.label)}</text><text x="{x + (cw - 3) / 2:.0f}" '
                       f'y="{y + 26}" text-anchor="middle" class="cell-v">{esc(c.text)}</text>'
                       '</g>')
        y += ch
    legend = [("<60 %", "#3a9d5d"), ("60-80 %", "#e0a526"), (">80 %", "#d0453b"),
              (no_data, "url(#hatch)")]
    for i, (name, colour) in enumerate(legend):
        x = left + i * 110
        out.append(f'<rect x="{x}" y="{y + 10}" width="14" height="14" fill="{colour}"/>'
                   f'<text x="{x + 20}" y="{y + 22}" class="axis">{esc(name)}</text>')
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True)
class Bars:
    """One group of bars (a room): values per limit in kW, and which limit binds."""

    label: str
    values: Sequence[tuple[str, float | None]]
    binding: str | None


_BAR_COLOURS = {"power": "#2b6cb0", "cooling": "#38a3a5", "space": "#8c6bb1"}


def headroom_bars(groups: Sequence[Bars], label: str, names: dict[str, str], *,
                  no_data: str = "no data", bar_h: int = 14, w: int = 640) -> str:
    """Horizontal bars of headroom per limit per room; the binding limit is outlined."""
    left, right = 120, 80
    per = len(_BAR_COLOURS) * bar_h + 14
    h = max(1, len(groups)) * per + 36
    vmax = _nice_max(max([v for g in groups for _, v in g.values if v is not None] + [0.0]))
    pw = w - left - right
    out = [_open("headroom", w, h, label)]
    y = 8
    for g in groups:
        out.append(f'<text x="4" y="{y + per / 2:.0f}" class="axis">{esc(g.label)}</text>')
        for i, (limit, v) in enumerate(g.values):
            by = y + i * bar_h
            colour = _BAR_COLOURS.get(limit, "#777")
            if v is None:
                out.append(f'<text x="{left + 4}" y="{by + bar_h - 3}" class="na">'
                           f'{esc(names.get(limit, limit))}: {esc(no_data)}</text>')
                continue
            bw = max(0.0, v) / vmax * pw
            stroke = ' stroke="#000" stroke-width="2"' if limit == g.binding else ""
            out.append(f'<rect class="hbar" data-limit="{esc(limit)}" x="{left}" y="{by}" '
                       f'width="{bw:.1f}" height="{bar_h - 2}" fill="{colour}"{stroke}>'
                       f'<title>{esc(names.get(limit, limit))}: {v:.2f} kW</title></rect>'
                       f'<text x="{left + bw + 4:.1f}" y="{by + bar_h - 3}" class="axis">'
                       f'{esc(names.get(limit, limit))} {v:.1f} kW'
                       f'{" ◀" if limit == g.binding else ""}</text>')
        y += per
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True)
class Series:
    """One line of a :func:`line` chart: (Unix s, value) points; None breaks the line."""

    name: str
    points: Sequence[tuple[float, float | None]]
    colour: str = "#2b6cb0"
    #: Stable identifier for ``data-series`` (tests, scrapers); the legend shows ``name``,
    #: which may be translated. Defaults to ``name``.
    key: str = ""


def _runs(points: Sequence[tuple[float, float | None]]) -> list[list[tuple[float, float]]]:
    """The unbroken stretches of a series (a None value ends one)."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in points:
        if y is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((x, y))
    return [r for r in runs if r]


def _y_range(values: Sequence[float], from_zero: bool) -> tuple[float, float]:
    hi = max(values)
    if from_zero:
        return 0.0, _nice_max(hi * 1.1)
    lo = min(values)
    pad = max((hi - lo) * 0.15, abs(hi) * 0.02, 0.01)
    return lo - pad, hi + pad


def line(series: Sequence[Series], label: str, *, unit: str = "", limit: float | None = None,
         limit_label: str = "", from_zero: bool = True, no_data: str = "no data",
         w: int = 640, h: int = 200) -> str:
    """Values over time as lines (one per series, gaps where missing), a limit as a red rule.

    ``from_zero`` False fits the axis to the data (PUE: 1.2-1.4 rather than 0-2).
    """
    out = [_open("line", w, h, label)]
    pts = [(x, y) for s in series for x, y in s.points if y is not None]
    if not pts:
        return _no_data(out, w, h, no_data)
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    x0 = min(x0, x1 - 300.0)  # one point: a five-minute span, the point at its end
    y0, y1 = _y_range([p[1] for p in pts] + ([limit] if limit is not None else []), from_zero)
    plot = _Plot(w, h, x0, x1, y0, y1)
    px, py, left, pw = plot.px, plot.py, plot.left, plot.pw
    out.append(plot.grid(lambda y: f"{y:.3g}{esc(unit)}", _utc("%m-%d %H:%M UTC")))
    if limit is not None:
        out.append(f'<line class="limit" x1="{left}" x2="{left + pw}" y1="{py(limit):.1f}" '
                   f'y2="{py(limit):.1f}" stroke="#d0453b" stroke-width="1.5" '
                   f'stroke-dasharray="6 3"/><text x="{left + 4}" '
                   f'y="{py(limit) - 4:.1f}" class="axis" fill="#d0453b">'
                   f'{esc(limit_label)} {limit:g}{esc(unit)}</text>')
    for k, s in enumerate(series):
        for run in _runs(s.points):
            path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in run)
            out.append(f'<polyline class="series" data-series="{esc(s.key or s.name)}" '
                       f'points="{path}" fill="none" stroke="{s.colour}" stroke-width="2"/>')
            if len(run) == 1:
                x, y = run[0]
                out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" '
                           f'fill="{s.colour}"><title>{esc(s.name)}: {y:.3f}</title></circle>')
        lx = left + pw / 2 - 65 * len(series) + k * 130  # the legend: centred under the plot
        out.append(f'<rect x="{lx:.0f}" y="{h - 19}" width="10" height="10" '
                   f'fill="{s.colour}"/><text x="{lx + 14:.0f}" y="{h - 10}" '
                   f'class="axis">{esc(s.name)}</text>')
    out.append("</svg>")
    return "".join(out)


def sparkline(points: Sequence[tuple[float, float | None]], label: str, *,
              limit: float | None = None, w: int = 120, h: int = 28) -> str:
    """A tiny line without axes (the last value dotted), a limit as a thin red rule."""
    out = [_open("sparkline", w, h, label)]
    pts = [(x, y) for x, y in points if y is not None]
    if not pts:
        out.append(f'<line x1="2" x2="{w - 2}" y1="{h / 2}" y2="{h / 2}" stroke="#ccc" '
                   'stroke-dasharray="2 2"/></svg>')
        return "".join(out)
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    x0 = min(x0, x1 - 300.0)
    y0, y1 = _y_range([p[1] for p in pts] + ([limit] if limit is not None else []), False)

    def px(x: float) -> float:
        return 2 + (x - x0) / (x1 - x0) * (w - 6)

    def py(y: float) -> float:
        return h - 2 - (y - y0) / (y1 - y0) * (h - 4)

    if limit is not None:
        out.append(f'<line class="limit" x1="0" x2="{w}" y1="{py(limit):.1f}" '
                   f'y2="{py(limit):.1f}" stroke="#d0453b" stroke-width="1" '
                   'stroke-dasharray="3 2"/>')
    for run in _runs(points):
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in run)
        out.append(f'<polyline class="series" points="{path}" fill="none" stroke="#2b6cb0" '
                   'stroke-width="1.5"/>')
    x, y = pts[-1]
    colour = "#d0453b" if limit is not None and y > limit else "#2b6cb0"
    out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5" fill="{colour}"/></svg>')
    return "".join(out)
