"""Small builders for tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from yuqing.records import SHANGHAI, Analysis, AnalyzedItem, Item, SentimentLabel, SourceKind

NOW = datetime(2026, 11, 20, 15, 30, tzinfo=SHANGHAI)


def analyzed(url: str, title: str, text: str, *, source: str = "src",
             kind: SourceKind = SourceKind.forum, published: datetime | None = None,
             tokens: list[str] | None = None, sentiment: float = 0.5,
             event_id: str | None = None) -> AnalyzedItem:
    item = Item.from_url(url, source_id=source, source_kind=kind, title=title, text=text,
                         published_at=published or NOW - timedelta(hours=1), fetched_at=NOW)
    label = (SentimentLabel.negative if sentiment < 0.4 else
             SentimentLabel.positive if sentiment > 0.6 else SentimentLabel.neutral)
    return AnalyzedItem(item=item, analysis=Analysis(
        tokens=tokens or list(text), keywords=[], sentiment=sentiment, sentiment_label=label,
        event_id=event_id))
