"""Escalation: an alert nobody acknowledged goes up the chain, step after step.

``escalations`` remembers, per alert, the last step taken and when. An alert that was
notified (first notification in the outbox) and is still firing and unacknowledged
``escalation.after[level]`` later goes to ``chain[0]`` (the shift leader), again that long
later to ``chain[1]`` (the office head), and then to the last step again and again until
someone runs ``yuqing alerts ack``. The wait is that of the watch level of the shift on
duty, so a holiday (and its 24-hour shift, to the next morning) escalates faster. In
quiet hours (normal level, ``watch.quiet_hours``) only critical alerts escalate; the
others take their next step in the morning. Each step's notification id is a hash of
(alert, step, person): replaying a step after a crash sends nothing new. An escalation
still waiting in the outbox (its channel was down) when the alert is acknowledged,
silenced or resolved is cancelled: nobody is woken for an alert someone already took.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from alerts.config import is_special_receiver
from alerts.delivery import ESCALATION_SEP
from alerts.message import alert_link, render
from watch.levels import watch_at
from yuqing.records import Alert, AlertStatus

from . import state
from .messages import targets
from .receivers import people_for, person_receivers
from .roster import DutyRoster

log = logging.getLogger(__name__)
_SEVERITY = ["info", "warning", "critical"]


@dataclass
class EscalationReport:
    escalated: list[tuple[str, int, list[str]]] = field(default_factory=list)  # id, step, to
    waiting: int = 0
    cancelled: list[str] = field(default_factory=list)  # notification ids


def escalation_id(alert_id: str, step: int, receiver: str) -> str:
    return hashlib.sha256(f"escalation\x1f{alert_id}\x1f{step}\x1f{receiver}".encode()
                          ).hexdigest()[:32]


def escalate(cfg, outbox, alerts: Iterable[tuple[Alert, bool]], now: datetime,
             muted: Mapping[str, str] | None = None) -> EscalationReport:
    """``alerts``: (alert, acknowledged) pairs from the alert store; queues the steps due.
    ``muted``: alert id -> why it is silenced or inhibited now (routing.mute_reasons). A
    silence is an officer's decision about the issue ("水厂检修至明早"): it stops the
    escalation as an acknowledgement does, or the office head is woken all night."""
    esc = cfg.duty.escalation
    report = EscalationReport()
    muted = muted or {}
    stopped: dict[str, str] = {}
    for alert, acked in alerts:
        if acked:
            stopped[alert.id] = "alert acknowledged"
        elif alert.status is not AlertStatus.firing:
            stopped[alert.id] = f"alert {alert.status.value}"
        elif alert.id in muted:
            stopped[alert.id] = f"alert {muted[alert.id]}"
    for alert_id, why in stopped.items():
        cancelled = outbox.cancel_pending(f"escalation:{alert_id}",
                                          f"cancelled: {why} before delivery", now)
        report.cancelled += cancelled
        if cancelled:
            log.info("%s %s: %d pending escalation message(s) cancelled",
                     alert_id, why, len(cancelled))
    alerts = [(a, acked) for a, acked in alerts if a.id not in stopped]
    if not esc.enabled:
        return report
    roster = DutyRoster(cfg.duty) if cfg.duty.people else None
    # The level of the shift on duty: a holiday's 24-hour shift runs to day_start of the
    # next day, and its watch with it (as quiet hours follow the night they began).
    wait = esc.after[roster.at(now).level if roster else watch_at(now).level]
    quiet = cfg.watch.quiet(now)
    floor = _SEVERITY.index(esc.min_severity)
    for alert, _ in alerts:
        if _SEVERITY.index(alert.severity.value) < floor:
            continue
        if quiet and alert.severity.value != "critical":
            # Quiet hours hold non-critical alerts till the morning; their escalations
            # too, or a warning sent at 21:50 would wake the office head every half hour.
            report.waiting += 1
            continue
        db = outbox.db
        row = db.execute("SELECT step, last_at FROM escalations WHERE alert_id=?",
                         (alert.id,)).fetchone()
        if row is None:
            notified = state.first_notified(db, alert.id)
            if notified is None:
                continue  # nobody was told yet (muted, quiet hours): nothing to escalate
            step, last_at = 0, notified
        else:
            step, last_at = row[0], datetime.fromtimestamp(row[1], UTC)
        if now < last_at + wait:
            report.waiting += 1
            continue
        step += 1
        while True:
            target = esc.chain[min(step, len(esc.chain)) - 1]
            if is_special_receiver(target):
                receivers = person_receivers(people_for(cfg, target, [alert], now, roster))
            else:
                receivers = [target]
            if receivers or step >= len(esc.chain):
                break
            # Nobody at this step (no shift leader listed): the next one now, not a
            # whole wait later.
            log.warning("escalation of %s: %s means nobody now; trying the next step",
                        alert.id, target)
            step += 1
        if not receivers:
            receivers = targets(cfg, cfg.alerting.route.receiver or "", now)
            log.warning("escalation of %s: the whole chain means nobody now; sent to %s",
                        alert.id, ", ".join(receivers))
        console = cfg.alerting.console_url
        title, body = render([alert], kind="escalation", console_url=console)
        minutes = int((now - last_at).total_seconds() // 60)
        link = alert_link(console, alert.id)
        how = f"请打开 {link} 确认" if link else f"确认：yuqing alerts ack {alert.id[:12]}"
        # Delivery re-renders what follows the separator for each channel's size limit.
        body = f"此预警已 {minutes} 分钟无人确认，第 {step} 次升级。{how}{ESCALATION_SEP}{body}"
        with outbox.transaction() as tx:
            for r in receivers:
                state.add_message(tx, escalation_id(alert.id, step, r), r, "escalation",
                                  title, body, now, [alert], group_key=f"escalation:{alert.id}")
            tx.execute("INSERT INTO escalations (alert_id, step, last_at) VALUES (?,?,?) "
                       "ON CONFLICT (alert_id) DO UPDATE SET step=excluded.step, "
                       "last_at=excluded.last_at", (alert.id, step, now.timestamp()))
        report.escalated.append((alert.id, step, receivers))
        log.warning("alert %s not acknowledged for %d min: escalated (step %d) to %s",
                    alert.id, minutes, step, ", ".join(receivers) or "nobody")
    return report
