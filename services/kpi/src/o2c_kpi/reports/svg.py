"""Inline SVG charts drawn on the server: no script, no external resource, readable without JavaScript."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from decimal import Decimal
from html import escape

WIDTH, HEIGHT, PAD = 560, 200, 40
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf")


def _fmt(value: Decimal) -> str:
    return format(value.normalize() if value == value.to_integral_value() else value, "f")


def line_chart(*, title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[Decimal | None]]],
               unit: str) -> str:
    """One line per series over ``labels``; a missing value breaks the line."""
    values = [v for _, points in series for v in points if v is not None]
    top = max(values, default=Decimal(1))
    bottom = min([Decimal(0), *values])
    span = (top - bottom) or Decimal(1)
    step = (WIDTH - 2 * PAD) / max(len(labels) - 1, 1)

    def xy(i: int, v: Decimal) -> tuple[float, float]:
        return PAD + i * step, HEIGHT - PAD - float((v - bottom) / span) * (HEIGHT - 2 * PAD)

    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}">',
             f"<title>{escape(title)}</title>",
             f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#999"/>',
             f'<text x="4" y="{PAD - 8}" font-size="11">{escape(_fmt(top))} {escape(unit)}</text>',
             f'<text x="4" y="{HEIGHT - PAD + 4}" font-size="11">{escape(_fmt(bottom))}</text>']
    for i, text in enumerate(labels):
        x = PAD + i * step
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - PAD + 16}" font-size="10" text-anchor="middle">'
                     f"{escape(text)}</text>")
    if not values:
        parts.append(f'<text x="{WIDTH / 2:.0f}" y="{HEIGHT / 2:.0f}" font-size="12" fill="#999" '
                     'text-anchor="middle">no data in these periods</text>')
    for n, (name, points) in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        runs: list[list[tuple[float, float]]] = [[]]
        for i, v in enumerate(points):
            if v is None:
                runs.append([])
            else:
                runs[-1].append(xy(i, v))
        for run in runs:
            if len(run) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
            for x, y in run:
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
        if name:  # a legend only where there are series to tell apart (currencies)
            parts.append(f'<text x="{WIDTH - PAD + 4}" y="{PAD + 14 * n}" font-size="10" fill="{colour}">'
                         f"{escape(name)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _colour(value: Decimal, target: Decimal | None) -> str:
    """Against a target: green when met, red when not; without one: green from 95 %, amber from 80 %, else red."""
    if target is not None:
        return "#2ca02c" if value >= target else "#d62728"
    return "#2ca02c" if value >= 95 else "#ff7f0e" if value >= 80 else "#d62728"


RED = "#d62728"


def bar_chart(*, title: str, bars: Sequence[tuple[str, Decimal | None]], target: Decimal | None = None,
              alert: Collection[str] = ()) -> str:
    """Horizontal bars of percentages (0-100), one per label; an optional target line. A label in ``alert`` (a team
    with a breach) is red whatever its value."""
    row = 22
    height = PAD + row * max(len(bars), 1)
    scale = (WIDTH - 2 * PAD - 120) / 100
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}">',
             f"<title>{escape(title)}</title>"]
    for i, (name, value) in enumerate(bars):
        y = 10 + i * row
        parts.append(f'<text x="4" y="{y + 13}" font-size="11">{escape(name)}</text>')
        if value is None:
            parts.append(f'<text x="124" y="{y + 13}" font-size="11" fill="#999">no data</text>')
            continue
        width = float(min(max(value, Decimal(0)), Decimal(100))) * scale
        colour = RED if name in alert else _colour(value, target)
        parts.append(f'<rect x="120" y="{y}" width="{width:.1f}" height="16" fill="{colour}"/>')
        parts.append(f'<text x="{124 + width:.1f}" y="{y + 13}" font-size="11">{escape(_fmt(value))} %</text>')
    if target is not None:
        x = 120 + float(target) * scale
        parts.append(f'<line x1="{x:.1f}" y1="4" x2="{x:.1f}" y2="{height - PAD + 10}" stroke="#333" '
                     f'stroke-dasharray="4 3"/>')
    parts.append("</svg>")
    return "".join(parts)


def pareto_chart(*, title: str, bars: Sequence[tuple[str, Decimal, Decimal]], unit: str) -> str:
    """Vertical bars largest first (label, value, cumulative percent) with the cumulative share as a line over
    them (right axis 0-100 %)."""
    count = max(len(bars), 1)
    plot_w, plot_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    slot = plot_w / count
    top = max((v for _, v, _ in bars), default=Decimal(1)) or Decimal(1)
    parts = [f'<svg class="chart pareto" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
             f'height="{HEIGHT}">', f"<title>{escape(title)}</title>",
             f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#999"/>',
             f'<text x="4" y="{PAD - 8}" font-size="11">{escape(_fmt(top))} {escape(unit)}</text>',
             f'<text x="{WIDTH - PAD + 2}" y="{PAD - 8}" font-size="11">100 %</text>']
    points = []
    for i, (name, value, cumulative) in enumerate(bars):
        height = float(value / top) * plot_h
        x = PAD + i * slot
        parts.append(f'<rect x="{x + slot * 0.15:.1f}" y="{HEIGHT - PAD - height:.1f}" width="{slot * 0.7:.1f}" '
                     f'height="{height:.1f}" fill="{PALETTE[0]}"><title>{escape(name)}: {escape(_fmt(value))}'
                     f"</title></rect>")
        parts.append(f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - PAD + 14}" font-size="10" text-anchor="middle">'
                     f"{escape(name[:18])}</text>")
        points.append((x + slot / 2, HEIGHT - PAD - float(cumulative) / 100 * plot_h))
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline fill="none" stroke="{RED}" stroke-width="2" points="{path}"/>')
    for x, y in points:
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{RED}"/>')
    parts.append("</svg>")
    return "".join(parts)
