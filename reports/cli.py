"""``yuqing report weekly|daily``: wired into ``yuqing.cli`` through ``add_parser``/``run``."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

from watch.calendar import configure
from yuqing.cliargs import iso_time
from yuqing.config import load_config
from yuqing.records import SHANGHAI

from . import FORMATS, build, default_path, write


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser("report", help="weekly trend report (周报) or daily report")
    sub = p.add_subparsers(dest="report_kind", required=True)
    wk = sub.add_parser("weekly", help="the weekly report (Monday to Sunday, Asia/Shanghai)")
    wk.add_argument("--week", help="ISO week YYYY-Www (default: the last complete week)")
    dy = sub.add_parser("daily", help="the daily report")
    dy.add_argument("--date", help="YYYY-MM-DD (default: yesterday)")
    for s in (wk, dy):
        s.add_argument("--format", choices=FORMATS,
                       help="default: what --out ends in (.docx, .html, .md), else docx")
        s.add_argument("--out", type=Path, help="output file (default: var/reports/...)")
        # The moment to report at: tests and benchmarks.
        s.add_argument("--now", type=iso_time, help=argparse.SUPPRESS)
        s.add_argument("--send", metavar="RECEIVER",
                       help="also send the report (markdown) to this alert receiver")
    return p


SUFFIXES = {".docx": "docx", ".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"}


def output_format(fmt: str | None, out: Path | None) -> str:
    """--format, else the one --out's ending names, else docx. A file name that says one
    format while --format says another is refused: a .md full of docx helps nobody."""
    suffix = out.suffix.lower() if out else ""
    implied = SUFFIXES.get(suffix)
    if implied and fmt and fmt != implied:
        raise ValueError(f"--out {out} ends in {out.suffix} (a {implied} file) but --format "
                         f"is {fmt}: drop --format or end --out in .{fmt}")
    if suffix and not implied and not fmt:
        raise ValueError(f"--out {out}: cannot tell the format from {out.suffix!r}; end it in "
                         f".docx, .html or .md, or give --format")
    return fmt or implied or "docx"


def run(args: argparse.Namespace) -> int:
    cfg = load_config(getattr(args, "config", None))
    configure(cfg.calendar)  # holidays and sensitive periods named in the report
    now = args.now or datetime.now(SHANGHAI)
    kind = args.report_kind
    spec = args.week if kind == "weekly" else args.date
    # Checked before the report is built and written, not after.
    if args.send and args.send not in {r.name for r in cfg.alerting.receivers}:
        names = ", ".join(r.name for r in cfg.alerting.receivers) or "(none)"
        print(f"error: --send: unknown receiver {args.send!r}; configured: {names}",
              file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        fmt = output_format(args.format, args.out)
        data, doc = build(cfg, kind, spec, now)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    path = write(doc, fmt, args.out or default_path(cfg, data, fmt))
    print(f"{doc.title}（{doc.subtitle}）: {data.volume.total} items, "
          f"{len(data.events)} hot events, {data.handling.fired} alerts -> {path} "
          f"({time.perf_counter() - started:.2f}s)")
    if not args.send:
        return 0
    from .send import send_report

    try:
        results = send_report(cfg, args.send, doc)
    except KeyError:
        names = ", ".join(r.name for r in cfg.alerting.receivers)
        print(f"error: unknown receiver {args.send!r}; configured: {names}", file=sys.stderr)
        return 2
    failed = 0
    for channel, res in results:
        print(f"sent to {args.send}/{channel}: " + ("ok" if res.ok else f"FAILED {res.error}"))
        failed += not res.ok
    return 1 if failed else 0
