"""A crawl killed mid-run (the scheduler's crawl_timeout, OOM, a reboot) loses nothing: the
crawl state remembers an item only once it is indexed or spooled, and the pipeline flushes
on a timer, not only when another item arrives."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from crawling import crawl, summary, write_config
from sites import article, news_list

from yuqing.demo.server import LocalSite

SLOW = "/news/2026/11/20/1003.html"
PATHS = ["/news/2026/11/20/1001.html", "/news/2026/11/20/1002.html", SLOW]


def slow_site(site: LocalSite, delay: float) -> None:
    site.add("/news/index.html", news_list(
        [(p, f"第{i}条：石桥镇新民村道路维修进展通报", "2026-11-20") for i, p in enumerate(PATHS)]))
    for i, path in enumerate(PATHS):
        site.add(path, article(f"第{i}条：石桥镇新民村道路维修进展通报", "2026-11-20 09:00",
                               [f"第{i}条通报。道路维修工程正在推进，预计月底完工。"] * 2),
                 delay=delay if path == SLOW else 0.0)


def start_crawl(cfg: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "yuqing.cli", "--config", cfg, "crawl"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ))


def wait_for(check, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def config(tmp_path, site: LocalSite, flush_seconds: float) -> str:
    return write_config(tmp_path, [{
        "id": "county-news", "name": "测试新闻网", "template": "news", "kind": "news",
        "start_urls": [site.url("/news/index.html")]}], flush_seconds=flush_seconds)


def test_items_waiting_in_the_pipeline_are_fetched_again_after_a_kill(tmp_path, prefix, store):
    with LocalSite() as site:
        slow_site(site, delay=30)
        cfg = config(tmp_path, site, flush_seconds=120)  # items stay in the buffer
        proc = start_crawl(cfg)
        try:
            assert wait_for(lambda: all(site.hits[p] for p in PATHS), 60)
            time.sleep(3)  # the two fast articles reach the pipeline, the third hangs
            assert proc.poll() is None
        finally:
            proc.kill()  # SIGKILL, as subprocess.run(timeout=...) in the scheduler does
            proc.communicate()

        slow_site(site, delay=0)
        row = summary(crawl(cfg))["county-news"]
    assert row["new"] == 3 and row["unchanged"] == 0, row
    assert all(site.hits[p] == 2 for p in PATHS)
    store.refresh()
    assert store.count() == 3


def test_items_are_flushed_while_the_crawl_waits_for_a_slow_page(tmp_path, prefix, store):
    with LocalSite() as site:
        slow_site(site, delay=45)
        cfg = config(tmp_path, site, flush_seconds=0.5)
        proc = start_crawl(cfg)

        def indexed() -> bool:
            try:
                store.refresh()
                return store.count() >= 2
            except Exception:  # noqa: BLE001 - the index may not exist yet
                return False

        try:
            # The window starts when the slow page is requested, not at process start: a
            # crawl starting on a busy machine (models, Scrapy) must not fail the test.
            assert wait_for(lambda: site.hits[SLOW] > 0, 90), "the crawl never started"
            # Flushed on the timer: no further item arrives to trigger it, and the slow
            # page answers only after 45 s.
            assert wait_for(indexed, 35), "items waited for the slow page"
            assert proc.poll() is None
        finally:
            proc.kill()
            proc.communicate()

        # What was indexed is remembered; the page the crawl died on is fetched.
        slow_site(site, delay=0)
        row = summary(crawl(cfg))["county-news"]
    assert row["new"] == 1 and row["unchanged"] == 2, row
    assert [site.hits[p] for p in PATHS] == [1, 1, 2]
    store.refresh()
    assert store.count() == 3
