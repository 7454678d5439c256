"""The jobs the scheduler runs, each a function of (configuration, now).

``detect_cycle`` is detection + alert state + routing + delivery for one moment: read the
recent analysed items back from Elasticsearch (incrementally, see yuqing.observations),
evaluate every key at ``now``, store new alerts, resolve old ones, and hand the firing
ones to the dispatcher. Restart-safe: the cool-down is seeded from the stored alerts (an
alert handled since ends its key's cool-down: see detection.detector) and alert ids are
stable, so running the same minute twice neither re-fires nor re-sends.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from detection.detector import Detector
from detection.sensitivity import configured_sensitivity
from yuqing.config import Config
from yuqing.observations import ObservationCache
from yuqing.records import Alert, AlertStatus, Severity, in_shanghai

log = logging.getLogger(__name__)


@dataclass
class CycleReport:
    observed: int = 0
    fired: list[Alert] = field(default_factory=list)
    resolved: int = 0
    firing: int = 0
    enqueued: int = 0
    delivered: int = 0
    # alerts taken out of queued notifications (silenced, acknowledged...: alerts.recheck)
    dropped: int = 0


# Kept between cycles of this process (the scheduler's): see yuqing.observations.
_OBSERVATIONS = ObservationCache()


def _as_alert(doc: dict[str, Any]) -> Alert:
    return Alert.model_validate({k: v for k, v in doc.items() if k in Alert.model_fields})


def _handled_at(doc: dict[str, Any]) -> datetime | None:
    if not (value := doc.get("handled_at")):
        return None
    return in_shanghai(datetime.fromisoformat(value))


def _taken_by(doc: dict) -> str:
    """Why an alert needs no more notifications, for the outbox and the log."""
    if doc.get("handled_at"):
        return f"handled by {doc.get('handled_by')} at {doc['handled_at']}"
    return f"acknowledged by {doc.get('acknowledged_by')} at {doc['acknowledged_at']}"


def _hold_for_quiet_hours(cfg: Config, alerts: list[Alert], now: datetime) -> list[Alert]:
    """At the normal watch level, only critical alerts are sent in quiet hours; the rest
    wait for the morning (their group starts over then). Elevated levels have none."""
    if not cfg.watch.quiet(now):
        return alerts
    return [a for a in alerts if a.severity.value == "critical"]


def resolved_alerts(stored: list[Alert], fired: list[Alert], health_firing: set[str],
                    now: datetime, cooldown: timedelta) -> list[Alert]:
    """Stored firing alerts that resolve now, as resolved copies. An alert stays firing
    through its cool-down; after that it resolves (it may fire again as a new episode).
    Crawl health resolves when the source recovers. A warning whose growth has just
    turned critical is superseded by the critical alert."""
    from duty.health import RULE as HEALTH_RULE

    upgraded = {a.labels.get("key") for a in fired if a.severity is Severity.critical}
    return [a.model_copy(update={"status": AlertStatus.resolved}) for a in stored
            if a.status is AlertStatus.firing and (
                a.id not in health_firing if a.rule == HEALTH_RULE
                else now - a.fired_at >= cooldown
                or (a.severity is Severity.warning and a.labels.get("key") in upgraded))]


def detect_cycle(cfg: Config, now: datetime, *, deliver: bool = True) -> CycleReport:
    """One detection cycle: observe, evaluate, store the alerts, dispatch and deliver.
    A failure is noted in the duty state (for ``duty.outage``, which tells the officer
    when detection stalls) and raised."""
    try:
        return _detect_cycle(cfg, now, deliver=deliver)
    except Exception as exc:
        _note_failure(cfg, now, exc)
        raise


def _note_failure(cfg: Config, now: datetime, exc: Exception) -> None:
    from duty import outage, state

    try:
        outbox = state.open_outbox(cfg)
    except Exception:  # the outbox is what tells anyone; its own failure is logged only
        log.exception("detection failed and its failure could not be recorded")
        return
    try:
        with outbox.transaction() as tx:
            state.put(tx, outage.FAILED_AT, now.isoformat())
            state.put(tx, outage.ERROR, f"{type(exc).__name__}: {exc}"[:1000])
    finally:
        outbox.close()


def _detect_cycle(cfg: Config, now: datetime, *, deliver: bool) -> CycleReport:
    from alerts.delivery import deliver_due
    from alerts.dispatch import dispatch
    from duty import outage, state
    from duty.health import RULE as HEALTH_RULE
    from duty.health import health_alerts
    from duty.receivers import effective_alerting, expand_plan
    from storage import open_alert_stores, open_store
    from watch.calendar import configure
    from watch.intervals import interval_check

    configure(cfg.calendar)
    report = CycleReport()
    s = configured_sensitivity(cfg, now)
    store = open_store(cfg)
    alert_store, silence_store = open_alert_stores(cfg)
    since = now - timedelta(days=s.baseline_days + 1) - s.window
    detector = Detector(sensitivity=s)
    for obs in _OBSERVATIONS.load(cfg, store, since, now + timedelta(seconds=1), now):
        if obs.when <= now:
            detector.observe(obs)
            report.observed += 1
    earliest = store.earliest()
    if earliest is not None:
        # Observation began when the collected data begins (quiet keys count as zeros
        # from then on), not at the first complaint.
        detector.started = earliest
    # Firing ones (to resolve and remind) and those inside the cool-down (to respect it):
    # every one of them, however busy the week.
    docs = alert_store.firing_or_fired_since(now - s.cooldown)
    stored = [_as_alert(d) for d in docs]
    # Acknowledged or handled: someone has it. Repeating it every repeat_interval for
    # its three days of cool-down (and afresh each morning after quiet hours) is noise.
    taken = {d["id"]: _taken_by(d) for d in docs
             if d.get("acknowledged_at") or d.get("handled_at")}
    for alert, doc in zip(stored, docs, strict=True):
        if alert.rule != HEALTH_RULE and now - alert.fired_at < s.cooldown:
            # Handled: its key's cool-down ends then (a new wave is a recurrence).
            detector.remember(alert, _handled_at(doc))
    report.fired = detector.evaluate(now, None, s)
    # Crawl health: an episode is firing while the source stays silent / failing.
    try:
        health = {a.id: a for a in health_alerts(cfg, now)}
    except Exception:  # a broken crawl state must not stop detection
        log.exception("crawl health check failed")
        health = {}
    stored_firing = {a.id for a in stored if a.status is AlertStatus.firing}
    report.fired += [a for a in health.values() if a.id not in stored_firing]
    resolved = resolved_alerts(stored, report.fired, set(health), now, s.cooldown)
    alert_store.upsert([*report.fired, *resolved], now, refresh=True)
    report.resolved = len(resolved)
    resolved_ids = {a.id for a in resolved}
    firing = {a.id: a for a in stored
              if a.status is AlertStatus.firing and a.id not in resolved_ids}
    firing.update({a.id: a for a in report.fired})
    report.firing = len(firing)
    alerting = effective_alerting(cfg)
    outbox = state.open_outbox(cfg)
    try:
        open_alerts = [a for a in firing.values() if a.id not in taken]
        result = dispatch(alerting, _hold_for_quiet_hours(cfg, open_alerts, now),
                          now, outbox, silence_store.list(active_at=now),
                          intervals=interval_check(cfg.alerting.time_intervals),
                          expand=lambda p, t: expand_plan(cfg, p, t), deliver=False,
                          taken=taken)
        report.enqueued = result.enqueued
        report.dropped = len(result.dropped)
        with outbox.transaction() as tx:
            state.put(tx, outage.OK_AT, now.isoformat())
        if deliver:
            report.delivered = deliver_due(alerting, outbox, now).sent
    finally:
        outbox.close()
    for a in report.fired:
        log.info("alert fired: %s [%s] %s", a.id, a.severity.value, a.title)
    return report


def _firing_with_ack(cfg: Config, also: Iterable[str] = ()) -> list[tuple[Alert, bool]]:
    """Firing alerts with their acknowledgement, plus the alerts named in ``also``
    (whatever their status now: those with escalation messages still pending)."""
    from storage import open_alert_stores

    alert_store, _ = open_alert_stores(cfg)
    docs = {d["id"]: d for d in alert_store.firing()}
    for alert_id in also:
        if alert_id not in docs and (d := alert_store.get(alert_id)) is not None:
            docs[alert_id] = d
    return [(_as_alert(d), bool(d.get("acknowledged_at"))) for d in docs.values()]


def escalate_job(cfg: Config, now: datetime, *, deliver: bool = True):
    """Escalate unacknowledged alerts (duty.escalation), then deliver what is due."""
    from alerts.delivery import deliver_due
    from alerts.routing import mute_reasons
    from duty import state
    from duty.escalation import escalate
    from duty.receivers import effective_alerting
    from storage import open_alert_stores
    from watch.calendar import configure

    configure(cfg.calendar)
    outbox = state.open_outbox(cfg)
    try:
        pending = [g.removeprefix("escalation:")
                   for g in outbox.pending_groups("escalation:")]
        alerts = _firing_with_ack(cfg, pending)
        _, silence_store = open_alert_stores(cfg)
        muted = mute_reasons(cfg.alerting, [a for a, _ in alerts], now,
                             silence_store.list(active_at=now))
        return escalate(cfg, outbox, alerts, now, muted)
    finally:
        try:
            # Even when the alert state could not be read (the cluster down): what is
            # already in the outbox is due regardless, and must not wait for the cluster.
            if deliver:
                deliver_due(effective_alerting(cfg), outbox, now)
        finally:
            outbox.close()


def heartbeat_job(cfg: Config, now: datetime, *, deliver: bool = True) -> list[str]:
    """The shift / watch-level heartbeat, the notice when detection stalls (or recovers),
    and the dead-man's switch ping."""
    from alerts.delivery import deliver_due
    from duty import heartbeat, outage, state
    from duty.receivers import effective_alerting
    from watch.calendar import configure

    configure(cfg.calendar)
    outbox = state.open_outbox(cfg)
    try:
        new = heartbeat.tick(cfg, outbox, now)
        new += outage.check(cfg, outbox, now)
        heartbeat.ping(cfg, outbox, now)
        # Whatever is due, not only a new heartbeat: the other jobs deliver after reading
        # Elasticsearch, so while it is down this is what retries the outbox.
        if deliver:
            deliver_due(effective_alerting(cfg), outbox, now)
        return new
    finally:
        outbox.close()


def mark_started(cfg: Config, now: datetime) -> None:
    """``yuqing run`` leads from ``now``: a stall is counted from here at the earliest."""
    from duty import outage, state

    outbox = state.open_outbox(cfg)
    try:
        outage.started(outbox, now)
    finally:
        outbox.close()


def standby_heartbeat(cfg: Config, now: datetime, leader) -> list[str]:
    """The heartbeat job of an instance that does not lead. Usually nothing: the leader
    speaks. But a leader cut off from the cluster that decides leadership stands down
    when its lease ends, and if the whole cluster is down nobody leads: the one that led
    last still tells the officer that detection has stalled (and delivers its outbox). When
    it later sees another instance leading, the stall it told of is over."""
    from alerts.delivery import deliver_due
    from duty import outage, state
    from duty.receivers import effective_alerting

    if not (leader.cut_off or leader.holder_seen):
        return []
    outbox = state.open_outbox(cfg)
    try:
        if leader.cut_off:
            new = outage.check(cfg, outbox, now, note=(
                f"本实例（{socket.gethostname()}）连不上 Elasticsearch，领导租约已失效；"
                "若其他实例连得上集群，它会接管检测并另发心跳。"))
        else:
            new = outage.taken_over(cfg, outbox, now, leader.holder_seen)
        if new or leader.cut_off:
            deliver_due(effective_alerting(cfg), outbox, now)
        return new
    finally:
        outbox.close()


def crawl_due(cfg: Config, source_id: str, now: datetime) -> bool:
    """Whether a source is due for a crawl at the current watch level's interval."""
    from duty import state
    from watch.levels import watch_at

    source = cfg.source(source_id)
    minutes = source.interval_at(watch_at(now).level, cfg.watch.crawl_factor)
    outbox = state.open_outbox(cfg)
    try:
        last = state.get_time(outbox.db, f"crawl.{source_id}.started")
    finally:
        outbox.close()
    return last is None or now - last >= timedelta(minutes=minutes) - timedelta(seconds=5)


def crawl_job(cfg: Config, source_id: str, now: datetime, *, config_path: str | None = None,
              timeout: float = 3600.0) -> int | None:
    """Crawl one source in a subprocess when due: Scrapy's Twisted reactor cannot be
    restarted in-process and must never block the scheduler; a crash stays contained.
    Returns the exit code, or None when the source was not due."""
    import subprocess
    import sys

    from duty import state
    from watch.calendar import configure

    configure(cfg.calendar)
    if not crawl_due(cfg, source_id, now):
        return None
    outbox = state.open_outbox(cfg)
    try:
        with outbox.transaction() as tx:
            state.put(tx, f"crawl.{source_id}.started", now.isoformat())
    finally:
        outbox.close()
    cmd = [sys.executable, "-m", "yuqing.cli"]
    if config_path:
        cmd += ["--config", config_path]
    cmd += ["crawl", source_id]
    try:
        proc = subprocess.run(cmd, timeout=timeout, capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        log.error("crawl of %s timed out after %.0fs (killed)", source_id, timeout)
        return -1
    if proc.returncode:
        log.error("crawl of %s exited %d: %s", source_id, proc.returncode,
                  proc.stderr.strip()[-500:])
    return proc.returncode


def report_job(cfg: Config, kind: str, now: datetime) -> str:
    """Write the daily or weekly report (and send it when scheduler.report_send is set)."""
    from reports import build, default_path, write

    fmt = cfg.scheduler.report_format
    data, doc = build(cfg, kind, None, now)
    path = write(doc, fmt, default_path(cfg, data, fmt))
    if cfg.scheduler.report_send:
        from reports.send import send_report

        for channel, res in send_report(cfg, cfg.scheduler.report_send, doc):
            if not res.ok:
                log.error("sending the %s report to %s/%s failed: %s", kind,
                          cfg.scheduler.report_send, channel, res.error)
    log.info("%s report written to %s", kind, path)
    return str(path)


def retention_job(cfg: Config, now: datetime, months: int | None = None) -> list[str]:
    """Drop the monthly item indices past ``months`` (``elasticsearch.retention_months``):
    the whole retention policy, as the minimal node has no ILM. The crawl state's page
    texts of long threads (kept to rebuild them from new pages) go with those months.
    Returns the indices dropped."""
    from crawlers.state import CrawlState
    from storage import connect
    from storage.admin import apply_retention, retention_cutoff

    months = months or cfg.elasticsearch.retention_months
    gone = apply_retention(connect(cfg.elasticsearch), cfg.elasticsearch.prefix, now, months)
    if gone:
        log.info("retention %d months: dropped %s", months, ", ".join(gone))
    st = CrawlState.for_config(cfg)
    try:
        if n := st.prune_threads(retention_cutoff(now, months)):
            log.info("retention %d months: forgot the page texts of %d thread(s)", months, n)
    finally:
        st.close()
    return gone
