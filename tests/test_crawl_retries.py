"""Retries and give-ups of the crawl state: failed pages deep in a list, catch-up list pages
that fail, gaps of lists no longer configured. Real crawls of local sites; the crawl's
clock is moved with `yuqing crawl --at`."""

from __future__ import annotations

from datetime import datetime, timedelta

from crawling import crawl, summary, write_config
from sites import article, news_list

from yuqing.demo.server import LocalSite
from yuqing.records import SHANGHAI


def _news(site: LocalSite, max_pages: int = 2, lists: tuple[str, ...] = ("/news/index.html",)
          ) -> dict[str, object]:
    return {"id": "county-news", "name": "测试新闻网", "template": "news", "kind": "news",
            "max_pages": max_pages, "start_urls": [site.url(p) for p in lists]}


def _articles(site: LocalSite, ids: list[int]) -> None:
    for i in ids:
        site.add(f"/news/2026/11/20/{7000 + i}.html", article(
            f"第{i}条石桥镇道路维修进展通报", "2026-11-20 09:00",
            [f"第{i}条通报：道路维修工程正在推进，预计月底完工。"] * 2))


def _paged_list(site: LocalSite, newest: int, prefix: str = "/news/index") -> None:
    """Articles 1..newest, two a list page, newest first."""
    ids = list(range(newest, 0, -1))
    pages = [ids[i:i + 2] for i in range(0, len(ids), 2)]
    for n, chunk in enumerate(pages, 1):
        site.add(f"{prefix}.html" if n == 1 else f"{prefix}_{n}.html", news_list(
            [(f"/news/2026/11/20/{7000 + i}.html", f"第{i}条石桥镇道路维修进展通报",
              "2026-11-20") for i in chunk],
            next_href=f"{prefix}_{n + 1}.html" if n < len(pages) else None))
    _articles(site, ids)


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
        _articles(site, [4, 3, 1])
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
