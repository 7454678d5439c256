from datetime import datetime

import pytest
from lxml.html import document_fromstring

from crawlers.extraction.dates import find_publish_date, parse_date
from yuqing.records import SHANGHAI

NOW = datetime(2024, 1, 10, 12, 0, tzinfo=SHANGHAI)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2013-11-18 14:56:58", sh(2013, 11, 18, 14, 56, 58)),
        ("2013/11/18", sh(2013, 11, 18)),
        ("2013年11月18日 14:56", sh(2013, 11, 18, 14, 56)),
        ("2013年11月18日", sh(2013, 11, 18)),
        ("2019-9-5 9:38:01", sh(2019, 9, 5, 9, 38, 1)),
        ("发布时间：2019-09-07 13:43:45 来源：新京报", sh(2019, 9, 7, 13, 43, 45)),
        ("２０１３－１１－１８　１４：５６", sh(2013, 11, 18, 14, 56)),
        ("11-18 14:56", sh(2023, 11, 18, 14, 56)),  # would be future in 2024 -> last year
        ("11月18日", sh(2023, 11, 18)),
        ("1月5日", sh(2024, 1, 5)),  # this year, already past
        ("1月5日 08:30", sh(2024, 1, 5, 8, 30)),
        ("刚刚", NOW),
        ("3分钟前", sh(2024, 1, 10, 11, 57)),
        ("3小时前", sh(2024, 1, 10, 9, 0)),
        ("半小时前", sh(2024, 1, 10, 11, 30)),
        ("3天前", sh(2024, 1, 7, 12, 0)),
        ("昨天 12:30", sh(2024, 1, 9, 12, 30)),
        ("前天", sh(2024, 1, 8)),
        ("今天 08:00", sh(2024, 1, 10, 8, 0)),
        ("2023-05-12T10:00:00Z", sh(2023, 5, 12, 18, 0)),
        ("2023-05-12T10:00:00+08:00", sh(2023, 5, 12, 10, 0)),
        ("2023-05-12T02:00:00-0500", sh(2023, 5, 12, 15, 0)),
        ("1700000000", sh(2023, 11, 15, 6, 13, 20)),
        ("20230512", sh(2023, 5, 12)),
    ],
)
def test_parse_date_forms(text: str, expected: datetime) -> None:
    got = parse_date(text, NOW)
    assert got == expected
    assert got is not None and got.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "text",
    ["2030-01-01", "2024-01-12 08:00", "1990-06-01", "1994年12月31日", "", "没有日期", "12:30",
     "2013-13-45"],
)
def test_parse_date_rejects(text: str) -> None:
    assert parse_date(text, NOW) is None


def test_naive_now_is_shanghai_local() -> None:
    assert parse_date("3小时前", datetime(2024, 1, 10, 12, 0)) == sh(2024, 1, 10, 9, 0)


def test_month_day_in_december_seen_in_january_is_last_year() -> None:
    assert parse_date("12月31日 23:00", NOW) == sh(2023, 12, 31, 23, 0)


def _page(head: str, body: str) -> str:
    return f"<html><head><title>标题_新浪网</title>{head}</head><body>{body}</body></html>"


def test_meta_beats_text() -> None:
    html = _page('<meta property="article:published_time" content="2023-05-12T08:00:00+08:00">',
                 "<h1>标题</h1><p>2020年1月1日 发生的事</p>")
    assert find_publish_date(document_fromstring(html), NOW) == sh(2023, 5, 12, 8, 0)


def test_future_meta_falls_through_to_next_candidate() -> None:
    html = _page('<meta name="pubdate" content="2031-01-01">',
                 '<h1>标题</h1><div class="info">发布时间：2023-11-18 14:56</div>')
    assert find_publish_date(document_fromstring(html), NOW) == sh(2023, 11, 18, 14, 56)


def test_header_today_date_is_not_the_article_date() -> None:
    html = _page("", '<div class="top-bar"><span class="date">2024年1月10日 星期三</span></div>'
                     '<h1>标题</h1><div class="post-time">2023-12-01 09:00</div><p>正文</p>')
    assert find_publish_date(document_fromstring(html), NOW) == sh(2023, 12, 1, 9, 0)


def test_discuz_posted_on() -> None:
    html = _page("", '<h1>标题</h1><div class="authi"><em>发表于 2023-6-3 21:05</em></div>')
    assert find_publish_date(document_fromstring(html), NOW) == sh(2023, 6, 3, 21, 5)


def test_jsonld_and_url_fallbacks() -> None:
    ld = ('<script type="application/ld+json">'
          '{"datePublished": "2022-02-02T10:00:00+08:00"}</script>')
    assert find_publish_date(_page(ld, "<h1>标题</h1>"), NOW) == sh(2022, 2, 2, 10, 0)
    assert find_publish_date(_page("", "<p>x</p>"), NOW,
                             url="http://news.example.cn/2023/05/12/abc.html") == sh(2023, 5, 12)
    assert find_publish_date(_page("", "<p>x</p>"), NOW,
                             url="http://example.cn/a/20230512/1.html") == sh(2023, 5, 12)
    assert find_publish_date(_page("", "<p>没有日期</p>"), NOW) is None


def test_first_month_day_wins_over_a_dateline_after_it() -> None:
    assert parse_date("09-30 22:46 IT之家9月30日消息", NOW) == sh(2023, 9, 30, 22, 46)


def test_year_of_a_yearless_stamp_comes_from_a_dated_candidate_of_the_same_day() -> None:
    html = _page('<meta itemprop="dateUpdate" content="2019-09-30 22:46:13">',
                 '<h2>标题</h2><div class="article-source"><span class="date">发布时间：09-30'
                 '</span><span class="time">22:46</span></div><p>正文</p>')
    assert find_publish_date(document_fromstring(html), NOW) == sh(2019, 9, 30, 22, 46, 13)


def test_yearless_stamp_stands_without_a_dated_candidate_of_that_day() -> None:
    html = _page('<meta itemprop="dateUpdate" content="2019-05-01 10:00:00">',
                 '<h1>标题</h1><div class="info">发布时间：09-30 22:46</div><p>正文</p>')
    assert find_publish_date(document_fromstring(html), NOW) == sh(2023, 9, 30, 22, 46)


def test_bare_time_word_in_running_text_is_no_label() -> None:
    html = _page("", "<h1>标题</h1><p>据报道，当地时间6月4日发布的消息称，"
                     "在过去一年的时间里情况好转。</p><div class=\"info\">2020-06-05 20:35</div>")
    assert find_publish_date(document_fromstring(html), NOW) == sh(2020, 6, 5, 20, 35)
    html = _page("", "<h1>标题</h1><p>时间：2020-06-05 20:35</p>")
    assert find_publish_date(document_fromstring(html), NOW) == sh(2020, 6, 5, 20, 35)


def test_dates_of_linked_stories_in_a_list_are_not_the_page_date() -> None:
    html = _page("", '<ul class="hot"><li><a href="/a.html">另一篇文章的很长标题</a>'
                     '<div class="publish-time">2018-03-02 08:58:39</div></li></ul>'
                     '<div class="h-title">标题</div>'
                     '<span class="h-time">2019-12-10 07:57:40</span>')
    assert find_publish_date(document_fromstring(html), NOW) == sh(2019, 12, 10, 7, 57, 40)


def test_today_banner_with_weekday_is_not_the_date() -> None:
    html = _page("", "<div>2023年10月7日 星期四</div><div>标题</div>"
                     "<div>2020-11-23 10:22:14 出处：快科技</div>")
    assert find_publish_date(document_fromstring(html), NOW) == sh(2020, 11, 23, 10, 22, 14)


def test_year_only_guess_of_htmldate_is_no_date() -> None:
    html = _page('<link href="/static/css/chunk-abb1996b.css" rel="prefetch">',
                 "<div>没有日期的帖子</div>")
    assert find_publish_date(html, NOW) is None
