"""Inline SVG charts: no script library to vendor, crisp on a duty-room screen, and
readable with scripts off."""

from __future__ import annotations

from datetime import datetime
from html import escape

from markupsafe import Markup


def timeline_svg(buckets: list[tuple[datetime, int, int]], interval: str,
                 width: int = 900, height: int = 220) -> Markup:
    """Bars of items per hour/day; the negative share of each bar in a darker colour."""
    if not buckets:
        return Markup('<p class="muted">无数据</p>')
    left, bottom, top = 36, 28, 12
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max(max(n for _, n, _ in buckets), 1)
    bar_w = plot_w / len(buckets)
    fmt = "%m-%d %H时" if interval == "hour" else "%m-%d"
    label_every = max(1, len(buckets) // 8)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="事件时间线" xmlns="http://www.w3.org/2000/svg">',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}" '
             'class="axis"/>',
             f'<text x="{left - 6}" y="{top + 10}" class="tick" text-anchor="end">{peak}</text>',
             f'<text x="{left - 6}" y="{top + plot_h}" class="tick" text-anchor="end">0</text>']
    for i, (t, n, neg) in enumerate(buckets):
        x = left + i * bar_w + 1
        w = max(bar_w - 2, 1)
        h = plot_h * n / peak
        hn = plot_h * neg / peak
        title = escape(f"{t:{fmt}}：{n} 条（负面 {neg}）")
        parts.append(f'<g><title>{title}</title>'
                     f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{w:.1f}" '
                     f'height="{h:.1f}" class="bar"/>'
                     f'<rect x="{x:.1f}" y="{top + plot_h - hn:.1f}" width="{w:.1f}" '
                     f'height="{hn:.1f}" class="bar-neg"/></g>')
        if i % label_every == 0:
            parts.append(f'<text x="{x + w / 2:.1f}" y="{height - 8}" class="tick" '
                         f'text-anchor="middle">{escape(f"{t:{fmt}}")}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
