"""Report figures that must be exact whatever the data's shape, and that a past period's
report says what was true at its end, against the real Elasticsearch node."""

from __future__ import annotations

from datetime import timedelta

from test_report import W46, W47, _item

from reports import build
from storage import ItemStore
from yuqing.config import load_config
from yuqing.records import SourceKind

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

