"""Two crawl processes meeting the same issue continue one event, not two."""

from __future__ import annotations

from datetime import datetime, timedelta

from helpers import NOW

from analysis.pipeline import Analyzer
from crawlers.events_sync import EventSync
from yuqing.config import load_config
from yuqing.records import SHANGHAI, Item, SourceKind

TEXT = ("河口镇沙湾村自来水从昨天开始发黄发臭，村民不敢饮用，已经向水厂反映多次，"
        "至今没有任何答复，希望有关部门尽快派人检查水质并给出说法。")


def item(n: int, source: str, minutes: int, base: datetime = NOW) -> Item:
    when = base + timedelta(minutes=minutes)
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
    assert list(a.events.events[first.analysis.event_id].item_ids) == [first.item.id,
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


def test_a_story_split_by_two_processes_is_merged_in_storage(store):
    from storage import event_store

    cfg = load_config(None)
    events = event_store(cfg)
    a, b = Analyzer.from_config(cfg), Analyzer.from_config(cfg)
    sync_a, sync_b = EventSync(a, store, every=0), EventSync(b, store, every=0)
    sync_a.warm(NOW), sync_b.warm(NOW)
    # Both found an event for the story within the same few seconds.
    first, repost = a.analyze(item(0, "forum-a", 1)), b.analyze(item(1, "forum-b", 2))
    assert first.analysis.event_id != repost.analysis.event_id
    store.index([first, repost], NOW, refresh=True)
    events.upsert([a.events.record(first.analysis.event_id),
                   b.events.record(repost.analysis.event_id)], NOW, refresh=True)
    # Each catches up with the other's write, merges and persists.
    assert sync_a.catch_up(NOW + timedelta(minutes=3)) == 1
    assert sync_a.persist(events) == (1, 0)  # b's repost relabelled by a
    store.refresh()
    assert sync_b.catch_up(NOW + timedelta(minutes=3)) >= 1
    assert sync_b.persist(events)[1] == 0
    store.refresh(), events.refresh()
    survivor = first.analysis.event_id  # the older founder
    assert {store.get(i.item.id)["event_id"] for i in (first, repost)} == {survivor}
    assert events.get(repost.analysis.event_id) is None
    assert events.get(survivor) is not None
    assert b.events.resolve(repost.analysis.event_id) == survivor
    assert b.analyze(item(2, "forum-b", 4)).analysis.event_id == survivor


def test_a_merge_that_cannot_be_stored_is_retried(store):
    from elasticsearch import Elasticsearch

    from storage import ItemStore, event_store

    cfg = load_config(None)
    a, b = Analyzer.from_config(cfg), Analyzer.from_config(cfg)
    sync_a = EventSync(a, store, every=0)
    sync_a.warm(NOW)
    first, repost = a.analyze(item(0, "forum-a", 1)), b.analyze(item(1, "forum-b", 2))
    store.index([first, repost], NOW, refresh=True)
    sync_a.catch_up(NOW + timedelta(minutes=3))
    # Storage unreachable when the merge is persisted: nothing relabelled, merge kept.
    sync_a.store = ItemStore(Elasticsearch("http://127.0.0.1:9", request_timeout=1),
                             store.prefix)
    assert sync_a.persist(event_store(cfg)) == (0, 0)
    sync_a.store = store
    assert sync_a.persist(event_store(cfg)) == (1, 0)
    store.refresh()
    assert store.get(repost.item.id)["event_id"] == first.analysis.event_id


def test_crawl_pipelines_merge_a_split_and_relabel_what_they_hold(store, tmp_path):
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from crawlers.pipelines import AnalyzeIndexPipeline

    def pipeline():  # one crawl process: its own config, analyzer and sync
        cfg = load_config(None).model_copy(update={"data_dir": tmp_path})
        p = AnalyzeIndexPipeline.from_crawler(
            get_crawler(Spider, {"YUQING_CONFIG_OBJ": cfg}))
        p.flush_seconds, p.batch_size, p.sync.every = 3600, 1000, 0
        return p

    # A crawl works in wall-clock time (its event window ends now).
    base = datetime.now(SHANGHAI) - timedelta(hours=1)
    pa, pb = pipeline(), pipeline()
    assert pa.analyzer is not pb.analyzer
    pa.process_item(item(0, "forum-a", 1, base))
    # b founds its own event: a's item is not stored yet.
    pb.process_item(item(1, "forum-b", 2, base))
    ea, eb = pa.buffer[0].analysis.event_id, pb.buffer[0].analysis.event_id
    assert ea != eb
    pa.flush(), pb.flush(), store.refresh()
    pb.sync.every = 3600  # b's repost comes before b's next catch-up: held with b's event
    pb.process_item(item(2, "forum-b", 3, base))
    assert pb.buffer[-1].analysis.event_id == eb
    pb.sync.every = 0
    pa.process_item(item(3, "forum-a", 4, base))  # a catches up: merges, relabels b's item 1
    pa.flush(), store.refresh()
    pb.process_item(item(4, "forum-b", 5, base))  # b catches up and merges too
    pb.flush(), pb.close_spider()
    store.refresh(), pa.events.refresh()
    stored = {d["id"]: d["event_id"] for d in store.iter_query({"match_all": {}})}
    assert len(stored) == 5 and set(stored.values()) == {ea}, stored
    assert pa.events.get(eb) is None and pa.events.get(ea)["item_count"] >= 4
