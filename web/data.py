"""What the console's pages and API read and change, on top of ``storage``.

One ``ConsoleData`` per application: Elasticsearch clients are created once and shared by
the request threads (the client is thread-safe). Every change to an alert or silence is
also written to the audit trail here, so pages and the API cannot forget it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from alerts.config import parse_duration
from alerts.matchers import parse_matcher
from alerts.silences import Silence, matches_any_alert
from reports.data import heat
from storage import open_alert_stores, open_console_queries, open_report_queries
from storage.console import Filters
from storage.reports_queries import Span
from yuqing.config import Config
from yuqing.records import in_shanghai

from .db import ConsoleDB, User

EVENT_DAYS = 14  # the events page looks back two weeks: long enough for a slow complaint


def parse_time(value: str | None) -> datetime | None:
    return in_shanghai(datetime.fromisoformat(value)) if value else None


class ConsoleData:
    def __init__(self, cfg: Config, db: ConsoleDB):
        self.cfg = cfg
        self.db = db
        # Someone is waiting on every read: a hung cluster must become the "not
        # reachable" page within seconds, not hold a server thread for 90 s.
        self.deadline = cfg.web.storage_timeout_seconds
        self.queries = open_console_queries(cfg, self.deadline)
        self.reports = open_report_queries(cfg, self.deadline)
        self._alert_stores: tuple[Any, Any] | None = None
        # Compiled once: the feed runs these on every poll of every screen.
        self.schemes = {s.name: s.compile().query() for s in cfg.schemes if s.enabled}

    @property
    def stores(self) -> tuple[Any, Any]:
        # Lazily, so the console starts (and shows its login page) before the cluster is up.
        if self._alert_stores is None:
            self._alert_stores = open_alert_stores(self.cfg, self.deadline)
        return self._alert_stores

    # ---- items ----------------------------------------------------------------------------

    def feed(self, filters: Filters, sort: str, size: int = 50, offset: int = 0
             ) -> tuple[int, list[dict[str, Any]]]:
        return self.queries.feed(self.schemes, filters, sort=sort, size=size, offset=offset)

    def search(self, text: str, filters: Filters, sort: str, size: int = 20, offset: int = 0
               ) -> tuple[int, list[dict[str, Any]]]:
        return self.queries.search(text, filters, sort=sort, size=size, offset=offset)

    def facets(self) -> dict[str, list[tuple[str, int]]]:
        return self.queries.facets()

    def source_names(self) -> dict[str, str]:
        return {s.id: s.name for s in self.cfg.sources}

    # ---- events ---------------------------------------------------------------------------

    def events(self, now: datetime, days: int = EVENT_DAYS, size: int = 30
               ) -> list[dict[str, Any]]:
        # Ranked by heat over every event's totals (not among the top few by count).
        raw = self.reports.events(
            Span(now - timedelta(days=days), now + timedelta(minutes=1)), size,
            rank=lambda t: (heat(t["count"], t["replies"], t["likes"], t["views"]), t["count"]))
        for e in raw:
            e["heat"] = heat(e["count"], e["replies"], e["likes"], e["views"])
        handling = self.reports.event_handling([e["id"] for e in raw])
        for e in raw:
            e["alerts"] = handling.get(e["id"], {"alerts": 0, "handled": 0})
        return sorted(raw, key=lambda e: (-e["heat"], -e["count"], e["id"]))[:size]

    def event(self, event_id: str) -> dict[str, Any] | None:
        items = self.queries.event_items(event_id)
        if not items:
            return None
        times = [parse_time(i.get("published_at")) for i in items if i.get("published_at")]
        first, last = (min(times), max(times)) if times else (None, None)
        # Hourly buckets for a short-lived event, daily ones for a long-running complaint.
        interval = "hour" if first and last and last - first <= timedelta(days=3) else "day"
        m = [i.get("metrics") or {} for i in items]
        return {
            "id": event_id, "title": items[0]["title"], "items": items, "count": len(items),
            "first": first, "last": last, "interval": interval,
            "heat": heat(len(items), *(sum(x.get(k) or 0 for x in m)
                                       for k in ("replies", "likes", "views"))),
            "negative": sum(i.get("sentiment_label") == "negative" for i in items),
            "timeline": self.queries.event_timeline(event_id, interval),
            "alerts": [a for a in self.alerts(size=200) if a.get("labels", {}).get("event")
                       == event_id]}

    # ---- alerts and silences ----------------------------------------------------------------

    def alerts(self, *, status: str | None = None, open_only: bool = False, size: int = 100
               ) -> list[dict[str, Any]]:
        return self.stores[0].list(status=status, open_only=open_only, size=size)

    def open_alert_count(self) -> int:
        return self.stores[0].count(open_only=True)

    def alert(self, alert_id: str) -> dict[str, Any] | None:
        return self.stores[0].get(alert_id)

    def acknowledge(self, alert_id: str, user: User, ip: str | None, now: datetime
                    ) -> dict[str, Any]:
        doc = self.stores[0].acknowledge(alert_id, user.name, now)
        self.db.audit(user, ip, "alert.acknowledge", doc["id"], doc.get("title"), now)
        return doc

    def handle(self, alert_id: str, note: str, user: User, ip: str | None, now: datetime
               ) -> dict[str, Any]:
        if not note.strip():
            raise ValueError("处置说明不能为空")
        doc = self.stores[0].handle(alert_id, user.name, note.strip(), now)
        self.db.audit(user, ip, "alert.handle", doc["id"], note.strip(), now)
        return doc

    def silences(self, now: datetime, include_expired: bool = False) -> list[Silence]:
        return self.stores[1].list(active_at=None if include_expired else now)

    def silence(self, matchers: list[str], comment: str, user: User, ip: str | None,
                now: datetime, *, duration: str | None = None, until: datetime | None = None
                ) -> Silence:
        """Raises ValueError (with a Chinese message) on bad input."""
        matchers = [m.strip() for m in matchers if m.strip()]
        if not matchers:
            raise ValueError("至少需要一个匹配条件，例如 township=\"河口镇\"")
        for m in matchers:
            parse_matcher(m)
        if matches_any_alert(matchers):
            raise ValueError("这些条件会静默几乎所有预警（包括紧急预警）："
                             "至少要有一个条件不匹配空值，例如 township=\"河口镇\"")
        if not comment.strip():
            raise ValueError("请填写静默原因")
        # A naive time (a datetime-local field, a script) is meant in Asia/Shanghai.
        end = in_shanghai(until) if until else now + parse_duration(duration or "2h")
        if end <= now:
            raise ValueError("到期时间必须晚于现在")
        s = Silence.create(matchers, starts_at=now, ends_at=end, created_by=user.name,
                           comment=comment.strip(), now=now)
        self.stores[1].add(s)
        self.db.audit(user, ip, "silence.create", s.id,
                      f"{' '.join(matchers)} 至 {end:%Y-%m-%d %H:%M}：{comment.strip()}", now)
        return s

    def expire_silence(self, silence_id: str, user: User, ip: str | None, now: datetime
                       ) -> Silence:
        s = self.stores[1].expire(silence_id, now)
        self.db.audit(user, ip, "silence.expire", s.id, " ".join(s.matchers), now)
        return s
