"""Crawl health: a source that went silent or keeps failing raises ``crawl_health``.

From the crawl statistics in the crawl state (SQLite, so this works while Elasticsearch
is down): *silent* when no new item arrived for ``silence_quantile_factor`` × the source's
usual silence (duty.silence; until it has the history, ``silence_factor`` × its median
gap between items), and at least ``min_silence_minutes``; *failing* when no run succeeded
for ``failing_runs`` crawl intervals at the current watch level, or when its last
``unreadable_pages`` new pages could not be read. The alert id hashes the
source, the state and when the episode began, so one silence is one alert, and it
resolves when the source recovers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from duty.silence import usual_silence
from watch.levels import watch_at
from yuqing.records import SHANGHAI, Alert, Severity

RULE = "crawl_health"
STATUS_ZH = {"ok": "正常", "silent": "沉默", "failing": "抓取失败", "never": "尚未抓取"}


@dataclass(frozen=True)
class SourceHealth:
    source_id: str
    name: str
    status: str  # ok / silent / failing / never
    since: datetime | None  # when the problem began (last new item / last success)
    detail: str


def _t(v: Any) -> datetime | None:
    return datetime.fromisoformat(v).astimezone(SHANGHAI) if v else None


def _ago(delta: timedelta) -> str:
    h = delta.total_seconds() / 3600
    return f"{h / 24:.1f} 天" if h >= 48 else f"{h:.1f} 小时"


def check_source(cfg, source, stats: dict[str, Any] | None, now: datetime) -> SourceHealth:
    ch = cfg.watch.crawl_health
    if not stats or not stats.get("last_run"):
        return SourceHealth(source.id, source.name, "never", None, "尚无抓取记录")
    level = watch_at(now).level
    interval = timedelta(minutes=source.interval_at(level, cfg.watch.crawl_factor))
    last_success = _t(stats.get("last_success"))
    fail_after = max(interval * ch.failing_runs, timedelta(minutes=30))
    if last_success is None:
        if stats.get("runs", 0) >= ch.failing_runs:
            return SourceHealth(source.id, source.name, "failing", None,
                                f"连续 {stats.get('runs')} 次抓取均未成功（最近结束原因 "
                                f"{stats.get('last_finish_reason')}，错误 "
                                f"{stats.get('last_errors') or {}}）")
    elif now - last_success > fail_after:
        return SourceHealth(source.id, source.name, "failing", last_success,
                            f"已 {_ago(now - last_success)} 没有成功抓取（最近结束原因 "
                            f"{stats.get('last_finish_reason')}，错误 "
                            f"{stats.get('last_errors') or {}}）")
    if (n := stats.get("unreadable_pages") or 0) >= ch.unreadable_pages:
        return SourceHealth(source.id, source.name, "failing", _t(stats.get("unreadable_since")),
                            f"最近 {n} 个新页面均无法解析（{stats.get('unreadable_errors')}），"
                            "此后未读到内容：网站模板可能已改版，请检查 selectors")
    last_new = _t(stats.get("last_new_items_at")) or _t(stats.get("newest_published_at"))
    if last_new is not None and (silent := _silence(ch, stats, last_new, now)):
        return SourceHealth(source.id, source.name, "silent", last_new, silent)
    return SourceHealth(source.id, source.name, "ok", None, "正常")


def _silence(ch, stats: dict[str, Any], last_new: datetime, now: datetime) -> str | None:
    """Why the source counts as silent, or None. Judged against its usual silence once it
    has the history for it; before (state from before the history, a new source) against
    its median gap between items, which is all such a document has."""
    usual = usual_silence(stats.get("new_item_runs") or [], ch.silence_quantile)
    if usual is not None:
        limit = max(ch.silence_quantile_factor * usual.minutes, ch.min_silence_minutes)
        elapsed = usual.elapsed(last_new, now)
        if elapsed <= limit:
            return None
        clock = "工作时间" if usual.workday_clock else ""
        # Working time is told in hours: "2.5 天" of working hours would read as calendar
        # days, half the real span.
        span = (lambda m: f"{m / 60:.1f} 小时") if usual.workday_clock else (
            lambda m: _ago(timedelta(minutes=m)))
        return (f"已 {_ago(now - last_new)} 没有新内容（{clock}沉默 {span(elapsed)}；"
                f"平时{clock}沉默一般不超过 {span(usual.minutes)}，阈值 {span(limit)}）")
    gap = stats.get("median_gap_minutes")
    if not gap:
        return None
    limit_td = timedelta(minutes=max(ch.silence_factor * float(gap), ch.min_silence_minutes))
    if now - last_new <= limit_td:
        return None
    return (f"已 {_ago(now - last_new)} 没有新内容（平时约每 {float(gap):.0f} 分钟一条，"
            f"阈值 {_ago(limit_td)}）")


def check_all(cfg, stats_by_source: dict[str, dict[str, Any]], now: datetime
              ) -> list[SourceHealth]:
    return [check_source(cfg, s, stats_by_source.get(s.id), now)
            for s in cfg.sources if s.enabled]


def load_stats(cfg) -> dict[str, dict[str, Any]]:
    from crawlers.state import CrawlState

    st = CrawlState.for_config(cfg)
    try:
        return {d["source_id"]: d for d in st.all_source_stats()}
    finally:
        st.close()


def health_alert(h: SourceHealth, now: datetime) -> Alert:
    since = h.since.isoformat() if h.since else "-"
    aid = hashlib.sha1(f"{RULE}\x1f{h.source_id}\x1f{h.status}\x1f{since}".encode()
                       ).hexdigest()
    return Alert(id=aid, rule=RULE, severity=Severity.warning,
                 title=f"信息源{STATUS_ZH[h.status]}：{h.name}（{h.source_id}）",
                 summary=h.detail, fired_at=now, labels={"source": h.source_id},
                 category="抓取健康", first_seen=h.since or now, last_seen=now)


def health_alerts(cfg, now: datetime, stats: dict[str, dict[str, Any]] | None = None
                  ) -> list[Alert]:
    if not cfg.watch.crawl_health.enabled or not cfg.sources:
        return []
    stats = load_stats(cfg) if stats is None else stats
    return [health_alert(h, now) for h in check_all(cfg, stats, now)
            if h.status in ("silent", "failing")]
