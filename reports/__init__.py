"""Reports: the weekly trend report (周报) and the daily report, as .docx, HTML, markdown.

``periods`` (which week/day), ``data`` (figures from Elasticsearch aggregations via
``storage.ReportQueries``), ``compose`` (the Chinese content as format-neutral blocks),
``charts`` (matplotlib, CJK font), ``render_docx`` / ``render_html`` / ``render_md``,
``send`` (to an alert receiver), ``cli`` (``yuqing report ...``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yuqing.config import Config

    from .blocks import Document
    from .data import ReportData

FORMATS = ("docx", "html", "md")


def build(cfg: Config, kind: str, spec: str | None, now: datetime,
          deadline: float | None = None) -> tuple[ReportData, Document]:
    """Gather and compose the report of one period (``kind`` weekly|daily); ``deadline``
    bounds each Elasticsearch request for someone waiting on it (``storage.connect``)."""
    from storage import open_report_queries

    from . import periods
    from .compose import compose
    from .data import gather

    period = (periods.week if kind == "weekly" else periods.day)(spec, now)
    data = gather(open_report_queries(cfg, deadline), period, county=cfg.gazetteer.county, now=now,
                  source_names={s.id: s.name for s in cfg.sources})
    return data, compose(data)


def write(doc: Document, fmt: str, path: Path) -> Path:
    from . import render_docx, render_html, render_md

    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "docx":
        render_docx.write(doc, path)
    elif fmt == "html":
        path.write_text(render_html.render(doc), encoding="utf-8")
    elif fmt == "md":
        path.write_text(render_md.render(doc), encoding="utf-8")
    else:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    return path


def default_path(cfg: Config, data: ReportData, fmt: str) -> Path:
    return cfg.data_path("reports", f"{data.period.kind}-{data.period.slug}.{fmt}")


def demo_report(cfg: Config, now: datetime) -> Path:
    """The demo's weekly report. The demo's posts span the last two weeks and its growing
    complaint is in the last days, so the current week to date is reported (compared with
    the same days of last week) once it has two days of data; early in a week, the last
    complete week is."""
    from yuqing.records import SHANGHAI

    from . import periods

    # The week is Beijing's whatever zone ``now`` is in: a clock ahead of it names a week
    # that has not begun there yet.
    now = now.astimezone(SHANGHAI)
    this_week = periods.week(now.strftime("%G-W%V"), now)
    spec = this_week.slug if (now - this_week.start).days >= 2 else None
    data, doc = build(cfg, "weekly", spec, now)
    for fmt in ("html", "md"):
        write(doc, fmt, default_path(cfg, data, fmt))
    return write(doc, "docx", default_path(cfg, data, "docx"))
