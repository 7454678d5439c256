"""The Chinese alert message: why it fired, the evidence, within a channel's size limit.

Limits are counted in UTF-8 bytes of title + body, because the robots' limits are byte
limits. Python strings are cut by character, so a multi-byte character is never split;
item lists shrink first and the message says how many were left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from yuqing.records import SHANGHAI, Alert

SEVERITY_ZH = {"critical": "严重", "warning": "警告", "info": "提示"}
KIND_ZH = {"first": "", "update": "（更新）", "repeat": "（仍在持续）",
           "escalation": "（升级：未确认）"}


def size(text: str) -> int:
    return len(text.encode("utf-8"))


def _when(t: datetime | None) -> str:
    return t.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if t else "未知"


def _growth(a: Alert) -> str:
    if a.baseline > 0:
        ratio = a.count / a.baseline
        return f"增长 {ratio - 1:+.0%}（{ratio:.1f} 倍）"
    return "基线为 0（新出现）"


def _header(a: Alert) -> list[str]:
    sev = SEVERITY_ZH.get(a.severity.value, a.severity.value)
    where = a.labels.get("township") or "、".join(a.places[:3]) or "未识别"
    lines = [
        f"■ {a.title}",
        f"级别：{sev}｜规则：{a.rule}｜类别：{a.category or '未分类'}｜乡镇：{where}",
        f"数量：{a.count} 条，基线 {a.baseline:.1f} 条，{_growth(a)}",
    ]
    if a.summary:
        lines.append(f"说明：{a.summary}")
    if a.keywords:
        lines.append(f"关键词：{'、'.join(a.keywords[:8])}")
    if a.places:
        lines.append(f"地点：{'、'.join(a.places[:8])}")
    lines.append(f"首次出现：{_when(a.first_seen or a.fired_at)}　最近：{_when(a.last_seen)}")
    return lines


def _items(a: Alert) -> list[str]:
    if a.top_items:
        return [f"{i}. {it.title}\n   {it.url}" for i, it in enumerate(a.top_items, 1)]
    return [f"{i}. {u}" for i, u in enumerate(a.urls, 1)]


def _section(a: Alert, shown: int) -> str:
    items = _items(a)
    lines = _header(a)
    if items:
        total = max(len(items), a.count, len(a.item_ids))
        lines.append(f"相关条目（共 {total} 条）：")
        lines.extend(items[:shown])
        if total > min(shown, len(items)):
            lines.append(f"……另有 {total - min(shown, len(items))} 条未列出")
    lines.append(f"告警编号：{a.id}")
    return "\n".join(lines)


def _title(alerts: Sequence[Alert], kind: str) -> str:
    first = alerts[0]
    worst = max(alerts, key=lambda a: ["info", "warning", "critical"].index(a.severity.value))
    sev = SEVERITY_ZH.get(worst.severity.value, worst.severity.value)
    more = f" 等 {len(alerts)} 条告警" if len(alerts) > 1 else ""
    return f"【舆情{sev}】{first.title}{more}{KIND_ZH.get(kind, '')}"


def _cut(text: str, budget: int) -> str:
    """Cut to at most ``budget`` bytes on a character boundary, marking the cut."""
    if size(text) <= budget:
        return text
    mark = "…（已截断）"
    room = max(0, budget - size(mark))
    out = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return out + mark if budget >= size(mark) else out


def render(alerts: Sequence[Alert], *, kind: str = "first",
           limit: int | None = None) -> tuple[str, str]:
    """(title, body) for a group of alerts; ``limit`` bounds title + body in UTF-8 bytes."""
    if not alerts:
        raise ValueError("nothing to render")
    title = _title(alerts, kind)
    if limit is not None:
        title = _cut(title, max(limit // 4, 40))
    budget = None if limit is None else limit - size(title)
    most = max(len(_items(a)) for a in alerts)
    for shown in range(min(most, 10), -1, -1):
        body = "\n\n".join(_section(a, shown) for a in alerts)
        if budget is None or size(body) <= budget:
            return title, body
    # Even without item lists the group is too big: list whole alerts while they fit.
    assert budget is not None
    sections: list[str] = []
    for i, a in enumerate(alerts):
        rest = len(alerts) - i - 1
        tail = f"\n\n……另有 {rest} 条告警未列出" if rest else ""
        candidate = "\n\n".join([*sections, _section(a, 0)])
        if size(candidate + tail) > budget:
            break
        sections.append(_section(a, 0))
    if not sections:
        return title, _cut(_section(alerts[0], 0), budget)
    left = len(alerts) - len(sections)
    body = "\n\n".join(sections)
    if left:
        body += f"\n\n……另有 {left} 条告警未列出"
    return title, body
