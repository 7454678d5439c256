"""The report's Chinese content, in the section order duty offices use (一 … 八).

Every number is read from ``ReportData`` (aggregations); every event, alert and claim is
followed by the items it rests on (title + link), so a reader can check each statement.
"""

from __future__ import annotations

from datetime import datetime

from . import charts
from .blocks import Bullets, Document, Figure, Heading, Link, Para, Runs, Table
from .data import BreakdownRow, Cite, ReportData, change

KIND_ZH = {"news": "新闻网站", "forum": "论坛社区", "board": "政务留言板"}
SENTIMENT_ZH = charts.SENTIMENT_ZH
SEVERITY_ZH = {"critical": "严重", "warning": "警告", "info": "提示"}
HEAT_NOTE = "热度 = 信息条数 + 回复数 + 点赞数 + 浏览量/100"
NUMERALS = "一二三四五六七八"


class Words:
    """本周/上周/周环比 or 本日/前一日/日环比."""

    def __init__(self, kind: str):
        weekly = kind == "weekly"
        self.this = "本周" if weekly else "当日"
        self.last = "上周" if weekly else "前一日"
        self.change = "周环比" if weekly else "日环比"
        self.name = "周报" if weekly else "日报"


def when(t: datetime | None) -> str:
    return f"{t.month}月{t.day}日 {t:%H:%M}" if t else "—"


def pct(n: int, total: int) -> str:
    return f"{n / total:.1%}" if total else "—"


def delta(cur: int, prev: int) -> str:
    c = change(cur, prev)
    if c is None:
        return "新增" if cur else "持平"
    if cur == prev:
        return "持平"
    return f"{'增长' if c > 0 else '下降'} {abs(c):.1%}"


def cite_runs(cites: list[Cite], limit: int = 3) -> Runs:
    runs: Runs = []
    for i, c in enumerate(cites[:limit]):
        if i:
            runs.append("；")
        runs.append(Link(c.title, c.url))
        meta = "，".join(x for x in (c.source, when(c.published_at) if c.published_at
                                     else "") if x)
        if meta:
            runs.append(f"（{meta}）")
    return runs or ["—"]


def _h(n: int, text: str) -> Heading:
    return Heading(f"{NUMERALS[n - 1]}、{text}", 1)


def _overview(doc: Document, d: ReportData, w: Words) -> None:
    cur, prev = d.volume, d.volume_prev
    kinds = "、".join(f"{KIND_ZH.get(k, k)} {v} 条" for k, v in
                      sorted(cur.kinds.items(), key=lambda kv: -kv[1])) or "无"
    eng = cur.engagement
    doc.add(_h(1, "总体情况"), Para([
        f"{w.this}（{d.period.span_label()}），共监测到涉及{d.county}的网络信息 {cur.total} 条，"
        f"{w.last} {prev.total} 条，{w.change}{delta(cur.total, prev.total)}。按来源类型："
        f"{kinds}；涉及信息源 {cur.sources} 个、事件 {cur.events} 个；诉求类信息 "
        f"{cur.complaints} 条，占 {pct(cur.complaints, cur.total)}（{w.last} "
        f"{prev.complaints} 条）。网民互动：回复 {eng.get('replies', 0)} 次、点赞 "
        f"{eng.get('likes', 0)} 次、浏览 {eng.get('views', 0)} 次。"]))
    keys = sorted(set(cur.kinds) | set(prev.kinds), key=lambda k: -cur.kinds.get(k, 0))
    rows = [[[KIND_ZH.get(k, k)], [str(cur.kinds.get(k, 0))], [str(prev.kinds.get(k, 0))],
             [delta(cur.kinds.get(k, 0), prev.kinds.get(k, 0))]] for k in keys]
    rows.append([["合计"], [str(cur.total)], [str(prev.total)], [delta(cur.total, prev.total)]])
    doc.add(Table(["来源类型", w.this, w.last, w.change], rows))
    if d.sources:
        doc.add(Para(["各信息源信息量及代表信息："]), Table(
            ["信息源", w.this, w.last, "代表信息"],
            [[[d.source_names.get(r.key, r.key)], [str(r.count)], [str(r.prev)],
              cite_runs(r.cites, 1)] for r in d.sources]), *_left_out(d.sources_other, "信息源"))


def _sentiment(doc: Document, d: ReportData, w: Words) -> None:
    cur, prev = d.volume, d.volume_prev
    parts = "，".join(f"{SENTIMENT_ZH[k]} {cur.sentiment.get(k, 0)} 条（"
                     f"{pct(cur.sentiment.get(k, 0), cur.total)}）" for k in SENTIMENT_ZH)
    shift = ""
    # A share of nothing is no share: an empty period is neither 0 % negative nor "down".
    if cur.total and prev.total:
        points = (cur.sentiment.get("negative", 0) / cur.total
                  - prev.sentiment.get("negative", 0) / prev.total) * 100
        trend = "上升" if points > 0 else "下降"
        shift = (f"，负面占比与{w.last}持平" if round(points, 1) == 0 else
                 f"，负面占比较{w.last}{trend} {abs(points):.1f} 个百分点")
    hourly = d.period.kind == "daily"
    doc.add(_h(2, "情感分布"), Para([f"{w.this}信息中{parts}{shift}。"]))
    doc.add(Figure("trend", ("分时段" if hourly else "每日") + "信息量及情感分布",
                   charts.sentiment_trend(d.trend, hourly=hourly,
                                          title=("分时段" if hourly else "每日")
                                          + "信息量及情感分布")))
    if not hourly:
        doc.add(Table(["日期", "合计", "负面", "中性", "正面"],
                      [[[f"{t.month}月{t.day}日"], [str(sum(c.values()))],
                        *[[str(c.get(k, 0))] for k in SENTIMENT_ZH]] for t, c in d.trend],
                      compact_rows=7))
    if d.negative_cites:
        doc.add(Para(["主要负面信息："]),
                Bullets([cite_runs([c], 1) for c in d.negative_cites]))


def _events(doc: Document, d: ReportData, w: Words) -> None:
    doc.add(_h(3, "热点事件"))
    if not d.events:
        doc.add(Para([f"{w.this}未形成热点事件。"]))
        return
    top = d.events[0]
    doc.add(Para([
        f"{w.this}热度最高的事件为「{top.title}」，热度 {top.heat}（{top.count} 条信息，"
        f"回复 {top.replies} 次、点赞 {top.likes} 次），首次出现于 {when(top.first_ever)}，"
        f"处置状态：{top.status}。来源：", *cite_runs(top.cites)]))
    doc.add(Table(
        ["序号", "事件", "热度", "条数", "互动", "乡镇", "首次/最近出现", "状态"],
        [[[str(i)], [e.title], [str(e.heat)], [str(e.count)],
          [f"回复{e.replies} 赞{e.likes} 浏览{e.views}"], ["、".join(e.townships) or "—"],
          [f"{when(e.first_ever)} / {when(e.last)}"], [e.status]]
         for i, e in enumerate(d.events, 1)]))
    doc.add(Para(["各事件来源信息："]), Bullets(
        [[f"{i}. {e.title}（{e.category or '未分类'}"
          + (f"，累计 {e.total_ever} 条" if e.total_ever != e.count else "") + "）：",
          *cite_runs(e.cites)] for i, e in enumerate(d.events, 1)]))
    doc.add(Para([f"注：{HEAT_NOTE}；状态取自预警记录（已处置 / 处置中 / 未预警）。"],
                 note=True))


def _alerts(doc: Document, d: ReportData, w: Words) -> None:
    h = d.handling
    doc.add(_h(4, "增长型诉求与预警"))
    if not h.fired:
        doc.add(Para([f"{w.this}未触发增长型诉求预警。"]))
    else:
        sev = "、".join(f"{SEVERITY_ZH.get(k, k)} {v} 条" for k, v in h.severity.items())
        towns = "、".join(f"{k} {v} 条" for k, v in h.by_township.items()) or "未识别"
        doc.add(Para([f"{w.this}共触发增长型诉求预警 {h.fired} 条（{sev}），涉及乡镇：{towns}。"]))
        doc.add(Table(
            ["触发时间", "预警", "乡镇", "类别", "数量/基线", "状态", "依据"],
            [[[when(a.fired_at)], [a.title], [a.township or "—"], [a.category or "—"],
              [f"{a.count} / {a.baseline:g}"],
              ["已处置" if a.handled_at else "已签收" if a.acknowledged_at else "未处置"],
              cite_runs(a.cites, 2)] for a in d.alerts]))
        if h.fired > len(d.alerts):
            doc.add(Para([f"（另有 {h.fired - len(d.alerts)} 条预警未列出）"], note=True))
    if d.complaint_cites:
        doc.add(Para(["主要诉求信息："]),
                Bullets([cite_runs([c], 1) for c in d.complaint_cites]))


def _left_out(other: tuple[int, int], what: str) -> list[Para]:
    values, items = other
    if not values:
        return []
    return [Para([f"（另有 {values} 个{what}未列出，合计 {items} 条）"], note=True)]


def _breakdown_table(rows: list[BreakdownRow], name: str, w: Words) -> Table:
    return Table([name, w.this, w.last, w.change, "诉求", "负面", "代表信息"],
                 [[[r.key], [str(r.count)], [str(r.prev)], [delta(r.count, r.prev)],
                   [str(r.complaints)], [str(r.negative)], cite_runs(r.cites, 1)]
                  for r in rows])


def _areas(doc: Document, d: ReportData, w: Words) -> None:
    doc.add(_h(5, "分乡镇（网格）与分类情况"), Heading("（一）分乡镇", 2))
    if d.townships:
        t = d.townships[0]
        doc.add(Para([f"信息最多的乡镇为{t.key}（{t.count} 条，其中诉求 {t.complaints} 条、"
                      f"负面 {t.negative} 条，{w.change}{delta(t.count, t.prev)}）。"
                      + (f"另有 {d.townships_missing} 条信息未识别到乡镇。"
                         if d.townships_missing else "")]))
        doc.add(Figure("townships", "分乡镇信息量", charts.bar_ranking(
            [(r.key, r.count) for r in d.townships], title="分乡镇信息量")),
            _breakdown_table(d.townships, "乡镇", w), *_left_out(d.townships_other, "乡镇"))
    else:
        doc.add(Para([f"{w.this}信息均未识别到乡镇。" if d.volume.total else f"{w.this}无信息。"]))
    doc.add(Heading("（二）分类", 2))
    if d.categories:
        c = d.categories[0]
        doc.add(Para([f"信息最多的类别为「{c.key}」（{c.count} 条，诉求 {c.complaints} 条）。"
                      + (f"另有 {d.categories_missing} 条信息未分类。"
                         if d.categories_missing else "")]))
        doc.add(Figure("categories", "分类信息量", charts.bar_ranking(
            [(r.key, r.count) for r in d.categories], title="分类信息量", color="#e08a2c")),
            _breakdown_table(d.categories, "类别", w), *_left_out(d.categories_other, "类别"))
    else:
        doc.add(Para([f"{w.this}信息均未分类。" if d.volume.total else f"{w.this}无信息。"]))


def _handling(doc: Document, d: ReportData, w: Words) -> None:
    h = d.handling
    doc.add(_h(6, "处置情况"))
    rate = f"{h.same_day_rate:.1%}" if h.same_day_rate is not None else "—（无预警）"
    doc.add(Para([
        f"按照“一事一处、当天事当天决”的要求，{w.this}触发预警 {h.fired} 条，"
        f"已处置 {h.handled} 条，未处置 {h.open} 条；其中当天处置 {h.same_day} 条，"
        f"当天处置率 {rate}。已签收 {h.acknowledged} 条。"
        f"{w.this}之前触发、截至本期结束仍未处置的预警 {h.backlog} 条。"]))
    handled = [a for a in d.alerts if a.handled_at]
    if handled:
        doc.add(Table(["预警", "触发时间", "处置时间", "当天处置", "处置说明"],
                      [[[a.title], [when(a.fired_at)], [when(a.handled_at)],
                        ["是" if a.same_day else "否"], [a.handle_note or "—"]]
                       for a in handled]))
    doc.add(Para(["注：当天处置率 = 在触发当天（北京时间自然日）标记处置的预警数 / "
                  f"本期触发的预警数。处置、签收情况截至本期结束（{when(d.period.end)}），"
                  "此后的处置计入未处置，重新生成本期报告数字不变。"], note=True))


def _keywords(doc: Document, d: ReportData, w: Words) -> None:
    doc.add(_h(7, "新词热词"))
    if not d.keywords:
        doc.add(Para([f"与{w.last}相比，未发现明显上升的关键词。"]))
        return
    fresh = [k.term for k in d.keywords if k.new]
    doc.add(Para([f"与{w.last}相比，以下关键词出现次数明显上升"
                  + (f"，其中「{'」「'.join(fresh[:5])}」为新出现的词" if fresh else "") + "："]))
    doc.add(Table(["关键词", w.this, w.last, "变化", "代表信息"],
                  [[[k.term], [str(k.count)], [str(k.prev)],
                    ["新出现" if k.new else f"+{k.count - k.prev}"], cite_runs(k.cites, 1)]
                   for k in d.keywords]))


def _notes(doc: Document, d: ReportData, w: Words) -> None:
    doc.add(_h(8, "备注"), Para(["（撰写人填写：研判意见、工作建议、需要说明的情况。）"]))
    notes = [f"统计口径：发布时间在{d.period.label()}内的信息（北京时间）；"
             f"对比期为{d.previous.label()}。"]
    if d.period.partial:
        notes.append(f"本期尚未结束，数据截至 {when(d.period.end)}，"
                     f"对比期取{w.last}同一时段。")
    notes.append(f"{HEAT_NOTE}。")
    notes.append(f"报告生成时间：{d.generated_at:%Y-%m-%d %H:%M}；"
                 "全部数字来自 Elasticsearch 聚合。")
    doc.add(Bullets([[n] for n in notes]))


def compose(d: ReportData) -> Document:
    w = Words(d.period.kind)
    doc = Document(title=f"{d.county}网络舆情{w.name}", subtitle=d.period.label())
    for section in (_overview, _sentiment, _events, _alerts, _areas, _handling, _keywords,
                    _notes):
        section(doc, d, w)
    return doc

