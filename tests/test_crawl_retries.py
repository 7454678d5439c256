"""Retries and give-ups of the crawl state: failed pages deep in a list, catch-up list pages
that fail, gaps of lists no longer configured. Real crawls of local sites; the crawl's
clock is moved with `yuqing crawl --at`."""

from __future__ import annotations

from datetime import datetime, timedelta

from crawling import crawl, summary, write_config
from sites import news_list, numbered_articles, paged_list

from yuqing.demo.server import LocalSite
from yuqing.records import SHANGHAI


def _news(site: LocalSite, max_pages: int = 2, lists: tuple[str, ...] = ("/news/index.html",)
          ) -> dict[str, object]:
    return {"id": "county-news", "name": "测试新闻网", "template": "news", "kind": "news",
            "max_pages": max_pages, "start_urls": [site.url(p) for p in lists]}


def test_a_failed_page_deep_in_a_caught_up_list_is_retried_when_its_back_off_has_passed(
        tmp_path, prefix, store):
    """A page on list page 2 answers 503: once the list is caught up nothing leads a crawl
    back to page 2, yet the page is tried again when its back-off (1 h) has passed, with
    the date its list row gave, and indexed once it answers."""
    undated = ('<html><head><meta charset="utf-8"><title>城关镇幸福小区自来水发黄</title></head>'
               '<body><div class="article"><h1>城关镇幸福小区自来水发黄</h1><div class="content">'
               "<p>城关镇幸福小区多名居民反映，近日家中自来水发黄并有异味，已持续三天。</p>"
               "<p>居民希望供水公司尽快查明原因，保障群众饮水安全。</p></div></div></body></html>")
    with LocalSite() as site:
        site.add("/news/index.html", news_list(
            [("/news/2026/11/20/7004.html", "第4条石桥镇道路维修进展通报", "2026-11-20"),
             ("/news/2026/11/20/7003.html", "第3条石桥镇道路维修进展通报", "2026-11-20")],
            next_href="/news/index_2.html"))
        site.add("/news/index_2.html", news_list(
            [("/news/2026/11/19/water.html", "城关镇幸福小区自来水发黄", "2026-11-19 08:30"),
             ("/news/2026/11/20/7001.html", "第1条石桥镇道路维修进展通报", "2026-11-20")]))
        numbered_articles(site, [4, 3, 1])
        site.add("/news/2026/11/19/water.html", "down", status=503)
        cfg = write_config(tmp_path, [_news(site)])
        t0 = datetime.now(SHANGHAI)
        row = summary(crawl(cfg, at=t0))["county-news"]
        assert row["new"] == 3 and row["reasons"] == {"http_503": "1"}, row
        tried = site.hits["/news/2026/11/19/water.html"]

        site.add("/news/2026/11/19/water.html", undated)  # the site is back
        row = summary(crawl(cfg, at=t0 + timedelta(minutes=30)))["county-news"]
        assert row["new"] == 0 and row["dropped"] == 0, row  # backing off: not asked
        assert site.hits["/news/2026/11/19/water.html"] == tried

        row = summary(crawl(cfg, at=t0 + timedelta(hours=2)))["county-news"]
        assert row["new"] == 1 and row["dropped"] == 0, row
        assert site.hits["/news/2026/11/19/water.html"] == tried + 1
        assert site.hits["/news/index_2.html"] == 1  # reached from the crawl state, not paging

        row = summary(crawl(cfg, at=t0 + timedelta(hours=3)))["county-news"]
        assert row["new"] == 0 and site.hits["/news/2026/11/19/water.html"] == tried + 1
    store.refresh()
    docs = {d["title"]: d for d in store.search("", size=10)}
    assert len(docs) == 4
    water = docs["城关镇幸福小区自来水发黄"]
    assert datetime.fromisoformat(water["published_at"]) == datetime(
        2026, 11, 19, 8, 30, tzinfo=SHANGHAI)  # the list row's date, kept with the failure


def test_a_catch_up_list_page_that_keeps_failing_is_given_up_counted_and_logged(
        tmp_path, prefix, store):
    """A gap's resume page that answers 503 is tried by the next runs (the gap is deferred),
    and given up after three runs in a row; one that answers 404 is given up at once. The
    entries left behind are counted as dropped (backlog_unreachable), logged with the list
    and the page, and the page is not asked for again."""
    with LocalSite() as site:
        paged_list(site, 8, prefix="/flaky/index")
        paged_list(site, 8, prefix="/gone/index")
        cfg = write_config(tmp_path, [
            {**_news(site, lists=("/flaky/index.html",)), "id": "flaky"},
            {**_news(site, lists=("/gone/index.html",)), "id": "gone"}])
        rows = summary(crawl(cfg))
        assert all((rows[s]["new"], rows[s]["deferred"]) == (4, 1) for s in rows), rows

        site.add("/flaky/index_2.html", "busy", status=503)  # where the gaps resume
        del site.pages["/gone/index_2.html"]
        proc = crawl(cfg)
        rows = summary(proc)
        assert rows["gone"]["reasons"] == {"http_404": "1", "backlog_unreachable": "1"}, rows
        assert rows["gone"]["deferred"] == 0, rows
        assert (f"dropped {site.url('/gone/index.html')}: backlog_unreachable catching up, "
                f"list page 2 ({site.url('/gone/index_2.html')}) answered http_404"
                in proc.stderr), proc.stderr[-3000:]
        assert rows["flaky"]["reasons"] == {"http_503": "1"}, rows
        assert rows["flaky"]["deferred"] == 1, rows  # the next run resumes there
        gone = site.hits["/gone/index_2.html"]

        rows = summary(crawl(cfg))
        assert rows["flaky"]["reasons"] == {"http_503": "1"} and rows["flaky"]["deferred"] == 1
        proc = crawl(cfg)
        rows = summary(proc)
        assert rows["flaky"]["reasons"] == {"http_503": "1", "backlog_unreachable": "1"}, rows
        assert rows["flaky"]["deferred"] == 0, rows
        assert (f"list page 2 ({site.url('/flaky/index_2.html')}) answered http_503" in
                proc.stderr and "failed in 3 runs in a row" in proc.stderr), proc.stderr[-3000:]
        flaky = site.hits["/flaky/index_2.html"]

        rows = summary(crawl(cfg))
        assert all(rows[s]["dropped"] == rows[s]["deferred"] == 0 for s in rows), rows
        assert site.hits["/flaky/index_2.html"] == flaky and site.hits["/gone/index_2.html"] == gone


def test_gaps_of_a_list_no_longer_configured_are_closed_not_crawled(tmp_path, prefix, store):
    """A source's start_urls change: what was left behind on a list it no longer has is not
    crawled, but counted once (backlog_list_removed) and logged with the list."""
    with LocalSite() as site:
        paged_list(site, 8)
        paged_list(site, 2, prefix="/notices/index")
        cfg = write_config(tmp_path, [_news(site)])
        row = summary(crawl(cfg))["county-news"]
        assert (row["new"], row["deferred"]) == (4, 1), row

        cfg = write_config(tmp_path, [_news(site, lists=("/notices/index.html",))])
        proc = crawl(cfg)
        row = summary(proc)["county-news"]
        assert row["reasons"] == {"backlog_list_removed": "1"} and row["deferred"] == 0, row
        assert (f"dropped {site.url('/news/index.html')}: backlog_list_removed left behind at "
                f"list page 2 ({site.url('/news/index_2.html')})") in proc.stderr
        assert site.hits["/news/index_2.html"] == 1 and site.hits["/news/index_3.html"] == 0

        row = summary(crawl(cfg))["county-news"]
        assert (row["dropped"], row["deferred"]) == (0, 0), row
        assert site.hits["/news/index_2.html"] == 1


def test_a_list_page_that_fails_on_the_way_down_is_resumed_by_the_next_run(tmp_path, prefix,
                                                                          store):
    """Page 1 holds new entries and page 2 answers 503: its entries were never in the
    crawl state, and the next run, finding nothing new on page 1, stopped there, so they
    were never seen. The failure now leaves a gap after page 1's entries."""
    with LocalSite() as site:
        paged_list(site, 4)  # index.html: 4, 3; index_2.html: 2, 1
        site.add("/news/index_2.html", "down", status=503)
        cfg = write_config(tmp_path, [_news(site, max_pages=5)])
        first = summary(crawl(cfg))["county-news"]
        assert first["new"] == 2 and first["deferred"] == 1, first

        paged_list(site, 4)  # the page answers again
        second = summary(crawl(cfg))["county-news"]
    assert second["new"] == 2, second
    assert site.hits["/news/2026/11/20/7002.html"] == 1
    assert site.hits["/news/2026/11/20/7001.html"] == 1
    store.refresh()
    assert store.count() == 4
