"""The ``yuqing`` command: one sub-command per job."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

from analysis.workers import ITEM_TIMEOUT
from yuqing.cliargs import (
    EXTRACT_DESCRIPTION,
    add_extract_arguments,
    iso_time,
    positive_int,
    positive_seconds,
)
from yuqing.config import DEFAULT_CONFIG, Config, ConfigError, load_config, missing_secrets
from yuqing.records import SHANGHAI

Handler = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, Handler] = {}


def command(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _COMMANDS[name] = fn
        return fn
    return register


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Libraries (Scrapy) set their own loggers to DEBUG; the handler level is what holds.
    for handler in logging.getLogger().handlers:
        handler.setLevel(level)
    # Per-request chatter from the HTTP clients is noise even at INFO.
    for noisy in ("elastic_transport", "urllib3", "trafilatura", "htmldate"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    # apprise's DEBUG lines print each channel's URL whole (robot access_token, webhook
    # path): secrets must not reach a log even when an operator turns DEBUG on.
    logging.getLogger("apprise").setLevel(max(logging.INFO, logging.getLogger().level))


def _config(args: argparse.Namespace) -> Config:
    return load_config(getattr(args, "config", None))


def _node(cfg: Config):
    from storage.node import LocalElasticsearch

    return LocalElasticsearch(cfg.elasticsearch.local, cfg.data_path("es"))


@command("es")
def cmd_es(args: argparse.Namespace) -> int:
    from storage.node import NodeError

    cfg = _config(args)
    if args.action in ("retention", "migrate"):
        return _es_maintenance(cfg, args)
    if cfg.elasticsearch.external and args.action != "status":
        print(f"Elasticsearch is external ({_shown_hosts(cfg)}); "
              "no local node is managed", file=sys.stderr)
        return 0
    node = _node(cfg)
    try:
        if args.action == "start":
            node.start()
        elif args.action == "stop":
            node.stop()
        else:
            return _es_status(cfg, node)
    except NodeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _shown_hosts(cfg: Config) -> str:
    """The cluster's hosts for a terminal or a log: a password in a host URL
    (``https://elastic:PASSWORD@es1:9200`` in $YUQING_ES_URL) is masked."""
    shown = []
    for host in cfg.elasticsearch.resolved_hosts():
        parts = urlsplit(host)
        if "@" in parts.netloc:
            parts = parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2])
        shown.append(urlunsplit(parts))
    return ", ".join(shown)


def _es_maintenance(cfg: Config, args: argparse.Namespace) -> int:
    from storage import connect, open_store
    from storage.admin import MigrationError, apply_retention, migrate_items
    from yuqing.jobs import retention_job

    es = connect(cfg.elasticsearch)
    if args.action == "retention":
        months = args.months or cfg.elasticsearch.retention_months
        now = datetime.now(SHANGHAI)
        # The real thing goes through the scheduler's job, thread texts included.
        gone = (apply_retention(es, cfg.elasticsearch.prefix, now, months, dry_run=True)
                if args.dry_run else retention_job(cfg, now, months))
        verb = "would delete" if args.dry_run else "deleted"
        print(f"retention {months} months: {verb} {len(gone)} index(es)"
              + "".join(f"\n  {n}" for n in gone))
        return 0
    try:
        copied = migrate_items(es, open_store(cfg))
    except MigrationError as exc:
        print(f"migration stopped: {exc}", file=sys.stderr)
        return 1
    for name, n in copied.items():
        print(f"migrated {name}: {n} documents")
    print(f"{len(copied)} index(es) migrated to the current mapping")
    return 0


def _es_status(cfg: Config, node) -> int:
    if cfg.elasticsearch.external:
        from storage import connect
        from storage.client import cluster_health

        health = cluster_health(connect(cfg.elasticsearch))
        print(f"external cluster {_shown_hosts(cfg)}: {health or 'unreachable'}")
        return 0 if health else 3
    st = node.status()
    if not st.running:
        if st.pid:
            print(f"not answering at {st.url}, but the node's process is alive (pid {st.pid}): "
                  "starting, or hung; `yuqing es stop` stops it")
        elif st.port_holder:
            print(f"not running ({st.url}); port {node.port} is held by another process "
                  f"(pid {st.port_holder})")
        else:
            print(f"not running ({st.url})")
        return 3
    print(f"running at {st.url}: version {st.version}, health {st.health}, pid {st.pid or '?'}")
    return 0


@command("check-config")
def cmd_check_config(args: argparse.Namespace) -> int:
    path = args.file or getattr(args, "config", None)
    cfg = load_config(path)
    missing = [] if args.ignore_env else missing_secrets(cfg)
    where = path or os.environ.get("YUQING_CONFIG") or DEFAULT_CONFIG
    for m in missing:
        print(f"error: {where}: {m}", file=sys.stderr)
    if missing:
        print("the file is valid, but these channels cannot send from this environment "
              "(--ignore-env checks the file alone)", file=sys.stderr)
        return 1
    print(f"ok: {len(cfg.sources)} sources, {len(cfg.gazetteer.townships)} townships "
          f"in {cfg.gazetteer.county}")
    return 0


@command("search")
def cmd_search(args: argparse.Namespace) -> int:
    from storage import open_store

    cfg = _config(args)
    store = open_store(cfg)
    since = datetime.now(SHANGHAI) - timedelta(days=args.days) if args.days else None
    hits = store.search(" ".join(args.query), since=since, sources=args.source or None,
                        size=args.size, sort=args.sort)
    for h in hits:
        when = (h.get("published_at") or "")[:16].replace("T", " ") or "(no date)      "
        print(f"{when}  {h['source_id']:<12} {h.get('sentiment', 0):.2f}  {h['title'][:40]}  "
              f"{h['url']}")
    print(f"{len(hits)} hit{'' if len(hits) == 1 else 's'}", file=sys.stderr)
    return 0


@command("crawl")
def cmd_crawl(args: argparse.Namespace) -> int:
    from crawlers.runner import run_crawl

    cfg = _config(args)
    wanted = args.sources or [s.id for s in cfg.sources if s.enabled]
    try:
        sources = [cfg.source(s) for s in wanted]
    except KeyError as exc:
        print(f"error: unknown source {exc.args[0]!r}; configured: "
              f"{', '.join(s.id for s in cfg.sources) or '(none)'}", file=sys.stderr)
        return 2
    if not sources:
        print("no sources configured", file=sys.stderr)
        return 2
    summaries = run_crawl(cfg, sources, log_level=args.log_level, at=args.at)
    print(f"{'source':<16}{'pages':>7}{'items':>7}{'indexed':>9}{'spooled':>9}{'new':>6}"
          f"{'updated':>9}{'unchanged':>11}{'deferred':>10}{'dropped':>9}")
    for s in summaries:
        print(f"{s.source_id:<16}{s.pages:>7}{s.items:>7}{s.indexed:>9}{s.spooled:>9}{s.new:>6}"
              f"{s.updated:>9}{s.unchanged:>11}{s.deferred:>10}{s.dropped_total:>9}  "
              f"{', '.join(f'{k}={v}' for k, v in s.dropped.items())}")
    failed = [s.source_id for s in summaries if s.finish_reason == "not run"]
    if failed:
        print(f"error: these sources did not run (see the log): {', '.join(failed)}",
              file=sys.stderr)
        return 1
    return 0


@command("extract")
def cmd_extract(args: argparse.Namespace) -> int:
    from crawlers.extraction.cli import run

    return run(args, sys.stdin, sys.stdout, sys.stderr)


@command("analyze")
def cmd_analyze(args: argparse.Namespace) -> int:
    from yuqing.analyze_cmd import main_stdio

    return main_stdio(getattr(args, "config", None), args.workers, args.item_timeout)


@command("words")
def cmd_words(args: argparse.Namespace) -> int:
    from yuqing.words_cmd import main

    return main(_config(args), args)


@command("detect")
def cmd_detect(args: argparse.Namespace) -> int:
    from yuqing.jobs import detect_cycle

    cfg = _config(args)
    now = args.at or datetime.now(SHANGHAI)
    report = detect_cycle(cfg, now, deliver=not args.no_deliver)
    for a in report.fired:
        print(f"FIRED {a.id} [{a.severity.value}] {a.title}\n  {a.summary}")
    print(f"observed {report.observed} items; fired {len(report.fired)}, firing "
          f"{report.firing}, resolved {report.resolved}; notifications queued "
          f"{report.enqueued}, delivered {report.delivered}"
          + (f"; {report.dropped} queued dropped (see yuqing alerts outbox)"
             if report.dropped else ""))
    return 0


@command("scheme")
def cmd_scheme(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from yuqing import scheme_cmd
    from yuqing.cliargs import option_errors

    cfg = _config(args)
    try:
        return scheme_cmd.run(cfg, args, sys.stdout)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
    except ValidationError as exc:  # a scheme given on the command line that does not compile
        for line in option_errors(exc, scheme_cmd.OPTIONS):
            print(f"error: scheme {args.name!r}: {line}", file=sys.stderr)
    except ValueError as exc:
        print(f"error: scheme {args.name!r}: {exc}", file=sys.stderr)
    return 2


@command("replay")
def cmd_replay(args: argparse.Namespace) -> int:
    from yuqing.replay_cmd import run

    return run(args.file, getattr(args, "config", None), sys.stdout, sys.stderr, args.workers,
               args.item_timeout)


@command("demo")
def cmd_demo(args: argparse.Namespace) -> int:
    from yuqing.demo import run_demo

    return run_demo(args)


@command("alerts")
def cmd_alerts(args: argparse.Namespace) -> int:
    # The alerts package owns its sub-commands; see alerts/cli.py.
    from alerts.cli import run

    return run(args)


@command("web")
def cmd_web(args: argparse.Namespace) -> int:
    from web.cli import run_web

    return run_web(args)


@command("users")
def cmd_users(args: argparse.Namespace) -> int:
    from web.cli import run_users

    return run_users(args)


@command("report")
def cmd_report(args: argparse.Namespace) -> int:
    # The reports package owns its sub-commands; see reports/cli.py.
    from reports.cli import run

    return run(args)


@command("calendar")
def cmd_calendar(args: argparse.Namespace) -> int:
    from duty.cli import run_calendar

    return run_calendar(args)


@command("duty")
def cmd_duty(args: argparse.Namespace) -> int:
    from duty.cli import run_duty

    return run_duty(args)


@command("handover")
def cmd_handover(args: argparse.Namespace) -> int:
    from duty.cli import run_handover

    return run_handover(args)


@command("run")
def cmd_run(args: argparse.Namespace) -> int:
    from yuqing.scheduler import run_forever

    return run_forever(getattr(args, "config", None), log_level=args.log_level)


def _subcommand_config(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: left out, it must not reset a global `yuqing --config C` to None; given,
    # it overrides the global one.
    parser.add_argument("--config", "-c", default=argparse.SUPPRESS,
                        help="YAML configuration (overrides the global --config)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="yuqing", description="County public-opinion monitoring")
    p.add_argument("--config", "-c", help="YAML configuration (default: $YUQING_CONFIG or the "
                   "embedded sample county)")
    p.add_argument("--log-level", default="WARNING")
    sub = p.add_subparsers(dest="command", required=True)

    es = sub.add_parser("es", help="manage the local Elasticsearch node")
    es.add_argument("action", choices=["start", "stop", "status", "retention", "migrate"],
                    help="retention: drop item indices older than the retention period; "
                         "migrate: copy items into the current mapping version, swap alias")
    # At least 1: a negative period would put the cut-off in the future and drop every index.
    es.add_argument("--months", type=positive_int, help="retention period (default: config)")
    es.add_argument("--dry-run", action="store_true", help="retention: only list")

    cc = sub.add_parser("check-config", help="validate a configuration file")
    cc.add_argument("file", nargs="?")
    cc.add_argument("--ignore-env", action="store_true",
                    help="do not check that the channels' secret variables are set here")

    se = sub.add_parser("search", help="full-text search over indexed items")
    se.add_argument("query", nargs="*", help="terms (exact substrings); -term excludes; a|b")
    se.add_argument("--days", type=float, help="only the last N days")
    se.add_argument("--source", action="append", help="only this source id (repeatable)")
    se.add_argument("--size", type=int, default=20)
    se.add_argument("--sort", choices=["newest", "relevance"], default="newest")

    cr = sub.add_parser("crawl", help="one crawl pass over the configured sources")
    cr.add_argument("sources", nargs="*", help="source ids (default: all enabled)")
    cr.add_argument("--at", type=iso_time, help="ISO time the crawl takes for now, for the "
                    "crawl state's back-offs and retries (default: now)")

    add_extract_arguments(sub.add_parser("extract", help="extract title/text/date/author/"
                                         "encoding from saved pages (one JSON line each)",
                                         description=EXTRACT_DESCRIPTION))

    an = sub.add_parser("analyze", help="analyse JSON lines from stdin (no Elasticsearch)")
    an.add_argument("--workers", type=int, help="processes (default: all cores)")
    an.add_argument("--item-timeout", type=positive_seconds, metavar="SECONDS",
                    default=ITEM_TIMEOUT, help="kill a worker stuck this long on one line; "
                    f"that line gets an error (default {ITEM_TIMEOUT:g})")
    _subcommand_config(an)

    wd = sub.add_parser("words", help="propose frequent words the segmenter does not know "
                        "(for analysis.user_words), from JSON lines on stdin or stored items")
    wd.add_argument("--days", type=float, help="read the items stored in the last N days "
                    "instead of stdin")
    wd.add_argument("--top", type=int, default=50, help="at most this many (default 50)")
    wd.add_argument("--min-count", type=int, default=5, help="occurrences needed (default 5)")
    wd.add_argument("--min-docs", type=int, default=3, help="in this many texts (default 3)")
    wd.add_argument("--json", action="store_true", help="one JSON object per candidate")

    dt = sub.add_parser("detect", help="one detection + alerting cycle (what `run` does "
                        "every minute)")
    dt.add_argument("--at", type=iso_time, help="ISO time to evaluate at (default: now)")
    dt.add_argument("--no-deliver", action="store_true", help="queue, but do not send")

    from yuqing.scheme_cmd import add_parser as add_scheme_parser

    add_scheme_parser(sub)

    rp = sub.add_parser("replay", help="backtest detection and routing on a recorded stream "
                        "of JSON lines (no crawling, no sending, no Elasticsearch)")
    rp.add_argument("file", help="JSON lines as for `analyze`, or - for stdin")
    rp.add_argument("--workers", type=int, help="processes for analysis (default: all cores)")
    rp.add_argument("--item-timeout", type=positive_seconds, metavar="SECONDS",
                    default=ITEM_TIMEOUT, help="kill a worker stuck this long on one line; "
                    f"that line is skipped and reported (default {ITEM_TIMEOUT:g})")
    _subcommand_config(rp)

    de = sub.add_parser("demo", help="run the whole pipeline on a bundled local demo web")
    de.add_argument("--port", type=int, default=0, help="port for the demo web (default: any)")
    de.add_argument("--keep-es", action="store_true",
                    help="no effect: the local node always keeps running (kept for old scripts)")
    de.add_argument("--serve", action="store_true", help="keep serving the duty console "
                    "until Ctrl-C")
    de.add_argument("--no-web", action="store_true", help="do not start the duty console")
    de.add_argument("--web-port", type=int, default=0, help="console port (default: 8080 if "
                    "free, else any)")

    from alerts.cli import add_parser as add_alerts_parser

    add_alerts_parser(sub)

    from reports.cli import add_parser as add_report_parser

    add_report_parser(sub)

    from web.cli import add_parsers as add_web_parsers

    add_web_parsers(sub)
    from duty.cli import add_parsers as add_duty_parsers

    add_duty_parsers(sub)
    sub.add_parser("run", help="the scheduler, 24/7: crawls, detection every minute, "
                   "escalation, heartbeat, reports (stop with SIGTERM)")
    return p


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "search":
        # argparse takes `-发黄` for an unknown option; in a search it excludes a term.
        terms = [a for a in extra if a.startswith("-") and not a.startswith("--")]
        args.query += terms
        extra = [a for a in extra if a not in terms]
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    setup_logging(args.log_level)
    try:
        return _COMMANDS[args.command](args)
    except ConfigError as exc:
        print(f"configuration error:\n{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
