"""``yuqing alerts list|show|ack|handle|silence|unsilence|outbox``.

Wired into ``yuqing.cli`` through ``add_parser`` and ``run``. Alert state and silences are in
Elasticsearch; ``outbox`` reads the local SQLite outbox and works without the cluster.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from datetime import datetime

from pydantic import ValidationError

from yuqing.cliargs import iso_time, option_errors
from yuqing.config import load_config
from yuqing.records import SHANGHAI

from .config import parse_duration
from .matchers import MatcherError, parse_matcher
from .silences import Silence

# Silence's fields as given on the command line, for error messages.
SILENCE_OPTIONS = {"matchers": "MATCHER", "starts_at": "--start",
                   "ends_at": "--until/--duration", "created_by": "--by",
                   "comment": "--comment"}


def _operator() -> str:
    return os.environ.get("YUQING_OPERATOR") or getpass.getuser()


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser("alerts", help="alert state, acknowledgement, silences")
    sub = p.add_subparsers(dest="alerts_action", required=True)
    ls = sub.add_parser("list", help="recent alerts, newest first")
    ls.add_argument("--status", choices=["firing", "resolved"])
    ls.add_argument("--open", action="store_true", help="only alerts not yet handled")
    ls.add_argument("--size", type=int, default=50)
    sh = sub.add_parser("show", help="one alert with its evidence and state")
    sh.add_argument("id", help="alert id or a unique prefix")
    ack = sub.add_parser("ack", help="acknowledge an alert (I have seen it)")
    ack.add_argument("id")
    ack.add_argument("--by", default=None, help="who (default: $YUQING_OPERATOR or user)")
    hd = sub.add_parser("handle", help="mark an alert handled (处置) with a note")
    hd.add_argument("id")
    hd.add_argument("--note", required=True, help="what was done")
    hd.add_argument("--by", default=None)
    si = sub.add_parser("silence", help="add a silence; without matchers, list silences")
    si.add_argument("matchers", nargs="*", help='e.g. township="河口镇" rule=~"growing.*"')
    si.add_argument("--comment", help="why (required when adding)")
    si.add_argument("--duration", help="e.g. 2h, 1d (default 2h)")
    si.add_argument("--until", type=iso_time, help="end time, ISO 8601 (Asia/Shanghai)")
    si.add_argument("--start", type=iso_time, help="start time (default: now)")
    si.add_argument("--by", default=None)
    si.add_argument("--all", action="store_true", help="list expired silences too")
    un = sub.add_parser("unsilence", help="expire a silence now")
    un.add_argument("id")
    sub.add_parser("outbox", help="notification outbox status (local SQLite)")
    return p


def _fmt_time(v: str | None) -> str:
    return v[:16].replace("T", " ") if v else "-"


def _state(doc: dict) -> str:
    if doc.get("handled_at"):
        return f"已处置({doc.get('handled_by')})"
    if doc.get("acknowledged_at"):
        return f"已确认({doc.get('acknowledged_by')})"
    return "待处理"


def run(args: argparse.Namespace, now: datetime | None = None) -> int:
    cfg = load_config(getattr(args, "config", None))
    now = now or datetime.now(SHANGHAI)
    action = args.alerts_action
    if action == "outbox":
        from .dispatch import outbox_path
        from .outbox import Outbox

        ob = Outbox(outbox_path(cfg))
        print(json.dumps(ob.counts(), ensure_ascii=False))
        for row in ob.rows("pending"):
            print(f"{row.id[:12]}  {row.receiver:<16} attempts={row.attempts} "
                  f"next={row.next_attempt_at:%Y-%m-%d %H:%M:%S}  {row.last_error or ''}")
        # Nothing is dropped silently: the latest cancellations and why.
        for row in ob.rows("cancelled")[-20:]:
            print(f"{row.id[:12]}  {row.receiver:<16} cancelled {row.kind}  "
                  f"{row.last_error or ''}")
        return 0

    from storage import StorageUnavailable, open_alert_stores
    from storage.alerts_store import AlreadyHandled, AmbiguousId

    try:
        alerts, silences = open_alert_stores(cfg)
        return _run_es(args, action, alerts, silences, now)
    except StorageUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except AmbiguousId as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except AlreadyHandled as exc:
        d = exc.doc
        print(f"error: alert {d['id']} was already handled by {d.get('handled_by')} at "
              f"{d.get('handled_at')}: {d.get('handle_note') or ''}", file=sys.stderr)
        return 1
    except KeyError as exc:
        print(f"error: no such {'silence' if 'silence' in action else 'alert'} "
              f"{exc.args[0]!r}", file=sys.stderr)
        return 1


def _run_es(args, action: str, alerts, silences, now: datetime) -> int:
    if action == "list":
        docs = alerts.list(status=args.status, open_only=args.open, size=args.size)
        for d in docs:
            print(f"{d['id'][:12]}  {_fmt_time(d.get('fired_at'))}  {d['severity']:<8} "
                  f"{d['status']:<8} {_state(d):<12} {d['title']}")
        print(f"{len(docs)} alerts", file=sys.stderr)
        return 0
    if action == "show":
        d = alerts.get(args.id)
        if d is None:
            raise KeyError(args.id)
        print(json.dumps(d, ensure_ascii=False, indent=2))
        return 0
    if action == "ack":
        d = alerts.acknowledge(args.id, args.by or _operator(), now)
        # The first acknowledgement stands: this names whoever gave it, and when.
        print(f"acknowledged {d['id']} by {d['acknowledged_by']} at {d['acknowledged_at']}")
        return 0
    if action == "handle":
        d = alerts.handle(args.id, args.by or _operator(), args.note, now)
        print(f"handled {d['id']} by {d['handled_by']}: {args.note}")
        return 0
    if action == "unsilence":
        s = silences.expire(args.id, now)
        print(f"expired silence {s.id} (ends {s.ends_at:%Y-%m-%d %H:%M})")
        return 0
    return _silence(args, silences, now)


def _silence(args, silences, now: datetime) -> int:
    if not args.matchers:
        for s in silences.list(active_at=None if args.all else now):
            state = "active" if s.active(now) else ("pending" if s.starts_at > now else "expired")
            print(f"{s.id}  {state:<8} {s.starts_at:%m-%d %H:%M} → {s.ends_at:%m-%d %H:%M}  "
                  f"{' '.join(s.matchers)}  [{s.created_by}] {s.comment}")
        return 0
    if not (args.comment or "").strip():
        print("error: --comment is required: say why these alerts are silenced",
              file=sys.stderr)
        return 2
    try:
        for m in args.matchers:
            parse_matcher(m)
        start = args.start or now
        end = args.until or start + parse_duration(args.duration or "2h")
        if end <= start:
            print(f"error: the silence would end ({end:%Y-%m-%d %H:%M}) no later than it starts "
                  f"({start:%Y-%m-%d %H:%M}{'' if args.start else ', now'}): check --until, "
                  "--duration and --start", file=sys.stderr)
            return 2
        s = Silence.create(list(args.matchers), starts_at=start, ends_at=end,
                           created_by=args.by or _operator(), comment=args.comment, now=now)
    except ValidationError as exc:
        for line in option_errors(exc, SILENCE_OPTIONS):
            print(f"error: silence: {line}", file=sys.stderr)
        return 2
    except (MatcherError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    silences.add(s)
    print(f"silence {s.id} until {s.ends_at:%Y-%m-%d %H:%M}: {' '.join(s.matchers)}")
    return 0
