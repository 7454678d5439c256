"""The Chinese alert message: why it fired, the evidence, within a channel's size limit.

Limits are counted in UTF-8 bytes of title + body, because the robots' limits are byte
limits. Item lists shrink first and the message says how many were left out; a text that
must still be cut is cut at a line end, so no link is left half there (a phone would open
the half).

Messages go out as plain text, and post titles are strangers' text: their line breaks are
folded, so a title cannot start a line of its own that reads as a link or as part of the
message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from yuqing.records import RECURRENCE_PREFIX, SHANGHAI, Alert, figure

SEVERITY_ZH = {"critical": "严重", "warning": "警告", "info": "提示"}
RULE_ZH = {"growing_event": "事件增长", "growing_place_category": "乡镇分类增长",
           "growing_scheme": "监测方案", "crawl_health": "信息源健康"}
KIND_ZH = {"first": "", "update": "（更新）", "repeat": "（仍在持续）",
           "escalation": "（升级：未确认）"}


_BREAKS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def size(text: str) -> int:
    return len(text.encode("utf-8"))


def one_line(text: str) -> str:
    """Text from a post (title, keyword, place) as one line of the message."""
    return _BREAKS.sub(" ", text).strip()


def alert_link(console_url: str | None, alert_id: str) -> str | None:
    """The console page of an alert, where it is acknowledged and handled; None without a
    configured console address (a phone cannot reach the console's bind address)."""
    return f"{console_url.rstrip('/')}/alerts/{alert_id}" if console_url else None


def _where(a: Alert) -> str:
    """The township (grid cell) of an alert, or the places its items name."""
    return one_line(a.labels.get("township") or "、".join(a.places[:3]))


def _when(t: datetime | None) -> str:
    return t.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if t else "未知"


def _growth(a: Alert) -> str:
    if a.baseline > 0:
        ratio = a.count / a.baseline
        return f"增长 {ratio - 1:+.0%}（{figure(ratio)} 倍）"
    return "基线为 0（新出现）"


def _header(a: Alert, link: str | None) -> list[str]:
    sev = SEVERITY_ZH.get(a.severity.value, a.severity.value)
    rule = RULE_ZH.get(a.rule, a.rule)
    lines = [f"■ {one_line(a.title)}"]
    if link:
        lines.append(f"详情与确认：{link}")
    if a.rule == "crawl_health":
        # A source, not complaints: no count, baseline or township to speak of.
        lines += [f"级别：{sev}｜类型：{rule}｜信息源：{one_line(a.labels.get('source', ''))}",
                  f"情况：{one_line(a.summary)}",
                  f"开始：{_when(a.first_seen or a.fired_at)}",
                  "处理：请确认该网站能否打开、栏目地址或页面模板是否变动；恢复前该来源的新帖"
                  "可能漏采，请人工巡查"]
        return lines
    lines += [
        f"级别：{sev}｜规则：{rule}｜类别：{one_line(a.category or '未分类')}｜乡镇："
        f"{_where(a) or '未识别'}",
        f"数量：{a.count} 条，基线 {figure(a.baseline)} 条，{_growth(a)}",
    ]
    if a.summary:
        lines.append(f"说明：{one_line(a.summary)}")
    if a.keywords:
        lines.append(f"关键词：{one_line('、'.join(a.keywords[:8]))}")
    if a.places:
        lines.append(f"地点：{one_line('、'.join(a.places[:8]))}")
    lines.append(f"首次出现：{_when(a.first_seen or a.fired_at)}　最近：{_when(a.last_seen)}")
    return lines


def _items(a: Alert) -> list[str]:
    if a.top_items:
        return [f"{i}. {one_line(it.title)}\n   {one_line(it.url)}"
                for i, it in enumerate(a.top_items, 1)]
    return [f"{i}. {one_line(u)}" for i, u in enumerate(a.urls, 1)]


def _section(a: Alert, shown: int, console_url: str | None = None) -> str:
    items = _items(a)
    lines = _header(a, alert_link(console_url, a.id))
    if items:
        total = max(len(items), a.count, len(a.item_ids))
        lines.append(f"相关条目（共 {total} 条）：")
        lines.extend(items[:shown])
        if total > min(shown, len(items)):
            lines.append(f"……另有 {total - min(shown, len(items))} 条未列出")
    lines.append(f"预警编号：{a.id}")
    return "\n".join(lines)


def _title(alerts: Sequence[Alert], kind: str) -> str:
    first = alerts[0]
    worst = max(alerts, key=lambda a: ["info", "warning", "critical"].index(a.severity.value))
    sev = SEVERITY_ZH.get(worst.severity.value, worst.severity.value)
    more = f" 等 {len(alerts)} 条预警" if len(alerts) > 1 else ""
    title = one_line(first.title)
    # One lead in 【】, as every message has: a recurrence says so inside it.
    lead = f"舆情{sev}"
    if first.labels.get("recurrence_of") and title.startswith(RECURRENCE_PREFIX):
        title = title.removeprefix(RECURRENCE_PREFIX)
        lead += f"·{RECURRENCE_PREFIX.strip('【】')}"
    # The title is all a locked phone shows: the township leads unless the title has it.
    where = _where(first).split("、")[0]
    place = f"{where}｜" if where and where not in title else ""
    return f"【{lead}】{place}{title}{more}{KIND_ZH.get(kind, '')}"


def _cut(text: str, budget: int) -> str:
    """Cut to at most ``budget`` bytes, marking the cut: after the last whole line that
    fits, or (one long line) on a character boundary before a space-free run such as a
    URL, so a link is either whole or gone."""
    if size(text) <= budget:
        return text
    mark = "…（已截断）"
    room = max(0, budget - size(mark))
    out = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    if "\n" in out:
        out = out[:out.rindex("\n") + 1]
    else:
        out = re.sub(r"\S*$", "", out) if re.search(r"\s", out) else out
    return out + mark if budget >= size(mark) else out


def render(alerts: Sequence[Alert], *, kind: str = "first", limit: int | None = None,
           console_url: str | None = None) -> tuple[str, str]:
    """(title, body) for a group of alerts; ``limit`` bounds title + body in UTF-8 bytes;
    ``console_url``: the console's address as the phone reaches it, for a link to each
    alert's page."""
    if not alerts:
        raise ValueError("nothing to render")
    title = _title(alerts, kind)
    if limit is not None:
        title = _cut(title, max(limit // 4, 40))
    budget = None if limit is None else limit - size(title)
    most = max(len(_items(a)) for a in alerts)
    for shown in range(min(most, 10), -1, -1):
        body = "\n\n".join(_section(a, shown, console_url) for a in alerts)
        if budget is None or size(body) <= budget:
            return title, body
    # Even without item lists the group is too big: list whole alerts while they fit.
    assert budget is not None
    sections: list[str] = []
    for i, a in enumerate(alerts):
        rest = len(alerts) - i - 1
        tail = f"\n\n……另有 {rest} 条预警未列出" if rest else ""
        candidate = "\n\n".join([*sections, _section(a, 0, console_url)])
        if size(candidate + tail) > budget:
            break
        sections.append(_section(a, 0, console_url))
    if not sections:
        return title, _cut(_section(alerts[0], 0, console_url), budget)
    left = len(alerts) - len(sections)
    body = "\n\n".join(sections)
    if left:
        body += f"\n\n……另有 {left} 条预警未列出"
    return title, body
