"""Crawl health from real crawls: a source that cannot be read raises ``crawl_health``."""

from __future__ import annotations

from datetime import datetime

from crawling import crawl, summary, write_config
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


def test_a_source_whose_every_article_page_fails_to_parse_is_failing(tmp_path, prefix):
    """The list reads fine but no article page yields text (a changed template, a wrong
    body selector): three pages in a row that could not be read, with none read since,
    raise crawl_health; each is then retried on the failure back-off, not every run."""
    def listing(n: int) -> str:
        return news_list([(f"/news/2026/11/20/{1000 + i}.html", f"第{i}条石桥镇道路维修进展通报",
                           "2026-11-20 09:00") for i in range(n, 0, -1)])

    with LocalSite() as site:
        cfg = write_config(tmp_path, [{**_source(site), "selectors": {"body": "#zoom"}}])
        for i in range(1, 4):  # a quiet source: one new article a run, none readable
            site.add(f"/news/2026/11/20/{1000 + i}.html", "<html><body><h1>通报</h1>"
                     "<div class='content'><p>图片</p></div></body></html>")
            site.add("/news/index.html", listing(i))
            row = summary(crawl(cfg))["county-news"]
            assert row["reasons"] == {"empty_text": "1"}, row  # only the new page is fetched
        [alert] = health_alerts(load_config(cfg), datetime.now(SHANGHAI))
        assert alert.labels == {"source": "county-news"} and "抓取失败" in alert.title
        assert "3 个" in alert.summary and "empty_text" in alert.summary, alert.summary

        # The site's template is fixed: a page read again resolves it.
        site.add("/news/2026/11/20/1004.html", "<html><body><h1>通报</h1><div id='zoom'><p>"
                 "石桥镇新民村道路维修工程正在推进，预计月底完工。</p></div></body></html>")
        site.add("/news/index.html", listing(4))
        assert summary(crawl(cfg))["county-news"]["new"] == 1
        assert health_alerts(load_config(cfg), datetime.now(SHANGHAI)) == []


def test_index_pages_reached_by_link_discovery_are_no_health_problem(tmp_path, prefix):
    """A news list links to topic pages (专题, channel indexes) as well as articles: those
    are dropped as not_article and backed off, but a week whose only new links were three
    of them is no sign of a broken template and must not wake anyone."""
    topics = [(f"/news/2026/11/2{i}/90{i}.html", f"专题：第{i}季度重点工作推进情况汇总",
               f"2026-11-2{i}") for i in range(3)]
    others = [(f"/news/2026/11/1{i}/50{i}.html", f"县里第{i}条新闻的标题比较长一些",
               f"2026-11-1{i}") for i in range(8)]
    with LocalSite() as site:
        site.add("/news/2026/11/20/1001.html", "<html><body><h1>石桥镇道路维修进展通报</h1>"
                 "<div id='zoom'><p>石桥镇新民村道路维修工程正在推进，预计月底完工。</p>"
                 "</div></body></html>")
        site.add("/news/index.html", news_list(
            [("/news/2026/11/20/1001.html", "石桥镇道路维修进展通报", "2026-11-20 09:00")]))
        cfg = write_config(tmp_path, [_source(site)])
        assert summary(crawl(cfg))["county-news"]["new"] == 1
        for path, _, _ in topics:
            site.add(path, news_list(others))
        site.add("/news/index.html", news_list(
            [*topics, ("/news/2026/11/20/1001.html", "石桥镇道路维修进展通报", "2026-11-20")]))
        row = summary(crawl(cfg))["county-news"]
        assert row["reasons"] == {"not_article": "3"}, row
        assert health_alerts(load_config(cfg), datetime.now(SHANGHAI)) == []
