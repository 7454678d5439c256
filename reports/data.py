"""Gather a report's figures from Elasticsearch (through ``storage.ReportQueries``).

Everything here is arithmetic on aggregation buckets: week-on-week change, heat, rates,
rising keywords. The result, ``ReportData``, is what every renderer reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import datetime
from typing import Any

from detection.detector import RULES
from storage import ReportQueries, Span
from yuqing.records import SHANGHAI

from .periods import Period

# Heat of an event: items plus engagement. Views count one per hundred because a view is a
# far weaker signal than a reply or a like (and forums inflate them).
VIEWS_PER_HEAT = 100
TOP_EVENTS = 10
# A keyword is "rising" when it occurs at least this often now and grew by half or more.
RISING_MIN = 3
RISING_RATIO = 1.5
# The alerts a report counts and lists: growing complaints. A crawl-health alert (a source
# gone silent) shares the alert index but is about the crawler, not about the county, and
# nobody 处置s it: it is resolved when the source comes back.
COMPLAINT_RULES = tuple(sorted(RULES.values()))


@dataclass(frozen=True)
class Cite:
    title: str
    url: str
    source_id: str = ""
    published_at: datetime | None = None
    source: str = ""  # the source's display name, for the citation
    @classmethod
    def from_source(cls, doc: dict[str, Any]) -> Cite:
        when = doc.get("published_at")
        return cls(title=doc.get("title") or doc.get("url", ""), url=doc.get("url", ""),
                   source_id=doc.get("source_id") or "",
                   published_at=_time(when))


def _cites(docs: list[dict[str, Any]]) -> list[Cite]:
    return [Cite.from_source(d) for d in docs if d.get("url")]


@dataclass(frozen=True)
class Volume:
    total: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    sentiment: dict[str, int] = field(default_factory=dict)
    complaints: int = 0
    events: int = 0
    sources: int = 0
    engagement: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class EventRow:
    id: str
    title: str
    count: int
    replies: int
    likes: int
    views: int
    heat: int
    first: datetime | None
    last: datetime | None
    first_ever: datetime | None
    total_ever: int
    negative: int
    complaints: int
    townships: list[str]
    category: str | None
    keywords: list[str]
    alerts: int
    status: str  # 已处置 / 处置中 / 未预警
    cites: list[Cite]


@dataclass(frozen=True)
class BreakdownRow:
    key: str
    count: int
    prev: int
    complaints: int
    negative: int
    cites: list[Cite]


@dataclass(frozen=True)
class AlertRow:
    id: str
    title: str
    severity: str
    fired_at: datetime
    township: str
    category: str
    count: int
    baseline: float
    acknowledged_at: datetime | None
    handled_at: datetime | None
    handle_note: str
    cites: list[Cite]

    @property
    def same_day(self) -> bool:
        return self.handled_at is not None and self.handled_at.date() == self.fired_at.date()


@dataclass(frozen=True)
class Handling:
    fired: int
    handled: int
    same_day: int
    acknowledged: int
    backlog: int  # fired before the period, still open
    severity: dict[str, int]
    by_township: dict[str, int]

    @property
    def open(self) -> int:
        return self.fired - self.handled

    @property
    def same_day_rate(self) -> float | None:
        return self.same_day / self.fired if self.fired else None


@dataclass(frozen=True)
class KeywordRow:
    term: str
    count: int
    prev: int
    cites: list[Cite]

    @property
    def new(self) -> bool:
        return self.prev == 0


@dataclass(frozen=True)
class ReportData:
    period: Period
    previous: Period
    generated_at: datetime
    county: str
    volume: Volume
    volume_prev: Volume
    trend: list[tuple[datetime, dict[str, int]]]
    negative_cites: list[Cite]
    complaint_cites: list[Cite]
    events: list[EventRow]
    alerts: list[AlertRow]
    handling: Handling
    townships: list[BreakdownRow]
    townships_missing: int
    categories: list[BreakdownRow]
    categories_missing: int
    sources: list[BreakdownRow]
    keywords: list[KeywordRow]
    source_names: dict[str, str] = field(default_factory=dict)
    # (values, items) beyond the rows of each ranking, so a table can say what it leaves out.
    townships_other: tuple[int, int] = (0, 0)
    categories_other: tuple[int, int] = (0, 0)
    sources_other: tuple[int, int] = (0, 0)


def change(cur: int, prev: int) -> float | None:
    """Relative change; None when there is nothing to compare with."""
    return (cur - prev) / prev if prev else None


def heat(count: int, replies: int, likes: int, views: int) -> int:
    return count + replies + likes + views // VIEWS_PER_HEAT


def _span(p: Period) -> Span:
    return Span(p.start, p.end)


def _time(value: str | None) -> datetime | None:
    # Stored offsets vary (+08:00, Z); days are Shanghai days, so normalise on read.
    return datetime.fromisoformat(value).astimezone(SHANGHAI) if value else None


def _events(q: ReportQueries, span: Span) -> list[EventRow]:
    """The hot events, with their history and alert handling as of the span's end."""
    raw = q.events(span, TOP_EVENTS, rank=lambda t: (
        heat(t["count"], t["replies"], t["likes"], t["views"]), t["count"]))
    for e in raw:
        e["heat"] = heat(e["count"], e["replies"], e["likes"], e["views"])
    top = sorted(raw, key=lambda e: (-e["heat"], -e["count"], e["id"]))[:TOP_EVENTS]
    ids = [e["id"] for e in top]
    life, handling = q.event_lifetimes(ids, span.end), q.event_handling(ids, span.end)
    rows = []
    for e in top:
        h = handling.get(e["id"], {"alerts": 0, "handled": 0})
        status = ("未预警" if not h["alerts"] else
                  "已处置" if h["handled"] == h["alerts"] else "处置中")
        lt = life.get(e["id"], {})
        rows.append(EventRow(
            id=e["id"], title=e["title"], count=e["count"], replies=e["replies"],
            likes=e["likes"], views=e["views"], heat=e["heat"], first=e["first"],
            last=e["last"], first_ever=lt.get("first", e["first"]),
            total_ever=lt.get("count", e["count"]), negative=e["negative"],
            complaints=e["complaints"], townships=e["townships"], category=e["category"],
            keywords=e["keywords"], alerts=h["alerts"], status=status,
            cites=_cites(e["cite"])))
    return rows


def _alert_row(doc: dict[str, Any], as_of: datetime) -> AlertRow:
    """An alert as it stood at ``as_of`` (the period's end): a later acknowledgement or
    handling is not yet there, so re-running a past report shows the same table."""
    labels = doc.get("labels") or {}
    handled = _until(_time(doc.get("handled_at")), as_of)
    cites = [Cite(title=t.get("title", ""), url=t.get("url", ""),
                  source_id=t.get("source_id") or "", published_at=_time(t.get("published_at")))
             for t in (doc.get("top_items") or [])[:3] if t.get("url")]
    if not cites:
        cites = [Cite(title=u, url=u) for u in (doc.get("urls") or [])[:3]]
    return AlertRow(
        id=doc["id"], title=doc.get("title", ""), severity=doc.get("severity", ""),
        fired_at=_time(doc["fired_at"]) or datetime.min.replace(tzinfo=SHANGHAI),
        township=labels.get("township") or "、".join((doc.get("places") or [])[:2]),
        category=labels.get("category") or doc.get("category") or "",
        count=int(doc.get("count") or 0), baseline=float(doc.get("baseline") or 0.0),
        acknowledged_at=_until(_time(doc.get("acknowledged_at")), as_of),
        handled_at=handled, handle_note=(doc.get("handle_note") or "") if handled else "",
        cites=cites)


def _until(t: datetime | None, as_of: datetime) -> datetime | None:
    return t if t is not None and t < as_of else None


def _breakdown(raw: dict[str, Any]) -> list[BreakdownRow]:
    return [BreakdownRow(r["key"], r["count"], r["prev"], r["complaints"], r["negative"],
                         _cites(r["cite"])) for r in raw["rows"]]


def _other(raw: dict[str, Any]) -> tuple[int, int]:
    return raw["other_values"], raw["other_count"]


def _rising(rows: list[dict[str, Any]], limit: int = 12) -> list[KeywordRow]:
    out = [KeywordRow(r["term"], r["count"], r.get("prev", 0), _cites(r["cite"]))
           for r in rows
           if r["count"] >= RISING_MIN and r["count"] >= RISING_RATIO * r.get("prev", 0)]
    # New words first, then by absolute growth: a jump from 0 to 5 is news; 40 to 60 less so.
    out.sort(key=lambda k: (not k.new, -(k.count - k.prev), -k.count, k.term))
    return out[:limit]


def _named(d: ReportData) -> ReportData:
    """Cites carry the source's display name, so no renderer needs the configuration."""
    def fix(obj: Any) -> Any:
        if isinstance(obj, Cite):
            return replace(obj, source=d.source_names.get(obj.source_id, obj.source_id))
        if isinstance(obj, list):
            return [fix(x) for x in obj]
        if is_dataclass(obj) and not isinstance(obj, type) and not isinstance(obj, Period):
            return replace(obj, **{f.name: fix(getattr(obj, f.name)) for f in fields(obj)
                                   if f.init})
        return obj
    return fix(d)


def gather(q: ReportQueries, period: Period, *, county: str, now: datetime,
           source_names: dict[str, str] | None = None) -> ReportData:
    prev = period.previous()
    cur_s, prev_s = _span(period), _span(prev)
    vol = q.volume({"cur": cur_s, "prev": prev_s})
    days = [Span(a, b) for a, b in period.days()]
    alerts = q.alerts_in(cur_s, days, rules=COMPLAINT_RULES)
    towns = q.breakdown("townships", cur_s, prev_s)
    cats = q.breakdown("category", cur_s, prev_s)
    srcs = q.breakdown("source_id", cur_s, prev_s)
    return _named(ReportData(
        source_names=source_names or {},
        period=period, previous=prev, generated_at=now, county=county,
        volume=Volume(**vol["cur"]), volume_prev=Volume(**vol["prev"]),
        trend=q.histogram(cur_s, "day" if period.kind == "weekly" else "hour"),
        negative_cites=_cites(q.examples(cur_s, [{"term": {"sentiment_label": "negative"}}])),
        complaint_cites=_cites(q.examples(cur_s, [{"term": {"complaint": True}}])),
        events=_events(q, cur_s),
        alerts=[_alert_row(d, period.end) for d in alerts["rows"]],
        handling=Handling(fired=alerts["total"], handled=alerts["handled"],
                          same_day=alerts["same_day"], acknowledged=alerts["acknowledged"],
                          backlog=q.open_backlog(period.start, period.end,
                                                 rules=COMPLAINT_RULES),
                          severity=alerts["severity"],
                          by_township=alerts["township"]),
        townships=_breakdown(towns), townships_missing=towns["missing"],
        categories=_breakdown(cats), categories_missing=cats["missing"],
        sources=_breakdown(srcs), townships_other=_other(towns),
        categories_other=_other(cats), sources_other=_other(srcs),
        keywords=_rising(q.keywords(cur_s, prev_s)),
    ))
