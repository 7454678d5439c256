"""Crawl throughput: `yuqing crawl`'s machinery vs `scrapy bench`, same machine, same run.

    YUQING_ES_PORT=9231 .venv/bin/python bench/crawl.py [--articles 300]

Serves a local news site (list pages of 15 articles each) from a separate process, crawls
it once with the `news` template, analysis and bulk indexing on (into a throw-away index
prefix on the configured Elasticsearch, deleted afterwards), then runs `scrapy bench`
(Scrapy's own link-following spider against its own local server, no parsing or storage)
with the same concurrency. Prints pages/s for both and the ratio. Both are fetch-bound
on 127.0.0.1, so the ratio is what our extraction, analysis and indexing cost.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

PER_LIST = 15
PARAS = ["{town}居民反映，{thing}问题已经持续多日，给日常生活带来不便，希望有关部门尽快处理。",
         "记者从县有关部门了解到，相关单位已派人到现场查看，正在制定整改方案，预计近期完成。",
         "部分群众表示，希望今后加强日常巡查，建立长效机制，避免类似问题反复出现。"]
TOWNS = ["城关镇", "石桥镇", "河口镇", "青山乡"]
THINGS = ["自来水发黄", "道路积水", "路灯不亮", "垃圾清运不及时", "噪音扰民"]


def serve(n_articles: int, port_q: mp.Queue) -> None:
    from sites import article, news_list

    from yuqing.demo.server import LocalSite

    site = LocalSite().start()
    site.add("/robots.txt", "User-agent: *\nDisallow: /admin/\n", "text/plain")
    n_lists = (n_articles + PER_LIST - 1) // PER_LIST
    for p in range(n_lists):
        rows = []
        for i in range(p * PER_LIST, min(n_articles, (p + 1) * PER_LIST)):
            town, thing = TOWNS[i % len(TOWNS)], THINGS[i % len(THINGS)]
            title = f"{town}{thing}问题调查（{i}）"
            path = f"/news/2026/11/{1 + i % 27:02d}/{10000 + i}.html"
            rows.append((path, title, f"2026-11-{1 + i % 27:02d} 09:{i % 60:02d}"))
            site.add(path, article(title, f"2026-11-{1 + i % 27:02d} 09:{i % 60:02d}",
                                   [t.format(town=town, thing=thing) for t in PARAS] * 3))
        nxt = f"/news/index_{p + 2}.html" if p + 1 < n_lists else None
        site.add("/news/index.html" if p == 0 else f"/news/index_{p + 1}.html",
                 news_list(rows, next_href=nxt))
    port_q.put(site.port)
    while True:
        time.sleep(3600)


def bench_yuqing(n_articles: int, concurrency: int) -> tuple[int, float, float]:
    """(pages, seconds from spider open to close, seconds of the whole run_crawl call)."""
    from crawlers.runner import run_crawl
    from yuqing.config import load_config, parse_config

    q: mp.Queue = mp.Queue()
    server = mp.Process(target=serve, args=(n_articles, q), daemon=True)
    server.start()
    port = q.get(timeout=60)
    base = load_config(None)
    with tempfile.TemporaryDirectory() as tmp:
        raw = base.model_dump(mode="json")
        raw.update({
            "data_dir": tmp,
            "crawl": {**raw["crawl"], "download_delay": 0, "autothrottle": False,
                      "concurrent_per_domain": concurrency},
            "sources": [{"id": "bench-news", "name": "bench", "template": "news",
                         "kind": "news", "max_pages": 10_000,
                         "start_urls": [f"http://127.0.0.1:{port}/news/index.html"]}]})
        cfg = parse_config(raw)
        prefix = f"bench{uuid.uuid4().hex[:8]}"
        os.environ["YUQING_INDEX_PREFIX"] = prefix
        try:
            t0 = time.monotonic()
            [summary] = run_crawl(cfg, cfg.sources, log_level="WARNING", progress=None)
            wall = time.monotonic() - t0
        finally:
            server.terminate()
            _drop_indices(cfg, prefix)
    elapsed = (datetime.fromisoformat(summary.finished_at)
               - datetime.fromisoformat(summary.started_at)).total_seconds()
    if summary.indexed != n_articles:
        print(f"warning: indexed {summary.indexed} of {n_articles} articles "
              f"(dropped: {summary.dropped})", file=sys.stderr)
    return summary.pages, elapsed, wall


def _drop_indices(cfg, prefix: str) -> None:
    from storage import connect
    from storage.admin import drop_prefix

    drop_prefix(connect(cfg.elasticsearch), prefix)


def bench_scrapy(concurrency: int) -> tuple[int, float]:
    scrapy_bin = Path(sys.executable).with_name("scrapy")
    # Outside the project directory, so that scrapy.cfg (our settings, pipelines) is not used.
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [str(scrapy_bin), "bench", "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}"],
            cwd=tmp, capture_output=True, text=True, timeout=120)
    log = proc.stderr + proc.stdout
    pages = re.search(r"'response_received_count': (\d+)", log)
    secs = re.search(r"'elapsed_time_seconds': ([\d.]+)", log)
    if not (pages and secs):
        raise SystemExit(f"could not read scrapy bench's stats:\n{log[-2000:]}")
    return int(pages.group(1)), float(secs.group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=300)
    ap.add_argument("--concurrency", type=int, default=8,
                    help="requests per domain for both (Scrapy's default is 8)")
    args = ap.parse_args()
    pages, secs, wall = bench_yuqing(args.articles, args.concurrency)
    ours = pages / secs
    print(f"yuqing crawl (news template, extraction + analysis + indexing): "
          f"{pages} pages in {secs:.1f} s = {ours:.1f} pages/s")
    print(f"  whole run incl. Scrapy set-up, model loading, final flush:    "
          f"{pages} pages in {wall:.1f} s = {pages / wall:.1f} pages/s")
    s_pages, s_secs = bench_scrapy(args.concurrency)
    theirs = s_pages / s_secs
    print(f"scrapy bench (follow links only, no parsing or storage):       "
          f"{s_pages} pages in {s_secs:.1f} s = {theirs:.1f} pages/s")
    print(f"ratio yuqing / scrapy bench: {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
