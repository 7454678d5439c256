"""A GBK site behind a server whose header says charset=utf-8: every template, and the
configured selectors, read its pages as the extractor decodes them, not as the header says."""

from __future__ import annotations

from crawling import crawl, summary, write_config
from sites import (
    article,
    board_list,
    board_message_table,
    discuz_board,
    discuz_thread,
    news_list,
)

from yuqing.demo.server import LocalSite

# What nginx's "charset utf-8;" in front of an old GBK Discuz! or CMS sends for every page.
LYING_HEADER = "text/html; charset=utf-8"
THREAD = "forum.php?mod=viewthread&tid=101"
WATER = ["幸福小区的自来水这几天一直发黄，烧开以后还有沉淀，家里老人孩子都不敢喝。",
         "打了供水公司电话说在查，到现在也没有结果，希望有关部门重视一下。"]
ROAD = ["石桥镇新民村村民反映，村口道路年久失修，雨天积水严重，出行十分不便。",
        "村民希望有关部门尽快安排维修，镇里表示已派人现场查看并制定维修方案。"]


def gbk(html: str) -> bytes:
    """The page as a GBK site serves it: meta says gbk, characters GBK lacks as entities."""
    return html.replace('charset="utf-8"', 'charset="gbk"').encode("gbk", "xmlcharrefreplace")


def gbk_site(site: LocalSite) -> None:
    site.add("/forum.php?mod=forumdisplay&fid=2", gbk(discuz_board([
        (THREAD, "幸福小区自来水发黄有沉淀", 5, 300, "2026-11-20")])), LYING_HEADER)
    site.add(f"/{THREAD}", gbk(discuz_thread(
        "幸福小区自来水发黄有沉淀", "发表于 2026-11-20 09:15", WATER, 5, 300,
        reply_posts=["同问，我家的水也是黄的。"])), LYING_HEADER)
    site.add("/liuyan/list.html", gbk(board_list([
        ("/liuyan/show.php?id=301", "幸福小区门口停车难问题", "2026-11-18", "已回复")])),
        LYING_HEADER)
    site.add("/liuyan/show.php?id=301", gbk(board_message_table(
        "幸福小区门口停车难问题", "2026-11-18 08:30", "小区门口每天早晚车辆乱停，行人难以通行。",
        "已增设临时停车位并加强巡查。", "2026-11-19 16:00")), LYING_HEADER)
    site.add("/news/index.html", gbk(news_list([
        ("/news/2026/11/20/1001.html", "石桥镇新民村道路年久失修", "2026-11-20")])),
        LYING_HEADER)
    site.add("/news/2026/11/20/1001.html", gbk(article(
        "石桥镇新民村道路年久失修", "2026-11-20 09:15", ROAD)), LYING_HEADER)


def test_gbk_pages_under_a_utf8_header_are_read_as_gbk(tmp_path, prefix, store):
    with LocalSite() as site:
        gbk_site(site)
        cfg = write_config(tmp_path, [
            {"id": "bbs", "name": "测试论坛", "template": "discuz", "kind": "forum",
             "start_urls": [site.url("/forum.php?mod=forumdisplay&fid=2")]},
            {"id": "mayor-box", "name": "县长信箱", "template": "board", "kind": "board",
             "start_urls": [site.url("/liuyan/list.html")]},
            # Configured selectors read the page through Scrapy, not through the extractor.
            {"id": "news", "name": "测试新闻网", "template": "news", "kind": "news",
             "start_urls": [site.url("/news/index.html")],
             "selectors": {"title": "h1", "body": ".content"}}])
        rows = summary(crawl(cfg))
    for source in ("bbs", "mayor-box", "news"):
        assert (rows[source]["new"], rows[source]["dropped"]) == (1, 0), (source, rows)
    store.refresh()
    docs = {d["source_id"]: d for d in store.search("", size=10)}
    thread = docs["bbs"]
    assert thread["title"] == "幸福小区自来水发黄有沉淀"
    assert thread["text"] == "\n".join(WATER) + "\n\n同问，我家的水也是黄的。"
    assert thread["published_at"] == "2026-11-20T09:15:00+08:00"
    message = docs["mayor-box"]
    assert message["title"] == "幸福小区门口停车难问题"
    assert message["text"] == "小区门口每天早晚车辆乱停，行人难以通行。"
    assert message["reply_text"] == "已增设临时停车位并加强巡查。"
    news = docs["news"]
    assert news["title"] == "石桥镇新民村道路年久失修"
    assert news["text"] == "\n".join(ROAD)
