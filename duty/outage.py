"""Monitoring interrupted: the duty officer hears when detection stops completing.

Detection runs every minute. When no cycle has completed for ``heartbeat.outage_after``
(Elasticsearch down, a broken mapping, a cycle that hangs), new and growing complaints
raise no alert, and a quiet phone would be read as a quiet county. The heartbeat job,
which needs nothing but the outbox, then queues 【舆情监测中断】 to the heartbeat receiver
once per interruption, with the last error; when a cycle completes again, 【舆情监测恢复】
with how long it lasted. Each is queued once (stable ids in the outbox), however often the
job runs and whatever restarts happen in between.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timedelta

from yuqing.records import SHANGHAI

from . import state
from .messages import queue

log = logging.getLogger(__name__)
KIND = "outage"
# Written by ``yuqing.jobs.detect_cycle``: its last completion, its last failure.
OK_AT, FAILED_AT, ERROR = "detect.ok_at", "detect.failed_at", "detect.error"
# Written by ``yuqing run`` when it starts leading.
STARTED = "run.started_at"
_FIRST_SEEN, _NOTIFIED = "outage.first_seen", "outage.notified"


def _hm(t: datetime) -> str:
    return t.astimezone(SHANGHAI).strftime("%m-%d %H:%M")


def _minutes(d: timedelta) -> str:
    m = int(d.total_seconds() // 60)
    return f"{m // 60} 小时 {m % 60} 分钟" if m >= 60 else f"{m} 分钟"


def started(outbox, now: datetime) -> None:
    """``yuqing run`` began leading at ``now``."""
    state.put(outbox.db, STARTED, now.isoformat())


def stalled_since(db: sqlite3.Connection, now: datetime) -> datetime:
    """Since when detection has not completed: its last completion, but no earlier than
    ``yuqing run`` began leading (a restart after a night switched off is not a stall of
    that night; a stopped process is the dead-man's switch's to notice), or (never
    completed, never marked) the first time this was asked, so a node that never gets a
    cycle through is reported too, without alarming on the first minute of a fresh
    install."""
    marks = [t for t in (state.get_time(db, OK_AT), state.get_time(db, STARTED)) if t]
    if marks:
        return max(marks)
    first = state.get_time(db, _FIRST_SEEN)
    if first is None:
        state.put(db, _FIRST_SEEN, now.isoformat())  # autocommit: one statement
        return now
    return first


def problem(cfg, db: sqlite3.Connection, now: datetime) -> str | None:
    """One heartbeat line while detection is stalled, or None."""
    after = cfg.duty.heartbeat.outage_after
    since = stalled_since(db, now)
    if after is None or now - since < after:
        return None
    return f"预警检测自 {_hm(since)} 起未完成（{_minutes(now - since)}），新增舆情不会预警"


def check(cfg, outbox, now: datetime, note: str | None = None) -> list[str]:
    """Queue the interruption notice (with ``note``, if any) or the recovery notice when
    due; returns the ids that were new."""
    after = cfg.duty.heartbeat.outage_after
    if after is None:
        return []
    db = outbox.db
    since = stalled_since(db, now)
    notified = state.get_time(db, _NOTIFIED)
    ok_at = state.get_time(db, OK_AT)
    receiver = cfg.duty.heartbeat.receiver
    if notified is not None and ok_at is not None and ok_at > notified:
        # A cycle completed after the one the stall was counted from: it is over (a
        # restart meanwhile is not: only a completed cycle ends it).
        title = "【舆情监测恢复】预警检测已恢复"
        body = (f"时间：{now.astimezone(SHANGHAI):%Y-%m-%d %H:%M}\n"
                f"中断时段：{_hm(notified)}—{_hm(ok_at)}（{_minutes(ok_at - notified)}）\n"
                "检测已恢复按分钟运行；中断期间入库的内容在检测窗口内照常计算。")
        new = queue(cfg, outbox, receiver, KIND, f"recovered|{notified.isoformat()}",
                    title, body, now, marks={_NOTIFIED: ""})
        log.warning("detection completed again after stalling since %s: recovery notice "
                    "queued", notified.isoformat())
        return new
    if notified is not None or now - since < after:
        return []
    failed = state.get_time(db, FAILED_AT)
    if failed is not None and failed >= since:
        cause = f"最近错误（{_hm(failed)}）：{(state.get(db, ERROR) or '')[:300]}"
    else:
        cause = "检测没有报错，也没有完成：可能卡在某一步（如 Elasticsearch 无响应）"
    title = f"【舆情监测中断】预警检测已 {_minutes(now - since)}未完成"
    body = "\n".join([
        f"时间：{now.astimezone(SHANGHAI):%Y-%m-%d %H:%M}",
        f"自 {_hm(since)} 起预警检测未能完成一轮：此期间新出现或增长的投诉不会预警。",
        cause,
        *([note] if note else []),
        "请检查 Elasticsearch（`yuqing es status`）和调度日志；恢复前请人工巡查重点信息源。",
        "恢复后会另行通知。"])
    new = queue(cfg, outbox, receiver, KIND, f"stalled|{since.isoformat()}", title, body,
                now, marks={_NOTIFIED: since.isoformat()})
    log.error("detection has not completed since %s: interruption notice queued",
              since.isoformat())
    return new


def taken_over(cfg, outbox, now: datetime, leader: str) -> list[str]:
    """This instance told of a stall, then stood down, and now sees ``leader`` (another
    instance) leading: detection goes on there, so the stall it told of is over."""
    notified = state.get_time(outbox.db, _NOTIFIED)
    if notified is None:
        return []
    title = "【舆情监测恢复】预警检测由其他实例继续"
    body = (f"时间：{now.astimezone(SHANGHAI):%Y-%m-%d %H:%M}\n"
            f"本实例自 {_hm(notified)} 起未完成检测，已重新连上 Elasticsearch；"
            f"检测由当前领导实例 {leader} 继续进行，请以其心跳为准。")
    log.warning("detection stalled here since %s is carried on by %s: recovery notice "
                "queued", notified.isoformat(), leader)
    return queue(cfg, outbox, cfg.duty.heartbeat.receiver, KIND,
                 f"taken-over|{notified.isoformat()}", title, body, now,
                 marks={_NOTIFIED: ""})
