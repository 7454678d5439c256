"""Dates as Chinese sites print them, read by real crawls of a local site around New Year."""

from __future__ import annotations

from datetime import datetime

from crawling import crawl, summary, write_config
from sites import discuz_board, discuz_thread, news_list

from yuqing.demo.server import LocalSite
from yuqing.records import SHANGHAI, item_id_for

# Read on 2 January, early afternoon.
AT = datetime(2027, 1, 2, 13, 0, tzinfo=SHANGHAI)
T = "forum.php?mod=viewthread&tid="


def undated(title: str, text: str) -> str:
    return (f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f'<div class="article"><h1>{title}</h1><div class="content"><p>{text}</p>'
            f"<p>{text}</p></div></div></body></html>")


def test_year_less_list_date_of_tomorrow_is_last_years(tmp_path, prefix, store):
    # "01-03" in a list read on 2 January is last January's post, not tomorrow's: taken as
    # 2027-01-03 a year-old complaint would be the newest item, dated in the future.
    with LocalSite() as site:
        site.add("/news/index.html", news_list([
            ("/news/show/1.html", "城关镇幸福小区自来水发黄问题", "01-03"),
            ("/news/show/2.html", "石桥镇新民村道路积水严重", "01-02")]))
        site.add("/news/show/1.html", undated("城关镇幸福小区自来水发黄问题",
                                              "幸福小区居民反映自来水发黄，已经持续三天。"))
        site.add("/news/show/2.html", undated("石桥镇新民村道路积水严重",
                                              "新民村村口道路积水严重，村民出行不便。"))
        cfg = write_config(tmp_path, [{
            "id": "county-news", "name": "测试新闻网", "template": "news", "kind": "news",
            "start_urls": [site.url("/news/index.html")]}])
        assert summary(crawl(cfg, at=AT))["county-news"]["new"] == 2
    store.refresh()
    old = store.get(item_id_for(site.url("/news/show/1.html")))
    assert old["published_at"] == "2026-01-03T00:00:00+08:00"
    today = store.get(item_id_for(site.url("/news/show/2.html")))
    assert today["published_at"] == "2027-01-02T00:00:00+08:00"


def test_twelve_hour_clock_times(tmp_path, prefix, store):
    # 下午 / 晚上 / 上午 before the time: the hour was read on a 24-hour clock (晚上8:30 as
    # 08:30) or, with a space, the time was lost (00:00).
    threads = [(101, "幸福小区自来水发黄", "发表于 昨天 晚上 8:30", "2027-01-01T20:30:00+08:00"),
               (102, "老街乱停车堵死", "发表于 2027-1-2 上午 9:05", "2027-01-02T09:05:00+08:00"),
               (103, "新民村道路积水", "发表于 12-31 下午3:15", "2026-12-31T15:15:00+08:00")]
    with LocalSite() as site:
        site.add("/forum.php?mod=forumdisplay&fid=2", discuz_board(
            [(f"{T}{tid}", title, 1, 10, "2027-1-1") for tid, title, _, _ in threads]))
        for tid, title, posted, _ in threads:
            site.add(f"/{T}{tid}", discuz_thread(title, posted, [f"{title}，请有关部门处理。"],
                                                 1, 10))
        cfg = write_config(tmp_path, [{
            "id": "county-bbs", "name": "测试论坛", "template": "discuz", "kind": "forum",
            "start_urls": [site.url("/forum.php?mod=forumdisplay&fid=2")]}])
        assert summary(crawl(cfg, at=AT))["county-bbs"]["new"] == 3
    store.refresh()
    for tid, _, _, expected in threads:
        assert store.get(item_id_for(site.url(f"/{T}{tid}")))["published_at"] == expected
