"""The per-domain concurrency limit holds on a loaded machine: a slow site is never asked
for more pages at once than ``crawl.concurrent_per_domain``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from crawling import summary, write_config
from sites import article, news_list

from yuqing.demo.server import LocalSite

STALLED = Path(__file__).with_name("stalled_crawl.py")
ROOT = Path(__file__).resolve().parents[1]
N = 6


@pytest.mark.parametrize("limit", [1, 2])
def test_concurrency_limit_holds_when_the_crawl_process_stalls(tmp_path, prefix, limit):
    # download_delay 0 (write_config's): the limit alone keeps the site's load down.
    with LocalSite() as site:
        rows = []
        for i in range(N):
            path = f"/news/2026/11/{10 + i}/{6000 + i}.html"
            rows.append((path, f"第{i}条：石桥镇新民村道路维修进展通报", f"2026-11-{10 + i}"))
            site.add(path, article(rows[-1][1], f"2026-11-{10 + i} 09:00",
                                   [f"第{i}条通报。道路维修工程正在推进。"] * 2),
                     delay=0.3)  # slow: requests for it overlap unless held back
        site.add("/news/index.html", news_list(rows))
        cfg = write_config(tmp_path, [{
            "id": "slow-news", "name": "慢新闻网", "template": "news", "kind": "news",
            "start_urls": [site.url("/news/index.html")]}], concurrent_per_domain=limit)
        # 5 ms lost at every task start: more than a small download delay, as on a busy box.
        proc = subprocess.run(
            [sys.executable, str(STALLED), "0.005", "--config", cfg, "crawl"],
            capture_output=True, text=True, timeout=240, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert summary(proc)["slow-news"]["new"] == N
        assert all(site.hits[path] == 1 for path, _, _ in rows)
        assert site.max_in_flight == limit
