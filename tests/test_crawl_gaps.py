"""Lists left behind (gaps) whose entries move *up* between runs: posts deleted above
them, or a site that shows more entries a page. Real crawls of a local news site."""

from __future__ import annotations

from crawling import crawl, summary, write_config
from sites import news_list, numbered_articles

from yuqing.demo.server import LocalSite


def publish(site: LocalSite, ids: list[int], per_page: int) -> None:
    """The list of articles ``ids`` (newest first), ``per_page`` a page."""
    pages = [ids[i:i + per_page] for i in range(0, len(ids), per_page)]
    for name in [p for p in site.pages if p.startswith("/news/index")]:
        del site.pages[name]
    for n, chunk in enumerate(pages, 1):
        site.add("/news/index.html" if n == 1 else f"/news/index_{n}.html", news_list(
            [(f"/news/2026/11/20/{7000 + i}.html", f"第{i}条石桥镇道路维修进展通报",
              "2026-11-20") for i in chunk],
            next_href=f"/news/index_{n + 1}.html" if n < len(pages) else None))
    numbered_articles(site, ids)


def fetched(site: LocalSite, ids: range) -> dict[int, int]:
    return {i: site.hits[f"/news/2026/11/20/{7000 + i}.html"] for i in ids}


def test_a_backlog_whose_entries_moved_up_a_page_is_still_fetched(tmp_path, prefix):
    with LocalSite() as site:
        publish(site, list(range(14, 0, -1)), per_page=2)
        cfg = write_config(tmp_path, [{
            "id": "county-news", "name": "测试新闻网", "template": "news", "kind": "news",
            "max_pages": 3, "start_urls": [site.url("/news/index.html")]}])
        row = summary(crawl(cfg))["county-news"]
        assert (row["new"], row["deferred"]) == (6, 1), row  # 14..9; 8..1 left behind

        # The site deletes 14..11: the gap's entries (10, 9) are now on page 1, and the
        # backlog under them (8, 7) on page 2, above the page the gap was left at.
        publish(site, list(range(10, 0, -1)), per_page=2)
        rows = [summary(crawl(cfg))["county-news"]]
        rows.append(summary(crawl(cfg))["county-news"])
        assert sum(r["new"] for r in rows) == 8, rows
        assert set(fetched(site, range(1, 15)).values()) == {1}, fetched(site, range(1, 15))
        assert all("backlog_lost" not in r["reasons"] for r in rows), rows


def test_a_backlog_is_still_fetched_when_the_site_shows_more_entries_a_page(tmp_path, prefix):
    with LocalSite() as site:
        publish(site, list(range(20, 0, -1)), per_page=2)
        cfg = write_config(tmp_path, [{
            "id": "county-news", "name": "测试新闻网", "template": "news", "kind": "news",
            "max_pages": 3, "start_urls": [site.url("/news/index.html")]}])
        assert summary(crawl(cfg))["county-news"]["new"] == 6  # 20..15; 14..1 left behind

        # Now 5 a page: [20..16] [15..11] [10..6] [5..1]; the gap was left at page 3.
        publish(site, list(range(20, 0, -1)), per_page=5)
        rows = [summary(crawl(cfg))["county-news"] for _ in range(2)]
        assert sum(r["new"] for r in rows) == 14, rows
        assert set(fetched(site, range(1, 21)).values()) == {1}, fetched(site, range(1, 21))
