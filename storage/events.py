"""Events in Elasticsearch: one document per event (cluster of same-issue items).

The crawl pipeline upserts the events its items touched; the console and reports read
them. Items carry their ``event_id`` too, so every figure can also be aggregated from the
items index; this index holds what aggregations cannot: title, first/last seen, heat.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from elasticsearch import helpers

from yuqing.records import Event

from .alerts_store import _VersionedIndex

EVENT_PROPERTIES: dict[str, Any] = {
    "id": {"type": "keyword"},
    "title": {"type": "text", "analyzer": "standard",
              "fields": {"raw": {"type": "keyword", "ignore_above": 512}}},
    "first_seen": {"type": "date"},
    "last_seen": {"type": "date"},
    "item_ids": {"type": "keyword"},
    "item_count": {"type": "integer"},
    "heat": {"type": "float"},
    "keywords": {"type": "keyword"},
    "places": {"type": "keyword"},
    "category": {"type": "keyword"},
    "negative_share": {"type": "float"},
    "updated_at": {"type": "date"},
}


class EventStore(_VersionedIndex):
    kind = "events"
    properties = EVENT_PROPERTIES

    _ensured = False

    def upsert(self, events: Iterable[Event], now: datetime, *, refresh: bool = False) -> int:
        if not self._ensured:  # the index is created on first use, once per process
            self.ensure()
            self._ensured = True
        actions = []
        for ev in events:
            doc = ev.to_json_dict()
            doc.update(item_count=len(ev.item_ids), updated_at=now.isoformat())
            actions.append({"_op_type": "index", "_index": self.index, "_id": ev.id,
                            "_source": doc})
        ok, _ = helpers.bulk(self.es, actions, refresh=refresh) if actions else (0, [])
        return int(ok)

    def delete(self, event_ids: Iterable[str], *, refresh: bool = False) -> int:
        """Remove events merged into others (absent ones are no error)."""
        actions = [{"_op_type": "delete", "_index": self.index, "_id": eid}
                   for eid in event_ids]
        if not actions:
            return 0
        ok, _ = helpers.bulk(self.es, actions, refresh=refresh, raise_on_error=False)
        return int(ok)

    def get(self, event_id: str) -> dict[str, Any] | None:
        hits = self._search({"ids": {"values": [event_id]}}, 1, [])
        return hits[0] if hits else None

    def top(self, *, since: datetime | None = None, size: int = 20) -> list[dict[str, Any]]:
        query: dict[str, Any] = ({"range": {"last_seen": {"gte": since.isoformat()}}}
                                 if since else {"match_all": {}})
        return self._search(query, size, [{"heat": {"order": "desc"}}])
