"""Crawl state decisions, link discovery, list dates, board fields: fast, no network."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from scrapy.http import HtmlResponse

from crawlers.spiders.board import labelled_fields
from crawlers.spiders.dates import parse_list_date
from crawlers.spiders.discuz import _pager, page_url
from crawlers.spiders.links import looks_like_document, start_domains
from crawlers.state import CrawlState, Decision
from yuqing.records import SHANGHAI, Item, Metrics, SourceKind

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=SHANGHAI)
URL = "http://bbs.example.cn/forum.php?mod=viewthread&tid=7"


def thread(replies: int, text: str = "水发黄", *, replied: bool | None = None) -> Item:
    return Item.from_url(URL, source_id="bbs", source_kind=SourceKind.forum, title="标题",
                         text=text, fetched_at=NOW, published_at=NOW - timedelta(days=1),
                         metrics=Metrics(replies=replies), replied=replied)


def test_state_decisions_survive_a_new_connection(tmp_path):
    path = tmp_path / "state" / "crawl.sqlite"
    st = CrawlState(path)
    assert st.decide("bbs", URL, NOW, replies=3)[0] is Decision.new
    assert st.record("bbs", URL, thread(3), NOW, etag='"a"') is Decision.new
    st.close()
    st = CrawlState(path)  # a new process
    decision, seen = st.decide("bbs", URL, NOW, replies=3)
    assert decision is Decision.unchanged and seen is not None and seen.etag == '"a"'
    assert st.decide("bbs", URL, NOW, replies=5)[0] is Decision.changed
    assert st.decide("other-source", URL, NOW, replies=3)[0] is Decision.new
    # Same content fetched again is "unchanged" (not re-indexed); new content "changed".
    assert st.record("bbs", URL, thread(3), NOW) is Decision.unchanged
    assert st.record("bbs", URL, thread(5, "水发黄，已经一周"), NOW) is Decision.changed


def test_unreplied_messages_are_rechecked_then_given_up(tmp_path):
    st = CrawlState(tmp_path / "s.sqlite")
    st.record("box", URL, thread(0, replied=False), NOW)
    assert st.decide("box", URL, NOW + timedelta(days=1))[0] is Decision.recheck
    assert st.decide("box", URL, NOW, replied=True)[0] is Decision.changed
    assert st.decide("box", URL, NOW + timedelta(days=90))[0] is Decision.unchanged
    assert st.unreplied("box", NOW - timedelta(days=1)) == [URL]
    st.record("box", URL, thread(1, replied=True), NOW)
    assert st.unreplied("box", NOW - timedelta(days=1)) == []


def test_failed_pages_back_off(tmp_path):
    st = CrawlState(tmp_path / "s.sqlite")
    st.fail("news", URL, "http_404", NOW)
    assert st.decide("news", URL, NOW + timedelta(minutes=30))[0] is Decision.failing
    assert st.decide("news", URL, NOW + timedelta(hours=2))[0] is Decision.retry
    st.fail("news", URL, "http_404", NOW)
    assert st.decide("news", URL, NOW + timedelta(hours=2))[0] is Decision.failing
    assert st.decide("news", URL, NOW + timedelta(hours=5))[0] is Decision.retry


def test_failed_pages_due_for_a_retry_agree_with_decide(tmp_path):
    """The retries a run asks for straight from the state are exactly the failed pages that
    ``decide`` would let through: back-off passed, not given up, never indexed."""
    st = CrawlState(tmp_path / "s.sqlite")
    other = "http://news.example.cn/2.html"
    st.fail("news", URL, "http_503", NOW, {"title_hint": "标题", "date_hint": "2026-11-27"})
    st.fail("news", other, "http_404", NOW - timedelta(minutes=10))
    for _ in range(3):
        st.fail("news", other, "http_404", NOW - timedelta(minutes=10))
    assert st.due_retries("news", NOW + timedelta(minutes=30), 10) == ([], 0)
    due, total = st.due_retries("news", NOW + timedelta(hours=2), 10)
    assert due == [(URL, {"title_hint": "标题", "date_hint": "2026-11-27"})] and total == 1
    assert st.decide("news", URL, NOW + timedelta(hours=2))[0] is Decision.retry
    later = NOW + timedelta(hours=64)  # the 4th failure's back-off has passed too
    assert st.due_retries("news", later, 1) == ([(other, {})], 2)  # longest waiting first
    st.fail("news", other, "http_404", later)  # the 5th failure: given up
    assert st.due_retries("news", later + timedelta(days=30), 10)[1] == 1
    st.record("news", URL, thread(0), later)
    assert st.due_retries("news", later + timedelta(days=30), 10) == ([], 0)


def test_a_state_file_of_an_earlier_version_gains_the_new_columns(tmp_path):
    import sqlite3

    path = tmp_path / "crawl.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE pages (source_id TEXT NOT NULL, key TEXT NOT NULL, url TEXT NOT "
               "NULL, item_id TEXT, etag TEXT, last_modified TEXT, lastmod TEXT, replies "
               "INTEGER, replied INTEGER, digest TEXT, published_at TEXT, first_seen TEXT NOT "
               "NULL, last_seen TEXT NOT NULL, failures INTEGER NOT NULL DEFAULT 0, last_error "
               "TEXT, PRIMARY KEY (source_id, key))")
    db.execute("CREATE TABLE list_gaps (id INTEGER PRIMARY KEY AUTOINCREMENT, source_id TEXT "
               "NOT NULL, list_url TEXT NOT NULL, page_url TEXT NOT NULL, page INTEGER NOT "
               "NULL, markers TEXT NOT NULL, since TEXT NOT NULL)")
    db.execute("INSERT INTO list_gaps (source_id, list_url, page_url, page, markers, since) "
               "VALUES ('news', 'http://x.cn/l', 'http://x.cn/l_2', 2, '[]', ?)",
               (NOW.isoformat(),))
    db.commit()
    db.close()
    st = CrawlState(path)
    st.fail("news", URL, "http_503", NOW, {"title_hint": "标题"})
    due = st.due_retries("news", NOW + timedelta(hours=1), 5)
    assert due == ([(URL, {"title_hint": "标题"})], 1)
    [gap] = st.gaps("news")
    assert (gap.failures, gap.origin) == (0, "http://x.cn/l")  # its list is its origin
    assert st.gap_failed(gap.id) == 1 and st.gap_failed(gap.id) == 2
    st.move_gap(gap.id, "http://x.cn/l_3", 3, [])  # progress: failures start again
    assert st.gaps("news")[0].failures == 0


def test_sitemap_lastmod_and_median_gap(tmp_path):
    st = CrawlState(tmp_path / "s.sqlite")
    for i, hours in enumerate((0, 2, 3, 7)):
        item = Item.from_url(f"http://n.cn/a/{i}.html", source_id="n",
                             source_kind=SourceKind.news, title="t", text="x", fetched_at=NOW,
                             published_at=NOW - timedelta(hours=hours))
        st.record("n", item.url, item, NOW, lastmod="2026-11-20T09:00:00+08:00")
    assert st.median_gap_minutes("n") == 120.0  # gaps 60, 120, 240 minutes
    url = "http://n.cn/a/0.html"
    assert st.decide("n", url, NOW, lastmod="2026-11-20T01:00:00Z")[0] is Decision.unchanged
    assert st.decide("n", url, NOW, lastmod="2026-11-20T02:00:00Z")[0] is Decision.changed


@pytest.mark.parametrize(("url", "is_doc"), [
    ("http://n.cn/news/2026/11/20/1001.html", True),
    ("http://n.cn/xw/202611/t20261120_123456.shtml", True),
    ("http://n.cn/show.php?id=55", True),
    ("http://n.cn/a/7.html", True),
    ("http://n.cn/news/index_2.html", False),
    ("http://n.cn/news/list_3.html", False),
    ("http://n.cn/channel/minsheng/", False),
    ("http://n.cn/news/", False),
    ("http://n.cn/list.php?page=2", False),
])
def test_article_urls_are_told_from_navigation(url, is_doc):
    assert looks_like_document(url) is is_doc


@pytest.mark.parametrize(("urls", "whole_site", "expected"), [
    (["http://news.example.gov.cn/rss.xml"], True, ["example.gov.cn"]),
    (["http://news.example.gov.cn/rss.xml"], False, ["news.example.gov.cn"]),
    (["http://www.sina.com.cn/a.xml", "http://rss.sina.com.cn/b.xml"], True, ["sina.com.cn"]),
    (["http://bbs.county.cn/sitemap.xml"], True, ["county.cn"]),
    (["http://someone.github.io/feed.xml"], True, ["someone.github.io"]),  # private suffix
    (["http://127.0.0.1:8000/feed.xml"], True, ["127.0.0.1"]),
    (["http://LOCALHOST/feed.xml"], True, ["localhost"]),
])
def test_start_domains(urls, whole_site, expected):
    assert start_domains(urls, whole_site=whole_site) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("3小时前", NOW - timedelta(hours=3)),
    ("刚刚", NOW),
    ("昨天 12:30", datetime(2026, 11, 27, 12, 30, tzinfo=SHANGHAI)),
    ("发表于 2026-11-20 09:15", datetime(2026, 11, 20, 9, 15, tzinfo=SHANGHAI)),
    ("11-20", datetime(2026, 11, 20, tzinfo=SHANGHAI)),
    ("2026年11月5日", datetime(2026, 11, 5, tzinfo=SHANGHAI)),
    ("12-30", datetime(2025, 12, 30, tzinfo=SHANGHAI)),  # a list in late Nov: last year
])
def test_list_dates(text, expected):
    assert parse_list_date(text, NOW) == expected


def test_list_dates_through_whichever_parser_is_installed():
    assert parse_list_date("3小时前", NOW) == NOW - timedelta(hours=3)
    assert parse_list_date("发表于 2026-11-20 09:15", NOW) == datetime(2026, 11, 20, 9, 15,
                                                                      tzinfo=SHANGHAI)


def test_list_date_garbage_is_no_date():
    assert parse_list_date("共 12 条回复", NOW) is None
    assert parse_list_date("", NOW) is None


def test_board_fields_inline_labels():
    html = ("<html><body><div>标题：路灯不亮</div><div>留言时间：2026-11-21 19:00 "
            "</div><div class='c'>内容：滨河路路灯坏了。<br>请尽快修复。</div>"
            "<div>【答复】已安排维修。</div><div>答复时间：2026-11-22</div>"
            "<div>附件：</div><div>无</div></body></html>")
    f = labelled_fields(html)
    assert f["title"] == "路灯不亮" and f["time"] == "2026-11-21 19:00"
    assert f["text"] == "滨河路路灯坏了。\n请尽快修复。"
    assert f["reply"] == "已安排维修。" and f["reply_time"] == "2026-11-22"


def test_a_304_keeps_what_the_list_showed(tmp_path):
    st = CrawlState(tmp_path / "s.sqlite")
    assert st.record("bbs", URL, thread(3), NOW, etag='"a"') is Decision.new
    assert st.decide("bbs", URL, NOW, replies=9)[0] is Decision.changed
    st.touch("bbs", URL, NOW, replies=9)  # the thread answered 304
    assert st.decide("bbs", URL, NOW, replies=9)[0] is Decision.unchanged


def test_compare_does_not_record(tmp_path):
    st = CrawlState(tmp_path / "s.sqlite")
    assert st.compare("bbs", URL, thread(3)) is Decision.new
    assert st.decide("bbs", URL, NOW, replies=3)[0] is Decision.new  # nothing written
    st.record("bbs", URL, thread(3), NOW)
    assert st.compare("bbs", URL, thread(3)) is Decision.unchanged
    assert st.compare("bbs", URL, thread(4)) is Decision.changed


def test_a_backlog_of_the_former_schema_is_walked_from_the_top(tmp_path):
    """The former one-depth-per-list backlog does not say where its gap lies: it becomes a
    gap that the next run resumes from page 1, with no entries to look for."""
    import sqlite3

    path = tmp_path / "crawl.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE backlog (source_id TEXT NOT NULL, list_url TEXT NOT NULL, "
               "depth INTEGER NOT NULL, since TEXT NOT NULL, PRIMARY KEY (source_id, list_url))")
    db.execute("INSERT INTO backlog VALUES ('s', 'http://x.cn/list', 4, "
               "'2026-11-20T08:00:00+08:00')")
    db.commit()
    db.close()
    [gap] = CrawlState(path).gaps("s")
    assert (gap.list_url, gap.page_url, gap.page, gap.markers) == (
        "http://x.cn/list", "http://x.cn/list", 1, ())
    assert CrawlState(path).gaps("s") == [gap]  # migrated once


def test_discuz_thread_pages_from_its_url_and_pager():
    assert page_url("http://bbs.example.cn/thread-201-1-1.html", 3) == (
        "http://bbs.example.cn/thread-201-3-1.html")
    assert page_url("http://bbs.example.cn/forum.php?mod=viewthread&tid=9&page=2", 4) == (
        "http://bbs.example.cn/forum.php?mod=viewthread&tid=9&page=4")
    assert page_url("http://bbs.example.cn/viewthread.php?tid=9", 2) == (
        "http://bbs.example.cn/viewthread.php?tid=9&page=2")
    assert page_url("http://bbs.example.cn/t/9.html", 2) is None  # another forum: not guessed

    def page(html: str) -> HtmlResponse:
        return HtmlResponse("http://bbs.example.cn/thread-201-1-1.html", body=html.encode(),
                            encoding="utf-8")

    # A long thread shows a window of pages and "... 12" for the last one.
    last, links = _pager(page('<div class="pg"><strong>1</strong><a href="thread-201-2-1.html">'
                              '2</a><a href="thread-201-12-1.html" class="last">... 12</a>'
                              '<a href="thread-201-2-1.html" class="nxt">下一页</a></div>'), 1)
    assert last == 12 and links[12] == "http://bbs.example.cn/thread-201-12-1.html"
    # Discuz! 6/7: div.pages, only a next link known.
    last, links = _pager(page('<div class="pages"><strong>3</strong>'
                              '<a href="viewthread.php?tid=9&page=4" class="next">下一页</a>'
                              '</div>'), 3)
    assert last == 4 and links[4] == "http://bbs.example.cn/viewthread.php?tid=9&page=4"
    assert _pager(page("<div>没有分页</div>"), 1) == (1, {})
