"""Alert state and silences in Elasticsearch.

``<prefix>-alerts`` holds one document per alert id (firing/resolved, acknowledged,
handled); ``<prefix>-silences`` one per silence. Each is a versioned index
(``<prefix>-alerts-v1``) behind an alias, like the items index, so a mapping change is a
reindex plus an alias swap. Upserts are partial-document updates: re-firing an alert
rewrites its evidence but never touches the ack/handle fields, and no script (painless
is absent from the minimal distribution) is needed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from elasticsearch import Elasticsearch
from elasticsearch import exceptions as es_exc

from alerts.silences import Silence
from yuqing.records import Alert

from .client import StorageUnavailable, search_pages

MAPPING_VERSION = 1

ALERT_PROPERTIES: dict[str, Any] = {
    "id": {"type": "keyword"},
    "rule": {"type": "keyword"},
    "severity": {"type": "keyword"},
    "title": {"type": "text", "analyzer": "standard"},
    "summary": {"type": "text", "analyzer": "standard"},
    "fired_at": {"type": "date"},
    # Free labels are kept whole in _source; label_pairs ("township=河口镇") is what filters.
    "labels": {"type": "object", "enabled": False},
    "label_pairs": {"type": "keyword"},
    "item_ids": {"type": "keyword"},
    "urls": {"type": "keyword", "index": False},
    "keywords": {"type": "keyword"},
    "places": {"type": "keyword"},
    "category": {"type": "keyword"},
    "count": {"type": "integer"},
    "baseline": {"type": "float"},
    "score": {"type": "float"},
    "status": {"type": "keyword"},
    "first_seen": {"type": "date"},
    "last_seen": {"type": "date"},
    "top_items": {"type": "object", "enabled": False},
    "updated_at": {"type": "date"},
    "resolved_at": {"type": "date"},
    "acknowledged_by": {"type": "keyword"},
    "acknowledged_at": {"type": "date"},
    "handled_by": {"type": "keyword"},
    "handled_at": {"type": "date"},
    "handle_note": {"type": "text", "analyzer": "standard"},
}

SILENCE_PROPERTIES: dict[str, Any] = {
    "id": {"type": "keyword"},
    "matchers": {"type": "keyword"},
    "starts_at": {"type": "date"},
    "ends_at": {"type": "date"},
    "created_by": {"type": "keyword"},
    "comment": {"type": "text", "analyzer": "standard"},
    "created_at": {"type": "date"},
}

_UNAVAILABLE = (es_exc.ConnectionError, es_exc.ConnectionTimeout)


class _VersionedIndex:
    kind = ""
    properties: dict[str, Any] = {}

    def __init__(self, es: Elasticsearch, prefix: str = "yuqing", *, shards: int = 1,
                 replicas: int = 0):
        self.es, self.prefix, self.shards, self.replicas = es, prefix, shards, replicas

    @property
    def alias(self) -> str:
        return f"{self.prefix}-{self.kind}"

    @property
    def index(self) -> str:
        return f"{self.prefix}-{self.kind}-v{MAPPING_VERSION}"

    def ensure(self) -> None:
        """Template + the versioned index behind its alias; safe to call every time."""
        try:
            self.es.indices.put_index_template(
                name=self.index, index_patterns=[f"{self.index}*"], priority=200,
                template={
                    "settings": {"number_of_shards": self.shards,
                                 "number_of_replicas": self.replicas},
                    "mappings": {"dynamic": "strict", "properties": self.properties,
                                 "_meta": {"mapping_version": MAPPING_VERSION}},
                    "aliases": {self.alias: {}},
                },
                meta={"owner": "yuqing", "mapping_version": MAPPING_VERSION})
            if not self.es.indices.exists(index=self.index):
                self.es.options(ignore_status=400).indices.create(index=self.index)
        except _UNAVAILABLE as exc:
            raise StorageUnavailable(f"Elasticsearch unavailable: {exc}") from exc

    def refresh(self) -> None:
        self.es.indices.refresh(index=self.alias, ignore_unavailable=True)

    def _search(self, query: dict[str, Any], size: int, sort: list[Any]) -> list[dict]:
        if not self.es.indices.exists_alias(name=self.alias):
            return []
        resp = self.es.search(index=self.alias, query=query, size=size, sort=sort)
        return [h["_source"] for h in resp["hits"]["hits"]]

    def _every(self, query: dict[str, Any], page: int = 1000) -> list[dict]:
        """Every match, however many (paged on the unique id)."""
        try:
            if not self.es.indices.exists_alias(name=self.alias):
                return []
            return [h["_source"] for h in search_pages(self.es, self.alias, query,
                                                       [{"id": "asc"}], page)]
        except _UNAVAILABLE as exc:
            raise StorageUnavailable(f"Elasticsearch unavailable: {exc}") from exc


MIN_PREFIX = 4  # characters of an id an officer must type
_DECIDE_ATTEMPTS = 10


class AmbiguousId(LookupError):
    pass


class AlreadyHandled(ValueError):
    """The alert was handled before: the first handling stands (the report's same-day
    rate and the record of who answered rest on it). ``doc`` is the stored alert."""

    def __init__(self, doc: dict[str, Any]):
        self.doc = doc
        super().__init__(f"预警 {doc['id'][:12]} 已由 {doc.get('handled_by')} 于 "
                         f"{str(doc.get('handled_at'))[:16].replace('T', ' ')} 处置："
                         f"{doc.get('handle_note') or ''}")


class AlertStore(_VersionedIndex):
    kind = "alerts"
    properties = ALERT_PROPERTIES

    def upsert(self, alerts: Iterable[Alert], now: datetime, *, refresh: bool = False) -> int:
        """Insert or update alerts; acknowledgement and handling fields are left alone."""
        n = 0
        for a in alerts:
            doc = a.to_json_dict()
            doc["label_pairs"] = [f"{k}={v}" for k, v in sorted(a.labels.items())]
            doc["updated_at"] = now.isoformat()
            doc["resolved_at"] = now.isoformat() if a.status.value == "resolved" else None
            try:
                self.es.update(index=self.index, id=a.id, doc=doc, doc_as_upsert=True,
                               retry_on_conflict=3)
            except _UNAVAILABLE as exc:
                raise StorageUnavailable(f"Elasticsearch unavailable: {exc}") from exc
            n += 1
        if refresh:
            self.refresh()
        return n

    def get(self, alert_id: str) -> dict[str, Any] | None:
        """By id or by a unique id prefix (ids are long hashes; officers type the start)."""
        hits = self._search({"ids": {"values": [alert_id]}}, 1, [])
        if hits:
            return hits[0]
        if len(alert_id) < MIN_PREFIX:
            # "a" would act on whichever single alert happens to start with it.
            return None
        hits = self._search({"prefix": {"id": alert_id}}, 2, [])
        if len(hits) > 1:
            raise AmbiguousId(f"{alert_id!r} matches several alerts; give more characters")
        return hits[0] if hits else None

    @staticmethod
    def _listing(status: str | None, open_only: bool) -> dict[str, Any]:
        filters = [{"term": {"status": status}}] if status else []
        must_not = [{"exists": {"field": "handled_at"}}] if open_only else []
        return {"bool": {"filter": filters, "must_not": must_not}}

    def list(self, *, status: str | None = None, open_only: bool = False,
             size: int = 50) -> list[dict[str, Any]]:
        return self._search(self._listing(status, open_only), size,
                            [{"fired_at": {"order": "desc"}}])

    def count(self, *, status: str | None = None, open_only: bool = False) -> int:
        """How many alerts ``list`` would give without its size limit."""
        try:
            if not self.es.indices.exists_alias(name=self.alias):
                return 0
            return int(self.es.count(index=self.alias,
                                     query=self._listing(status, open_only))["count"])
        except _UNAVAILABLE as exc:
            raise StorageUnavailable(f"Elasticsearch unavailable: {exc}") from exc

    def firing_or_fired_since(self, since: datetime, *, page: int = 1000
                              ) -> list[dict[str, Any]]:
        """Every alert still firing and every alert fired at or after ``since``: all that a
        detection cycle needs (cool-downs, resolution, reminders), and all of it."""
        return self._every({"bool": {"should": [
            {"term": {"status": "firing"}},
            {"range": {"fired_at": {"gte": since.isoformat()}}}],
            "minimum_should_match": 1}}, page)

    def for_handover(self, start: datetime, until: datetime, *, page: int = 1000
                     ) -> list[dict[str, Any]]:
        """Every alert fired or handled in [start, until) and every one still open
        (firing, not handled): what a shift hands over, however busy the shifts after."""
        span = {"gte": start.isoformat(), "lt": until.isoformat()}
        return self._every({"bool": {"should": [
            {"range": {"fired_at": span}}, {"range": {"handled_at": span}},
            {"bool": {"filter": [{"term": {"status": "firing"}}],
                      "must_not": [{"exists": {"field": "handled_at"}}]}}],
            "minimum_should_match": 1}}, page)

    def firing(self, *, page: int = 1000) -> list[dict[str, Any]]:
        """Every firing alert (escalation must see each one)."""
        return self._every({"term": {"status": "firing"}}, page)

    def _decide(self, alert_id: str,
                decide: Callable[[dict[str, Any]], dict[str, Any] | None]) -> dict[str, Any]:
        """Write ``decide(stored alert)`` (None: nothing to write) only onto the version it
        was decided on: between a read and a write a colleague may have acknowledged or
        handled it (and detection re-fired it), and a plain update would overwrite the
        first handling with the second. On a conflict the decision is made again."""
        found = self.get(alert_id)
        if found is None:
            raise KeyError(alert_id)
        for _ in range(_DECIDE_ATTEMPTS):
            cur = self.es.get(index=self.index, id=found["id"])  # real-time, unlike search
            doc = cur["_source"]
            fields = decide(doc)
            if fields is None:
                return doc
            try:
                self.es.update(index=self.index, id=doc["id"], doc=fields, refresh=True,
                               if_seq_no=cur["_seq_no"], if_primary_term=cur["_primary_term"])
            except es_exc.ConflictError:
                continue
            return {**doc, **fields}
        raise StorageUnavailable(f"alert {found['id']} kept changing under "
                                 f"{_DECIDE_ATTEMPTS} attempts to update it")

    def acknowledge(self, alert_id: str, by: str, now: datetime) -> dict[str, Any]:
        """The first acknowledgement stands: a colleague's second click neither moves the
        time escalation stopped at nor the name of who saw it first."""
        return self._decide(alert_id, lambda doc: None if doc.get("acknowledged_at") else {
            "acknowledged_by": by, "acknowledged_at": now.isoformat()})

    def handle(self, alert_id: str, by: str, note: str, now: datetime) -> dict[str, Any]:
        """Raises AlreadyHandled when it was: the first handling stands."""
        def decide(doc: dict[str, Any]) -> dict[str, Any]:
            if doc.get("handled_at"):
                raise AlreadyHandled(doc)
            fields = {"handled_by": by, "handled_at": now.isoformat(), "handle_note": note}
            if not doc.get("acknowledged_at"):
                # Handling implies having seen it; keeps "open = not acknowledged" true.
                fields.update({"acknowledged_by": by, "acknowledged_at": now.isoformat()})
            return fields

        return self._decide(alert_id, decide)


class SilenceStore(_VersionedIndex):
    kind = "silences"
    properties = SILENCE_PROPERTIES

    def add(self, silence: Silence) -> None:
        try:
            self.es.index(index=self.index, id=silence.id, document=silence.model_dump(
                mode="json"), refresh=True)
        except _UNAVAILABLE as exc:
            raise StorageUnavailable(f"Elasticsearch unavailable: {exc}") from exc

    def get(self, silence_id: str) -> Silence | None:
        hits = self._search({"bool": {"should": [{"ids": {"values": [silence_id]}},
                                                 {"prefix": {"id": silence_id}}]}}, 2, [])
        if len(hits) > 1:
            raise AmbiguousId(f"{silence_id!r} matches several silences")
        return Silence.model_validate(hits[0]) if hits else None

    def list(self, *, active_at: datetime | None = None, size: int = 500) -> list[Silence]:
        """The latest ``size`` silences, or every one in effect at ``active_at`` (what
        routing needs: a silence left unread would let its alerts through)."""
        if active_at is not None:
            t = active_at.isoformat()
            docs = self._every({"bool": {"filter": [{"range": {"starts_at": {"lte": t}}},
                                                    {"range": {"ends_at": {"gt": t}}}]}})
            return sorted((Silence.model_validate(d) for d in docs),
                          key=lambda s: s.ends_at, reverse=True)
        try:
            docs = self._search({"match_all": {}}, size, [{"ends_at": {"order": "desc"}}])
        except _UNAVAILABLE as exc:
            raise StorageUnavailable(f"Elasticsearch unavailable: {exc}") from exc
        return [Silence.model_validate(d) for d in docs]

    def expire(self, silence_id: str, now: datetime) -> Silence:
        """End a silence now (kept for the record, like Alertmanager's expire)."""
        s = self.get(silence_id)
        if s is None:
            raise KeyError(silence_id)
        if s.ends_at <= now:
            return s
        update: dict[str, Any] = {"ends_at": now}
        if s.starts_at >= now:  # not started yet: make it a zero-length past window
            update["starts_at"] = now - timedelta(seconds=1)
        expired = s.model_copy(update=update)
        self.es.index(index=self.index, id=s.id, document=expired.model_dump(mode="json"),
                      refresh=True)
        return expired
