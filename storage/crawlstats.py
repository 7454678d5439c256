"""Per-source crawl statistics in ``<prefix>-crawlstats``, for crawl-health alerts.

Two kinds of documents in one small index: ``kind: source`` (id = source id, the latest
state of a source: last run, last success, last new items, usual gap between items) and
``kind: run`` (id = source id + run start, one per crawl run, the history). The crawl
state's SQLite copy is the working copy; this index is what detection and the console read.
"""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch, helpers

_PROPERTIES: dict[str, Any] = {
    "kind": {"type": "keyword"},
    "source_id": {"type": "keyword"},
    "template": {"type": "keyword"},
    "started_at": {"type": "date"},
    "finished_at": {"type": "date"},
    "last_run": {"type": "date"},
    "last_success": {"type": "date"},
    "last_new_items_at": {"type": "date"},
    "newest_published_at": {"type": "date"},
    "finish_reason": {"type": "keyword"},
    "last_finish_reason": {"type": "keyword"},
    "success": {"type": "boolean"},
    "median_gap_minutes": {"type": "float"},
    # errors / last_errors: {reason: count}; reasons are open-ended, so not mapped as fields.
    "errors": {"type": "object", "enabled": False},
    "last_errors": {"type": "object", "enabled": False},
}


class CrawlStatsStore:
    def __init__(self, es: Elasticsearch, prefix: str = "yuqing"):
        self.es = es
        self.index = f"{prefix}-crawlstats"

    def ensure_index(self) -> None:
        if not self.es.indices.exists(index=self.index):
            self.es.options(ignore_status=400).indices.create(
                index=self.index,
                settings={"number_of_shards": 1, "number_of_replicas": 0},
                # Counters (pages, items_new, ...) are mapped dynamically as longs.
                mappings={"dynamic": True, "properties": _PROPERTIES})

    def write(self, latest: list[dict[str, Any]], runs: list[dict[str, Any]]) -> None:
        """Upsert the latest doc of each source and add the run history docs; idempotent."""
        actions = [{"_index": self.index, "_id": f"source:{d['source_id']}",
                    "_source": {**d, "kind": "source"}} for d in latest]
        actions += [{"_index": self.index, "_id": f"run:{r['source_id']}:{r['started_at']}",
                     "_source": {**r, "kind": "run"}} for r in runs]
        if actions:
            helpers.bulk(self.es, actions, refresh="wait_for")

    def latest(self, source_id: str) -> dict[str, Any] | None:
        resp = self.es.options(ignore_status=404).get(index=self.index,
                                                      id=f"source:{source_id}")
        return resp.get("_source") if resp.get("found") else None

    def runs(self, source_id: str, size: int = 50) -> list[dict[str, Any]]:
        resp = self.es.search(index=self.index, size=size, sort=[{"started_at": "desc"}],
                              query={"bool": {"filter": [{"term": {"kind": "run"}},
                                                         {"term": {"source_id": source_id}}]}})
        return [h["_source"] for h in resp["hits"]["hits"]]
