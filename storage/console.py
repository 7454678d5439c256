"""Queries behind the duty console: the live feed, faceted search, one event's timeline.

Results are plain dicts; ``web/`` never sees the response format. Author bylines,
tokens and simhashes are never returned: the console shows issues, not people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch

from yuqing.records import SHANGHAI, in_shanghai

from .items import build_query

# Never sent to the console (privacy: the byline; size: tokens, simhash).
HIDDEN_FIELDS = ["author", "tokens", "simhash", "reply_text"]
FACETS = {"source_id": "source_id", "township": "townships", "category": "category",
          "sentiment": "sentiment_label"}


@dataclass(frozen=True)
class Filters:
    """What the officer narrowed the list to; every field is optional."""

    source: str | None = None
    township: str | None = None
    category: str | None = None
    sentiment: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def clauses(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for value, field in ((self.source, "source_id"), (self.township, "townships"),
                             (self.category, "category"), (self.sentiment, "sentiment_label")):
            if value:
                out.append({"term": {field: value}})
        if self.since or self.until:
            rng: dict[str, str] = {}
            # A time without an offset is meant in Asia/Shanghai; sent as it is,
            # Elasticsearch would read it as UTC, eight hours off.
            if self.since:
                rng["gte"] = in_shanghai(self.since).isoformat()
            if self.until:
                rng["lt"] = in_shanghai(self.until).isoformat()
            out.append({"range": {"published_at": rng}})
        return out


SORTS: dict[str, list[Any]] = {
    "newest": [{"published_at": {"order": "desc", "missing": "_last"}}],
    # Most negative first (sentiment is P(positive)), newest among equals.
    "negative": [{"sentiment": {"order": "asc"}},
                 {"published_at": {"order": "desc", "missing": "_last"}}],
    "relevance": ["_score", {"published_at": {"order": "desc", "missing": "_last"}}],
}


def _hit(hit: dict[str, Any]) -> dict[str, Any]:
    doc = dict(hit["_source"])
    doc["_highlight"] = hit.get("highlight", {})
    doc["_schemes"] = hit.get("matched_queries", [])
    return doc


class ConsoleQueries:
    def __init__(self, es: Elasticsearch, prefix: str):
        self.es = es
        self.items = f"{prefix}-items"

    def _exists(self) -> bool:
        return bool(self.es.indices.exists_alias(name=self.items))

    def _search(self, query: dict[str, Any], *, size: int, sort: list[Any], offset: int = 0,
                highlight: dict[str, Any] | None = None) -> tuple[int, list[dict[str, Any]]]:
        if not self._exists():
            return 0, []
        extra: dict[str, Any] = {"highlight": highlight} if highlight else {}
        resp = self.es.search(index=self.items, query=query, size=size, from_=offset,
                              sort=sort, source_excludes=HIDDEN_FIELDS,
                              track_total_hits=True, **extra)
        return int(resp["hits"]["total"]["value"]), [_hit(h) for h in resp["hits"]["hits"]]

    def feed(self, schemes: dict[str, dict[str, Any]], filters: Filters, *,
             sort: str = "newest", size: int = 50, offset: int = 0
             ) -> tuple[int, list[dict[str, Any]]]:
        """Items matching any monitoring scheme. Each scheme's clause is a named query, so
        every hit says which schemes it matched (``_schemes``) without a second pass."""
        if not schemes:
            return 0, []
        should = [{"bool": {"filter": [q], "_name": name}} for name, q in schemes.items()]
        query = {"bool": {"should": should, "minimum_should_match": 1,
                          "filter": filters.clauses()}}
        return self._search(query, size=size, offset=offset, sort=SORTS.get(sort, SORTS["newest"]))

    def search(self, text: str, filters: Filters, *, sort: str = "newest", size: int = 20,
               offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
        """Full text (the language of ``build_query``) with the feed's filters, highlighted."""
        base = build_query(text)
        base["bool"]["filter"] = filters.clauses()
        highlight = {"pre_tags": ["<mark>"], "post_tags": ["</mark>"], "encoder": "html",
                     "fields": {"title": {"number_of_fragments": 0},
                                "text": {"fragment_size": 90, "number_of_fragments": 2}}}
        return self._search(base, size=size, offset=offset, highlight=highlight,
                            sort=SORTS.get(sort, SORTS["newest"]))

    def facets(self, size: int = 50) -> dict[str, list[tuple[str, int]]]:
        """The values the filter menus offer, with counts."""
        if not self._exists():
            return {k: [] for k in FACETS}
        aggs = {k: {"terms": {"field": f, "size": size}} for k, f in FACETS.items()}
        resp = self.es.search(index=self.items, size=0, aggs=aggs)
        return {k: [(str(b["key"]), int(b["doc_count"])) for b in v["buckets"]]
                for k, v in resp["aggregations"].items()}

    def event_items(self, event_id: str, size: int = 200) -> list[dict[str, Any]]:
        _, hits = self._search({"term": {"event_id": event_id}}, size=size,
                               sort=[{"published_at": {"order": "asc", "missing": "_last"}}])
        return hits

    def event_timeline(self, event_id: str, interval: str
                       ) -> list[tuple[datetime, int, int]]:
        """Items per hour/day of one event: (bucket start, all, negative)."""
        if not self._exists():
            return []
        aggs = {"t": {"date_histogram": {"field": "published_at", "calendar_interval": interval,
                                         "time_zone": "Asia/Shanghai", "min_doc_count": 0},
                      "aggs": {"neg": {"filter": {"term": {"sentiment_label": "negative"}}}}}}
        resp = self.es.search(index=self.items, size=0, query={"term": {"event_id": event_id}},
                              aggs=aggs)
        return [(datetime.fromtimestamp(b["key"] / 1000, SHANGHAI), int(b["doc_count"]),
                 int(b["neg"]["doc_count"])) for b in resp["aggregations"]["t"]["buckets"]]
