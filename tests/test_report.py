"""Weekly and daily reports against a real Elasticsearch node with a known data set.

Two ISO weeks of 2026: W46 (11-09 .. 11-15) and W47 (11-16 .. 11-22); "now" is Tuesday
11-24, so the default weekly report is W47 compared with W46.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import docx
import pytest
from hooks import Hook

from reports import build, charts
from reports.data import ReportData
from reports.render_md import render_for_chat, size
from storage import AlertStore, ItemStore
from yuqing.cli import main
from yuqing.config import load_config
from yuqing.records import (
    SHANGHAI,
    Alert,
    AlertItem,
    Analysis,
    AnalyzedItem,
    Item,
    Metrics,
    SentimentLabel,
    Severity,
    SourceKind,
)

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
W46 = datetime(2026, 11, 9, tzinfo=SHANGHAI)
W47 = datetime(2026, 11, 16, tzinfo=SHANGHAI)
WATER = "水黄了！河口镇自来水又发黄还有异味"
SCHOOL = "石桥中学门口道路施工无人管"
NOISE = "城关镇夜市噪音扰民到凌晨"


def _item(n: int, when: datetime, kind: SourceKind, title: str, *, event: str | None = None,
          sentiment: float = 0.5, replies: int = 0, likes: int = 0, views: int = 0,
          township: str | None = None, category: str | None = None,
          keywords: tuple[str, ...] = (), complaint: bool = False) -> AnalyzedItem:
    url = f"https://{kind.value}.qinghe.example/t/{n}"
    item = Item.from_url(url, source_id=f"qh-{kind.value}", source_kind=kind,
                         title=f"{title}（{n}）", text=f"{title}。正文{n}", published_at=when,
                         fetched_at=when + timedelta(minutes=5),
                         metrics=Metrics(replies=replies, likes=likes, views=views))
    label = (SentimentLabel.negative if sentiment < 0.4 else
             SentimentLabel.positive if sentiment > 0.6 else SentimentLabel.neutral)
    return AnalyzedItem(item=item, analysis=Analysis(
        tokens=list(title), keywords=list(keywords), sentiment=sentiment,
        sentiment_label=label, complaint=complaint, complaint_score=0.9 if complaint else 0.1,
        category=category, townships=[township] if township else [], event_id=event))


def dataset() -> list[AnalyzedItem]:
    items: list[AnalyzedItem] = []
    n = iter(range(1000))
    # W46: 5 news + 5 forum (2 of them the start of the water event); no board messages.
    for i in range(5):
        items.append(_item(next(n), W46 + timedelta(days=i, hours=9), SourceKind.news,
                           "县里召开冬季安全生产会议", sentiment=0.8, category="安全生产"))
    for i in range(3):
        items.append(_item(next(n), W46 + timedelta(days=i, hours=20), SourceKind.forum,
                           "周末去青山乡爬山", sentiment=0.7, township="青山乡"))
    for i in range(2):
        items.append(_item(next(n), W46 + timedelta(days=5, hours=10 + i), SourceKind.forum,
                           WATER, event="ev-water", sentiment=0.2, township="河口镇",
                           category="城乡建设", keywords=("自来水",), complaint=True))
    # W47: 4 news + 10 forum + 3 board = 17.
    for i in range(8):  # the water event grows: heat 8 + 5*8 + 8 + 200*8/100 = 72
        items.append(_item(next(n), W47 + timedelta(days=1 + i // 3, hours=8 + i),
                           SourceKind.forum, WATER, event="ev-water", sentiment=0.1,
                           replies=5, likes=1, views=200, township="河口镇",
                           category="城乡建设", keywords=("自来水", "发黄"), complaint=True))
    items.append(_item(next(n), W47 + timedelta(days=2, hours=12), SourceKind.news, SCHOOL,
                       event="ev-school", sentiment=0.3, views=5000, township="石桥镇",
                       category="交通运输"))  # one item, many views: heat 1 + 50 = 51
    for i in range(3):
        items.append(_item(next(n), W47 + timedelta(days=4, hours=21 + i // 2),
                           SourceKind.board, NOISE, event="ev-noise", sentiment=0.2,
                           township="城关镇", category="生态环境", keywords=("噪音",),
                           complaint=True))
    for i in range(3):
        items.append(_item(next(n), W47 + timedelta(days=i, hours=9), SourceKind.news,
                           "县人民医院开通预约挂号", sentiment=0.9, category="卫生健康"))
    for i in range(2):
        items.append(_item(next(n), W47 + timedelta(days=6, hours=15 + i), SourceKind.forum,
                           "柳林乡道路硬化完工", sentiment=0.8, township="柳林乡"))
    return items


def _alert(aid: str, fired: datetime, labels: dict[str, str], title: str) -> Alert:
    evidence = AlertItem(title=f"{title}-依据", url=f"https://forum.qinghe.example/a/{aid}")
    return Alert(id=aid, rule="growing_event", severity=Severity.warning, title=title,
                 summary="", fired_at=fired, labels=labels, count=6, baseline=1.0,
                 top_items=[evidence])


def seed(store: ItemStore, prefix: str, extra: tuple[Alert, ...] = ()) -> AlertStore:
    """The dataset's items, and W46-W47's alerts with their handling (``extra`` alerts
    besides, unhandled)."""
    store.index(dataset(), NOW, refresh=True)
    alerts = AlertStore(store.es, prefix)
    alerts.ensure()
    day = timedelta(days=1)
    alerts.upsert([
        _alert("a0-backlog", W46 + 3 * day, {"event": "ev-old"}, "上周遗留"),
        _alert("a1-water", W47 + 2 * day + timedelta(hours=9),
               {"event": "ev-water", "township": "河口镇"}, "河口镇自来水快速增长"),
        _alert("a2-place", W47 + 4 * day + timedelta(hours=22),
               {"township": "城关镇", "category": "生态环境"}, "城关镇生态环境类诉求快速增长"),
        _alert("a3-noise", W47 + 5 * day + timedelta(hours=10),
               {"event": "ev-noise", "township": "城关镇"}, "夜市噪音快速增长"),
        *extra,
    ], NOW, refresh=True)
    alerts.handle("a1-water", "张三", "已联系水厂排查管网", W47 + 2 * day + timedelta(hours=16))
    # Handled after midnight: handled within the week, but not on the day it fired.
    alerts.handle("a2-place", "李四", "已协调城管", W47 + 5 * day + timedelta(minutes=30))
    alerts.acknowledge("a3-noise", "王五", W47 + 5 * day + timedelta(hours=11))
    alerts.refresh()
    return alerts


@pytest.fixture
def seeded(store: ItemStore, prefix: str) -> str:
    seed(store, prefix)
    return prefix


def _weekly(spec: str | None = None) -> ReportData:
    data, _ = build(load_config(None), "weekly", spec, NOW)
    return data


def test_weekly_figures(seeded: str) -> None:
    d = _weekly()
    assert d.period.slug == "2026-W47" and not d.period.partial
    assert d.volume.total == 17 and d.volume_prev.total == 10
    assert d.volume.kinds == {"forum": 10, "news": 4, "board": 3}
    assert d.volume_prev.kinds == {"news": 5, "forum": 5}
    assert d.volume.complaints == 11 and d.volume.sentiment["negative"] == 12
    # Monday to Sunday; the quiet Saturday is a zero, not a gap.
    assert [sum(c.values()) for _, c in d.trend] == [1, 4, 5, 2, 3, 0, 2]

    top, second, third = d.events[:3]
    assert (top.id, top.heat, top.count, top.replies) == ("ev-water", 72, 8, 40)
    assert top.first_ever == W46 + timedelta(days=5, hours=10) and top.total_ever == 10
    assert top.status == "已处置"
    assert (second.id, second.heat, second.status) == ("ev-school", 51, "未预警")
    assert (third.id, third.heat, third.status) == ("ev-noise", 3, "处置中")
    assert all(c.url.startswith("https://") for c in top.cites)

    h = d.handling
    assert (h.fired, h.handled, h.same_day, h.open, h.backlog) == (3, 2, 1, 1, 1)
    assert h.same_day_rate == pytest.approx(1 / 3)
    assert [a.id for a in d.alerts] == ["a1-water", "a2-place", "a3-noise"]

    assert [(t.key, t.count, t.prev) for t in d.townships[:2]] == [("河口镇", 8, 2),
                                                                   ("城关镇", 3, 0)]
    assert d.townships_missing == 3
    kws = {k.term: (k.count, k.prev) for k in d.keywords}
    assert kws == {"发黄": (8, 0), "自来水": (8, 2), "噪音": (3, 0)}
    assert d.keywords[0].new


def test_every_format(seeded: str, tmp_path: Path) -> None:
    outs = {}
    for fmt in ("docx", "html", "md"):
        out = tmp_path / f"w.{fmt}"
        assert main(["report", "weekly", "--format", fmt, "--out", str(out),
                     "--now", NOW.isoformat()]) == 0
        outs[fmt] = out
    md = outs["md"].read_text("utf-8")
    for section in ("一、总体情况", "二、情感分布", "三、热点事件", "四、增长型诉求与预警",
                    "五、分乡镇", "六、处置情况", "七、新词热词", "八、备注"):
        assert section in md
    assert "共监测到涉及青禾县的网络信息 17 条，上周 10 条，周环比增长 70.0%" in md
    assert "热度 72" in md and "当天处置率 33.3%" in md
    assert f"[{WATER}（" in md and "(https://forum.qinghe.example/t/" in md

    html = outs["html"].read_text("utf-8")
    assert html.count('src="data:image/png;base64,') == 3
    assert 'href="https://forum.qinghe.example/t/' in html and "<script" not in html

    doc = docx.Document(str(outs["docx"]))
    assert len(doc.inline_shapes) == 3  # trend, townships, categories
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "三、热点事件" in headings and "八、备注" in headings
    links = [h for p in _all_paragraphs(doc) for h in p.hyperlinks]
    assert any(h.url.startswith("https://forum.qinghe.example/t/") and WATER in h.text
               for h in links)
    assert any(h.url == "https://forum.qinghe.example/a/a1-water" for h in links)


def test_format_follows_out_and_a_mismatch_is_refused(seeded: str, tmp_path: Path,
                                                     capsys) -> None:
    out = tmp_path / "w.md"
    assert main(["report", "weekly", "--out", str(out), "--now", NOW.isoformat()]) == 0
    assert out.read_text("utf-8").startswith("#")  # markdown, as the name says
    wrong = tmp_path / "x.md"
    assert main(["report", "weekly", "--format", "docx", "--out", str(wrong),
                 "--now", NOW.isoformat()]) == 2
    assert not wrong.exists()
    assert (f"error: --out {wrong} ends in .md (a md file) but --format is docx"
            in capsys.readouterr().err)
    unknown = tmp_path / "w.pdf"
    assert main(["report", "weekly", "--out", str(unknown), "--now", NOW.isoformat()]) == 2
    assert not unknown.exists() and "cannot tell the format from '.pdf'" in capsys.readouterr().err


def test_unknown_receiver_is_refused_before_the_report_is_written(tmp_path: Path,
                                                                 capsys) -> None:
    out = tmp_path / "w.md"
    assert main(["report", "weekly", "--send", "nobody", "--out", str(out)]) == 2
    assert not out.exists()
    assert "error: --send: unknown receiver 'nobody'; configured:" in capsys.readouterr().err


def _all_paragraphs(doc):
    yield from doc.paragraphs
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from cell.paragraphs


def test_daily_report(seeded: str, tmp_path: Path) -> None:
    data, doc = build(load_config(None), "daily", "2026-11-18", NOW)
    assert data.volume.total == 5 and data.period.previous().start.day == 17
    assert len(data.trend) == 24
    assert (data.handling.fired, data.handling.same_day) == (1, 1)
    assert [(e.id, e.heat) for e in data.events] == [("ev-school", 51), ("ev-water", 27)]
    out = tmp_path / "d.md"
    assert main(["report", "daily", "--date", "2026-11-18", "--format", "md", "--out",
                 str(out), "--now", NOW.isoformat()]) == 0
    assert "网络舆情日报" in out.read_text("utf-8")
    # A day with nothing still gives a report that says so.
    empty, _ = build(load_config(None), "daily", "2026-10-01", NOW)
    assert empty.volume.total == 0 and empty.events == [] and empty.handling.fired == 0


def test_chat_message_fits_and_is_sent(seeded: str) -> None:
    from alerts.config import AlertingConfig, Receiver, WebhookChannel
    from reports.send import send_report

    _, doc = build(load_config(None), "weekly", None, NOW)
    title, body = render_for_chat(doc, 2000)  # a WeCom robot's budget
    assert size(title) + size(body) <= 2000 and "一、总体情况" in body

    hook = Hook()
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("REPORT_HOOK", hook.url("/hook"))
            cfg = load_config(None)
            cfg = cfg.model_copy(update={"alerting": AlertingConfig(receivers=[
                Receiver(name="duty-office", channels=[
                    WebhookChannel(type="webhook", url_env="REPORT_HOOK")])])})
            results = send_report(cfg, "duty-office", doc)
    finally:
        hook.stop()
    got = hook.accepted
    assert [r.ok for _, r in results] == [True]
    assert "青禾县网络舆情周报" in got[0]["title"] and "热度 72" in got[0]["message"]


def test_charts_draw_chinese_glyphs() -> None:
    points = [(datetime(2026, 11, 16 + i, tzinfo=SHANGHAI), {"negative": i, "neutral": 2})
              for i in range(7)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pngs = [charts.sentiment_trend(points),
                charts.bar_ranking([("河口镇", 8), ("城关镇", 3)], title="分乡镇信息量"),
                charts.bar_ranking([], title="分类信息量")]
    assert all(p.startswith(b"\x89PNG") for p in pngs)
    assert not [w for w in caught if "missing from font" in str(w.message)]
    assert "CJK" in charts.cjk_family()


def test_missing_cjk_font_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib import font_manager

    latin = [f for f in font_manager.fontManager.ttflist if "CJK" not in f.name]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", latin)
    charts.cjk_family.cache_clear()
    try:
        with pytest.raises(charts.FontMissing, match="fonts-noto-cjk"):
            charts.bar_ranking([("河口镇", 1)], title="分乡镇")
    finally:
        charts.cjk_family.cache_clear()


def test_week_arguments() -> None:
    from reports import periods

    assert periods.week(None, NOW).start == W47
    partial = periods.week("2026-W48", NOW)
    assert partial.partial and partial.end == NOW
    assert partial.previous().end == NOW - timedelta(days=7)
    assert "截至11月24日 10:00" in partial.label()
    with pytest.raises(ValueError, match="YYYY-Www"):
        periods.week("2026-47", NOW)
    assert periods.day(None, NOW).start == datetime(2026, 11, 23, tzinfo=SHANGHAI)


def test_demo_report_writes_every_format(seeded: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from reports import demo_report

    monkeypatch.setenv("YUQING_DATA_DIR", str(tmp_path / "var"))
    # Tuesday morning: too little of this week yet, so the demo reports last week.
    path = demo_report(load_config(None), NOW)
    assert path == tmp_path / "var" / "reports" / "weekly-2026-W47.docx"
    assert len(docx.Document(str(path)).inline_shapes) == 3
    assert path.with_suffix(".html").exists() and path.with_suffix(".md").exists()
    # Later in the week the current week to date is reported, against the same days before.
    later = demo_report(load_config(None), NOW + timedelta(days=3))
    assert later.name == "weekly-2026-W48.docx"
    assert "11月23日至11月27日 10:00" in later.with_suffix(".md").read_text("utf-8")


def test_the_demo_report_picks_its_week_on_beijings_calendar(
        seeded: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from zoneinfo import ZoneInfo

    from reports import demo_report

    monkeypatch.setenv("YUQING_DATA_DIR", str(tmp_path / "var"))
    # Sunday 23:30 in Beijing, the last hour of W48, is already Monday of W49 in Tokyo:
    # that week "has not begun yet" in Beijing, and the demo stopped on it.
    sunday_night = datetime(2026, 11, 29, 23, 30, tzinfo=SHANGHAI)
    path = demo_report(load_config(None), sunday_night.astimezone(ZoneInfo("Asia/Tokyo")))
    assert path.name == "weekly-2026-W48.docx"
    assert "11月23日至11月29日 23:30" in path.with_suffix(".md").read_text("utf-8")
    # Sunday 17:00 UTC is Monday 01:00 in Beijing: W48 is the last complete week.
    path = demo_report(load_config(None), datetime(2026, 11, 29, 17, 0, tzinfo=UTC))
    assert path.name == "weekly-2026-W48.docx"
    assert "11月23日—11月29日" in path.with_suffix(".md").read_text("utf-8")


def test_a_control_character_in_scraped_text_does_not_break_the_docx() -> None:
    import io

    from reports.blocks import Bullets, Document, Heading, Link, Table
    from reports.render_docx import render
    from yuqing.records import Item, SourceKind

    bad = "河口镇自来水\x08发黄"  # as an <h1> with a stray backspace extracts
    doc = Document(title=f"周报 {bad}", subtitle="x\x1b", blocks=[
        Heading(bad), Bullets([[bad, Link(bad, "http://127.0.0.1/t/1")]]),
        Table(["标题"], [[[Link(bad, "http://127.0.0.1/t/1")]]])])
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(render(doc))).paragraphs)
    assert "河口镇自来水发黄" in text and "\x08" not in text
    # And new items never carry them: the crawl and analyze both build Items.
    item = Item.from_url("http://127.0.0.1/t/1", source_id="s", source_kind=SourceKind.forum,
                         title=bad, text="第一段\x0c\n第二段\t完",
                         fetched_at=datetime(2026, 11, 20, 8, tzinfo=SHANGHAI))
    assert (item.title, item.text) == ("河口镇自来水发黄", "第一段\n第二段\t完")
