"""Crawl health from real crawls: a source that cannot be read raises ``crawl_health``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from crawling import crawl, summary, write_config
from sites import news_list

from crawlers.state import CrawlState
from duty.health import health_alerts
from yuqing.config import load_config
from yuqing.demo.server import LocalSite
from yuqing.records import SHANGHAI, Item, SourceKind


def _three_runs_then_health(cfg: str) -> list:
    for _ in range(3):  # watch.crawl_health.failing_runs
        crawl(cfg)
    return health_alerts(load_config(cfg), datetime.now(SHANGHAI))


def _source(site: LocalSite) -> dict:
    return {"id": "county-news", "name": "测试新闻网", "template": "news", "kind": "news",
            "start_urls": [site.url("/news/index.html")]}


def test_a_site_whose_robots_txt_disallows_everything_is_failing(tmp_path, prefix):
    """robots.txt answering 200 is not the site answering: nothing of it may be read."""
    with LocalSite() as site:
        site.add("/robots.txt", "User-agent: *\nDisallow: /\n", "text/plain")
        site.add("/news/index.html", news_list([]))
        cfg = write_config(tmp_path, [_source(site)])
        [alert] = _three_runs_then_health(cfg)
        assert site.hits["/news/index.html"] == 0
    assert alert.labels == {"source": "county-news"}
    assert "抓取失败" in alert.title and "county-news" in alert.title
    assert "robots_disallowed" in alert.summary, alert.summary


def test_a_list_page_with_no_entries_run_after_run_is_failing(tmp_path, prefix):
    """200 with an empty list (the site changed its markup, or serves a placeholder) is a
    source that cannot be read, though every request succeeds."""
    with LocalSite() as site:
        site.add("/news/index.html", news_list([]))
        cfg = write_config(tmp_path, [_source(site)])
        [alert] = _three_runs_then_health(cfg)
    assert alert.labels == {"source": "county-news"} and "抓取失败" in alert.title
    assert "no_article_links" in alert.summary, alert.summary


def test_a_list_with_nothing_new_is_healthy(tmp_path, prefix):
    with LocalSite() as site:
        site.add("/news/index.html", news_list([
            ("/news/2026/11/20/1001.html", "石桥镇新民村道路年久失修", "2026-11-20 09:15")]))
        site.add("/news/2026/11/20/1001.html", "<html><body><h1>石桥镇新民村道路年久失修</h1>"
                 "<div class='content'><p>石桥镇新民村村民反映，村口道路年久失修，雨天积水严重，"
                 "出行十分不便，希望有关部门尽快维修。</p></div></body></html>")
        cfg = write_config(tmp_path, [_source(site)])
        assert _three_runs_then_health(cfg) == []
        assert site.hits["/news/2026/11/20/1001.html"] == 1  # later runs found nothing new


def test_a_source_whose_every_article_page_fails_to_parse_is_failing(tmp_path, prefix):
    """The list reads fine but no article page yields text (a changed template, a wrong
    body selector): three pages in a row that could not be read, with none read since,
    raise crawl_health; each is then retried on the failure back-off, not every run."""
    def listing(n: int) -> str:
        return news_list([(f"/news/2026/11/20/{1000 + i}.html", f"第{i}条石桥镇道路维修进展通报",
                           "2026-11-20 09:00") for i in range(n, 0, -1)])

    with LocalSite() as site:
        cfg = write_config(tmp_path, [{**_source(site), "selectors": {"body": "#zoom"}}])
        for i in range(1, 4):  # a quiet source: one new article a run, none readable
            site.add(f"/news/2026/11/20/{1000 + i}.html", "<html><body><h1>通报</h1>"
                     "<div class='content'><p>图片</p></div></body></html>")
            site.add("/news/index.html", listing(i))
            row = summary(crawl(cfg))["county-news"]
            assert row["reasons"] == {"empty_text": "1"}, row  # only the new page is fetched
        [alert] = health_alerts(load_config(cfg), datetime.now(SHANGHAI))
        assert alert.labels == {"source": "county-news"} and "抓取失败" in alert.title
        assert "3 个" in alert.summary and "empty_text" in alert.summary, alert.summary

        # The site's template is fixed: a page read again resolves it.
        site.add("/news/2026/11/20/1004.html", "<html><body><h1>通报</h1><div id='zoom'><p>"
                 "石桥镇新民村道路维修工程正在推进，预计月底完工。</p></div></body></html>")
        site.add("/news/index.html", listing(4))
        assert summary(crawl(cfg))["county-news"]["new"] == 1
        assert health_alerts(load_config(cfg), datetime.now(SHANGHAI)) == []


def test_index_pages_reached_by_link_discovery_are_no_health_problem(tmp_path, prefix):
    """A news list links to topic pages (专题, channel indexes) as well as articles: those
    are dropped as not_article and backed off, but a week whose only new links were three
    of them is no sign of a broken template and must not wake anyone."""
    topics = [(f"/news/2026/11/2{i}/90{i}.html", f"专题：第{i}季度重点工作推进情况汇总",
               f"2026-11-2{i}") for i in range(3)]
    others = [(f"/news/2026/11/1{i}/50{i}.html", f"县里第{i}条新闻的标题比较长一些",
               f"2026-11-1{i}") for i in range(8)]
    with LocalSite() as site:
        site.add("/news/2026/11/20/1001.html", "<html><body><h1>石桥镇道路维修进展通报</h1>"
                 "<div id='zoom'><p>石桥镇新民村道路维修工程正在推进，预计月底完工。</p>"
                 "</div></body></html>")
        site.add("/news/index.html", news_list(
            [("/news/2026/11/20/1001.html", "石桥镇道路维修进展通报", "2026-11-20 09:00")]))
        cfg = write_config(tmp_path, [_source(site)])
        assert summary(crawl(cfg))["county-news"]["new"] == 1
        for path, _, _ in topics:
            site.add(path, news_list(others))
        site.add("/news/index.html", news_list(
            [*topics, ("/news/2026/11/20/1001.html", "石桥镇道路维修进展通报", "2026-11-20")]))
        row = summary(crawl(cfg))["county-news"]
        assert row["reasons"] == {"not_article": "3"}, row
        assert health_alerts(load_config(cfg), datetime.now(SHANGHAI)) == []


# -- silence: judged against the source's own usual silence (duty.silence) -------------------
# Real crawl state (SQLite) fed the way the runner feeds it (record each item, then add the
# run), and the alert through health_alerts; March 2025 has no official holiday.


def _board(tmp_path) -> tuple[str, CrawlState]:
    cfg = write_config(tmp_path, [{"id": "board", "name": "县政务公开", "template": "news",
                                   "kind": "news", "start_urls": ["http://127.0.0.1:9/l"]}])
    return cfg, CrawlState.for_config(load_config(cfg))


def _run(st: CrawlState, at: datetime, published: list[datetime]) -> dict:
    """One crawl run finishing at ``at`` that found the items published at ``published``."""
    for t in published:
        item = Item.from_url(f"http://127.0.0.1:9/a/{t:%Y%m%d%H%M%S}.html", source_id="board",
                             source_kind=SourceKind.news, title="通知公告", text="正文",
                             fetched_at=at, published_at=t)
        st.record("board", item.url, item, at)
    start = at - timedelta(minutes=2)
    return st.add_run({"source_id": "board", "started_at": start.isoformat(),
                       "finished_at": at.isoformat(), "finish_reason": "finished",
                       "pages": 2, "items_new": len(published), "items_updated": 0,
                       "unchanged": 0, "errors": {}, "success": True})


def _silent_at(cfg: str, st: CrawlState, now: datetime) -> list[str]:
    """The crawl-health alerts at ``now``, after a run just before it found nothing."""
    _run(st, now - timedelta(minutes=5), [])
    return [a.summary for a in health_alerts(load_config(cfg), now)
            if "沉默" in a.title]


def _at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=SHANGHAI)


def test_a_weekly_batch_publisher_is_silent_only_when_a_batch_is_a_week_overdue(tmp_path):
    """Five notices at once every Monday: a median gap of a minute called it silent six
    hours after every batch. A batch counts once, and its usual silence is a week."""
    cfg, st = _board(tmp_path)
    mondays = [_at(10, 10, month=2), _at(17, 10, month=2), _at(24, 10, month=2), _at(3, 10),
               _at(10, 10), _at(17, 10)]
    for monday in mondays:
        _run(st, monday + timedelta(minutes=30), [monday + timedelta(minutes=i) for i in range(5)])
    assert _silent_at(cfg, st, _at(17, 16, 45)) == []  # 6 h after the batch
    assert _silent_at(cfg, st, _at(26, 9)) == []  # the next batch two days late
    [summary] = _silent_at(cfg, st, _at(1, 12, month=4))  # a week and a day overdue
    assert "工作时间" in summary, summary
    st.close()


def test_a_workday_only_board_is_not_silent_at_night_or_over_a_weekend(tmp_path):
    """A board answering hourly 09:00-17:00 on workdays: a median gap of an hour called it
    silent every night and weekend. On its working-hours clock it is silent only when a
    workday passes without it."""
    cfg, st = _board(tmp_path)
    for day in (3, 4, 5, 6, 7, 10, 11, 12, 13, 14):
        for hour in range(9, 18):
            _run(st, _at(day, hour, 20), [_at(day, hour)])
    assert _silent_at(cfg, st, _at(15, 3)) == []  # Saturday 3 a.m.
    assert _silent_at(cfg, st, _at(16, 22)) == []  # Sunday night
    assert _silent_at(cfg, st, _at(17, 7, 30)) == []  # Monday before office hours
    [summary] = _silent_at(cfg, st, _at(18, 20))  # silent through Monday and Tuesday
    assert "工作时间" in summary, summary
    # Working time in hours (Friday 17:20-20:00, then Monday and Tuesday 08:00-20:00):
    # "1.1 天" of working hours would read as one calendar day.
    assert "工作时间沉默 26.7 小时" in summary, summary
    st.close()


def test_a_busy_source_that_stops_is_silent_within_twice_its_night(tmp_path):
    """A news site posting every half hour 08:00-23:00, weekends too: its night is no
    silence (the median called 05:00 one), but a day without it is, 18 hours (twice its
    nine-hour night) after its last find at the latest."""
    cfg, st = _board(tmp_path)
    for day in range(3, 11):
        for k in range(31):
            t = _at(day, 8) + timedelta(minutes=30 * k)
            _run(st, t, [t - timedelta(minutes=10)])
    last = _at(10, 23)
    assert _silent_at(cfg, st, _at(11, 5, 30)) == []
    assert _silent_at(cfg, st, last + timedelta(hours=17, minutes=50)) == []
    [summary] = _silent_at(cfg, st, last + timedelta(hours=18, minutes=10))
    assert "工作时间" not in summary, summary
    st.close()


def test_an_outage_in_the_history_does_not_become_the_usual_silence(tmp_path):
    """Time weighting would make a five-day outage most of a busy source's silent time;
    it happened once, and the source that stops is still called silent after 18 h."""
    cfg, st = _board(tmp_path)
    for day in (3, 4, 5, 6, 12, 13, 14, 15, 16, 17):  # nothing found 7-11 March
        for k in range(31):
            t = _at(day, 8) + timedelta(minutes=30 * k)
            _run(st, t, [t - timedelta(minutes=10)])
    assert _silent_at(cfg, st, _at(18, 5, 30)) == []
    assert len(_silent_at(cfg, st, _at(17, 23) + timedelta(hours=18, minutes=10))) == 1
    st.close()


def test_a_state_file_from_before_the_find_history_keeps_working(tmp_path):
    """A source document with only median_gap_minutes is judged by it, and its history
    starts from its last find."""
    cfg, st = _board(tmp_path)
    old = {"source_id": "board", "runs": 9, "last_run": _at(3, 15, 55).isoformat(),
           "last_success": _at(3, 15, 55).isoformat(), "last_new_items_at": _at(3, 9).isoformat(),
           "median_gap_minutes": 30.0}
    st.db.execute("INSERT INTO sources (source_id, doc) VALUES (?, ?)",
                  ("board", json.dumps(old)))
    assert "沉默" in health_alerts(load_config(cfg), _at(3, 16))[0].title  # 6 h floor
    doc = _run(st, _at(3, 17), [_at(3, 16, 30), _at(3, 16, 40), _at(3, 16, 50)])
    assert doc["new_item_runs"] == [_at(3, 9).isoformat(), _at(3, 17).isoformat()]
    [summary] = _silent_at(cfg, st, _at(4, 0))
    assert "分钟一条" in summary, summary  # not enough history yet: the median gap
    st.close()
