"""The aggregations behind the weekly and daily reports.

Every figure of a report comes from one of these queries (terms, filters, date_histogram,
min/max, sum, top_hits for the citations), never from a loop over documents in Python,
so a report over a million items costs a handful of requests. The minimal distribution has
no painless, so nothing here uses scripts: derived numbers (heat, rates, rising keywords)
are computed in Python from the few buckets the cluster returns.

Results are plain dicts and lists, so ``reports/`` never sees the response format.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from elasticsearch import Elasticsearch

from yuqing.records import SHANGHAI

CITE_FIELDS = ["title", "url", "source_id", "source_kind", "published_at"]
# Most-discussed first, then newest: the items a reader would want quoted.
CITE_SORT: list[Any] = [{"metrics.replies": {"order": "desc", "missing": "_last"}},
                        {"published_at": {"order": "desc"}}]
ENGAGEMENT = ("replies", "likes", "views")
COMPOSITE_PAGE = 5000  # values per composite page: a few requests even for every keyword


@dataclass(frozen=True)
class Span:
    """A half-open time range [start, end)."""

    start: datetime
    end: datetime

    def range(self, field: str = "published_at") -> dict[str, Any]:
        return {"range": {field: {"gte": self.start.isoformat(), "lt": self.end.isoformat()}}}


def _ms(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, SHANGHAI)


def _cites(agg: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [h["_source"] for h in (agg or {}).get("hits", {}).get("hits", [])]


def _top_hits(size: int, sort: list[Any] | None = None) -> dict[str, Any]:
    return {"top_hits": {"size": size, "sort": sort or CITE_SORT,
                         "_source": {"includes": CITE_FIELDS}}}


def _sums() -> dict[str, Any]:
    return {k: {"sum": {"field": f"metrics.{k}"}} for k in ENGAGEMENT}


def _sum_values(bucket: dict[str, Any]) -> dict[str, int]:
    return {k: int(bucket.get(k, {}).get("value") or 0) for k in ENGAGEMENT}


def _before(field: str, t: datetime) -> dict[str, Any]:
    return {"range": {field: {"lt": t.isoformat()}}}


def _rules(rules: tuple[str, ...] | None) -> list[dict[str, Any]]:
    return [{"terms": {"rule": list(rules)}}] if rules is not None else []


def _terms(bucket: dict[str, Any] | None) -> dict[str, int]:
    return {str(b["key"]): int(b["doc_count"]) for b in (bucket or {}).get("buckets", [])}


class ReportQueries:
    """Read-only aggregations over ``<prefix>-items`` and ``<prefix>-alerts``."""

    def __init__(self, es: Elasticsearch, prefix: str, *, page: int = COMPOSITE_PAGE):
        self.es, self.page = es, page
        self.items = f"{prefix}-items"
        self.alerts = f"{prefix}-alerts"

    def _aggs(self, index: str, query: dict[str, Any], aggs: dict[str, Any],
              **extra: Any) -> dict[str, Any]:
        """The aggregations of one size-0 search; empty when the index does not exist yet
        (a fresh installation still gets a report, saying there is nothing)."""
        if not self.es.indices.exists_alias(name=index):
            return {}
        if aggs:
            extra["aggs"] = aggs
        resp = self.es.search(index=index, query=query, size=extra.pop("size", 0),
                              track_total_hits=True, **extra)
        out = dict(resp.get("aggregations") or {})
        out["_hits"] = resp["hits"]
        return out

    # ---- 总体情况 / 情感分布 ------------------------------------------------------------

    def volume(self, spans: dict[str, Span]) -> dict[str, dict[str, Any]]:
        """Per named span: total, by source kind, by sentiment, complaints, engagement,
        distinct events and sources (counted with ``counts``: a cardinality aggregation
        is an estimate, off by a few from about 3,000 values on)."""
        per = {"kinds": {"terms": {"field": "source_kind", "size": 10}},
               "sentiment": {"terms": {"field": "sentiment_label", "size": 5}},
               "complaints": {"filter": {"term": {"complaint": True}}},
               **_sums()}
        aggs = {"spans": {"filters": {"filters": {k: s.range() for k, s in spans.items()}},
                          "aggs": per}}
        res = self._aggs(self.items, {"match_all": {}}, aggs)
        buckets = res.get("spans", {}).get("buckets", {})
        out: dict[str, dict[str, Any]] = {}
        for name in spans:
            b = buckets.get(name, {})
            out[name] = {"total": int(b.get("doc_count", 0)), "kinds": _terms(b.get("kinds")),
                         "sentiment": _terms(b.get("sentiment")),
                         "complaints": int(b.get("complaints", {}).get("doc_count", 0)),
                         "events": len(self.counts("event_id", spans[name])),
                         "sources": len(self.counts("source_id", spans[name])),
                         "engagement": _sum_values(b)}
        return out

    def histogram(self, span: Span, interval: str) -> list[tuple[datetime, dict[str, int]]]:
        """Items per calendar day (or hour) in Asia/Shanghai, split by sentiment label;
        empty days are included so a chart shows a quiet day as zero, not as a gap."""
        last = span.end - timedelta(milliseconds=1)
        aggs = {"t": {"date_histogram": {
            "field": "published_at", "calendar_interval": interval, "time_zone": "Asia/Shanghai",
            "min_doc_count": 0,
            "extended_bounds": {"min": int(span.start.timestamp() * 1000),
                                "max": int(last.timestamp() * 1000)}},
            "aggs": {"s": {"terms": {"field": "sentiment_label", "size": 5}}}}}
        res = self._aggs(self.items, span.range(), aggs)
        if not res:  # no index yet: the same zero days the cluster gives a quiet period
            step = timedelta(days=1) if interval == "day" else timedelta(hours=1)
            return [(span.start + i * step, {})
                    for i in range(math.ceil((span.end - span.start) / step))]
        return [(_ms(b["key"]), _terms(b.get("s"))) for b in res.get("t", {}).get("buckets", [])
                if span.start <= _ms(b["key"]) < span.end]  # type: ignore[operator]

    def examples(self, span: Span, filters: list[dict[str, Any]], size: int = 3
                 ) -> list[dict[str, Any]]:
        """The items to cite for a claim (most discussed first)."""
        query = {"bool": {"filter": [span.range(), *filters]}}
        res = self._aggs(self.items, query, {"top": _top_hits(size)})
        return _cites(res.get("top"))

    # ---- 分乡镇 / 分类 --------------------------------------------------------------------

    def counts(self, field: str, span: Span) -> dict[str, int]:
        """Every value of ``field`` in ``span`` with its exact item count. A terms
        aggregation ranks by each shard's own top list, so over a week in two monthly
        indices a value that leads the week but neither month alone was missed or
        undercounted."""
        return {k: b["count"] for k, b in self._every(field, span.range(), {}).items()}

    def _every(self, field: str, query: dict[str, Any], aggs: dict[str, Any],
               index: str | None = None) -> dict[str, dict[str, Any]]:
        """Every value of ``field`` matching ``query``: its count and the values of the
        single-value sub-aggregations ``aggs``, paged with a composite aggregation."""
        out: dict[str, dict[str, Any]] = {}
        after: dict[str, Any] | None = None
        while True:
            comp: dict[str, Any] = {"size": self.page,
                                    "sources": [{"v": {"terms": {"field": field}}}]}
            if after:
                comp["after"] = after
            res = self._aggs(index or self.items, query,
                             {"c": {"composite": comp, "aggs": aggs}}
                             if aggs else {"c": {"composite": comp}}).get("c", {})
            for b in res.get("buckets", []):
                out[str(b["key"]["v"])] = {"count": int(b["doc_count"]),
                                           **{k: b[k].get("value") for k in aggs}}
            after = res.get("after_key")
            if not after or len(res.get("buckets", [])) < self.page:
                return out

    def breakdown(self, field: str, cur: Span, prev: Span, size: int = 15
                  ) -> dict[str, Any]:
        """The ``size`` values of ``field`` (townships, category, source_id) with the most
        items in ``cur``, with complaint and negative counts and citations; the same
        values' counts in ``prev``; how many values and item mentions are left out; and
        how many items have no value at all. Counts are exact: the ranking comes from
        ``counts``, and the details are looked up with ``include`` (every shard returns
        every included value; last period's top terms would miss one that ranked low
        then)."""
        every = self.counts(field, cur)
        keys = sorted(every, key=lambda k: (-every[k], k))[:size]
        sub = {"complaints": {"filter": {"term": {"complaint": True}}},
               "negative": {"filter": {"term": {"sentiment_label": "negative"}}},
               "cite": _top_hits(2)}
        aggs: dict[str, Any] = {"none": {"missing": {"field": field}}}
        if keys:
            aggs["v"] = {"terms": {"field": field, "include": keys, "size": len(keys)},
                         "aggs": sub}
        res = self._aggs(self.items, cur.range(), aggs)
        found = {str(b["key"]): b for b in res.get("v", {}).get("buckets", [])}
        prev_counts = _terms(self._aggs(self.items, prev.range(), {"v": {"terms": {
            "field": field, "include": keys, "size": len(keys)}}}).get("v")) if keys else {}
        rows = [{"key": k, "count": every[k], "prev": prev_counts.get(k, 0),
                 "complaints": int(found[k]["complaints"]["doc_count"]) if k in found else 0,
                 "negative": int(found[k]["negative"]["doc_count"]) if k in found else 0,
                 "cite": _cites(found[k]["cite"]) if k in found else []}
                for k in keys]
        return {"rows": rows, "missing": int(res.get("none", {}).get("doc_count", 0)),
                "other_values": len(every) - len(keys),
                "other_count": sum(every.values()) - sum(every[k] for k in keys)}

    # ---- 热点事件 -----------------------------------------------------------------------

    def events(self, span: Span, candidates: int = 30,
               rank: Callable[[dict[str, int]], tuple[int, ...]] | None = None
               ) -> list[dict[str, Any]]:
        """The ``candidates`` top events of ``span`` by ``rank`` of their exact totals
        (count, replies, likes, views; default: most items, then most replies and views),
        with their details. Without scripts the cluster cannot order by a mix such as
        heat, and terms ordered by count or sum rank by each shard's own top list (a week
        in two monthly indices missed its hottest event), so every event's totals are
        paged in with a composite aggregation and ranked here."""
        totals = {k: {"count": v["count"], **{e: int(v[e] or 0) for e in ENGAGEMENT}}
                  for k, v in self._every("event_id", span.range(), _sums()).items()}
        order = rank or (lambda t: (t["count"], t["replies"], t["views"]))
        ids = sorted(totals)  # ties by id: a stable sort keeps this order among equals
        ids = sorted(ids, key=lambda k: order(totals[k]), reverse=True)[:candidates]
        if not ids:
            return []
        sub = {**_sums(),
               "first": {"min": {"field": "published_at"}},
               "last": {"max": {"field": "published_at"}},
               "negative": {"filter": {"term": {"sentiment_label": "negative"}}},
               "complaints": {"filter": {"term": {"complaint": True}}},
               "townships": {"terms": {"field": "townships", "size": 3}},
               "category": {"terms": {"field": "category", "size": 1}},
               "keywords": {"terms": {"field": "keywords", "size": 6}},
               "kinds": {"terms": {"field": "source_kind", "size": 3}},
               "opener": _top_hits(1, [{"published_at": {"order": "asc"}}]),
               "cite": _top_hits(3)}
        # Every shard returns every included id, so these details are exact too.
        aggs = {"e": {"terms": {"field": "event_id", "include": ids, "size": len(ids)},
                      "aggs": sub}}
        res = self._aggs(self.items, span.range(), aggs)
        seen: dict[str, dict[str, Any]] = {}
        for b in res.get("e", {}).get("buckets", []):
            key = str(b["key"])
            opener = _cites(b["opener"])
            seen[key] = {
                "id": key, "count": int(b["doc_count"]), **_sum_values(b),
                "first": _ms(b["first"].get("value")), "last": _ms(b["last"].get("value")),
                "negative": int(b["negative"]["doc_count"]),
                "complaints": int(b["complaints"]["doc_count"]),
                "townships": list(_terms(b["townships"])),
                "category": next(iter(_terms(b["category"])), None),
                "keywords": list(_terms(b["keywords"])),
                "kinds": _terms(b["kinds"]),
                "title": opener[0]["title"] if opener else key,
                "cite": _cites(b["cite"])}
        return [seen[k] for k in ids if k in seen]

    def event_lifetimes(self, event_ids: list[str], until: datetime
                        ) -> dict[str, dict[str, Any]]:
        """First/last seen and item count of the given events from their beginning (an
        event in this week's report may have begun weeks earlier) up to ``until``: items
        published later must not change a past period's report."""
        if not event_ids:
            return {}
        aggs = {"e": {"terms": {"field": "event_id", "size": len(event_ids)},
                      "aggs": {"first": {"min": {"field": "published_at"}},
                               "last": {"max": {"field": "published_at"}}}}}
        query = {"bool": {"filter": [{"terms": {"event_id": event_ids}},
                                     _before("published_at", until)]}}
        res = self._aggs(self.items, query, aggs)
        return {str(b["key"]): {"count": int(b["doc_count"]), "first": _ms(b["first"]["value"]),
                                "last": _ms(b["last"]["value"])}
                for b in res.get("e", {}).get("buckets", [])}

    def event_handling(self, event_ids: list[str], as_of: datetime | None = None
                       ) -> dict[str, dict[str, Any]]:
        """Per event as of ``as_of`` (default: as stored now, what the console shows): how
        many alerts it had raised by then, how many of them were handled by then, the
        latest handling."""
        if not event_ids:
            return {}
        pairs = [f"event={e}" for e in event_ids]
        handled = (_before("handled_at", as_of) if as_of
                   else {"exists": {"field": "handled_at"}})
        aggs = {"e": {"terms": {"field": "label_pairs", "include": pairs, "size": len(pairs)},
                      "aggs": {"handled": {"filter": handled, "aggs": {
                          "last": {"max": {"field": "handled_at"}}}}}}}
        fired = [_before("fired_at", as_of)] if as_of else []
        query = {"bool": {"filter": [{"terms": {"label_pairs": pairs}}, *fired]}}
        res = self._aggs(self.alerts, query, aggs)
        return {str(b["key"]).removeprefix("event="): {
                    "alerts": int(b["doc_count"]), "handled": int(b["handled"]["doc_count"]),
                    "handled_at": _ms(b["handled"]["last"].get("value"))}
                for b in res.get("e", {}).get("buckets", [])}

    # ---- 预警与处置 ---------------------------------------------------------------------

    def alerts_in(self, span: Span, days: list[Span], list_size: int = 50, *,
                  rules: tuple[str, ...] | None = None) -> dict[str, Any]:
        """Alerts fired in ``span``: counts as of the span's end (handled, acknowledged,
        handled on the calendar day they fired: one ``filters`` bucket per day, because
        comparing two fields of one document needs a script), breakdowns, and the alerts
        themselves for the listing (as stored now: the caller clips them to the span's
        end). Handling after the end counts as open, so a past period's figures stay.
        ``rules``: only alerts of these rules (default: every alert)."""
        same_day = {d.start.date().isoformat(): {"bool": {"filter": [
            d.range("fired_at"), d.range("handled_at")]}} for d in days}
        aggs = {"handled": {"filter": _before("handled_at", span.end)},
                "acknowledged": {"filter": _before("acknowledged_at", span.end)},
                "same_day": {"filters": {"filters": same_day}},
                "severity": {"terms": {"field": "severity", "size": 5}},
                "rule": {"terms": {"field": "rule", "size": 10}}}
        query = {"bool": {"filter": [span.range("fired_at"), *_rules(rules)]}}
        res = self._aggs(self.alerts, query, aggs, size=list_size,
                         sort=[{"fired_at": {"order": "asc"}}])
        hits = res.get("_hits", {})
        per_day = {k: int(v["doc_count"])
                   for k, v in res.get("same_day", {}).get("buckets", {}).items()}
        return {
            "total": int(hits.get("total", {}).get("value", 0)),
            "handled": int(res.get("handled", {}).get("doc_count", 0)),
            "acknowledged": int(res.get("acknowledged", {}).get("doc_count", 0)),
            "same_day": sum(per_day.values()), "same_day_by_day": per_day,
            "severity": _terms(res.get("severity")), "rule": _terms(res.get("rule")),
            "township": self._alert_townships(query),
            "rows": [h["_source"] for h in hits.get("hits", [])],
        }

    def _alert_townships(self, query: dict[str, Any]) -> dict[str, int]:
        """Alerts per township, every township (a terms list of 20 left the rest out)."""
        pairs = self._every("label_pairs", query, {}, self.alerts)
        towns = {k.removeprefix("township="): v["count"] for k, v in pairs.items()
                 if k.startswith("township=")}
        return dict(sorted(towns.items(), key=lambda kv: (-kv[1], kv[0])))

    def open_backlog(self, before: datetime, as_of: datetime, *,
                     rules: tuple[str, ...] | None = None) -> int:
        """Alerts (of ``rules``, default every one) fired before ``before`` and still not
        handled at ``as_of`` (carried over; one handled since then was still open then)."""
        query = {"bool": {"filter": [_before("fired_at", before), *_rules(rules)],
                          "must_not": [_before("handled_at", as_of)]}}
        res = self._aggs(self.alerts, query, {})
        return int(res.get("_hits", {}).get("total", {}).get("value", 0))

    # ---- 新词热词 -----------------------------------------------------------------------

    def keywords(self, cur: Span, prev: Span, size: int = 80) -> list[dict[str, Any]]:
        """This period's most frequent keywords (exact counts, as in ``breakdown``) with
        their count in the previous period (looked up exactly with ``include``, not just
        among last period's top terms) and one citing item each."""
        every = self.counts("keywords", cur)
        terms = sorted(every, key=lambda k: (-every[k], k))[:size]
        if not terms:
            return []
        cites = {str(b["key"]): _cites(b["cite"]) for b in self._aggs(
            self.items, cur.range(), {"k": {"terms": {
                "field": "keywords", "include": terms, "size": len(terms)},
                "aggs": {"cite": _top_hits(1)}}}).get("k", {}).get("buckets", [])}
        old = _terms(self._aggs(self.items, prev.range(), {"k": {"terms": {
            "field": "keywords", "include": terms, "size": len(terms)}}}).get("k"))
        return [{"term": t, "count": every[t], "cite": cites.get(t, []), "prev": old.get(t, 0)}
                for t in terms]
