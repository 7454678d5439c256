"""``yuqing calendar``, ``yuqing duty now|week`` and ``yuqing handover``.

Wired into ``yuqing.cli`` through ``add_parsers`` and the ``run_*`` functions.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import date, datetime, timedelta
from typing import Any

from yuqing.cliargs import iso_time
from yuqing.config import Config, load_config
from yuqing.records import SHANGHAI

WEEKEND = "周末"
YEARS = (1, 9999)  # what the calendar can enumerate; the official notices cover fewer


def calendar_year(text: str) -> int:
    """An argparse type: a year the calendar can list, with the official range in the error."""
    from watch.calendar import library_years

    try:
        year = int(text)
    except ValueError:
        year = None
    if year is None or not YEARS[0] <= year <= YEARS[1]:
        first, last = library_years()
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a year in {YEARS[0]}..{YEARS[1]} (the official holiday calendar "
            f"covers {first}..{last}; other years count weekends only, with a warning, unless "
            f"configured in calendar.years)")
    return year


def add_parsers(sub: argparse._SubParsersAction) -> None:
    ca = sub.add_parser("calendar", help="every day of a year: day off, holiday, watch level")
    ca.add_argument("--year", type=calendar_year, help="default: this year")
    ca.add_argument("--json", action="store_true", help="JSON list of {date, off_day, "
                    "holiday, watch_level, reasons}")
    du = sub.add_parser("duty", help="who is on duty (roster)")
    du.add_argument("what", choices=["now", "week"])
    du.add_argument("--at", type=iso_time, help="ISO time (default: now)")
    ho = sub.add_parser("handover", help="shift hand-over: fired, open, handled (Chinese)")
    ho.add_argument("--shift", default="current",
                    help="current, previous, or a shift id: 2026-11-20/day, "
                    "2026-11-20/night, or 2026-10-01/full on a 24-hour day")
    ho.add_argument("--at", type=iso_time, help="ISO time for current/previous (default: now)")
    ho.add_argument("--format", choices=["text", "md"], default="text")
    ho.add_argument("--send", metavar="RECEIVER", help="also send it (e.g. @on-duty)")


def _config(args: argparse.Namespace) -> Config:
    from watch.calendar import configure

    cfg = load_config(getattr(args, "config", None))
    configure(cfg.calendar)
    return cfg


def calendar_days(year: int) -> list[dict[str, Any]]:
    """The ``yuqing calendar --json`` contract: one dict per day, exactly these keys."""
    from watch.levels import watch_on

    first = date(year, 1, 1)
    out = []
    # Counted, not "until the year changes": the day after 9999-12-31 cannot be made.
    for k in range((date(year, 12, 31) - first).days + 1):
        w = watch_on(first + timedelta(days=k))
        # A weekend changes no watch level, but it is why the day is off: say so.
        weekend = [WEEKEND] if w.off_day and not w.holiday else []
        out.append({"date": w.day.isoformat(), "off_day": w.off_day, "holiday": w.holiday,
                    "watch_level": w.level, "reasons": weekend + list(w.reasons)})
    return out


def run_calendar(args: argparse.Namespace) -> int:
    from watch.calendar import unknown_year_warning, year_known

    _config(args)
    year = args.year if args.year is not None else datetime.now(SHANGHAI).year
    # The warning printed below is the loud one; the calendar's log line would repeat it.
    calendar_log = logging.getLogger("watch.calendar")
    level = calendar_log.level
    calendar_log.setLevel(logging.ERROR)
    try:
        days = calendar_days(year)
    finally:
        calendar_log.setLevel(level)
    if not year_known(year):
        # Loud on stderr whatever the format, so a pipe into another tool cannot hide it.
        print(f"WARNING: {unknown_year_warning(year)}", file=sys.stderr)
    if args.json:
        json.dump(days, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    wd = "一二三四五六日"
    for d in days:
        day = date.fromisoformat(d["date"])
        mark = "休" if d["off_day"] else "班"
        print(f"{d['date']} 周{wd[day.weekday()]} {mark} {d['watch_level']:<9} "
              f"{d['holiday'] or '':<6} {'；'.join(d['reasons'])}")
    return 0


def run_duty(args: argparse.Namespace) -> int:
    from duty.roster import DutyRoster
    from watch.levels import calendar_warnings, watch_at

    cfg = _config(args)
    now = args.at or datetime.now(SHANGHAI)
    roster = DutyRoster(cfg.duty)
    for w in calendar_warnings(now):
        print(f"WARNING: {w}", file=sys.stderr)
    if args.what == "now":
        s = roster.at(now)
        w = watch_at(now)
        print(f"{now:%Y-%m-%d %H:%M} 值守级别 {w.level}"
              + (f"（{'；'.join(w.reasons)}）" if w.reasons else ""))
        print(f"班次 {s.id} {s.name} {s.start:%m-%d %H:%M}—{s.end:%m-%d %H:%M}")
        print(f"值班员 {s.officer or '未排'}　带班领导 {s.leader or '未排'}　"
              f"办公室主任 {s.office_head or '未设'}")
        return 0
    start = roster.at(now).start
    for s in roster.between(start, start + timedelta(days=7)):
        print(f"{s.id:<17} {s.name:<6} {s.start:%m-%d %H:%M}—{s.end:%m-%d %H:%M} "
              f"{s.level:<9} 值班员 {s.officer or '未排':<6} 带班 {s.leader or '未排'}")
    return 0


def _no_shift(roster, shift_id: str) -> str:
    """Why a shift id names no shift, with the ids that day does have."""
    try:
        day = date.fromisoformat(shift_id.split("/")[0])
    except ValueError:
        return (f"{shift_id!r} is not a shift id: DATE/day, DATE/night, or DATE/full on a "
                f"24-hour day (e.g. 2026-11-20/night)")
    have = ", ".join(s.id for s in roster.shifts_of(day))
    return f"no shift {shift_id!r}; {day.isoformat()} has {have}"


def run_handover(args: argparse.Namespace) -> int:
    from duty import state
    from duty.handover import compose, gather
    from duty.messages import queue
    from duty.roster import DutyRoster
    from storage import StorageUnavailable

    cfg = _config(args)
    receivers = [r.name for r in cfg.alerting.receivers]
    if args.send and not cfg.duty.receiver_known(args.send, set(receivers)):
        # Queued, it would wait in the outbox forever ("no longer configured").
        print(f"error: --send: unknown receiver {args.send!r}; configured: "
              f"{', '.join(receivers)}, @on-duty, @shift-leader, @office-head, @grid, or "
              "person:NAME of duty.people", file=sys.stderr)
        return 2
    now = args.at or datetime.now(SHANGHAI)
    roster = DutyRoster(cfg.duty)
    if args.shift == "current":
        shift = roster.at(now)
    elif args.shift == "previous":
        shift = roster.previous(roster.at(now))
    else:
        try:
            shift = roster.by_id(args.shift)
        except (KeyError, ValueError):
            print(f"error: --shift: {_no_shift(roster, args.shift)}", file=sys.stderr)
            return 2
    try:
        data = gather(cfg, shift, now)
    except StorageUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    title, body = compose(data, args.format, cfg.alerting.console_url)
    print(body)
    if args.send:
        from alerts.delivery import deliver_due
        from duty.receivers import effective_alerting

        ob = state.open_outbox(cfg)
        try:
            ids = queue(cfg, ob, args.send, "handover", f"{shift.id}@{now.isoformat()}",
                        title, body, now)
            rep = deliver_due(effective_alerting(cfg), ob, now)
        finally:
            ob.close()
        print(f"queued {len(ids)} message(s) to {args.send}; delivery: {rep.summary()}",
              file=sys.stderr)
    return 0
