"""Crawl health from real crawls: a source that cannot be read raises ``crawl_health``."""

from __future__ import annotations

from datetime import datetime

from crawling import crawl, write_config
from sites import news_list

from duty.health import health_alerts
from yuqing.config import load_config
from yuqing.demo.server import LocalSite
from yuqing.records import SHANGHAI


def _three_runs_then_health(cfg: str) -> list:
    for _ in range(3):  # watch.crawl_health.failing_runs
        crawl(cfg)
    return health_alerts(load_config(cfg), datetime.now(SHANGHAI))


def _source(site: LocalSite) -> dict:
    return {"id": "county-news", "name": "测试新闻网", "template": "news", "kind": "news",
            "start_urls": [site.url("/news/index.html")]}


def test_a_site_whose_robots_txt_disallows_everything_is_failing(tmp_path, prefix):
    """robots.txt answering 200 is not the site answering: nothing of it may be read."""
    with LocalSite() as site:
        site.add("/robots.txt", "User-agent: *\nDisallow: /\n", "text/plain")
        site.add("/news/index.html", news_list([]))
        cfg = write_config(tmp_path, [_source(site)])
        [alert] = _three_runs_then_health(cfg)
        assert site.hits["/news/index.html"] == 0
    assert alert.labels == {"source": "county-news"}
    assert "抓取失败" in alert.title and "county-news" in alert.title
    assert "robots_disallowed" in alert.summary, alert.summary


def test_a_list_page_with_no_entries_run_after_run_is_failing(tmp_path, prefix):
    """200 with an empty list (the site changed its markup, or serves a placeholder) is a
    source that cannot be read, though every request succeeds."""
    with LocalSite() as site:
        site.add("/news/index.html", news_list([]))
        cfg = write_config(tmp_path, [_source(site)])
        [alert] = _three_runs_then_health(cfg)
    assert alert.labels == {"source": "county-news"} and "抓取失败" in alert.title
    assert "no_article_links" in alert.summary, alert.summary


def test_a_list_with_nothing_new_is_healthy(tmp_path, prefix):
    with LocalSite() as site:
        site.add("/news/index.html", news_list([
            ("/news/2026/11/20/1001.html", "石桥镇新民村道路年久失修", "2026-11-20 09:15")]))
        site.add("/news/2026/11/20/1001.html", "<html><body><h1>石桥镇新民村道路年久失修</h1>"
                 "<div class='content'><p>石桥镇新民村村民反映，村口道路年久失修，雨天积水严重，"
                 "出行十分不便，希望有关部门尽快维修。</p></div></body></html>")
        cfg = write_config(tmp_path, [_source(site)])
        assert _three_runs_then_health(cfg) == []
        assert site.hits["/news/2026/11/20/1001.html"] == 1  # later runs found nothing new
