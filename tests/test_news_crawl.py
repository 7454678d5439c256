"""`news` and `sitemap` templates: real crawls of local sites, results read from ES."""

from __future__ import annotations

from datetime import datetime, timedelta

from crawling import crawl, summary, write_config
from sites import article, news_list, paged_list, sitemap_index, urlset

from yuqing.demo.server import LocalSite
from yuqing.records import SHANGHAI, item_id_for

ROAD = ["石桥镇新民村村民反映，村口道路年久失修，雨天积水严重，出行十分不便。",
        "村民希望有关部门尽快安排维修，镇里表示已派人现场查看并制定维修方案。"]
WATER = ["城关镇幸福小区多名居民反映，近日家中自来水发黄并有异味，已持续三天。",
         "居民希望供水公司尽快查明原因，保障群众饮水安全。"]
SCHOOL = ["县第二中学新教学楼正式投入使用，可容纳两千余名学生就读，教学条件明显改善。",
          "学校负责人表示，将继续完善配套设施，为师生创造良好环境。"]


def undated_article(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f'<div class="article"><h1>{title}</h1><div class="content">{body}</div></div>'
            "</body></html>")


def news_site(site: LocalSite) -> None:
    site.add("/robots.txt", "User-agent: *\nDisallow: /news/private/\n", "text/plain")
    site.add("/news/index.html", news_list([
        ("/news/2026/11/20/1001.html", "石桥镇新民村道路年久失修", "2026-11-20 09:15"),
        ("/news/show/1002.html", "城关镇幸福小区自来水发黄", "3小时前"),
        ("/news/2026/11/20/1003.html", "县第二中学新教学楼投入使用", "11-20"),
        ("/news/private/2026/1004.html", "内部通知不应被抓取的页面", "2026-11-20"),
    ], next_href="/news/index_2.html"))
    site.add("/news/index_2.html", news_list([
        ("/news/2026/11/19/2001.html", "县城新增三处公共停车场", "2026-11-19"),
        ("/news/2026/11/19/2002.html", "河口镇开展秋季防火宣传", "2026-11-19"),
        ("/news/2026/11/19/2003.html", "这篇稿件已经被删除了", "2026-11-19"),
    ], next_href="/news/index_3.html"))
    site.add("/news/index_3.html", news_list([
        ("/news/2026/11/18/3001.html", "超出最大翻页数的旧闻", "2026-11-18")]))
    site.add("/news/2026/11/20/1001.html", article("石桥镇新民村道路年久失修",
                                                   "2026-11-20 09:15", ROAD))
    site.add("/news/show/1002.html", undated_article("城关镇幸福小区自来水发黄", WATER))
    site.add("/news/2026/11/20/1003.html", article("县第二中学新教学楼投入使用",
                                                   "2026-11-20 10:00", SCHOOL))
    site.add("/news/private/2026/1004.html", article("内部通知", "2026-11-20", ROAD))
    # GBK, declared in the header (and the page's meta).
    site.add("/news/2026/11/19/2001.html",
             article("县城新增三处公共停车场", "2026-11-19 08:00",
                     ["县城新增三处公共停车场，共提供车位六百余个，缓解停车难问题。"] * 2,
                     charset="gbk"), "text/html; charset=gbk", encoding="gbk")
    site.add("/news/2026/11/19/2002.html", "", status=301,
             Location=site.url("/news/2026/11/19/2002-moved.html"))
    site.add("/news/2026/11/19/2002-moved.html", article(
        "河口镇开展秋季防火宣传", "2026-11-19 11:00",
        ["河口镇组织干部群众开展秋季森林防火宣传活动，发放资料三千余份。"] * 2))
    site.add("/news/2026/11/18/3001.html", article("超出最大翻页数的旧闻", "2026-11-18", ROAD))


def test_news_list_pages_articles_and_incremental_recrawl(tmp_path, prefix, store):
    with LocalSite() as site:
        news_site(site)
        cfg = write_config(tmp_path, [{
            "id": "county-news", "name": "测试新闻网", "template": "news", "kind": "news",
            "region": "城关镇", "max_pages": 2, "start_urls": [site.url("/news/index.html")]}])
        started = datetime.now(SHANGHAI)
        first = crawl(cfg)
        row = summary(first)["county-news"]
        assert site.hits["/news/private/2026/1004.html"] == 0  # robots.txt
        assert site.hits["/news/index_3.html"] == 0  # max_pages
        assert site.hits["/news/channel/minsheng/"] == 0  # a channel, not an article
        assert row["new"] == 5 and row["updated"] == 0 and row["indexed"] == 5
        assert row["deferred"] == 1  # page 2 was all new: page 3 is left for the next run
        assert row["reasons"] == {"robots_disallowed": "1", "http_404": "1"}
        assert "[1/1] county-news:" in first.stderr  # the progress line

        store.refresh()
        docs = {d["title"]: d for d in store.search("", size=20)}
        assert set(docs) == {"石桥镇新民村道路年久失修", "城关镇幸福小区自来水发黄",
                             "县第二中学新教学楼投入使用", "县城新增三处公共停车场",
                             "河口镇开展秋季防火宣传"}
        assert "六百余个" in docs["县城新增三处公共停车场"]["text"]  # GBK decoded
        moved = docs["河口镇开展秋季防火宣传"]
        assert moved["url"].endswith("/2002-moved.html")  # the item is where it ended up
        water = docs["城关镇幸福小区自来水发黄"]  # no date on the page: the list's "3小时前"
        published = datetime.fromisoformat(water["published_at"])
        expected = started - timedelta(hours=3)
        assert abs(published - expected) < timedelta(minutes=5)
        assert docs["石桥镇新民村道路年久失修"]["published_at"] == "2026-11-20T09:15:00+08:00"

        # A second crawl in a new process pages past what it has to the page it left:
        # only the article there is fetched.
        hits_before = dict(site.hits)
        second = crawl(cfg)
        row = summary(second)["county-news"]
        assert row["new"] == 1 and row["updated"] == 0 and row["indexed"] == 1
        assert row["deferred"] == 0
        assert site.hits["/news/index_3.html"] == 1
        assert site.hits["/news/2026/11/18/3001.html"] == 1
        for path, n in hits_before.items():
            if path.startswith("/news/20") or path.startswith("/news/show/"):
                assert site.hits[path] == n, path  # the 404 too: it is retried after 1 h

        # Caught up: page 1 has nothing new, so older list pages are not paged through.
        hits_before = dict(site.hits)
        row = summary(crawl(cfg))["county-news"]
        assert row["new"] == 0 and row["updated"] == 0 and row["indexed"] == 0
        assert site.hits["/news/index_2.html"] == hits_before["/news/index_2.html"]

        # A new article appears on page 1: only it is fetched.
        site.add("/news/index.html", news_list([
            ("/news/2026/11/21/1005.html", "石桥镇新民村道路开始维修", "2026-11-21 08:00"),
            ("/news/2026/11/20/1001.html", "石桥镇新民村道路年久失修", "2026-11-20 09:15"),
        ], next_href="/news/index_2.html"))
        site.add("/news/2026/11/21/1005.html", article("石桥镇新民村道路开始维修",
                                                       "2026-11-21 08:00", ROAD[::-1]))
        third = crawl(cfg)
        assert summary(third)["county-news"]["new"] == 1
        assert site.hits["/news/2026/11/21/1005.html"] == 1
        assert site.hits["/news/2026/11/20/1001.html"] == 1
    store.refresh()
    assert store.count() == 7

    # Crawl statistics: the latest per source and one history doc per run, in ES.
    from storage.crawlstats import CrawlStatsStore

    stats = CrawlStatsStore(store.es, prefix)
    latest = stats.latest("county-news")
    assert latest is not None and latest["runs"] == 4
    assert latest["last_success"] == latest["last_run"]
    assert latest["last_items_new"] == 1 and latest["items_known"] == 7
    assert latest["median_gap_minutes"] is not None and latest["median_gap_minutes"] > 0
    runs = stats.runs("county-news")
    assert [r["items_new"] for r in runs] == [1, 0, 1, 5]
    assert runs[-1]["errors"] == {"robots_disallowed": 1, "http_404": 1}


def test_sitemap_index_lastmod_and_flaky_pages(tmp_path, prefix, store):
    with LocalSite() as site:
        site.add("/a/1.html", article("石桥镇新民村道路年久失修", "2026-11-20 09:15", ROAD))
        site.add("/a/2.html", article("城关镇幸福小区自来水发黄", "2026-11-21 09:00", WATER))
        site.add("/a/3.html", article("县第二中学新教学楼投入使用", "2026-10-02 10:00", SCHOOL),
                 fail_first=1)  # a 503 once: retried with backoff, then fetched
        site.add("/sitemap.xml", sitemap_index([
            (site.url("/sitemap-new.xml"), "2026-11-21T09:00:00+08:00"),
            (site.url("/sitemap-old.xml"), "2026-10-02T10:00:00+08:00")]),
            "application/xml")
        site.add("/sitemap-new.xml", urlset([
            (site.url("/a/1.html"), "2026-11-20T09:15:00+08:00"),
            (site.url("/a/2.html"), "2026-11-21T09:00:00+08:00")]), "application/xml")
        site.add("/sitemap-old.xml", urlset([(site.url("/a/3.html"), "2026-10-02")]),
                 "application/xml")
        cfg = write_config(tmp_path, [{
            "id": "county-sitemap", "name": "测试站点地图", "template": "sitemap",
            "kind": "news", "start_urls": [site.url("/sitemap.xml")]}])
        row = summary(crawl(cfg))["county-sitemap"]
        assert row["new"] == 3 and row["dropped"] == 0
        assert site.hits["/a/3.html"] == 2  # 503, then the retry

        # Article 1 is corrected; the sitemap says so with a newer lastmod.
        site.add("/a/1.html", article("石桥镇新民村道路年久失修（更新）", "2026-11-20 09:15",
                                      ROAD + ["记者22日回访，道路已开始维修。"]))
        site.add("/sitemap.xml", sitemap_index([
            (site.url("/sitemap-new.xml"), "2026-11-22T09:00:00+08:00"),
            (site.url("/sitemap-old.xml"), "2026-10-02T10:00:00+08:00")]),
            "application/xml")
        site.add("/sitemap-new.xml", urlset([
            (site.url("/a/1.html"), "2026-11-22T09:00:00+08:00"),
            (site.url("/a/2.html"), "2026-11-21T09:00:00+08:00")]), "application/xml")
        row = summary(crawl(cfg))["county-sitemap"]
        assert row["new"] == 0 and row["updated"] == 1
        assert site.hits["/sitemap-old.xml"] == 1  # its lastmod did not move
        assert site.hits["/a/1.html"] == 2 and site.hits["/a/2.html"] == 1
    store.refresh()
    assert store.count() == 3
    doc = store.get(item_id_for(site.url("/a/1.html")))
    assert doc is not None and "道路已开始维修" in doc["text"]


def test_selector_overrides_and_a_broken_page_does_not_stop_the_crawl(tmp_path, prefix, store):
    def listing(links: list[tuple[str, str]], nxt: str | None) -> str:
        items = "".join(f'<div class="newslist"><a href="{h}">{t}</a></div>' for h, t in links)
        more = f'<a class="pager-next" href="{nxt}">更多&gt;&gt;</a>' if nxt else ""
        return f"<html><body>{items}{more}</body></html>"

    def page(title: str, text: str) -> str:
        return (f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>'
                f'<div class="crumb">首页 &gt; 通知公告</div><h1>{title}</h1>'
                f'<div id="zoom"><p>{text}</p></div><div class="share">分享到微信</div>'
                "</body></html>")

    with LocalSite() as site:
        # Links that no heuristic takes for articles (no digits, short anchor text).
        site.add("/gk/", listing([("/gk/view?doc=abc", "停水通知"),
                                  ("/gk/view?doc=def", "空页面")], "/gk/more"))
        site.add("/gk/more", listing([("/gk/view?doc=ghi", "停电通知")], None))
        site.add("/gk/view?doc=abc", page("停水通知", "因管网维修，城关镇幸福小区周六停水一天。"))
        site.add("/gk/view?doc=def", b"\x00\x01\x02", "application/octet-stream")
        site.add("/gk/view?doc=ghi", page("停电通知", "因线路检修，石桥镇新民村周日停电半天。"))
        cfg = write_config(tmp_path, [{
            "id": "gov-notices", "name": "通知公告", "template": "news", "kind": "news",
            "start_urls": [site.url("/gk/")],
            "selectors": {"list_links": "div.newslist a", "next_page": "a.pager-next",
                          "body": "#zoom"}}])
        row = summary(crawl(cfg))["gov-notices"]
    assert row["new"] == 2 and row["dropped"] == 1, row
    assert set(row["reasons"]) <= {"empty_text", "extract_error", "parse_error"}
    store.refresh()
    docs = {d["title"]: d for d in store.search("", size=10)}
    assert set(docs) == {"停水通知", "停电通知"}
    assert docs["停水通知"]["text"] == "因管网维修，城关镇幸福小区周六停水一天。"


def test_index_page_reached_as_an_article_is_dropped(tmp_path, prefix, store):
    # A list link that leads to another index page, whose 'main text' would be the
    # titles of other stories.
    others = [(f"/news/2026/11/1{i}/50{i}.html", f"县里第{i}条新闻的标题比较长一些",
               f"2026-11-1{i}") for i in range(8)]
    with LocalSite() as site:
        site.add("/news/index.html", news_list([
            ("/news/2026/11/20/1001.html", "石桥镇新民村道路年久失修", "2026-11-20 09:15"),
            ("/news/2026/11/20/1005.html", "民生频道最新消息汇总", "2026-11-20 10:00")]))
        site.add("/news/2026/11/20/1001.html", article("石桥镇新民村道路年久失修",
                                                       "2026-11-20 09:15", ROAD))
        site.add("/news/2026/11/20/1005.html", news_list(others))
        cfg = write_config(tmp_path, [{
            "id": "county-news", "name": "测试新闻网", "template": "news", "kind": "news",
            "start_urls": [site.url("/news/index.html")]}])
        row = summary(crawl(cfg))["county-news"]
    assert row["new"] == 1, row
    assert row["reasons"] == {"not_article": "1"}, row


def test_a_page_over_the_size_limit_is_abandoned_and_counted(tmp_path, prefix, store):
    def page(title: str, text: str) -> str:
        return (f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>'
                f'<h1>{title}</h1><div id="zoom"><p>{text}</p></div></body></html>')

    with LocalSite() as site:
        site.add("/gk/", '<html><body><div class="newslist"><a href="/gk/view?doc=big">大文件'
                         '</a></div><div class="newslist"><a href="/gk/view?doc=ok">停水通知'
                         '</a></div></body></html>')
        site.add("/gk/view?doc=big", page("大文件", "附件内容。" * 400_000))  # ~6 MB
        site.add("/gk/view?doc=ok", page("停水通知", "因管网维修，城关镇幸福小区周六停水一天。"))
        cfg = write_config(tmp_path, [{
            "id": "gov-notices", "name": "通知公告", "template": "news", "kind": "news",
            "start_urls": [site.url("/gk/")],
            "selectors": {"list_links": "div.newslist a", "body": "#zoom"}}], max_page_mb=1)
        proc = crawl(cfg)
        row = summary(proc)["gov-notices"]
    assert row["new"] == 1 and row["dropped"] == 1, row
    assert row["reasons"] == {"too_large": "1"}, row
    store.refresh()
    assert [d["title"] for d in store.search("", size=10)] == ["停水通知"]


def test_a_burst_beyond_max_pages_is_caught_up_while_new_posts_push_it_down(
        tmp_path, prefix, store):
    with LocalSite() as site:
        paged_list(site, 8)
        cfg = write_config(tmp_path, [{
            "id": "county-news", "name": "测试新闻网", "template": "news", "kind": "news",
            "max_pages": 2, "start_urls": [site.url("/news/index.html")]}])
        row = summary(crawl(cfg))["county-news"]
        assert (row["new"], row["deferred"]) == (4, 1)  # 8..5; 4..1 left on pages 3-4

        paged_list(site, 10)  # one page of new posts on top: 4..1 are now on pages 4-5
        row = summary(crawl(cfg))["county-news"]
        # 10, 9 from the top; the catch-up resumes at page 2, finds 6, 5 on page 3 and
        # fetches 4..1 after them: four list pages, within its 2 x max_pages.
        assert (row["new"], row["deferred"]) == (6, 0)
        assert site.hits["/news/index_5.html"] == 1
        row = summary(crawl(cfg))["county-news"]
        assert (row["new"], row["deferred"]) == (0, 0)
        assert site.hits["/news/index_2.html"] == 3  # caught up: page 1 only
        assert all(site.hits[f"/news/2026/11/20/{7000 + i}.html"] == 1 for i in range(1, 11))
    store.refresh()
    assert store.count() == 10


def test_sitemap_entries_over_the_budget_are_fetched_by_later_runs(tmp_path, prefix, store):
    with LocalSite() as site:
        urls = []
        for i in range(150):
            path = f"/a/{i}.html"
            urls.append((site.url(path), f"2026-11-{1 + i // 10:02d}T09:00:00+08:00"))
            if i != 7:  # one entry is gone: it fails, and backs off
                site.add(path, article(f"第{i}条石桥镇道路维修进展通报", "2026-11-20 09:00",
                                       [f"第{i}条通报：道路维修工程正在推进。"] * 2))
        site.add("/sitemap.xml", sitemap_index([(site.url("/sitemap-1.xml"),
                                                 "2026-11-21T09:00:00+08:00")]),
                 "application/xml")
        site.add("/sitemap-1.xml", urlset(urls), "application/xml")
        cfg = write_config(tmp_path, [{
            "id": "county-sitemap", "name": "测试站点地图", "template": "sitemap",
            "kind": "news", "max_pages": 1, "start_urls": [site.url("/sitemap.xml")]}])
        row = summary(crawl(cfg))["county-sitemap"]
        assert (row["new"], row["deferred"]) == (100, 50)  # the newest 100
        row = summary(crawl(cfg))["county-sitemap"]
        assert (row["new"], row["deferred"]) == (49, 0) and row["reasons"] == {"http_404": "1"}
        assert site.hits["/sitemap-1.xml"] == 2
        # Entry 7 is backing off after its failure: the child is read again for it.
        row = summary(crawl(cfg))["county-sitemap"]
        assert site.hits["/sitemap-1.xml"] == 3 and row["new"] == 0
        assert all(site.hits[f"/a/{i}.html"] == 1 for i in range(150))
    store.refresh()
    assert store.count() == 149


def test_a_selector_link_to_another_host_is_counted_and_logged_as_offsite(
        tmp_path, prefix, store):
    """`selectors.list_links` says every link it matches is an entry of the site, so one on
    another host is a page we meant to fetch: not fetched, but counted and logged."""
    with LocalSite() as site:
        other = site.base.replace("127.0.0.1", "localhost")  # same server, another host
        site.add("/gk/", '<html><body><div class="newslist"><a href="/gk/view?doc=abc">停水通知'
                         f'</a></div><div class="newslist"><a href="{other}/gk/view?doc=far">'
                         '外站通知</a></div></body></html>')
        site.add("/gk/view?doc=abc", article("停水通知", "2026-11-20 09:00", ROAD))
        site.add("/gk/view?doc=far", article("外站通知", "2026-11-20 09:00", WATER))
        cfg = write_config(tmp_path, [{
            "id": "gov-notices", "name": "通知公告", "template": "news", "kind": "news",
            "start_urls": [site.url("/gk/")], "selectors": {"list_links": "div.newslist a"}}])
        proc = crawl(cfg)
        assert site.hits["/gk/view?doc=far"] == 0
    row = summary(proc)["gov-notices"]
    assert row["new"] == 1 and row["reasons"] == {"offsite": "1"}, row
    assert f"dropped {other}/gk/view?doc=far: offsite host 'localhost'" in proc.stderr
    assert f"linked from {site.url('/gk/')}" in proc.stderr


def _list_hits(site: LocalSite) -> int:
    return sum(n for path, n in site.hits.items() if path.startswith("/news/index"))


def test_a_backlog_is_caught_up_after_more_than_max_pages_of_new_posts_on_top(
        tmp_path, prefix, store):
    """Between two runs more than max_pages pages of new posts arrive above a list left
    behind: both the new posts and the older backlog under them are fetched by later runs,
    each run within its list-page budget."""
    with LocalSite() as site:
        paged_list(site, 8)
        cfg = write_config(tmp_path, [{
            "id": "county-news", "name": "测试新闻网", "template": "news", "kind": "news",
            "max_pages": 2, "start_urls": [site.url("/news/index.html")]}])
        row = summary(crawl(cfg))["county-news"]
        assert (row["new"], row["deferred"]) == (4, 1)  # 8..5; 4..1 left on pages 3-4

        paged_list(site, 16)  # four pages of new posts: 4..1 are now on pages 7-8
        rows = []
        for _ in range(5):
            before = _list_hits(site)
            rows.append(summary(crawl(cfg))["county-news"])
            assert _list_hits(site) - before <= 3 * 2  # max_pages from the top, 2x to catch up
            if rows[-1]["new"] == rows[-1]["deferred"] == 0:
                break
        assert rows[-1]["new"] == rows[-1]["deferred"] == 0, rows
        assert sum(r["new"] for r in rows) == 12, rows
        assert all(r["dropped"] == 0 for r in rows), rows
        fetched = {i: site.hits[f"/news/2026/11/20/{7000 + i}.html"] for i in range(1, 17)}
        assert set(fetched.values()) == {1}, fetched
    store.refresh()
    assert store.count() == 16


def test_a_backlog_pushed_off_the_end_of_the_list_is_counted_and_logged(
        tmp_path, prefix, store):
    """A site that shows only its newest list pages: when newer posts push a backlog off the
    list before a run gets to it, what could not be fetched is counted (backlog_lost) and
    logged, not passed over in silence."""
    with LocalSite() as site:
        paged_list(site, 8)
        cfg = write_config(tmp_path, [{
            "id": "county-news", "name": "测试新闻网", "template": "news", "kind": "news",
            "max_pages": 2, "start_urls": [site.url("/news/index.html")]}])
        row = summary(crawl(cfg))["county-news"]
        assert (row["new"], row["deferred"]) == (4, 1)

        paged_list(site, 40, keep_pages=5)  # 40..31 listed; 30..1 no longer are
        proc = crawl(cfg)
        row = summary(proc)["county-news"]
        # 40..37 from the top (and a new gap after them); the catch-up of the old gap
        # visits 36..31 on its way down and reaches the list's end without finding it.
        assert (row["new"], row["deferred"]) == (10, 1), row
        assert row["reasons"] == {"backlog_lost": "1"}, row
        assert (f"dropped {site.url('/news/index.html')}: backlog_lost the list ended at "
                f"page 5 ({site.url('/news/index_5.html')})") in proc.stderr

        row = summary(crawl(cfg))["county-news"]
        assert (row["new"], row["deferred"], row["dropped"]) == (0, 0, 0), row


def test_an_author_selector_gives_the_byline_of_a_news_page(tmp_path, prefix, store):
    # `selectors.author` was accepted by the configuration and then ignored: a site whose
    # byline no heuristic recognises kept no author whatever the operator configured.
    page = ('<html><head><meta charset="utf-8"><title>{t}</title></head><body><h1>{t}</h1>'
            '<div class="info"><span class="who">{who}</span></div>'
            '<div id="zoom"><p>{text}</p></div></body></html>')
    with LocalSite() as site:
        site.add("/gk/", '<html><body><div class="newslist"><a href="/gk/view?doc=abc">'
                         "停水通知</a></div></body></html>")
        site.add("/gk/view?doc=abc", page.format(
            t="停水通知", who="赵小青", text="因管网维修，城关镇幸福小区周六停水一天。"))
        cfg = write_config(tmp_path, [{
            "id": "gov-notices", "name": "通知公告", "template": "news", "kind": "news",
            "start_urls": [site.url("/gk/")],
            "selectors": {"list_links": "div.newslist a", "author": "span.who"}}])
        row = summary(crawl(cfg))["gov-notices"]
    assert row["new"] == 1, row
    store.refresh()
    [doc] = store.search("", size=10)
    assert doc["title"] == "停水通知" and doc["author"] == "赵小青"
