"""``yuqing run``: APScheduler 3 wiring only; job bodies are in ``yuqing.jobs``.

* Persistent job store (SQLAlchemy; SQLite ``<data_dir>/state/jobs.sqlite`` by default).
  Jobs are added only when missing or changed, so after a restart the stored next run
  times are kept: a job that missed its time during the outage runs once (``coalesce``)
  if within ``misfire_grace``, never once per missed slot.
* ``max_instances=1`` per job; crawls run in a subprocess each, one job per source.
* Only the leader acts (``yuqing.leader``): a second instance idles as a standby.
* Timezone Asia/Shanghai; SIGTERM/SIGINT shut down gracefully (running jobs finish, the
  lock is released).
* Restart-safe: detection, escalation and heartbeat store their decisions with stable
  ids in the outbox, so a job that runs again after a crash sends nothing twice.
"""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_SUBMITTED,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from yuqing.config import Config, load_config, missing_secrets
from yuqing.leader import Leader, make_leader, renew
from yuqing.records import SHANGHAI

log = logging.getLogger(__name__)

_LEADER: Leader | None = None
_LEADER_LOCK = threading.Lock()


def _runs_db(cfg: Config) -> sqlite3.Connection:
    # Written from the scheduler's thread (the listener), created in the main one.
    db = sqlite3.connect(cfg.data_path("state", "jobruns.sqlite"), timeout=30,
                         isolation_level=None, check_same_thread=False)
    db.execute("CREATE TABLE IF NOT EXISTS job_runs (job TEXT, scheduled REAL, "
               "submitted REAL, pid INTEGER)")
    db.execute("CREATE TABLE IF NOT EXISTS job_errors (job TEXT, scheduled REAL, "
               "failed REAL, pid INTEGER, error TEXT)")
    return db


def job(kind: str, config_path: str | None, arg: str | None = None) -> None:
    """The one callable the job store refers to (by name, so it survives restarts)."""
    from yuqing import jobs

    with _LEADER_LOCK:
        leader = _LEADER is not None and _LEADER.is_leader()
    if not leader:
        if kind == "heartbeat" and _LEADER is not None:
            jobs.standby_heartbeat(load_config(config_path), datetime.now(SHANGHAI), _LEADER)
        log.debug("not the leader: %s skipped", kind)
        return
    cfg = load_config(config_path)
    now = datetime.now(SHANGHAI)
    if kind == "detect":
        r = jobs.detect_cycle(cfg, now)
        if r.fired or r.enqueued or r.dropped:
            log.info("detect: fired %d, firing %d, queued %d, delivered %d, dropped %d",
                     len(r.fired), r.firing, r.enqueued, r.delivered, r.dropped)
    elif kind == "escalate":
        jobs.escalate_job(cfg, now)
    elif kind == "heartbeat":
        jobs.heartbeat_job(cfg, now)
    elif kind == "crawl" and arg:
        jobs.crawl_job(cfg, arg, now, config_path=config_path,
                       timeout=cfg.scheduler.crawl_timeout.total_seconds())
    elif kind in ("daily", "weekly"):
        jobs.report_job(cfg, kind, now)
    elif kind == "retention":
        jobs.retention_job(cfg, now)
    else:
        log.error("unknown job kind %r", kind)


def wanted_jobs(cfg: Config, config_path: str | None) -> list[dict[str, Any]]:
    sc = cfg.scheduler
    tz = SHANGHAI
    out = [
        dict(id="detect", args=["detect", config_path],
             trigger=IntervalTrigger(seconds=sc.detect_every.total_seconds(), timezone=tz)),
        dict(id="escalate", args=["escalate", config_path],
             trigger=IntervalTrigger(seconds=sc.escalate_every.total_seconds(), timezone=tz)),
        dict(id="heartbeat", args=["heartbeat", config_path],
             trigger=IntervalTrigger(seconds=sc.heartbeat_every.total_seconds(), timezone=tz)),
    ]
    # One job per source, checking every minute whether the source is due at the current
    # watch level's interval (an interval trigger could not follow level changes).
    for s in cfg.sources:
        if s.enabled:
            out.append(dict(id=f"crawl:{s.id}", args=["crawl", config_path, s.id],
                            trigger=IntervalTrigger(
                                seconds=sc.crawl_check_every.total_seconds(), timezone=tz)))
    if sc.daily_report:
        h, m = sc.daily_report.split(":")
        out.append(dict(id="report:daily", args=["daily", config_path],
                        trigger=CronTrigger(hour=int(h), minute=int(m), timezone=tz)))
    if sc.retention:
        h, m = sc.retention.split(":")
        out.append(dict(id="retention", args=["retention", config_path],
                        trigger=CronTrigger(hour=int(h), minute=int(m), timezone=tz)))
    if sc.weekly_report:
        h, m = sc.weekly_report.split(":")
        out.append(dict(id="report:weekly", args=["weekly", config_path],
                        trigger=CronTrigger(day_of_week="mon", hour=int(h), minute=int(m),
                                            timezone=tz)))
    return out


def build_scheduler(cfg: Config, config_path: str | None) -> BackgroundScheduler:
    sc = cfg.scheduler
    url = sc.jobstore_url or f"sqlite:///{Path(cfg.data_path('state', 'jobs.sqlite'))}"
    cfg.data_path("state").mkdir(parents=True, exist_ok=True)
    n = len(cfg.sources)
    sched = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=url)},
        executors={"default": ThreadPoolExecutor(max_workers=6 + n)},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": int(sc.misfire_grace.total_seconds())},
        timezone=SHANGHAI)
    runs = _runs_db(cfg)

    def submitted(event: JobSubmissionEvent) -> None:
        # What was run for which slot: shows coalescing (one run for several missed slots).
        now = datetime.now(UTC).timestamp()
        runs.executemany("INSERT INTO job_runs VALUES (?,?,?,?)",
                         [(event.job_id, t.timestamp(), now, os.getpid())
                          for t in event.scheduled_run_times])

    def failed(event: JobExecutionEvent) -> None:
        # APScheduler logs the traceback; this counts it, per job, where `job_runs` is.
        runs.execute("INSERT INTO job_errors VALUES (?,?,?,?,?)",
                     (event.job_id, event.scheduled_run_time.timestamp(),
                      datetime.now(UTC).timestamp(), os.getpid(),
                      repr(event.exception)[:500]))
        n = runs.execute("SELECT count(*) FROM job_errors WHERE job=?",
                         (event.job_id,)).fetchone()[0]
        log.error("job %s failed (%d failures so far): %r", event.job_id, n,
                  event.exception)

    sched.add_listener(submitted, EVENT_JOB_SUBMITTED)
    sched.add_listener(failed, EVENT_JOB_ERROR)
    return sched


def sync_jobs(sched: BackgroundScheduler, wanted: list[dict[str, Any]]) -> None:
    """Add missing jobs, replace changed ones, remove retired ones; keep the rest as stored
    (their next run time is what makes a restart catch up on missed runs)."""
    existing = {j.id: j for j in sched.get_jobs()}
    target = f"{__name__}:job"
    for spec in wanted:
        cur = existing.pop(spec["id"], None)
        if (cur is not None and str(cur.trigger) == str(spec["trigger"])
                and list(cur.args) == spec["args"] and cur.func_ref == target):
            continue
        sched.add_job(target, trigger=spec["trigger"], args=spec["args"], id=spec["id"],
                      name=spec["id"], replace_existing=True)
        log.info("job %s scheduled: %s", spec["id"], spec["trigger"])
    for jid in existing:
        sched.remove_job(jid)
        log.info("job %s removed (no longer configured)", jid)


def run_forever(config_path: str | None, *, log_level: str = "INFO") -> int:
    global _LEADER
    from watch.calendar import configure
    from watch.levels import calendar_warnings, watch_at
    from yuqing import jobs

    cfg = load_config(config_path)
    configure(cfg.calendar)
    path = str(Path(config_path).resolve()) if config_path else os.environ.get(
        "YUQING_CONFIG")
    now = datetime.now(SHANGHAI)
    for w in calendar_warnings(now):
        log.warning("CALENDAR: %s", w)
    # Not fatal: other channels and the fallback still deliver, and detection goes on.
    for m in missing_secrets(cfg):
        log.error("CHANNEL: %s", m)
    w = watch_at(now)
    log.warning("yuqing run starting: watch level %s %s", w.level, "；".join(w.reasons))
    _LEADER = make_leader(cfg)
    stopping = threading.Event()

    def stop(signum: int, _frame: Any) -> None:
        log.warning("signal %d: shutting down (waiting for running jobs)", signum)
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if not _LEADER.is_leader():
        # A standby must not touch the shared job store: it would consume the leader's
        # catch-up runs. It starts its scheduler only once it holds the lock.
        log.warning("another instance holds the lock: standing by")
        while not _LEADER.is_leader():
            if stopping.wait(5.0):
                log.warning("yuqing run stopped (was standing by)")
                return 0
    jobs.mark_started(cfg, datetime.now(SHANGHAI))
    sched = build_scheduler(cfg, path)
    # Start paused so the stored jobs are synchronised with the configuration before the
    # first (possibly coalesced) catch-up run.
    sched.start(paused=True)
    sync_jobs(sched, wanted_jobs(cfg, path))
    sched.resume()
    held = True
    try:
        while not stopping.wait(5.0):
            with _LEADER_LOCK:
                held = renew(_LEADER, held)
        sched.shutdown(wait=True)
    finally:
        _LEADER.release()
    log.warning("yuqing run stopped")
    return 0
