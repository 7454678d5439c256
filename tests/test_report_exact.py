"""Report figures that must be exact whatever the data's shape, and that a past period's
report says what was true at its end, against the real Elasticsearch node."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import docx
import pytest
from test_report import W46, W47, WATER, _alert, _item, dataset, seed

from reports import build, render_md
from reports.data import ReportData
from storage import AlertStore, ItemStore
from yuqing.cli import main
from yuqing.config import load_config
from yuqing.records import SHANGHAI, Alert, Severity, SourceKind

NOW = W47 + timedelta(days=8, hours=10)  # Tuesday after W47


def test_week_on_week_is_exact_beyond_the_top_terms(store: ItemStore) -> None:
    """More townships and categories than the previous-period aggregation used to return
    (60): last week's count of this week's leaders must still be their real count."""
    items, n = [], iter(range(10_000))
    # Last week: 70 busy places with 2 items each, and this week's 10 leaders with 1 each,
    # so the leaders rank below the first 60 of last week's terms.
    for p in range(80):
        for i in range(2 if p < 70 else 1):
            items.append(_item(next(n), W46 + timedelta(hours=p, minutes=i), SourceKind.forum,
                               "帖子", township=f"乡镇{p:02d}", category=f"类别{p:02d}"))
    for p in range(70, 80):
        for i in range(3):
            items.append(_item(next(n), W47 + timedelta(hours=p, minutes=i), SourceKind.forum,
                               "帖子", township=f"乡镇{p:02d}", category=f"类别{p:02d}"))
    store.index(items, NOW, refresh=True)
    data, _ = build(load_config(None), "weekly", "2026-W47", NOW)
    assert [(r.key, r.count, r.prev) for r in data.townships] == [
        (f"乡镇{p:02d}", 3, 1) for p in range(70, 80)]
    assert [(r.key, r.count, r.prev) for r in data.categories] == [
        (f"类别{p:02d}", 3, 1) for p in range(70, 80)]



def _without_generated_at(md: str) -> str:
    return "\n".join(line for line in md.splitlines() if "报告生成时间" not in line)


def test_a_past_week_says_what_was_true_at_its_end(store: ItemStore, prefix: str) -> None:
    """Handling, acknowledging, new alerts and new items after the week's end leave that
    week's report as it was: every figure is as of the period's end."""
    day = timedelta(days=1)
    sunday = W47 + 6 * day
    alerts = seed(store, prefix, (
        _alert("a4-late", sunday + timedelta(hours=23), {"event": "ev-water"}, "周日深夜"),))

    def report() -> tuple[ReportData, str]:
        data, doc = build(load_config(None), "weekly", "2026-W47", NOW + 2 * day)
        return data, _without_generated_at(render_md.render(doc))

    before, md_before = report()
    h = before.handling
    assert (h.fired, h.handled, h.same_day, h.open, h.acknowledged, h.backlog) == (
        4, 2, 1, 2, 3, 1)
    statuses = {e.id: (e.status, e.total_ever) for e in before.events}
    assert statuses["ev-water"] == ("处置中", 10) and statuses["ev-school"][0] == "未预警"

    # Monday after the week: everything open gets handled, a new alert about the school
    # road fires, and the water event grows.
    after_end = W47 + 7 * day + timedelta(hours=9)
    for aid in ("a0-backlog", "a3-noise", "a4-late"):
        alerts.handle(aid, "赵六", "已处置", after_end)
    alerts.upsert([_alert("a5-school", after_end, {"event": "ev-school"}, "施工")],
                  after_end, refresh=True)
    store.index([_item(900, after_end, SourceKind.forum, WATER, event="ev-water",
                       township="河口镇", complaint=True)], after_end, refresh=True)

    after, md_after = report()
    assert after.handling == before.handling
    assert [(a.id, a.handled_at, a.acknowledged_at) for a in after.alerts] == [
        (a.id, a.handled_at, a.acknowledged_at) for a in before.alerts]
    assert {e.id: (e.status, e.total_ever) for e in after.events} == statuses
    assert md_after == md_before


@pytest.fixture
def utc_machine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local zone is UTC, as on most servers: days must still be Beijing
    days."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_week_across_two_months_in_beijing_days(store: ItemStore, utc_machine: None,
                                                  tmp_path: Path) -> None:
    """2026-W49 runs from Monday 11-30 to Sunday 12-06: its items sit in the November and
    December indices, and its edges are Beijing midnights (16:00 UTC the day before)."""
    w49 = datetime(2026, 11, 30, tzinfo=SHANGHAI)
    times = [w49 - timedelta(minutes=10),            # Sunday 23:50 of W48
             w49 + timedelta(minutes=30),            # 11-29 16:30 UTC, but W49
             w49 + timedelta(days=1, minutes=10),    # 12-01 00:10, still November in UTC
             w49 + timedelta(days=6, hours=23, minutes=50),
             w49 + timedelta(days=7, minutes=10)]    # Monday of W50
    store.index([_item(i, t, SourceKind.forum, "帖子", township="河口镇")
                 for i, t in enumerate(times)], NOW, refresh=True)
    indices = store.es.indices.get_alias(index=f"{store.prefix}-items")
    assert len(indices) == 2  # November and December

    now = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # Monday 16:00 in Beijing
    out = tmp_path / "w.md"
    assert main(["report", "weekly", "--out", str(out), "--now", now.isoformat()]) == 0
    data, _ = build(load_config(None), "weekly", None, now)
    assert data.period.slug == "2026-W49" and not data.period.partial
    assert data.volume.total == 3 and data.volume_prev.total == 1
    assert [(t.day, sum(c.values())) for t, c in data.trend] == [
        (30, 1), (1, 1), (2, 0), (3, 0), (4, 0), (5, 0), (6, 1)]
    assert [(r.key, r.count, r.prev) for r in data.townships] == [("河口镇", 3, 1)]
    md = out.read_text("utf-8")
    assert "2026年第49周（11月30日—12月6日）" in md
    assert "共监测到涉及青禾县的网络信息 3 条，上周 1 条，周环比增长 200.0%" in md


def test_an_empty_week_in_every_format(store: ItemStore, prefix: str, tmp_path: Path) -> None:
    """Nothing at all (a fresh installation), then a quiet week after a busy one: the
    report is written and says so, with no division by zero anywhere."""
    for fmt in ("docx", "html", "md"):
        assert main(["report", "weekly", "--out", str(tmp_path / f"fresh.{fmt}"),
                     "--now", NOW.isoformat()]) == 0
    fresh = (tmp_path / "fresh.md").read_text("utf-8")
    assert "网络信息 0 条，上周 0 条，周环比持平" in fresh and "当天处置率 —（无预警）" in fresh
    # Seven quiet days, as for a quiet week in an existing index, not an empty chart.
    nothing, _ = build(load_config(None), "weekly", "2026-W47", NOW)
    assert [(t.day, sum(c.values())) for t, c in nothing.trend] == [
        (d, 0) for d in range(16, 23)]
    assert "| 11月22日 | 0 | 0 | 0 | 0 |" in fresh

    store.index(dataset(), NOW, refresh=True)  # W46 and W47; W48 is quiet
    later = NOW + timedelta(days=7)
    data, _ = build(load_config(None), "weekly", "2026-W48", later)
    assert data.volume.total == 0 and data.volume_prev.total == 17
    assert [sum(c.values()) for _, c in data.trend] == [0] * 7
    for fmt in ("docx", "html", "md"):
        assert main(["report", "weekly", "--week", "2026-W48", "--out",
                     str(tmp_path / f"quiet.{fmt}"), "--now", later.isoformat()]) == 0
    quiet = (tmp_path / "quiet.md").read_text("utf-8")
    assert "网络信息 0 条，上周 17 条，周环比下降 100.0%" in quiet
    # No share of nothing: a quiet week is neither 0 % negative nor "down 70 points".
    assert "负面 0 条（—）" in quiet and "负面占比较上周" not in quiet
    # Nor did its items lack a township or a category: there were none.
    assert "均未识别到乡镇" not in quiet and "均未分类" not in quiet
    assert quiet.count("本周无信息。") == 2


def test_rankings_are_exact_across_monthly_indices(store: ItemStore, tmp_path: Path) -> None:
    """A week across two months is two indices (two shards): a township that leads the
    week while ranking low in each month alone must still lead, with its full count."""
    w49 = datetime(2026, 11, 30, tzinfo=SHANGHAI)
    items, n = [], iter(range(10_000))
    for month, day0 in (("十一", w49), ("十二", w49 + timedelta(days=1))):
        for p in range(40):
            for i in range(3):
                items.append(_item(next(n), day0 + timedelta(hours=1, minutes=p * 3 + i),
                                   SourceKind.forum, "帖子", township=f"{month}月{p:02d}"))
        for i in range(2):
            items.append(_item(next(n), day0 + timedelta(hours=5, minutes=i),
                               SourceKind.forum, "帖子", township="河口镇", complaint=True))
    store.index(items, NOW, refresh=True)
    assert len(store.es.indices.get_alias(index=f"{store.prefix}-items")) == 2
    data, _ = build(load_config(None), "weekly", "2026-W49",
                    datetime(2026, 12, 8, tzinfo=SHANGHAI))
    top = data.townships[0]
    assert (top.key, top.count, top.complaints) == ("河口镇", 4, 4)
    assert [r.count for r in data.townships[1:]] == [3] * 14
    assert data.townships_other == (66, 198)
    out = tmp_path / "w.md"
    assert main(["report", "weekly", "--week", "2026-W49", "--out", str(out),
                 "--now", "2026-12-08T00:00"]) == 0
    assert "（另有 66 个乡镇未列出，合计 198 条）" in out.read_text("utf-8")


def test_hot_events_are_exact_across_monthly_indices(store: ItemStore) -> None:
    """The week's hottest event, spread over both months of a week in two indices, leads
    the hot events with its full count even where it is nowhere near the top of either
    month alone."""
    w49 = datetime(2026, 11, 30, tzinfo=SHANGHAI)
    items, n = [], iter(range(10_000))
    for month, day0 in (("nov", w49), ("dec", w49 + timedelta(days=1))):
        for e in range(60):
            for i in range(3):
                items.append(_item(next(n), day0 + timedelta(hours=1, minutes=e * 3 + i),
                                   SourceKind.forum, f"话题{month}{e}", event=f"ev-{month}{e:02d}"))
        for i in range(2):
            items.append(_item(next(n), day0 + timedelta(hours=6, minutes=i), SourceKind.forum,
                               WATER, event="ev-water"))
    store.index(items, NOW, refresh=True)
    assert len(store.es.indices.get_alias(index=f"{store.prefix}-items")) == 2
    data, _ = build(load_config(None), "weekly", "2026-W49",
                    datetime(2026, 12, 8, tzinfo=SHANGHAI))
    top = data.events[0]
    assert (top.id, top.count, top.heat) == ("ev-water", 4, 4)
    assert [e.heat for e in data.events[1:]] == [3] * 9


def test_a_link_that_is_not_a_web_address_stays_plain_text() -> None:
    """An alert stored with only bare URLs cites them as they are; one that is not http(s)
    must show as its text in every format, neither as a link nor as a Python repr."""
    from reports import render_docx, render_html
    from reports.blocks import Document, Link, Para

    doc = Document(title="周报", subtitle="第49周", blocks=[Para([
        "依据：", Link("河口镇水质帖", "javascript:alert(1)"), "；",
        Link("括号帖", "https://bbs.qinghe.example/t/1 (2)")])])
    html = render_html.render(doc)
    assert "依据：河口镇水质帖；" in html and "Link(" not in html and "javascript" not in html
    md = render_md.render(doc)
    assert "](javascript" not in md and "河口镇水质帖" in md
    assert "[括号帖](https://bbs.qinghe.example/t/1%20%282%29)" in md
    par = docx.Document(io.BytesIO(render_docx.render(doc))).paragraphs[-1]
    assert par.text == "依据：河口镇水质帖；括号帖"
    assert [h.url for h in par.hyperlinks] == ["https://bbs.qinghe.example/t/1 (2)"]


def test_rising_keywords_are_exact_across_monthly_indices(store: ItemStore) -> None:
    """A new word spread over both months of a week in two indices is the week's most
    frequent one, even where each month alone has 150 words more frequent than it."""
    w49 = datetime(2026, 11, 30, tzinfo=SHANGHAI)
    items, n = [], iter(range(10_000))
    for month, day0 in (("nov", w49), ("dec", w49 + timedelta(days=1))):
        for k in range(150):
            for i in range(3):
                items.append(_item(next(n), day0 + timedelta(hours=1, seconds=k * 3 + i),
                                   SourceKind.forum, "帖子", keywords=(f"{month}{k:03d}",)))
        for i in range(2):
            items.append(_item(next(n), day0 + timedelta(hours=6, minutes=i),
                               SourceKind.forum, "帖子", keywords=("停水",)))
    store.index(items, NOW, refresh=True)
    assert len(store.es.indices.get_alias(index=f"{store.prefix}-items")) == 2
    data, _ = build(load_config(None), "weekly", "2026-W49",
                    datetime(2026, 12, 8, tzinfo=SHANGHAI))
    assert (data.keywords[0].term, data.keywords[0].count, data.keywords[0].prev) == (
        "停水", 4, 0)


def test_counts_page_through_every_value(store: ItemStore, prefix: str) -> None:
    """Small pages give the same exact counts and events as one large page."""
    from storage import ReportQueries, Span

    items = [_item(i, W47 + timedelta(hours=i), SourceKind.forum, "帖子",
                   township=f"乡镇{i % 23:02d}", event=f"ev{i % 17:02d}", replies=i % 5)
             for i in range(100)]
    store.index(items, NOW, refresh=True)
    week, before = Span(W47, W47 + timedelta(days=7)), Span(W46, W47)
    whole, paged = ReportQueries(store.es, prefix), ReportQueries(store.es, prefix, page=4)
    counts = paged.counts("townships", week)
    assert len(counts) == 23 and sum(counts.values()) == 100
    assert counts == whole.counts("townships", week)
    assert paged.events(week, 5) == whole.events(week, 5)
    assert paged.breakdown("townships", week, before) == whole.breakdown(
        "townships", week, before)


def test_distinct_events_and_sources_are_counted_exactly(store: ItemStore) -> None:
    """"事件 N 个" is a count, not an estimate: a cardinality aggregation is off by a few
    from about 3,000 values on."""
    items = [_item(i, W47 + timedelta(seconds=i * 60), SourceKind.forum, "帖子",
                   event=f"ev{i:05d}") for i in range(3500)]
    store.index(items, NOW, refresh=True)
    data, _ = build(load_config(None), "weekly", "2026-W47", NOW)
    assert (data.volume.total, data.volume.events, data.volume.sources) == (3500, 3500, 1)


def test_every_township_with_alerts_is_named(store: ItemStore, prefix: str) -> None:
    """The alerts paragraph names every township alerted in the week, not the first 20."""
    alerts = AlertStore(store.es, prefix)
    alerts.ensure()
    alerts.upsert([_alert(f"a{i:02d}", W47 + timedelta(hours=i), {"township": f"乡镇{i:02d}"},
                          f"乡镇{i:02d}诉求") for i in range(25)], NOW, refresh=True)
    data, _ = build(load_config(None), "weekly", "2026-W47", NOW)
    assert data.handling.fired == 25
    assert data.handling.by_township == {f"乡镇{i:02d}": 1 for i in range(25)}


def test_crawl_health_alerts_are_not_complaint_alerts(store: ItemStore, prefix: str) -> None:
    """A source going silent raises a crawl-health alert into the same alert index. It is
    not a growing complaint: counted as one it inflated 增长型诉求预警, listed a 信息源
    中断 as a complaint, and, resolved by the crawl rather than handled, pulled the
    same-day handling rate (一事一处) down and the carried-over backlog up."""
    from duty.health import RULE

    day = timedelta(days=1)
    health = [Alert(id=f"h{i}", rule=RULE, severity=Severity.warning,
                    title="信息源中断：青河论坛（qh-forum）", summary="", fired_at=t,
                    labels={"source": "qh-forum"}, category="抓取健康")
              for i, t in enumerate((W47 - 2 * day, W47 + 3 * day + timedelta(hours=3)))]
    seed(store, prefix, tuple(health))
    data, doc = build(load_config(None), "weekly", "2026-W47", NOW)
    h = data.handling
    assert (h.fired, h.handled, h.same_day, h.open, h.backlog) == (3, 2, 1, 1, 1)
    assert [a.id for a in data.alerts] == ["a1-water", "a2-place", "a3-noise"]
    md = render_md.render(doc)
    assert "信息源中断" not in md and "共触发增长型诉求预警 3 条" in md
