"""Two crawl processes meeting the same issue continue one event, not two."""

from __future__ import annotations

from datetime import timedelta

from helpers import NOW

from analysis.pipeline import Analyzer
from crawlers.events_sync import EventSync
from yuqing.config import load_config
from yuqing.records import Item, SourceKind

TEXT = ("河口镇沙湾村自来水从昨天开始发黄发臭，村民不敢饮用，已经向水厂反映多次，"
        "至今没有任何答复，希望有关部门尽快派人检查水质并给出说法。")


def item(n: int, source: str, minutes: int) -> Item:
    when = NOW + timedelta(minutes=minutes)
    return Item.from_url(f"https://{source}.test/t/{n}", source_id=source,
                         source_kind=SourceKind.forum, title="河口镇自来水发黄发臭",
                         text=TEXT + ("（转）" if n else ""), published_at=when,
                         fetched_at=when)


def test_a_repost_joins_the_event_another_process_started(store):
    cfg = load_config(None)
    # Two crawl processes, both started (warmed) before either saw the issue.
    a, b = Analyzer.from_config(cfg), Analyzer.from_config(cfg)
    sync_a, sync_b = EventSync(a, store, every=0), EventSync(b, store, every=0)
    assert sync_a.warm(NOW) == 0 and sync_b.warm(NOW) == 0
    first = a.analyze(item(0, "forum-a", 1))
    store.index([first], NOW, refresh=True)
    # Without catching up, b would start an event of its own for the repost:
    alone = Analyzer.from_config(cfg).analyze(item(1, "forum-b", 2))
    assert alone.analysis.event_id != first.analysis.event_id
    assert sync_b.catch_up(NOW + timedelta(minutes=2)) == 1
    repost = b.analyze(item(1, "forum-b", 2))
    assert repost.analysis.event_id == first.analysis.event_id
    # Catching up again reads only newer writes and restores nothing twice.
    store.index([repost], NOW, refresh=True)
    assert sync_a.catch_up(NOW + timedelta(minutes=3)) == 1  # b's repost, into a's event
    assert sync_b.catch_up(NOW + timedelta(minutes=3)) == 0  # its own item
    assert a.events.events[first.analysis.event_id].item_ids == [first.item.id,
                                                                repost.item.id]


def test_catch_up_is_rate_limited_and_retries_a_failed_warm_start(store):
    analyzer = Analyzer.from_config(load_config(None))
    sync = EventSync(analyzer, store, every=3600)
    assert not sync.warmed
    assert sync.catch_up(NOW) == 0 and sync.warmed  # first call: the warm start
    other = Analyzer.from_config(load_config(None)).analyze(item(0, "forum-a", 1))
    store.index([other], NOW, refresh=True)
    assert sync.catch_up(NOW) == 0  # within the hour: not looked for
    assert sync.catch_up(NOW, force=True) == 1
