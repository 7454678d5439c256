"""``yuqing demo``: the whole pipeline on a bundled local demo web, end to end."""

from __future__ import annotations

import argparse
import socket
import sys
from collections import Counter
from datetime import datetime

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
        Source(id="qh-forum", name="青禾论坛·民生热线", template="feed", kind=SourceKind.forum,
               start_urls=[site.url("/forum/rss.xml")], interval_minutes=10, max_pages=50),
    ]


def demo_config(base: Config, site: LocalSite) -> Config:
    crawl = base.crawl.model_copy(update={"download_delay": 0.0, "autothrottle": False,
                                          "concurrent_per_domain": 8})
    return base.model_copy(update={"sources": demo_sources(site), "crawl": crawl})


def run_demo(args: argparse.Namespace) -> int:
    from crawlers.runner import run_crawl
    from reports import demo_report
    from storage import open_store
    from storage.node import LocalElasticsearch, NodeError

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
        publish(site, posts)
        print(f"Demo web of {base.gazetteer.county} at {site.base} "
              f"({len(posts)} posts over the last two weeks)", file=out)
        cfg = demo_config(base, site)
        summaries = run_crawl(cfg, cfg.sources, log_level=args.log_level)
    print("\nCrawl summary", file=out)
    for s in summaries:
        dropped = f" dropped {s.dropped}" if s.dropped else ""
        print(f"  {s.source_id:<10} pages {s.pages:>3}  items {s.items:>3}  "
              f"indexed {s.indexed:>3}  spooled {s.spooled:>3}{dropped}", file=out)
    store = open_store(cfg)
    store.refresh()
    total = store.count()
    labels = Counter(h["sentiment_label"] for h in store.search("", size=500))
    print(f"\nIndexed items: {total} (sentiment: "
          + ", ".join(f"{k} {v}" for k, v in sorted(labels.items())) + ")", file=out)
    query = "自来水 发黄"
    print(f"\nSample search: yuqing search {query}", file=out)
    for h in store.search(query, size=5):
        when = (h.get("published_at") or "")[:16].replace("T", " ")
        print(f"  {when}  {h['source_id']:<9} {h['sentiment']:.2f}  {h['title']}", file=out)
    print(f"\nWeekly report (周报): {demo_report(cfg, now)}", file=out)
    print("\nThe local Elasticsearch keeps running: try `yuqing search 噪音`; "
          "stop it with `yuqing es stop`.", file=out)
    return 0
