"""Delivering the outbox: retries with exponential backoff, then the fallback receiver.

Guarantee: at least once, and exactly once except in one window. A notification is marked
``sent`` only after every channel of its receiver accepted it, and its id is unique, so
it is never planned or delivered twice. The window: the process dies after a channel
answered 200 but before SQLite recorded it. The row is then found in ``sending`` at the
next start; we cannot know whether the robot showed the message, so we send it again
rather than risk losing it, and mark the repeat ``[可能重复]`` so the duty officer knows.
The ``sending`` state (committed before the request) is what makes such a repeat rare
and visible instead of silent; per-channel progress is committed after each channel so
a receiver with several channels only repeats the one that was in flight.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .channels import limit_for, send
from .config import AlertingConfig, Delivery
from .message import _cut, render, size
from .outbox import Outbox, OutboxRow

log = logging.getLogger(__name__)

MAYBE_DUPLICATE = "[可能重复] "


@dataclass
class DeliveryReport:
    sent: int = 0
    failed_attempts: int = 0
    failed_over: int = 0
    recovered: int = 0
    blackholed: int = 0  # receivers without channels
    errors: list[str] = field(default_factory=list)
    busy: bool = False  # another deliverer held the outbox: nothing was attempted

    def summary(self) -> str:
        return (f"sent={self.sent} failed_attempts={self.failed_attempts} "
                f"failed_over={self.failed_over} recovered={self.recovered} "
                f"no_channels={self.blackholed}" + (" busy" if self.busy else ""))


def backoff(attempts: int, d: Delivery) -> timedelta:
    """Wait after the ``attempts``-th failure: initial, 2×, 4×, … capped at backoff_max."""
    # The exponent is capped first: a receiver retried all night (no fallback) reaches
    # its 43rd failure in about 19 h, and 2**42 × 30 s overflows timedelta.
    doublings = min(max(0, attempts - 1), 40)
    seconds = d.backoff_initial.total_seconds() * 2.0 ** doublings
    return timedelta(seconds=min(seconds, d.backoff_max.total_seconds()))


def fallback_id(nid: str, receiver: str) -> str:
    return hashlib.sha256(f"{nid}\x1ffallback\x1f{receiver}".encode()).hexdigest()[:32]


ESCALATION_SEP = "\n\n"  # between an escalation's own first line and the alert message


def _content(row: OutboxRow, limit: int, console_url: str | None = None
             ) -> tuple[str, str]:
    """Alert notifications and escalations are re-rendered for each channel's limit, so
    their item lists shrink rather than the alert id and the last links being cut off;
    other messages (heartbeat, hand-over) were written whole and are cut to fit."""
    if row.alerts and row.kind in ("first", "update", "repeat"):
        return render(row.alerts, kind=row.kind, limit=limit, console_url=console_url)
    if row.alerts and row.kind == "escalation" and ESCALATION_SEP in row.body:
        head = row.body.split(ESCALATION_SEP, 1)[0]
        title, body = render(row.alerts, kind="escalation", console_url=console_url,
                             limit=max(limit - size(head + ESCALATION_SEP), 0))
        return title, head + ESCALATION_SEP + body
    title = _cut(row.title, max(limit // 4, 40))
    return title, _cut(row.body, limit - size(title))


def _attempt(cfg: AlertingConfig, outbox: Outbox, row: OutboxRow, now: datetime,
             report: DeliveryReport) -> None:
    try:
        receiver = cfg.receiver(row.receiver)
    except KeyError:
        receiver = None
    outbox.mark_sending(row.id, now)
    attempts = row.attempts + 1
    if receiver is None:
        errors = [f"receiver {row.receiver!r} is no longer configured"]
    elif not receiver.channels and receiver.fallback:
        # Someone with no way to reach them (a person listed without channels): the
        # fallback answers at once rather than the message vanishing.
        error = "receiver has no channels"
        outbox.fail_over(row, receiver.fallback, fallback_id(row.id, receiver.fallback),
                         error, now)
        report.failed_over += 1
        log.warning("notification %s: receiver %s has no channels; handed to fallback %s",
                    row.id, row.receiver, receiver.fallback)
        return
    elif not receiver.channels:
        outbox.mark_sent(row.id, now, note="receiver has no channels; nothing sent")
        report.blackholed += 1
        log.warning("notification %s: receiver %s has no channels; nothing sent",
                    row.id, row.receiver)
        return
    else:
        done = list(row.channels_done)
        errors = []
        for idx, ch in enumerate(receiver.channels):
            if idx in done:
                continue
            # The mark is part of the message: the fit leaves room for it.
            mark = MAYBE_DUPLICATE if row.maybe_duplicate else ""
            title, body = _content(row, limit_for(ch) - size(mark), cfg.console_url)
            title = mark + title
            result = send(ch, title, body, timeout=cfg.delivery.timeout_seconds)
            if result.ok:
                done.append(idx)
                outbox.mark_channel_done(row.id, done, now)
            else:
                errors.append(f"channel {idx} ({ch.type}): {result.error}")
        if not errors:
            outbox.mark_sent(row.id, now)
            report.sent += 1
            log.info("notification %s sent to %s (attempt %d)", row.id, row.receiver,
                     attempts)
            return
    error = "; ".join(errors)
    report.failed_attempts += 1
    report.errors.append(f"{row.id} → {row.receiver}: {error}")
    fallback = receiver.fallback if receiver else None
    if attempts >= cfg.delivery.max_attempts and fallback:
        outbox.fail_over(row, fallback, fallback_id(row.id, fallback), error, now)
        report.failed_over += 1
        log.error("notification %s to %s failed %d times (%s); handed to fallback %s",
                  row.id, row.receiver, attempts, error, fallback)
        return
    # Without a fallback we keep trying at the capped interval: never drop an alert.
    wait = backoff(attempts, cfg.delivery)
    outbox.mark_retry(row.id, error, now + wait, now)
    level = logging.ERROR if attempts >= cfg.delivery.max_attempts else logging.WARNING
    log.log(level, "notification %s to %s failed (attempt %d): %s; retry in %s",
            row.id, row.receiver, attempts, error, wait)


# Longer than a normal round of sends (each channel times out); short enough that a stuck
# deliverer (a hung ``handover --send``) cannot park the heartbeat and detection jobs.
LOCK_WAIT_SECONDS = 60.0


def deliver_due(cfg: AlertingConfig, outbox: Outbox, now: datetime | None = None, *,
                max_rounds: int = 5, lock_wait: float = LOCK_WAIT_SECONDS) -> DeliveryReport:
    """Attempt every notification that is due; fallback notifications created on the way
    are attempted in the same call (up to ``max_rounds`` passes)."""
    now = now or datetime.now(UTC)
    with _exclusive(outbox, lock_wait) as held:
        if not held:
            # What is due stays due: the holder, or this job's next run, sends it.
            log.warning("outbox %s: another deliverer has held it for %ss; leaving what is "
                        "due to it or to the next run", outbox.path, lock_wait)
            return DeliveryReport(busy=True)
        return _deliver_locked(cfg, outbox, now, max_rounds)


@contextmanager
def _exclusive(outbox: Outbox, wait: float) -> Iterator[bool]:
    """One deliverer at a time per outbox, across threads and processes (the scheduler's
    jobs, a manual ``yuqing handover --send``). Without it, ``recover`` would take another
    deliverer's in-flight row for a crashed one and send it twice. flock is released by
    the kernel when a holder dies, so a crash leaves no stale lock. Yields False when
    the lock was not had within ``wait`` seconds."""
    fd = os.open(f"{outbox.path}.deliver.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.1)
        yield True
    finally:
        os.close(fd)


def _deliver_locked(cfg: AlertingConfig, outbox: Outbox, now: datetime,
                    max_rounds: int) -> DeliveryReport:
    report = DeliveryReport()
    recovered = outbox.recover(now)
    report.recovered = len(recovered)
    for nid in recovered:
        log.warning("notification %s was interrupted mid-delivery; sending again, marked "
                    "as possibly duplicate", nid)
    for _ in range(max_rounds):
        rows = outbox.due(now)
        if not rows:
            break
        for row in rows:
            _attempt(cfg, outbox, row, now, report)
    if report.sent or report.failed_attempts or report.recovered:
        log.info("delivery: %s", report.summary())
    return report
