"""``yuqing alerts list|show|ack|handle|silence|unsilence|outbox|test``.

Wired into ``yuqing.cli`` through ``add_parser`` and ``run``. Alert state and silences are in
Elasticsearch; ``outbox`` reads the local SQLite outbox and ``test`` sends to the channels:
both work without the cluster.
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
    p = subparsers.add_parser("alerts", help="alert state, acknowledgement, silences, "
                              "channel tests")
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
    te = sub.add_parser("test", help="send a test message through each channel of a "
                        "receiver, directly (not through the outbox); exit 1 if one fails")
    te.add_argument("target", metavar="TARGET",
                    help="a receiver of alerting.receivers, person:NAME of duty.people, "
                    "or @on-duty / @shift-leader / @office-head (who it means now)")
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
        for row in ob.rows("cancelled", last=20):
            print(f"{row.id[:12]}  {row.receiver:<16} cancelled {row.kind}  "
                  f"{row.last_error or ''}")
        return 0

    if action == "test":
        return _test(cfg, args.target, now)

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


def _test(cfg, target: str, now: datetime) -> int:
    from duty.receivers import effective_alerting, people_for, person_receivers

    from .probe import check

    alerting = effective_alerting(cfg)
    names = [r.name for r in cfg.alerting.receivers]
    if target == "@grid" or not cfg.duty.receiver_known(target, set(names)):
        print(f"error: unknown test target {target!r}; configured: {', '.join(names)}, "
              "@on-duty, @shift-leader, @office-head, or person:NAME of duty.people",
              file=sys.stderr)
        return 2
    if target.startswith("@"):
        receivers = person_receivers(people_for(cfg, target, [], now))
        if not receivers:
            print(f"error: {target} means nobody at {now:%Y-%m-%d %H:%M} (check "
                  "duty.roster)", file=sys.stderr)
            return 1
    else:
        receivers = [target]
    failed = False
    for name in receivers:
        receiver = alerting.receiver(name)
        if not receiver.channels:
            # Nothing to test is no pass: the office would believe this one is reached.
            print(f"{name}: failed: no channels configured")
            failed = True
            continue
        for result in check(receiver, now, timeout=cfg.alerting.delivery.timeout_seconds):
            print(result.line())
            failed = failed or not result.ok
    return 1 if failed else 0
