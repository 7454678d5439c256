"""Retention and mapping migration on the real node."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger
from helpers import NOW, analyzed

from storage.admin import MigrationError, apply_retention, migrate_items
from storage.items import MAPPING_VERSION
from yuqing.records import SHANGHAI


def test_retention_drops_whole_months_past_the_period(store):
    docs = [analyzed(f"http://r.test/{m}", f"月{m}", "正文",
                     published=datetime(2026, m, 15, tzinfo=SHANGHAI)) for m in range(1, 12)]
    store.index(docs, NOW, refresh=True)
    now = datetime(2026, 11, 20, tzinfo=SHANGHAI)
    would = apply_retention(store.es, store.prefix, now, 6, dry_run=True)
    assert [n[-7:] for n in would] == ["2026.01", "2026.02", "2026.03", "2026.04"]
    assert store.count() == 11
    assert apply_retention(store.es, store.prefix, now, 6) == would
    store.refresh()
    assert store.count() == 7 and store.search("", sources=["src"], size=20)[-1]["title"] == "月5"


def test_migration_copies_old_mapping_versions_and_swaps_the_alias(store):
    es, prefix = store.es, store.prefix
    old = f"{prefix}-items-v0-2026.10"
    es.indices.create(index=old, mappings={"dynamic": True})
    es.indices.put_alias(index=old, name=store.alias)
    doc = analyzed("http://m.test/1", "旧版本文档", "迁移前写入",
                   published=NOW - timedelta(days=40))
    es.index(index=old, id=doc.item.id, document=store.to_doc(doc, NOW), refresh=True)
    store.index([analyzed("http://m.test/2", "新文档", "正文")], NOW, refresh=True)
    copied = migrate_items(es, store)
    assert copied == {old: 1}
    assert not es.indices.exists(index=old)
    names = set(es.indices.get_alias(name=store.alias))
    assert names == {f"{prefix}-items-v{MAPPING_VERSION}-2026.10",
                     f"{prefix}-items-v{MAPPING_VERSION}-2026.11"}
    store.refresh()
    assert [h["title"] for h in store.search("迁移前")] == ["旧版本文档"]
    assert store.count() == 2


def _old_month(store, *docs):
    es = store.es
    old = f"{store.prefix}-items-v0-2026.10"
    es.indices.create(index=old, mappings={"dynamic": True})
    es.indices.put_alias(index=old, name=store.alias)
    for doc in docs:
        body = doc if isinstance(doc, dict) else store.to_doc(doc, NOW)
        es.index(index=old, id=body.get("id", "bad"), document=body, refresh=True)
    return old


def test_a_failed_migration_leaves_the_old_index_serving_and_a_rerun_completes_it(store):
    es = store.es
    doc = analyzed("http://m.test/1", "旧版本文档", "迁移前写入",
                   published=NOW - timedelta(days=40))
    # A field the new strict mapping does not have: the copy of that document fails.
    old = _old_month(store, doc, {"author_id": "u123"})
    with pytest.raises(MigrationError, match="author_id|strict"):
        migrate_items(es, store)
    assert set(es.indices.get_alias(name=store.alias)) == {old}
    assert [h["title"] for h in store.search("迁移前")] == ["旧版本文档"]
    es.delete(index=old, id="bad", refresh=True)  # the operator removes the bad document
    assert migrate_items(es, store) == {old: 1}
    assert set(es.indices.get_alias(name=store.alias)) == {
        f"{store.prefix}-items-v{MAPPING_VERSION}-2026.10"}
    store.refresh()
    assert [h["title"] for h in store.search("迁移前")] == ["旧版本文档"]


def test_a_crawl_write_during_the_copy_is_not_lost(store, monkeypatch):
    import storage.admin as admin

    es = store.es
    docs = [analyzed(f"http://m.test/{i}", f"旧帖{i}", "第一次抓取",
                     published=NOW - timedelta(days=40)) for i in range(3)]
    old = _old_month(store, *docs)
    real_scan = admin.helpers.scan
    later = docs[0].model_copy(update={"item": docs[0].item.model_copy(update={
        "text": "再抓一次，回复更多", "fetched_at": NOW + timedelta(minutes=5)})})

    def scan_while_crawling(*args, **kwargs):
        for n, hit in enumerate(real_scan(*args, **kwargs)):
            yield hit
            if n == 1 and kwargs["index"] == old:
                # The crawl re-fetches an item the copy has already passed; it is stored
                # in the old index, so that is where the write goes.
                assert store.index([later], NOW, refresh=True).indexed == 1
    monkeypatch.setattr(admin.helpers, "scan", scan_while_crawling)
    migrate_items(es, store)
    assert not es.indices.exists(index=old)
    store.refresh()
    assert store.count() == 3
    assert store.get(docs[0].item.id)["text"] == "再抓一次，回复更多"


def test_yuqing_run_applies_retention_daily(store, tmp_path, monkeypatch):
    """No ILM on the minimal node: unless the scheduler drops old months, a county that
    forgets the cron job keeps every month forever."""
    from yuqing.config import load_config
    from yuqing.jobs import retention_job
    from yuqing.scheduler import wanted_jobs

    monkeypatch.setenv("YUQING_DATA_DIR", str(tmp_path / "var"))
    docs = [analyzed(f"http://r.test/{m}", f"月{m}", "正文",
                     published=datetime(2024, m, 15, tzinfo=SHANGHAI)) for m in (1, 11)]
    store.index(docs, NOW, refresh=True)
    cfg = load_config(None)
    jobs = {j["id"]: j for j in wanted_jobs(cfg, None)}
    assert str(jobs["retention"]["trigger"]) == str(
        CronTrigger(hour=3, minute=30, timezone=SHANGHAI))
    # Long threads' page texts in the crawl state go with the months the index drops.
    from crawlers.state import CrawlState
    from yuqing.records import item_id_for

    st = CrawlState.for_config(cfg)
    for url, seen in (("http://bbs.test/t-1", "2024-10-31T23:00:00+08:00"),
                      ("http://bbs.test/t-2", "2024-10-31T16:00:00+00:00")):  # 11-01 00:00
        st.db.execute("INSERT INTO pages (source_id, key, url, first_seen, last_seen) "
                      "VALUES ('bbs', ?, ?, ?, ?)", (item_id_for(url), url, seen, seen))
        st.record_thread("bbs", url, {"url": url, "pages": {"2": "回复内容"}})
    st.record_thread("bbs", "http://bbs.test/t-3", {"pages": {}})  # its page row is gone
    st.close()
    gone = retention_job(cfg, datetime(2026, 11, 29, 3, 30, tzinfo=SHANGHAI))
    st = CrawlState.for_config(cfg)
    assert st.thread("bbs", "http://bbs.test/t-1") is None
    assert st.thread("bbs", "http://bbs.test/t-3") is None
    assert st.thread("bbs", "http://bbs.test/t-2") is not None
    st.close()
    assert [n[-7:] for n in gone] == ["2024.01"]  # 24 months back from Nov 2026: Nov 2024 stays
    store.refresh()
    assert store.count() == 1
    off = cfg.model_copy(update={"scheduler": cfg.scheduler.model_copy(
        update={"retention": None})})
    assert "retention" not in {j["id"] for j in wanted_jobs(off, None)}
