"""Shared builders for the console tests: seeded items and alerts, logged-in clients."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from yuqing.records import (
    SHANGHAI,
    Alert,
    AlertItem,
    Analysis,
    AnalyzedItem,
    Item,
    SentimentLabel,
    Severity,
    SourceKind,
)

PASSWORDS = {"wang": "viewer-pass-1", "li": "officer-pass-1", "zhao": "admin-pass-1"}
ROLES = {"wang": "viewer", "li": "officer", "zhao": "admin"}


def item(n: int, title: str, text: str, when: datetime, *, town: str | None,
         sentiment: float, category: str | None, event: str | None,
         source: str = "qh-forum", url: str | None = None) -> AnalyzedItem:
    url = url or f"http://forum.example.cn/t/{n}.html"
    label = (SentimentLabel.negative if sentiment < 0.4 else
             SentimentLabel.positive if sentiment > 0.6 else SentimentLabel.neutral)
    it = Item.from_url(url, source_id=source, source_kind=SourceKind.forum, title=title,
                       text=text, published_at=when, fetched_at=when, author="网名某某",
                       region=town)
    return AnalyzedItem(item=it, analysis=Analysis(
        tokens=list(title), keywords=["自来水"] if "自来水" in title else [],
        sentiment=sentiment, sentiment_label=label, complaint=sentiment < 0.4,
        category=category, townships=[town] if town else [], event_id=event))


def seed(now: datetime) -> tuple[list[AnalyzedItem], Alert]:
    items = [
        item(i, f"河口镇自来水发黄第{i}天", "沙湾村的自来水发黄还有异味，希望水厂处理。",
              now - timedelta(hours=3 + 5 * i), town="河口镇", sentiment=0.1 + i * 0.02,
              category="城乡建设", event="ev-water")
        for i in range(6)
    ] + [
        item(10, "城关镇菜市场开业", "新菜市场今天开业，居民点赞。", now - timedelta(hours=2),
              town="城关镇", sentiment=0.9, category="市场监管", event=None),
        item(11, "城关镇停水通知", "因管网检修城关镇停水一天，自来水 <script>x</script>。",
              now - timedelta(hours=1), town="城关镇", sentiment=0.5, category="城乡建设",
              event=None, source="qh-news"),
    ]
    alert = Alert(
        id="water0123456789", rule="growing_event", severity=Severity.warning,
        title="事件「河口镇自来水发黄」快速增长：24小时内6条",
        summary="24小时内6条，基线0.3条，增长20倍", fired_at=now - timedelta(hours=1),
        labels={"rule": "growing_event", "township": "河口镇", "event": "ev-water"},
        item_ids=[i.item.id for i in items[:6]], count=6, baseline=0.3, score=9.5,
        keywords=["自来水", "发黄"], places=["河口镇", "沙湾村"], category="城乡建设",
        top_items=[AlertItem(title=items[0].item.title, url=items[0].item.url)])
    return items, alert


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field in the page"
    return m.group(1)


def now() -> datetime:
    return datetime.now(SHANGHAI)
