"""Elasticsearch stops in the middle of a crawl: every item still arrives exactly once.

Runs on a second, throw-away node (the suite's node keeps running), which this test stops
while `yuqing crawl` is fetching a slow local site, then starts again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

from crawling import crawl, summary, write_config
from sites import article, news_list

from storage import ItemStore
from storage.client import connect
from storage.crawlstats import CrawlStatsStore
from yuqing.config import ElasticsearchConfig
from yuqing.demo.server import LocalSite
from yuqing.records import item_id_for

N = 20





def test_es_down_mid_crawl_items_spooled_then_indexed_exactly_once(tmp_path, node):
    node.start()
    prefix = f"t{uuid.uuid4().hex[:10]}"
    env = {"YUQING_ES_URL": node.url, "YUQING_INDEX_PREFIX": prefix}
    store = ItemStore(connect(ElasticsearchConfig(hosts=[node.url], request_timeout=5)),
                      prefix)
    with LocalSite() as site:
        rows = []
        for i in range(N):
            path = f"/news/2026/11/{10 + i % 10}/{5000 + i}.html"
            rows.append((path, f"第{i}条：石桥镇新民村道路维修进展通报", f"2026-11-{10 + i % 10}"))
            site.add(path, article(f"第{i}条：石桥镇新民村道路维修进展通报",
                                   f"2026-11-{10 + i % 10} 09:00",
                                   [f"第{i}条通报。道路维修工程正在推进，预计月底完工。"] * 2),
                     delay=0.5)  # a slow site: the crawl takes about ten seconds
        site.add("/news/index.html", news_list(rows))
        cfg = write_config(tmp_path, [{
            "id": "slow-news", "name": "慢新闻网", "template": "news", "kind": "news",
            "start_urls": [site.url("/news/index.html")]}],
            concurrent_per_domain=1, index_batch=2, flush_seconds=0.5)
        proc = subprocess.Popen(
            [sys.executable, "-m", "yuqing.cli", "--config", cfg, "crawl"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **env})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                store.refresh()
                if store.count() >= 2:
                    break
            except Exception:  # noqa: BLE001 - the index may not exist yet
                pass
            time.sleep(0.2)
        assert proc.poll() is None, "the crawl ended before the node could be stopped"
        node.stop()
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err[-3000:]
        first = summary(subprocess.CompletedProcess([], 0, out, err))["slow-news"]
        assert first["new"] == N
        assert first["spooled"] > 0 and first["indexed"] + first["spooled"] == N, out
        assert all(site.hits[path] == 1 for path, _, _ in rows)
        assert site.max_in_flight == 1  # concurrent_per_domain: 1

        # Back up: the next crawl (a new process) drains the spool and fetches nothing new.
        node.start()
        second = summary(crawl(cfg, env=env))["slow-news"]
        assert second["new"] == 0 and second["indexed"] == 0
        assert all(site.hits[path] == 1 for path, _, _ in rows)

    store.refresh()
    assert store.count() == N  # nothing lost, nothing twice
    ids = {h["id"] for h in store.search("", size=100)}
    assert ids == {item_id_for(site.url(path)) for path, _, _ in rows}
    assert not list((tmp_path / "var" / "spool" / "items").glob("*.jsonl"))
    # The run statistics made while the node was down reached it afterwards.
    runs = CrawlStatsStore(store.es, prefix).runs("slow-news")
    assert [r["items_new"] for r in runs] == [0, N]
