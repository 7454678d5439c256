"""Retention and mapping migration on the real node."""

from __future__ import annotations

from datetime import datetime, timedelta

from helpers import NOW, analyzed

from storage.admin import apply_retention, migrate_items
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
