"""`discuz` and `board` templates: real crawls of local sites, results read from ES."""

from __future__ import annotations

from crawling import crawl, summary, write_config
from sites import (
    board_list,
    board_message_blocks,
    board_message_table,
    discuz_board,
    discuz_thread,
)

from yuqing.demo.server import LocalSite
from yuqing.records import item_id_for

WATER = ["幸福小区的自来水这几天一直发黄，烧开以后还有沉淀，家里老人孩子都不敢喝。",
         "打了供水公司电话说在查，到现在也没有结果，希望有关部门重视一下。"]
PARKING = ["城关镇老街晚上乱停车太严重了，消防通道都被堵死，万一着火怎么办。"]
ROAD = ["新民村村口那段路坑坑洼洼，下雨天全是积水，电动车经常摔倒。"]
LIGHT = ["滨河路的路灯坏了半个多月，晚上散步黑漆漆的，很不安全。"]

T = "forum.php?mod=viewthread&tid="


def forum(site: LocalSite, water_replies: int) -> None:
    site.add("/forum.php?mod=forumdisplay&fid=2", discuz_board([
        (f"{T}101&extra=page%3D1", "幸福小区自来水发黄有沉淀", water_replies, 300, "3 天前"),
        (f"{T}102&extra=page%3D1", "老街乱停车堵死消防通道", 0, 40, "2026-11-21"),
        (f"{T}104&extra=page%3D1", "这个帖子已经被删除了", 1, 9, "2026-11-21"),
    ], next_href="forum.php?mod=forumdisplay&fid=2&page=2"))
    site.add("/forum.php?mod=forumdisplay&fid=2&page=2", discuz_board([
        (f"{T}103&extra=page%3D2", "新民村村口道路坑洼积水", 2, 88, "2026-11-19")]))
    site.add("/forum-3-1.html", discuz_board([
        ("thread-201-1-1.html", "滨河路路灯坏了半个多月", 4, 120, "2026-11-18")]))
    site.add(f"/{T}101", discuz_thread(
        "幸福小区自来水发黄有沉淀", '发表于 <span title="2026-11-20 09:15">3&nbsp;天前</span>',
        WATER, water_replies, 300))
    site.add(f"/{T}102", discuz_thread("老街乱停车堵死消防通道", "发表于 2026-11-21 20:30",
                                       PARKING, 0, 40))
    site.add(f"/{T}103", discuz_thread("新民村村口道路坑洼积水", "发表于 2026-11-19 07:05",
                                       ROAD, 2, 88))
    site.add("/thread-201-1-1.html", discuz_thread(
        "滨河路路灯坏了半个多月", "发表于 2026-11-18 19:40", LIGHT, 4, 120, div_post=True))


def test_discuz_forum_replies_growth_refetches_only_that_thread(tmp_path, prefix, store):
    with LocalSite() as site:
        forum(site, water_replies=5)
        cfg = write_config(tmp_path, [{
            "id": "county-bbs", "name": "测试论坛", "template": "discuz", "kind": "forum",
            "max_pages": 3, "start_urls": [site.url("/forum.php?mod=forumdisplay&fid=2"),
                                           site.url("/forum-3-1.html")]}])
        row = summary(crawl(cfg))["county-bbs"]
        assert row["new"] == 4 and row["reasons"] == {"http_404": "1"}
        store.refresh()
        docs = {d["title"]: d for d in store.search("", size=20)}
        assert len(docs) == 4
        water = docs["幸福小区自来水发黄有沉淀"]
        assert water["url"] == site.url(f"/{T}101")  # list-page noise (extra=) removed
        assert water["metrics"] == {"replies": 5, "views": 300, "likes": None}
        assert water["published_at"] == "2026-11-20T09:15:00+08:00"  # the span's title
        assert water["source_kind"] == "forum"
        assert "不敢喝" in water["text"]
        assert "jammer" not in water["text"] and "水印" not in water["text"]
        assert "希望尽快解决" in water["text"]  # the replies too
        assert "回帖网名" not in water["text"] and "楼主网名" not in water["text"]
        assert docs["滨河路路灯坏了半个多月"]["metrics"]["replies"] == 4
        assert docs["老街乱停车堵死消防通道"]["published_at"] == "2026-11-21T20:30:00+08:00"

        # Two more replies to thread 101; the rest is unchanged. New process.
        forum(site, water_replies=7)
        second = crawl(cfg)
        row = summary(second)["county-bbs"]
        assert row["new"] == 0 and row["updated"] == 1, second.stdout
        assert site.hits[f"/{T}101"] == 2
        for path in (f"/{T}102", f"/{T}103", "/thread-201-1-1.html", f"/{T}104"):
            assert site.hits[path] == 1, path  # unchanged (and the 404 is backed off)

        # Nothing changed at all: no thread page, and no second list page, is fetched.
        third = crawl(cfg)
        row = summary(third)["county-bbs"]
        assert row["new"] == row["updated"] == 0 and row["unchanged"] == 3  # page 1 rows
        assert site.hits[f"/{T}101"] == 2
        assert site.hits["/forum.php?mod=forumdisplay&fid=2&page=2"] == 2
    store.refresh()
    assert store.count() == 4
    assert store.get(item_id_for(site.url(f"/{T}101")))["metrics"]["replies"] == 7


def test_thread_with_more_replies_is_fetched_past_an_etag_that_ignores_them(
        tmp_path, prefix, store):
    # Many forums' ETag covers the first post only: a conditional request gets 304 even
    # though the reply count grew.
    def publish(site: LocalSite, replies: int) -> None:
        site.add("/forum.php?mod=forumdisplay&fid=2", discuz_board([
            (f"{T}101", "幸福小区自来水发黄有沉淀", replies, 300, "2026-11-20")]))
        site.add(f"/{T}101", discuz_thread("幸福小区自来水发黄有沉淀", "发表于 2026-11-20 09:15",
                                           WATER, replies, 300), ETag='"first-post"')

    with LocalSite() as site:
        publish(site, 5)
        cfg = write_config(tmp_path, [{
            "id": "county-bbs", "name": "测试论坛", "template": "discuz", "kind": "forum",
            "start_urls": [site.url("/forum.php?mod=forumdisplay&fid=2")]}])
        assert summary(crawl(cfg))["county-bbs"]["new"] == 1
        publish(site, 50)
        row = summary(crawl(cfg))["county-bbs"]
        assert row["updated"] == 1, row  # fetched, not answered 304
        row = summary(crawl(cfg))["county-bbs"]
        assert row["updated"] == 0 and row["unchanged"] == 1
        assert site.hits[f"/{T}101"] == 2  # not asked again once it has the new count
    store.refresh()
    assert store.get(item_id_for(site.url(f"/{T}101")))["metrics"]["replies"] == 50


def board(site: LocalSite, *, answered: bool) -> None:
    rows = [("/liuyan/show.php?id=301", "幸福小区门口停车难问题", "2026-11-18", "已回复"),
            ("/liuyan/show.php?id=303", "新民村道路何时维修", "2026-11-19", "已办结"),
            ("/liuyan/show.php?id=305", "滨河路路灯不亮", "2026-11-21", "办理中")]
    if not answered:  # once answered, message 302 has dropped off the first list page
        rows.insert(1, ("/liuyan/show.php?id=302", "自来水发黄何时解决", "2026-11-20", "未回复"))
    site.add("/liuyan/list.html", board_list(rows))
    site.add("/liuyan/show.php?id=301", board_message_table(
        "幸福小区门口停车难问题", "2026-11-18 08:30", "小区门口每天早晚车辆乱停，行人难以通行。",
        "您反映的问题已转交城关镇，已增设临时停车位并加强巡查。", "2026-11-19 16:00"))
    site.add("/liuyan/show.php?id=302", board_message_table(
        "自来水发黄何时解决", "2026-11-20 21:10", "幸福小区自来水发黄已经一周，请问何时能解决？",
        *(("经查系管网改造所致，已冲洗管道，水质检测合格。", "2026-11-23 10:20")
          if answered else ())))
    site.add("/liuyan/show.php?id=303", board_message_blocks(
        "新民村道路何时维修", "2026-11-19 09:00", "新民村村口道路损坏严重，请问何时维修？",
        "该路段已列入今年农村公路维修计划，预计12月完工。", "2026-11-20 15:30"))
    site.add("/liuyan/show.php?id=305", board_message_blocks(
        "滨河路路灯不亮", "2026-11-21 19:00", "滨河路路灯已坏半个月，请尽快修复。"),
        ETag='"v1"')


def test_board_messages_and_official_reply_picked_up_later(tmp_path, prefix, store):
    with LocalSite() as site:
        board(site, answered=False)
        cfg = write_config(tmp_path, [{
            "id": "mayor-box", "name": "县长信箱", "template": "board", "kind": "board",
            "region": "城关镇", "start_urls": [site.url("/liuyan/list.html")]}])
        row = summary(crawl(cfg))["mayor-box"]
        assert row["new"] == 4 and row["dropped"] == 0
        store.refresh()
        docs = {d["title"]: d for d in store.search("", size=20)}
        assert set(docs) == {"幸福小区门口停车难问题", "自来水发黄何时解决", "新民村道路何时维修",
                             "滨河路路灯不亮"}
        parking = docs["幸福小区门口停车难问题"]
        assert parking["replied"] is True
        assert parking["reply_text"] == "您反映的问题已转交城关镇，已增设临时停车位并加强巡查。"
        assert parking["replied_at"] == "2026-11-19T16:00:00+08:00"
        assert parking["published_at"] == "2026-11-18T08:30:00+08:00"
        assert parking["text"] == "小区门口每天早晚车辆乱停，行人难以通行。"
        water = docs["自来水发黄何时解决"]
        assert water["replied"] is False and water["reply_text"] is None
        road = docs["新民村道路何时维修"]  # the <dl> layout
        assert road["replied"] is True and road["reply_text"].startswith("该路段已列入")
        assert road["replied_at"] == "2026-11-20T15:30:00+08:00"
        assert road["text"] == "新民村村口道路损坏严重，请问何时维修？"
        assert docs["滨河路路灯不亮"]["replied"] is False

        # The county answers message 302, which is no longer on the list page.
        board(site, answered=True)
        second = crawl(cfg)
        row = summary(second)["mayor-box"]
        assert row["updated"] == 1 and row["new"] == 0 and row["dropped"] == 0, second.stdout
        assert site.hits["/liuyan/show.php?id=302"] == 2  # re-visited from the crawl state
        assert site.hits["/liuyan/show.php?id=305"] == 2  # asked again, answered 304
        assert site.hits["/liuyan/show.php?id=301"] == 1  # answered: never fetched again
        assert site.hits["/liuyan/show.php?id=303"] == 1
    store.refresh()
    water = store.get(item_id_for(site.url("/liuyan/show.php?id=302")))
    assert water["replied"] is True and "水质检测合格" in water["reply_text"]
    assert water["replied_at"] == "2026-11-23T10:20:00+08:00"
    assert store.count() == 4


def test_new_replies_of_a_thread_are_indexed_without_who_wrote_them(tmp_path, prefix, store):
    # A complaint first made in a reply ("我们新民村也停水三天了") must reach analysis when
    # the thread's reply count grows; the quoted post's author and the @handle must not.
    first = ["幸福小区停水两天了，什么时候来水？"]
    later = ['<div class="quote"><blockquote><font color="#999999">邻居老王 发表于 '
             "2026-11-21 10:00</font><br />幸福小区停水两天了</blockquote></div>"
             "我们新民村也停水三天了，打电话没人接。",
             "@热心网友小李 石桥镇供水站说管道爆了，正在抢修。"]

    def publish(site: LocalSite, replies: list[str]) -> None:
        site.add("/forum.php?mod=forumdisplay&fid=2", discuz_board([
            (f"{T}101", "幸福小区停水", len(replies), 50, "2026-11-21")]))
        site.add(f"/{T}101", discuz_thread("幸福小区停水", "发表于 2026-11-21 09:00",
                                           first, len(replies), 50, reply_posts=replies))

    with LocalSite() as site:
        publish(site, ["同问，我家也没水。"])
        cfg = write_config(tmp_path, [{
            "id": "county-bbs", "name": "测试论坛", "template": "discuz", "kind": "forum",
            "start_urls": [site.url("/forum.php?mod=forumdisplay&fid=2")]}])
        assert summary(crawl(cfg))["county-bbs"]["new"] == 1
        publish(site, ["同问，我家也没水。", *later])
        assert summary(crawl(cfg))["county-bbs"]["updated"] == 1
    store.refresh()
    text = store.get(item_id_for(site.url(f"/{T}101")))["text"]
    assert text.startswith("幸福小区停水两天了，什么时候来水？")
    for said in ("同问，我家也没水。", "我们新民村也停水三天了，打电话没人接。",
                 "石桥镇供水站说管道爆了，正在抢修。"):
        assert said in text
    for name in ("邻居老王", "热心网友小李", "回帖网名", "楼主网名"):
        assert name not in text
    assert text.count("幸福小区停水两天了") == 1  # the quote is not a second copy


def long_thread(site: LocalSite, pages: list[list[str]]) -> None:
    """Thread 101 over ``pages`` (3 posts a page, the first post opening page 1), as the
    board list and the forum's ``&page=N`` URLs show it."""
    replies = sum(map(len, pages))
    site.add("/forum.php?mod=forumdisplay&fid=2", discuz_board([
        (f"{T}101&extra=page%3D1", "幸福小区停水", replies, 80, "2026-11-21")]))
    for n, posts in enumerate(pages, 1):
        site.add(f"/{T}101" + (f"&page={n}" if n > 1 else ""), discuz_thread(
            "幸福小区停水", "发表于 2026-11-21 09:00", ["幸福小区停水两天了，什么时候来水？"],
            replies, 80, reply_posts=posts, page=n, pages=len(pages), first_pid=10 * n))


def test_replies_on_later_pages_of_a_thread_are_indexed_and_refetched_from_the_end(
        tmp_path, prefix, store):
    # New replies land on a long thread's LAST page: a complaint in reply 9 is on page 4.
    pages = [["同问，我家也没水。", "@邻居老王 我家也是。"],
             ["城关镇供水站说在抢修。", "回复 3# 热心网友小李 抢修到什么时候？", "第二页的回复。"],
             ["第三页：还是没有水。", "第三页：打热线没人接。"]]
    with LocalSite() as site:
        long_thread(site, pages)
        cfg = write_config(tmp_path, [{
            "id": "county-bbs", "name": "测试论坛", "template": "discuz", "kind": "forum",
            "start_urls": [site.url("/forum.php?mod=forumdisplay&fid=2")]}])
        assert summary(crawl(cfg))["county-bbs"]["new"] == 1
        store.refresh()
        doc = store.get(item_id_for(site.url(f"/{T}101")))
        said = ["幸福小区停水两天了，什么时候来水？", *(r.rsplit(" ", 1)[-1] for p in pages
                                                   for r in p)]
        positions = [doc["text"].find(s) for s in said]
        assert -1 not in positions and positions == sorted(positions), doc["text"]
        assert doc["metrics"]["replies"] == 7

        # Page 3 gets a reply and a page 4 opens, with the complaint.
        pages[2].append("第三页：第三条回复。")
        pages.append(["@热心网友小李 我们新民村停水三天了，自来水公司电话一直占线。",
                      "第四页：同样情况。"])
        long_thread(site, pages)
        row = summary(crawl(cfg))["county-bbs"]
        assert row["updated"] == 1 and row["new"] == 0, row
        assert site.hits[f"/{T}101"] == 1  # the pages the new replies cannot be on: not
        assert site.hits[f"/{T}101&page=2"] == 1  # asked again
        assert site.hits[f"/{T}101&page=3"] == 2
        assert site.hits[f"/{T}101&page=4"] == 1
    store.refresh()
    doc = store.get(item_id_for(site.url(f"/{T}101")))
    text = doc["text"]
    assert doc["title"] == "幸福小区停水" and doc["metrics"]["replies"] == 10
    assert doc["published_at"] == "2026-11-21T09:00:00+08:00"
    for s in ("幸福小区停水两天了", "我家也是。", "城关镇供水站说在抢修。", "第三页：第三条回复。",
              "我们新民村停水三天了，自来水公司电话一直占线。", "第四页：同样情况。"):
        assert text.count(s) == 1, (s, text)
    assert text.index("第二页的回复。") < text.index("第三页：第三条回复。") < text.index(
        "我们新民村停水三天了")
    for name in ("邻居老王", "热心网友小李", "回帖网名", "楼主网名"):
        assert name not in text
    assert store.count() == 1  # one item per thread


def test_a_thread_longer_than_max_thread_pages_is_read_at_its_first_and_last_pages(
        tmp_path, prefix, store):
    pages = [[f"第{n}页的回复。"] * 3 for n in range(1, 8)]
    pages[0] = pages[0][:2]
    with LocalSite() as site:
        long_thread(site, pages)
        cfg = write_config(tmp_path, [{
            "id": "county-bbs", "name": "测试论坛", "template": "discuz", "kind": "forum",
            "max_thread_pages": 3,
            "start_urls": [site.url("/forum.php?mod=forumdisplay&fid=2")]}])
        assert summary(crawl(cfg))["county-bbs"]["new"] == 1
        assert [site.hits[f"/{T}101&page={n}"] for n in range(2, 8)] == [0, 0, 0, 0, 1, 1]
    store.refresh()
    text = store.get(item_id_for(site.url(f"/{T}101")))["text"]
    assert "第1页的回复。" in text and "第6页的回复。" in text and "第7页的回复。" in text
    assert "第2页的回复。" not in text
