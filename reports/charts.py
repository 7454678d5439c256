"""Report charts as PNG bytes, drawn with matplotlib's Agg backend and a real CJK font.

Without a CJK font matplotlib draws empty boxes for every Chinese character and only
warns; a report full of boxes is worse than no report, so a missing font is an error that
names the fix. Figures are built with ``matplotlib.figure.Figure`` and the Agg canvas
directly (no pyplot): no global figure state, no GUI backend, safe in the scheduler.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

import matplotlib
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

# Simplified-Chinese faces first; JP/TC faces of the same families still cover the
# characters a report uses.
PREFERRED = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "Noto Serif CJK SC",
             "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback",
             "Noto Sans CJK JP", "Noto Sans CJK TC")
SENTIMENT_ZH = {"negative": "负面", "neutral": "中性", "positive": "正面"}
SENTIMENT_COLORS = {"negative": "#d9534f", "neutral": "#9aa5b1", "positive": "#4caf50"}
DPI = 110


class FontMissing(RuntimeError):
    """No font with Chinese glyphs is known to matplotlib."""


@lru_cache(maxsize=1)
def cjk_family() -> str:
    """The family name of an installed CJK font (Noto Sans CJK from fonts-noto-cjk)."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in PREFERRED:
        if name in names:
            return name
    raise FontMissing(
        "no CJK font found for report charts (Chinese text would be drawn as boxes). "
        "Install Noto Sans CJK: `apt-get install fonts-noto-cjk` on Debian/Ubuntu, then "
        f"delete matplotlib's font cache ({matplotlib.get_cachedir()}/fontlist-*.json) "
        "so it is found.")


def _style() -> dict[str, object]:
    return {"font.family": [cjk_family()], "axes.unicode_minus": False, "font.size": 10,
            "axes.spines.top": False, "axes.spines.right": False}


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    FigureCanvasAgg(fig)
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    return buf.getvalue()


def sentiment_trend(points: Sequence[tuple[datetime, dict[str, int]]], *, hourly: bool = False,
                    title: str = "每日信息量及情感分布") -> bytes:
    """Stacked bars: items per day (or hour), negative at the bottom where the eye starts."""
    with matplotlib.rc_context(_style()):
        fig = Figure(figsize=(7.2, 3.2))
        ax = fig.add_subplot()
        labels = [f"{t:%H}时" if hourly else f"{t.month}/{t.day}" for t, _ in points]
        xs = range(len(points))
        bottom = [0] * len(points)
        for key in ("negative", "neutral", "positive"):
            vals = [counts.get(key, 0) for _, counts in points]
            ax.bar(xs, vals, bottom=bottom, color=SENTIMENT_COLORS[key], width=0.65,
                   label=SENTIMENT_ZH[key])
            bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
        for x, total in zip(xs, bottom, strict=True):
            if total:
                ax.annotate(str(total), (x, total), ha="center", va="bottom", fontsize=8)
        ax.set_xticks(list(xs), labels, fontsize=8 if hourly else 9)
        ax.set_ylabel("条数")
        ax.set_title(title)
        ax.legend(frameon=False, ncols=3, loc="upper left")
        ax.margins(y=0.15)
        return _png(fig)


def bar_ranking(rows: Sequence[tuple[str, int]], *, title: str,
                color: str = "#3c78b4") -> bytes:
    """Horizontal bars, largest at the top; an empty ranking says so in the picture."""
    with matplotlib.rc_context(_style()):
        height = 0.9 + 0.32 * max(len(rows), 1)
        fig = Figure(figsize=(6.4, height))
        ax = fig.add_subplot()
        if not rows:
            ax.text(0.5, 0.5, "本期无数据", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
        else:
            names = [n for n, _ in rows][::-1]
            vals = [v for _, v in rows][::-1]
            ax.barh(names, vals, color=color, height=0.6)
            for y, v in enumerate(vals):
                ax.annotate(f" {v}", (v, y), va="center", fontsize=8)
            ax.set_xlabel("条数")
            ax.margins(x=0.12)
        ax.set_title(title)
        return _png(fig)
