"""The heartbeat: "still watching", once per shift and on every watch-level change.

Silence must never be mistaken for calm, so the office hears from the system at the start
of every shift and whenever the watch level changes, with what it is watching: sources
healthy or silent, items collected since the last heartbeat, open alerts, and calendar
warnings (an unknown year). A missed heartbeat is itself the alarm; because a dead
process cannot say it is dead, ``ping`` also feeds an external dead-man's switch.
"""

from __future__ import annotations

import logging
import os
import urllib.request
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from alerts.message import one_line
from watch.levels import Watch, calendar_warnings, watch_at
from yuqing.records import SHANGHAI

from . import outage, state
from .health import STATUS_ZH, SourceHealth
from .messages import queue
from .roster import DutyRoster, Shift

log = logging.getLogger(__name__)
SHOWN = 10  # sources or alerts listed by name
LEVEL_ZH = {"normal": "常态值守", "holiday": "节假日值守", "sensitive": "敏感时期值守"}


@dataclass
class Snapshot:
    """What the heartbeat reports; gathered by ``gather`` or given by a test."""

    sources: list[SourceHealth] = field(default_factory=list)
    items: int | None = None  # items collected since ``items_since``; None = unknown
    items_since: datetime | None = None
    open_alerts: list[str] = field(default_factory=list)  # titles, newest first
    open_total: int | None = None  # all open alerts; None = as many as the titles
    problems: list[str] = field(default_factory=list)  # e.g. Elasticsearch unreachable


def _t(t: datetime) -> str:
    return t.astimezone(SHANGHAI).strftime("%m-%d %H:%M")


def compose(now: datetime, watch: Watch, shift: Shift | None, snap: Snapshot,
            warnings: list[str], reason: str) -> tuple[str, str]:
    """(title, body) in Chinese; a pure function of its inputs."""
    level = LEVEL_ZH[watch.level]
    # "Running" would read as all well while detection or delivery is broken.
    state = f"⚠异常 {len(snap.problems)} 项" if snap.problems else "系统运行中"
    title = f"【舆情值守心跳】{state}｜{level}"
    if warnings:
        title += "｜⚠日历未知"
    lines = [f"时间：{now.astimezone(SHANGHAI):%Y-%m-%d %H:%M}（{reason}）",
             f"值守级别：{level}" + (f"（{'；'.join(watch.reasons)}）" if watch.reasons else "")]
    if shift is not None:
        lines.append(f"当前班次：{shift.start:%m-%d} {shift.name} {_t(shift.start)}—"
                     f"{_t(shift.end)}，值班员 {shift.officer or '未排'}，带班领导 "
                     f"{shift.leader or '未排'}")
    # Problems before the lists: a robot's size limit cuts from the end.
    for p in snap.problems:
        lines.append(f"⚠ {p}")
    for w in warnings:
        lines.append(f"⚠ 日历警告：{w}")
    ok = [s for s in snap.sources if s.status == "ok"]
    bad = [s for s in snap.sources if s.status != "ok"]
    lines.append(f"信息源：共 {len(snap.sources)} 个，正常 {len(ok)} 个，异常 {len(bad)} 个")
    for s in bad[:SHOWN]:
        lines.append(f"  · {s.name}（{s.source_id}）{STATUS_ZH[s.status]}：{s.detail}")
    if len(bad) > SHOWN:
        lines.append(f"  ……另有 {len(bad) - SHOWN} 个异常信息源")
    if snap.items is None:
        lines.append("采集条目：未知（Elasticsearch 不可达）")
    else:
        since = f"自 {_t(snap.items_since)} 起" if snap.items_since else "本期"
        lines.append(f"采集条目：{since}新增 {snap.items} 条")
    total = len(snap.open_alerts) if snap.open_total is None else snap.open_total
    lines.append(f"未处置预警：{total} 条")
    for alert_title in snap.open_alerts[:SHOWN]:
        lines.append(f"  · {one_line(alert_title)}")
    if total > SHOWN:
        lines.append(f"  ……另有 {total - SHOWN} 条")
    lines.append("若超过一个班次未收到本消息，说明监测系统已停止，请立即检查。")
    return title, "\n".join(lines)


def gather(cfg, now: datetime, since: datetime | None) -> Snapshot:
    from .health import check_all, load_stats

    snap = Snapshot(items_since=since)
    try:
        snap.sources = check_all(cfg, load_stats(cfg), now)
    except Exception as exc:  # the heartbeat must go out even when a part is broken
        snap.problems.append(f"读取抓取统计失败：{exc}")
    try:
        from storage import open_alert_stores, open_store

        store = open_store(cfg)
        start = since or now - timedelta(hours=12)
        snap.items = store.count({"range": {"fetched_at": {"gte": start.isoformat(),
                                                           "lte": now.isoformat()}}})
        alerts, _ = open_alert_stores(cfg)
        # Counted, not listed: the message shows ten titles, the figure must be all of them.
        snap.open_total = alerts.count(status="firing", open_only=True)
        snap.open_alerts = [d["title"] for d in alerts.list(status="firing", open_only=True,
                                                            size=10)]
    except Exception as exc:
        snap.problems.append(f"Elasticsearch 不可达：{exc}")
    return snap


def fail_url(url: str) -> str:
    """The "down" ping of a push URL. Uptime Kuma's carries its status in the query
    (``?status=up&msg=OK``): that becomes ``status=down``, since an appended "/fail"
    would still say up. Otherwise ``/fail`` is added to the path (healthchecks.io)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(k == "status" for k, _ in query):
        down = [(k, "down" if k == "status" else v) for k, v in query]
        return urlunsplit(parts._replace(query=urlencode(down)))
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/fail"))


def stuck_deliveries(outbox, now: datetime, after: timedelta) -> list:
    """Failed notifications still undelivered ``after`` their creation, oldest first."""
    return outbox.undelivered(created_before=now - after)


def delivery_problem(rows: list) -> str | None:
    """One heartbeat line on notifications that cannot be delivered, or None."""
    if not rows:
        return None
    oldest = rows[0]
    receivers = "、".join(dict.fromkeys(r.receiver for r in rows))
    error = (oldest.last_error or "").replace("\n", " ")[:160]
    return (f"预警投递失败：{len(rows)} 条通知未送达（{receivers}），最早 "
            f"{_t(oldest.created_at)} 起，已尝试 {oldest.attempts} 次，最近错误：{error}。"
            "请检查通道配置（令牌、密钥、网络），`yuqing alerts outbox` 可查看")


def tick(cfg, outbox, now: datetime, snapshot: Snapshot | None = None) -> list[str]:
    """Queue a heartbeat if the shift or the watch level changed since the last one, or
    (once a shift) when notifications first get stuck in the outbox mid-shift."""
    hb = cfg.duty.heartbeat
    if not hb.enabled:
        return []
    watch = watch_at(now)
    shift = DutyRoster(cfg.duty).at(now)
    last_shift = state.get(outbox.db, "heartbeat.shift")
    last_level = state.get(outbox.db, "heartbeat.level")
    stuck = delivery_problem(stuck_deliveries(outbox, now, hb.undelivered_after))
    due = not (last_shift == shift.id and last_level == watch.level)
    # A person with several channels still hears on the ones that work.
    stuck_news = bool(stuck) and state.get(outbox.db, "heartbeat.stuck") != shift.id
    if not (due or stuck_news):
        return []
    if last_level and last_level != watch.level:
        reason = f"值守级别变更：{LEVEL_ZH.get(last_level, last_level)} → {LEVEL_ZH[watch.level]}"
    else:
        reason = f"{shift.name}开始" if due else "预警投递失败"
    since = state.get_time(outbox.db, "heartbeat.at")
    snap = snapshot if snapshot is not None else gather(cfg, now, since)
    extra = [p for p in (outage.problem(cfg, outbox.db, now), stuck) if p]
    if extra:
        snap = replace(snap, problems=[*snap.problems, *extra])
    title, body = compose(now, watch, shift, snap, calendar_warnings(now), reason)
    key = f"{shift.id}|{watch.level}" + ("" if due else "|stuck")
    marks = {"heartbeat.shift": shift.id, "heartbeat.level": watch.level,
             "heartbeat.at": now.isoformat()}
    if stuck:
        marks["heartbeat.stuck"] = shift.id
    new = queue(cfg, outbox, hb.receiver, "heartbeat", key, title, body, now, marks=marks)
    log.info("heartbeat %s queued for %d receivers (%s)", key, len(new), reason)
    return new


def ping_url(cfg) -> str | None:
    hb = cfg.duty.heartbeat
    if hb.ping_url_env:
        return os.environ.get(hb.ping_url_env) or None
    return hb.ping_url


def _site(url: str) -> str:
    """Where a ping went, without its secret: healthchecks.io and Uptime Kuma put the
    token in the path (/<uuid>, /api/push/<token>), others in the query or userinfo."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/…"


def ping(cfg, outbox, now: datetime, *, timeout: float = 10.0) -> str | None:
    """Ping the dead-man's switch: ``url`` when detection ran recently and notifications
    get through, ``url/fail`` when detection is stale or a notification has been stuck
    longer than ``undelivered_after``. Throttled to ``ping_every``; returns the URL
    pinged, if any."""
    url = ping_url(cfg)
    if not url:
        return None
    hb = cfg.duty.heartbeat
    last = state.get_time(outbox.db, "ping.at")
    if last is not None and now - last < hb.ping_every:
        return None
    ok_at = state.get_time(outbox.db, outage.OK_AT)
    healthy = (ok_at is not None and now - ok_at <= hb.stale_after
               and not stuck_deliveries(outbox, now, hb.undelivered_after))
    target = url if healthy else fail_url(url)
    try:
        with urllib.request.urlopen(target, timeout=timeout) as resp:  # noqa: S310
            resp.read(64)
    except OSError as exc:
        log.warning("dead-man's switch ping to %s failed: %s", _site(target), exc)
        return None
    with outbox.transaction() as tx:
        state.put(tx, "ping.at", now.isoformat())
    return target
