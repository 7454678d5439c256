"""Queued alert notifications checked again before they go out.

Alertmanager applies silences and inhibitions when it notifies, not only when it plans; a
notification here can wait in the outbox for minutes (a robot down, backoff up to
``delivery.backoff_max``), and meanwhile an officer may silence the alert or take it in
the console. What no longer should go out is dropped, each with its reason:

- silenced or inhibited now: dropped. Routing forgets a group whose alerts are all muted,
  so when the silence ends the alert starts a fresh group (``group_wait`` later) with what
  is known then; keeping the queued copy for a silence that ends before its retry would
  tell the receiver twice.
- acknowledged or handled: someone has it. A repeat is noise, and so is a first or update
  notification the console showed before any robot did: routing plans nothing for an
  alert acknowledged before its ``group_wait`` ends either, to anyone, so dropping it
  treats the late robot like the early one. Such a drop is logged as a warning (the
  receiver never heard of the alert).

A notification grouping several alerts loses only those dropped; it goes out with the
rest. Dropped rows stay in the outbox as ``cancelled`` with the reason (``yuqing alerts
outbox``). Escalations are checked by ``duty.escalation`` in the same spirit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from yuqing.records import Alert, AlertStatus

from .config import AlertingConfig
from .message import render
from .outbox import Outbox
from .routing import mute_reasons
from .silences import Silence

log = logging.getLogger(__name__)

ALERT_KINDS = ("first", "update", "repeat")


@dataclass(frozen=True)
class Dropped:
    """One alert taken out of a queued notification; ``cancelled``: the whole row went."""

    notification: str
    receiver: str
    kind: str
    alert_id: str
    reason: str
    cancelled: bool


def recheck_pending(cfg: AlertingConfig, outbox: Outbox, now: datetime,
                    silences: Iterable[Silence], taken: Mapping[str, str],
                    live: Iterable[Alert] = ()) -> list[Dropped]:
    """Drop what pending alert notifications should no longer carry. ``taken``: alert id
    -> who acknowledged or handled it, when; ``live``: the alerts firing now (they
    inhibit queued ones too)."""
    rows = [r for r in outbox.rows("pending") if r.kind in ALERT_KINDS and r.alerts]
    if not rows:
        return []
    # A queued copy may be of an alert that has resolved since: only the alerts firing
    # now inhibit (as when planning), so the copies count as targets only.
    known = {a.id: a.model_copy(update={"status": AlertStatus.resolved})
             for r in rows for a in r.alerts}
    known.update({a.id: a for a in live})
    muted = mute_reasons(cfg, list(known.values()), now, silences)
    out: list[Dropped] = []
    for row in rows:
        why = {a.id: muted.get(a.id) or taken.get(a.id) for a in row.alerts}
        gone = {aid: w for aid, w in why.items() if w}
        if not gone:
            continue
        keep = [a for a in row.alerts if a.id not in gone]
        text = "; ".join(f"{aid[:12]} {w}" for aid, w in gone.items())
        if keep:
            title, body = render(keep, kind=row.kind,  # type: ignore[arg-type]
                                 console_url=cfg.console_url)
            if not outbox.retain_alerts(row.id, keep, title, body, now):
                continue  # went in flight meanwhile
        elif not outbox.cancel(row.id, f"dropped before delivery: {text}", now):
            continue
        for aid, w in gone.items():
            out.append(Dropped(row.id, row.receiver, row.kind, aid, w, not keep))
        unseen = row.kind != "repeat" and any(
            aid in taken and aid not in muted for aid in gone)
        log.log(logging.WARNING if unseen else logging.INFO,
                "%s notification %s to %s (%d attempts so far) %s before delivery: %s%s",
                row.kind, row.id, row.receiver, row.attempts,
                "dropped" if not keep else f"lost {len(gone)} of its alerts", text,
                "; the receiver was never told of it" if unseen else "")
    return out
