"""``yuqing demo``: the whole pipeline on a bundled local demo web, end to end."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import yaml

from alerts.config import AlertingConfig
from yuqing.config import Config, Source, load_config
from yuqing.records import SHANGHAI, SourceKind

from .content import demo_posts
from .server import LocalSite
from .site import publish

DEMO_PORT = 8765


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def demo_sources(site: LocalSite) -> list[Source]:
    return [
        Source(id="qh-news", name="青禾新闻网", template="feed", kind=SourceKind.news,
               start_urls=[site.url("/news/rss.xml")], interval_minutes=30, max_pages=50),
        Source(id="qh-forum", name="青禾论坛·民生热线", template="discuz",
               kind=SourceKind.forum, interval_minutes=10, max_pages=5,
               start_urls=[site.url("/forum/forum.php?mod=forumdisplay&fid=2")]),
        Source(id="qh-mailbox", name="青禾县长信箱", template="board", kind=SourceKind.board,
               start_urls=[site.url("/mailbox/list.html")], interval_minutes=30),
    ]


DEMO_PREFIX = "demo"
DEMO_DIR = "demo"  # under the data dir in effect
DEMO_WEBHOOK_ENV = "YUQING_DEMO_WEBHOOK"


def demo_alerting() -> AlertingConfig:
    """The duty office's robot, played by a local webhook receiver the demo starts."""
    return AlertingConfig.model_validate({
        "route": {"receiver": "duty-office", "group_by": ["rule", "township"],
                  "group_wait": "1s", "group_interval": "5m", "repeat_interval": "4h"},
        "receivers": [{"name": "duty-office",
                       "channels": [{"type": "webhook", "url_env": DEMO_WEBHOOK_ENV}]}],
    })


def demo_prefix(base: Config) -> str:
    """``demo``, or ``<prefix>-demo`` when $YUQING_INDEX_PREFIX chose the prefix in effect
    (tests, side-by-side trials): never the prefix of real work, which reset would drop."""
    if os.environ.get("YUQING_INDEX_PREFIX", "").strip():
        return f"{base.elasticsearch.prefix}-{DEMO_PREFIX}"
    return DEMO_PREFIX


def demo_config(base: Config, site: LocalSite) -> Config:
    """Isolated from real work: its own index prefix and data directory (``<data dir>/demo``
    of the data dir in effect, $YUQING_DATA_DIR included), reset each run. Both are pinned,
    so the environment cannot point the demo's reset at real data."""
    crawl = base.crawl.model_copy(update={"download_delay": 0.0, "autothrottle": False,
                                          "concurrent_per_domain": 8})
    es = base.elasticsearch.with_prefix(demo_prefix(base))
    # No quiet hours: the demo shows a warning reaching the duty office at any hour; with
    # them, a demo run at night would hold it until 07:00 and show nothing delivered.
    watch = base.watch.model_copy(update={"quiet_hours": None})
    return base.model_copy(update={
        "sources": demo_sources(site), "crawl": crawl, "elasticsearch": es, "watch": watch,
        "alerting": demo_alerting()}).with_data_dir(base.data_path(DEMO_DIR).absolute())


def reset(cfg: Config) -> None:
    from storage import connect
    from storage.admin import drop_prefix

    root = cfg.data_path()
    # Last guard against deleting real data: only ever a directory named like the demo's.
    if root.name != DEMO_DIR or not cfg.elasticsearch.prefix.endswith(DEMO_PREFIX):
        raise RuntimeError(f"refusing to reset {root} / index prefix "
                           f"{cfg.elasticsearch.prefix!r}: not the demo's")
    drop_prefix(connect(cfg.elasticsearch), cfg.elasticsearch.prefix)
    shutil.rmtree(root, ignore_errors=True)


def run_demo(args: argparse.Namespace) -> int:
    from crawlers.runner import run_crawl
    from reports import demo_report
    from storage.node import LocalElasticsearch, NodeError
    from yuqing.jobs import detect_cycle

    base = load_config(getattr(args, "config", None))
    out = sys.stdout
    if not base.elasticsearch.external:
        try:
            LocalElasticsearch(base.elasticsearch.local, base.data_path("es")).start()
        except NodeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    port = args.port or (DEMO_PORT if _free(DEMO_PORT) else 0)
    now = datetime.now(SHANGHAI)
    posts = demo_posts(now)
    with LocalSite(port=port) as site:
        cfg = demo_config(base, site)
        reset(cfg)
        published = time.time()
        publish(site, posts)
        os.environ[DEMO_WEBHOOK_ENV] = site.url("/hook")
        print(f"Demo web of {base.gazetteer.county} at {site.base} "
              f"({len(posts)} posts over the last two weeks)", file=out)
        summaries = run_crawl(cfg, cfg.sources, log_level=args.log_level)
        _print_crawl(summaries, cfg, out)
        # Detection as the scheduler runs it every minute: the first cycle fires and
        # queues (group_wait), the next one delivers to the duty office's robot.
        first = detect_cycle(cfg, datetime.now(SHANGHAI))
        time.sleep(1.2)
        detect_cycle(cfg, datetime.now(SHANGHAI))
        site.received_event.wait(5)
        _print_alerts(first.fired, site, published, out)
    print(f"\nWeekly report (周报): {demo_report(cfg, datetime.now(SHANGHAI))}", file=out)
    dump = cfg.data_path("demo.yaml")
    dump.parent.mkdir(parents=True, exist_ok=True)
    dump.write_text(yaml.safe_dump(cfg.model_dump(mode="json", by_alias=True,
                                                  exclude={"sources"}),
                                   allow_unicode=True, sort_keys=False), encoding="utf-8")
    print(f"\n{_afterwards(cfg, dump)}", file=out)
    if args.no_web:
        return 0
    return _console(cfg, args, dump, out)


def _afterwards(cfg: Config, dump: Path) -> str:
    """How to look at the demo's data later; only a node the demo started is there to stop
    (`yuqing es stop` leaves an existing cluster alone and says so)."""
    search = f"`{_env_hint(cfg)}yuqing -c {dump} search 噪音`"
    if cfg.elasticsearch.external:
        return f"Search the demo data (on the existing cluster) with {search}."
    return (f"The local Elasticsearch keeps running. Search the demo data with {search}; "
            f"stop the node with `yuqing es stop`.")


def _env_hint(cfg: Config) -> str:
    """What a later command needs so that the environment, which wins over the dumped
    configuration, points at the demo's data too."""
    demo = {"YUQING_INDEX_PREFIX": cfg.elasticsearch.prefix, "YUQING_DATA_DIR": cfg.data_path()}
    return "".join(f"{k}={v} " for k, v in demo.items() if os.environ.get(k))


def _console(cfg: Config, args: argparse.Namespace, dump: Path, out) -> int:
    """Start the duty console on the demo's data with a fresh demo login. Without --serve
    it is checked and then stops with the demo (tests and CI must not hang)."""
    import secrets

    from web.app import console_db
    from web.cli import start_background
    from web.db import now

    password = secrets.token_urlsafe(9)
    console_db(cfg).add_user("demo", "admin", password, now())
    port = args.web_port or (cfg.web.port if _free(cfg.web.port) else _any_port())
    server = start_background(cfg, "127.0.0.1", port)
    print(f"\nDuty console (值班台): http://127.0.0.1:{port}/  login: demo / {password}",
          file=out, flush=True)
    if not args.serve:
        server.should_exit = True
        print(f"(stopped with the demo; `yuqing demo --serve` keeps it running, or "
              f"`{_env_hint(cfg)}yuqing -c {dump} web`)", file=out)
        return 0
    print("Serving until Ctrl-C.", file=out, flush=True)
    import signal

    # The crawl (Scrapy) left its own SIGINT/SIGTERM handlers behind; ours stop the console.
    def stop(*_: object) -> None:
        server.should_exit = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not server.should_exit:
        time.sleep(0.2)
    time.sleep(0.5)  # let uvicorn close its connections
    return 0


def _any_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _print_crawl(summaries, cfg: Config, out) -> None:
    from storage import open_store

    print("\nCrawl summary", file=out)
    for s in summaries:
        dropped = f" dropped {s.dropped}" if s.dropped else ""
        print(f"  {s.source_id:<10} pages {s.pages:>3}  items {s.items:>3}  "
              f"indexed {s.indexed:>3}  spooled {s.spooled:>3}{dropped}", file=out)
    store = open_store(cfg)
    store.refresh()
    labels = Counter(h["sentiment_label"] for h in store.search("", size=500))
    print(f"\nIndexed items: {store.count()} (sentiment: "
          + ", ".join(f"{k} {v}" for k, v in sorted(labels.items())) + ")", file=out)
    query = "自来水 发黄"
    print(f"\nSample search: yuqing search {query}", file=out)
    for h in store.search(query, size=5):
        when = (h.get("published_at") or "")[:16].replace("T", " ")
        print(f"  {when}  {h['source_id']:<9} {h['sentiment']:.2f}  {h['title']}", file=out)


def _print_alerts(fired, site: LocalSite, published: float, out) -> None:
    print(f"\nDetection: {len(fired)} alert(s) fired", file=out)
    for a in fired:
        print(f"  [{a.severity.value}] {a.title}\n    {a.summary}", file=out)
        for it in a.top_items[:5]:
            print(f"    - {it.title}  {it.url}", file=out)
    for path, body, at in site.received:
        try:
            payload = json.loads(body)
        except ValueError:
            payload = {"title": "(unreadable)", "message": body[:200].decode(errors="replace")}
        print(f"\nDelivered to the duty office's webhook ({path}) "
              f"{at - published:.1f}s after the posts appeared:\n"
              f"  {payload.get('title', '')}\n"
              + "\n".join("  " + line
                          for line in str(payload.get("message", "")).splitlines()[:12]),
              file=out)
    if not site.received:
        print("\n(no notification reached the webhook)", file=out)
