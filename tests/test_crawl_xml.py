"""Feeds and sitemaps written by CMSs that do not escape their links: real crawls."""

from __future__ import annotations

from crawling import crawl, summary, write_config
from sites import article

from yuqing.demo.server import LocalSite
from yuqing.records import item_id_for

WATER = ["城关镇幸福小区多名居民反映，近日家中自来水发黄并有异味，已持续三天。",
         "居民希望供水公司尽快查明原因，保障群众饮水安全。"]
ROAD = ["石桥镇新民村村民反映，村口道路年久失修，雨天积水严重，出行十分不便。",
        "村民希望有关部门尽快安排维修，镇里表示已派人现场查看并制定维修方案。"]


def pages(site: LocalSite) -> None:
    site.add("/show.php?id=1&cat=2", article("幸福小区自来水发黄", "2026-11-20 09:00", WATER))
    site.add("/show.php?id=2&cat=2", article("新民村道路积水", "2026-11-20 10:00", ROAD))


def test_feed_links_with_bare_ampersands_are_followed_as_written(tmp_path, prefix, store):
    # "show.php?id=1&cat=2" unescaped: the XML parser dropped "&cat" and asked for
    # show.php?id=1=2, which is no article; the title was cut at &nbsp;.
    items = "".join(f"<item><title>{t}&nbsp;（图）</title><link>{{url}}/show.php?id={i}&cat=2"
                    "</link><pubDate>Fri, 20 Nov 2026 09:00:00 +0800</pubDate></item>"
                    for i, t in ((1, "幸福小区自来水发黄"), (2, "新民村道路积水")))
    with LocalSite() as site:
        pages(site)
        site.add("/rss.xml", ('<?xml version="1.0" encoding="gb2312"?><rss version="2.0">'
                              f"<channel><title>测试</title>{items.format(url=site.url(''))}"
                              "</channel></rss>").encode("gbk"), "application/rss+xml")
        cfg = write_config(tmp_path, [{
            "id": "rss-news", "name": "测试新闻网", "template": "feed", "kind": "news",
            "start_urls": [site.url("/rss.xml")]}])
        row = summary(crawl(cfg))["rss-news"]
        assert (row["new"], row["dropped"]) == (2, 0), row
    store.refresh()
    doc = store.get(item_id_for(site.url("/show.php?id=1&cat=2")))
    assert doc["url"] == site.url("/show.php?id=1&cat=2") and "发黄" in doc["text"]


def test_sitemap_locs_with_bare_ampersands_are_followed_as_written(tmp_path, prefix, store):
    with LocalSite() as site:
        pages(site)
        urls = "".join(f"<url><loc>{site.url('')}/show.php?id={i}&cat=2</loc>"
                       "<lastmod>2026-11-20</lastmod></url>" for i in (1, 2))
        site.add("/sitemap.xml", '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns='
                 f'"http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
                 "application/xml")
        cfg = write_config(tmp_path, [{
            "id": "map", "name": "测试新闻网", "template": "sitemap", "kind": "news",
            "start_urls": [site.url("/sitemap.xml")]}])
        row = summary(crawl(cfg))["map"]
        assert (row["new"], row["dropped"]) == (2, 0), row
    store.refresh()
    assert store.get(item_id_for(site.url("/show.php?id=2&cat=2")))["title"] == "新民村道路积水"
