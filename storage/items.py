"""The items index: versioned template, monthly indices behind an alias, bulk writes, search.

Chinese text is indexed twice on purpose. ``title``/``text`` use the standard analyzer,
which splits CJK into single characters, so a phrase query is an exact substring match
even for words no dictionary knows. ``tokens`` holds the jieba tokens joined by spaces
under the whitespace analyzer, for word-level relevance and aggregations. Both analyzers
are built into the server, so the minimal distribution (no analysis-common) suffices.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from elasticsearch import Elasticsearch, helpers
from elasticsearch import exceptions as es_exc

from analysis.simplify import to_simplified
from detection.phrase import phrase_query
from yuqing.records import SHANGHAI, AnalyzedItem

from .client import StorageUnavailable, search_pages

MAPPING_VERSION = 1

ITEM_PROPERTIES: dict[str, Any] = {
    "id": {"type": "keyword"},
    "url": {"type": "keyword"},
    "source_id": {"type": "keyword"},
    "source_kind": {"type": "keyword"},
    "region": {"type": "keyword"},
    "title": {"type": "text", "analyzer": "standard",
              "fields": {"raw": {"type": "keyword", "ignore_above": 512}}},
    "text": {"type": "text", "analyzer": "standard"},
    "tokens": {"type": "text", "analyzer": "whitespace"},
    "published_at": {"type": "date"},
    "fetched_at": {"type": "date"},
    "indexed_at": {"type": "date"},
    # A public byline is kept for citation only: never searchable, never aggregated.
    "author": {"type": "keyword", "index": False, "doc_values": False},
    "metrics": {"properties": {"replies": {"type": "integer"}, "views": {"type": "integer"},
                               "likes": {"type": "integer"}}},
    "replied": {"type": "boolean"},
    "reply_text": {"type": "text", "analyzer": "standard"},
    "replied_at": {"type": "date"},
    "keywords": {"type": "keyword"},
    "sentiment": {"type": "float"},
    "sentiment_label": {"type": "keyword"},
    "complaint": {"type": "boolean"},
    "complaint_score": {"type": "float"},
    "category": {"type": "keyword"},
    "places": {"type": "keyword"},
    "townships": {"type": "keyword"},
    "event_id": {"type": "keyword"},
    "simhash": {"type": "keyword", "index": False},
}


_CHUNK = 500
# Well past the 1 s refresh interval (and a slow refresh under load).
_RECENT_SECONDS = 60.0


def _chunks(it: Iterable[Any], n: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for x in it:
        chunk.append(x)
        if len(chunk) == n:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# Per-document answers that mean "not now" (a full write queue, a flood-stage disk block,
# a shard without its primary), not "never": such a document waits in the spool.
_TRANSIENT = frozenset({429, 502, 503, 504})


@dataclass
class BulkResult:
    indexed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (item id, reason)
    # Still refused after the retries for a transient reason: to be spooled, not dropped.
    retry: list[tuple[str, str]] = field(default_factory=list)
    # A later fetch of the item is already stored: this older one is skipped.
    stale: list[str] = field(default_factory=list)


def log_refusals(logger: logging.Logger, result: BulkResult, where: str) -> None:
    """Every document not stored, with its id and the cluster's reason, one line each: a
    quarantine file keeps the item but not why, and a batch's refusals need not share one."""
    for item_id, reason in result.failed:
        logger.error("%s: document %s rejected, quarantined: %s", where, item_id, reason)
    for item_id, reason in result.retry:
        logger.warning("%s: document %s refused for now, spooled: %s", where, item_id, reason)


def version_of(ai: AnalyzedItem) -> int:
    """The document version of an item: its fetch time in milliseconds. A spool replayed
    after the cluster came back (or a slow crawl process) then never overwrites a later
    fetch of the same item with an older one; the same fetch written twice is accepted."""
    return int(ai.item.fetched_at.timestamp() * 1000)


class ItemStore:
    """Items in ``<prefix>-items-v<N>-YYYY.MM`` indices, read through alias ``<prefix>-items``."""

    def __init__(self, es: Elasticsearch, prefix: str = "yuqing", *, shards: int = 1,
                 replicas: int = 0):
        self.es = es
        self.prefix = prefix
        self.shards = shards
        self.replicas = replicas
        # id -> (index, monotonic time) of this store's recent writes: a search sees a write
        # only after the next refresh, and a second fetch of an item written meanwhile (the
        # spool replaying two fetches of one thread) would go to another month's index.
        self._recent: dict[str, tuple[str, float]] = {}

    @property
    def alias(self) -> str:
        return f"{self.prefix}-items"

    @property
    def template_name(self) -> str:
        return f"{self.prefix}-items-v{MAPPING_VERSION}"

    def index_for(self, when: datetime) -> str:
        local = when.astimezone(SHANGHAI)
        return f"{self.prefix}-items-v{MAPPING_VERSION}-{local:%Y.%m}"

    def ensure_template(self) -> None:
        """Install (or update) the versioned index template; new monthly indices join the alias."""
        self.es.indices.put_index_template(
            name=self.template_name,
            index_patterns=[f"{self.prefix}-items-v{MAPPING_VERSION}-*"],
            priority=200,
            template={
                "settings": {"number_of_shards": self.shards,
                             "number_of_replicas": self.replicas,
                             "refresh_interval": "1s"},
                "mappings": {"dynamic": "strict", "properties": ITEM_PROPERTIES,
                             "_meta": {"mapping_version": MAPPING_VERSION}},
                "aliases": {self.alias: {}},
            },
            meta={"owner": "yuqing", "mapping_version": MAPPING_VERSION},
        )

    @staticmethod
    def to_doc(ai: AnalyzedItem, now: datetime) -> dict[str, Any]:
        item, an = ai.item, ai.analysis
        doc = item.to_json_dict()
        doc.update({
            "tokens": " ".join(an.tokens),
            "keywords": an.keywords,
            "sentiment": an.sentiment,
            "sentiment_label": an.sentiment_label.value,
            "complaint": an.complaint,
            "complaint_score": an.complaint_score,
            "category": an.category,
            "places": an.places,
            "townships": an.townships,
            "event_id": an.event_id,
            "simhash": an.simhash,
            # The write's wall-clock time, whatever ``now`` the caller works in: incremental
            # readers (the detection cycle) ask "what was written since I last looked".
            "indexed_at": datetime.now(UTC).isoformat(),
        })
        return doc

    def placement(self, ids: list[str]) -> dict[str, str]:
        """item id -> the monthly index that already holds it."""
        if not ids:
            return {}
        resp = self.es.search(index=self.alias, query={"ids": {"values": ids}},
                              size=len(ids), source=False, ignore_unavailable=True,
                              allow_no_indices=True)
        return {h["_id"]: h["_index"] for h in resp["hits"]["hits"]}

    def _place(self, pairs: list[tuple[str, datetime]]) -> list[str]:
        """The index for each (item id, its time): where it is stored or was just written,
        else its month's."""
        clock = time.monotonic()
        # Kept oldest first (an entry is reinserted when written): expiry stops at the
        # first entry still fresh.
        while self._recent and next(iter(self._recent.values()))[1] < clock - _RECENT_SECONDS:
            del self._recent[next(iter(self._recent))]
        placed = self.placement([i for i, _ in pairs if i not in self._recent])
        out = []
        for item_id, when in pairs:
            recent = self._recent.pop(item_id, None)
            index = recent[0] if recent else placed.get(item_id) or self.index_for(when)
            self._recent[item_id] = (index, clock)
            out.append(index)
        return out

    def _actions(self, items: Iterable[AnalyzedItem], now: datetime) -> Iterator[dict[str, Any]]:
        # An item stays in the index that first took it. Its month comes from a time that
        # can move (an undated thread re-fetched next month, a date found on a later
        # fetch): written to the new month it would be stored, searched and counted twice.
        for chunk in _chunks(items, _CHUNK):
            indices = self._place([(ai.item.id, ai.item.published_at or ai.item.fetched_at)
                                   for ai in chunk])
            for ai, index in zip(chunk, indices, strict=True):
                yield {"_op_type": "index", "_index": index, "_id": ai.item.id,
                       "version": version_of(ai), "version_type": "external_gte",
                       "_source": self.to_doc(ai, now)}

    def index(self, items: Iterable[AnalyzedItem], now: datetime, *,
              refresh: bool = False) -> BulkResult:
        """Bulk-index items; document id = item id, so indexing twice is one document.

        Raises StorageUnavailable when the cluster cannot be reached at all (the caller
        spools); per-document rejections are returned in ``failed`` with their reason,
        transient refusals that outlasted the retries in ``retry`` (spool them), and items
        of which a later fetch is stored in ``stale``.
        """
        result = BulkResult()
        try:
            for ok, info in helpers.streaming_bulk(
                self.es, self._actions(items, now), chunk_size=_CHUNK, max_retries=3,
                initial_backoff=1, raise_on_error=False, raise_on_exception=True,
                retry_on_status=(429, 502, 503, 504),
            ):
                op = info.get("index", {})
                if ok:
                    result.indexed += 1
                    continue
                reason = op.get("error", {})
                if isinstance(reason, dict):
                    reason = f"{reason.get('type')}: {reason.get('reason')}"
                status = op.get("status")
                if status == 409:
                    result.stale.append(str(op.get("_id")))
                else:
                    (result.retry if status in _TRANSIENT else result.failed).append(
                        (str(op.get("_id")), str(reason)))
        except (es_exc.ConnectionError, es_exc.ConnectionTimeout, es_exc.TransportError) as exc:
            raise StorageUnavailable(f"Elasticsearch unavailable during bulk index: {exc}") from exc
        except es_exc.ApiError as exc:
            if exc.meta.status in _TRANSIENT:  # the whole request refused, after retries
                raise StorageUnavailable(f"Elasticsearch refused the bulk index: {exc}") from exc
            raise
        if refresh:
            self.refresh()
        return result

    def relabel_event(self, items: Iterable[tuple[str, datetime]], event_id: str
                      ) -> BulkResult:
        """Point stored items (id, published-or-fetched time) at another event: two
        events turned out to be one. Partial updates (the node has no scripting). An item
        not stored yet is neither updated nor failed: its writer will use the new id.
        Bumps ``indexed_at`` so incremental readers see the change."""
        stamp = datetime.now(UTC).isoformat()

        def actions() -> Iterator[dict[str, Any]]:
            for chunk in _chunks(items, _CHUNK):
                for (item_id, _), index in zip(chunk, self._place(chunk), strict=True):
                    yield {"_op_type": "update", "_id": item_id, "_index": index,
                           "doc": {"event_id": event_id, "indexed_at": stamp}}

        result = BulkResult()
        try:
            for ok, info in helpers.streaming_bulk(self.es, actions(), chunk_size=_CHUNK,
                                                   raise_on_error=False,
                                                   raise_on_exception=True):
                op = info.get("update", {})
                if ok:
                    result.indexed += 1
                elif op.get("status") != 404:
                    result.failed.append((str(op.get("_id")), str(op.get("error"))))
        except (es_exc.ConnectionError, es_exc.ConnectionTimeout,
                es_exc.TransportError) as exc:
            raise StorageUnavailable(f"Elasticsearch unavailable during relabel: {exc}") from exc
        return result

    def refresh(self) -> None:
        self.es.indices.refresh(index=self.alias, ignore_unavailable=True,
                                allow_no_indices=True)

    def get(self, item_id: str) -> dict[str, Any] | None:
        resp = self.es.search(index=self.alias, query={"ids": {"values": [item_id]}}, size=1,
                              ignore_unavailable=True, allow_no_indices=True)
        hits = resp["hits"]["hits"]
        return hits[0]["_source"] if hits else None

    def count(self, query: dict[str, Any] | None = None) -> int:
        if not self.es.indices.exists_alias(name=self.alias):
            return 0
        return int(self.es.count(index=self.alias, query=query or {"match_all": {}})["count"])

    def earliest(self) -> datetime | None:
        """When the collected data begins (the oldest published_at indexed)."""
        return self._date_agg("min", "published_at")

    def last_indexed(self) -> datetime | None:
        """The newest ``indexed_at`` (write time) in the store."""
        return self._date_agg("max", "indexed_at")

    def _date_agg(self, op: str, field: str) -> datetime | None:
        if not self.es.indices.exists_alias(name=self.alias):
            return None
        resp = self.es.search(index=self.alias, size=0, aggs={"v": {op: {"field": field}}})
        value = resp["aggregations"]["v"].get("value_as_string")
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None

    def iter_query(self, query: dict[str, Any], *, since: datetime | None = None,
                   until: datetime | None = None, page: int = 1000,
                   fields: list[str] | None = None,
                   indexed_since: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Every document matching ``query`` in the time range, oldest first (search_after
        pages, so there is no 10,000-hit ceiling); with ``indexed_since``, only those
        written at or after it."""
        if not self.es.indices.exists_alias(name=self.alias):
            return
        rng: dict[str, str] = {}
        if since:
            rng["gte"] = since.isoformat()
        if until:
            rng["lt"] = until.isoformat()
        filters: list[dict[str, Any]] = [{"range": {"published_at": rng}}] if rng else []
        if indexed_since:
            filters.append({"range": {"indexed_at": {"gte": indexed_since.isoformat()}}})
        full = {"bool": {"must": [query], "filter": filters}}
        for hit in search_pages(self.es, self.alias, full,
                                [{"published_at": "asc"}, {"id": "asc"}], page,
                                source=fields if fields else True):
            yield hit["_source"]

    def search(self, query: str = "", *, since: datetime | None = None,
               until: datetime | None = None, sources: list[str] | None = None,
               kinds: list[str] | None = None, size: int = 20,
               sort: str = "newest") -> list[dict[str, Any]]:
        """Full-text search; see ``build_query`` for the query language."""
        if not self.es.indices.exists_alias(name=self.alias):
            return []
        body_sort: list[Any] = (
            [{"published_at": {"order": "desc", "missing": "_last"}}] if sort == "newest"
            else ["_score", {"published_at": {"order": "desc", "missing": "_last"}}]
        )
        resp = self.es.search(
            index=self.alias,
            query=build_query(query, since=since, until=until, sources=sources, kinds=kinds),
            size=size, sort=body_sort,
            highlight={"fields": {"title": {}, "text": {"fragment_size": 80,
                                                         "number_of_fragments": 1}}},
        )
        out = []
        for hit in resp["hits"]["hits"]:
            doc = dict(hit["_source"])
            doc["_score"] = hit.get("_score")
            doc["_highlight"] = hit.get("highlight", {})
            out.append(doc)
        return out


def _term_clause(term: str) -> dict[str, Any]:
    # Exact substring on the character-level fields in any spelling (河口镇 finds the
    # traditional 河口鎮 and the reverse, as monitoring schemes do), or the jieba token
    # (tokens are cut from the simplified text).
    return {"bool": {"should": [
        phrase_query(term, "title", boost=2.0),
        phrase_query(term, "text"),
        {"term": {"tokens": to_simplified(term)}},
    ], "minimum_should_match": 1}}


def build_query(query: str, *, since: datetime | None = None, until: datetime | None = None,
                sources: list[str] | None = None, kinds: list[str] | None = None
                ) -> dict[str, Any]:
    """Whitespace-separated terms must all occur (exact substring); ``-term`` excludes;
    ``a|b`` matches either. An empty query matches everything in the filters."""
    must: list[dict[str, Any]] = []
    must_not: list[dict[str, Any]] = []
    for raw in query.split():
        negate = raw.startswith("-") and len(raw) > 1
        alts = [t.strip('"') for t in raw.lstrip("-").split("|") if t.strip('"')]
        if not alts:
            continue
        clause = _term_clause(alts[0]) if len(alts) == 1 else {
            "bool": {"should": [_term_clause(a) for a in alts], "minimum_should_match": 1}}
        (must_not if negate else must).append(clause)
    filters: list[dict[str, Any]] = []
    if since or until:
        rng: dict[str, str] = {}
        if since:
            rng["gte"] = since.isoformat()
        if until:
            rng["lt"] = until.isoformat()
        filters.append({"range": {"published_at": rng}})
    if sources:
        filters.append({"terms": {"source_id": sources}})
    if kinds:
        filters.append({"terms": {"source_kind": kinds}})
    return {"bool": {"must": must or [{"match_all": {}}], "must_not": must_not,
                     "filter": filters}}
