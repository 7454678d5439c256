"""One dispatch cycle, as the scheduler runs it every minute after detection.

Detection hands over the currently firing ``Alert`` records and ``now``; silences come from
Elasticsearch (the caller passes them so that this module needs no cluster and an ES
outage does not stop alerts).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from yuqing.records import Alert

from .config import AlertingConfig
from .delivery import DeliveryReport, deliver_due
from .outbox import Outbox
from .recheck import Dropped, recheck_pending
from .routing import IntervalCheck, Plan, plan
from .silences import Silence

log = logging.getLogger(__name__)


def outbox_path(cfg) -> Path:
    """Where the outbox lives for a full ``yuqing.config.Config``."""
    return cfg.data_path("state", "outbox.sqlite")


@dataclass
class DispatchResult:
    plan: Plan
    enqueued: int
    delivery: DeliveryReport | None
    dropped: list[Dropped]


def dispatch(cfg: AlertingConfig, alerts: Iterable[Alert], now: datetime, outbox: Outbox,
             silences: Iterable[Silence] = (), *, intervals: IntervalCheck | None = None,
             expand: Callable[[Plan, datetime], Plan] | None = None,
             deliver: bool = True, taken: Mapping[str, str] | None = None) -> DispatchResult:
    """Plan what is due at ``now``, store it durably, drop from the notifications still
    queued what is now silenced, inhibited or ``taken`` (alert id -> who acknowledged or
    handled it; alerts.recheck), then (optionally) deliver the outbox.

    ``expand`` rewrites the plan before it is stored: the duty roster turns ``@on-duty``
    and ``@grid`` into the people they mean at ``now`` (duty.receivers.expand_plan)."""
    alerts, silences = list(alerts), list(silences)
    p = plan(cfg, alerts, now, outbox.group_state(), silences, intervals)
    if expand is not None:
        p = expand(p, now)
    enqueued = outbox.commit_plan(p, now)
    for aid, why in sorted(p.muted.items()):
        log.info("alert %s muted: %s", aid, why)
    dropped = recheck_pending(cfg, outbox, now, silences, taken or {}, alerts)
    report = deliver_due(cfg, outbox, now) if deliver else None
    return DispatchResult(p, enqueued, report, dropped)
