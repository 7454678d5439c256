"""Special receivers, expanded at dispatch time into the people they mean now.

``@on-duty`` (the officer of the current shift), ``@shift-leader``, ``@office-head``,
``@grid`` (people responsible for the alert's townships and places) and ``person:NAME``.
Each person is a receiver named ``person:NAME`` with their own channels, so delivery,
retries and fallback work as for any receiver. Expansion happens when a notification is
planned and the per-person rows are what the outbox stores: who was on duty when the
alert was sent is on record, and a shift change does not redirect a retry.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from alerts.config import PERSON_PREFIX, AlertingConfig, Receiver, is_special_receiver
from alerts.routing import Plan, Planned
from yuqing.records import Alert

from .grid import responsible
from .roster import DutyRoster

log = logging.getLogger(__name__)


def effective_alerting(cfg) -> AlertingConfig:
    """The alerting configuration with one receiver per person of the roster."""
    # A person without channels (listed for the roster only) hands their messages to the
    # duty fallback, or else to the root route's receiver: never to nobody.
    root = cfg.alerting.route.receiver
    # person:NAME at the root is one fixed person, as good a catcher as a named receiver.
    spare = root if root and not root.startswith("@") else None
    people = [Receiver(name=f"{PERSON_PREFIX}{p.name}", channels=p.channels,
                       fallback=cfg.duty.fallback or (
                           None if p.channels or spare == f"{PERSON_PREFIX}{p.name}"
                           else spare))
              for p in cfg.duty.people]
    have = {r.name for r in cfg.alerting.receivers}
    return cfg.alerting.model_copy(update={
        "receivers": [*cfg.alerting.receivers, *(r for r in people if r.name not in have)]})


def people_for(cfg, receiver: str, alerts: Sequence[Alert], now: datetime,
               roster: DutyRoster | None = None) -> list[str]:
    """The people a special receiver means at ``now`` (names, without the prefix)."""
    if receiver.startswith(PERSON_PREFIX):
        return [receiver[len(PERSON_PREFIX):]]
    if receiver == "@grid":
        towns = [a.labels.get("township", "") for a in alerts]
        places = [p for a in alerts for p in a.places]
        return responsible(cfg, [t for t in towns if t], places)
    roster = roster or DutyRoster(cfg.duty)
    shift = roster.at(now)
    who = {"@on-duty": shift.officer, "@shift-leader": shift.leader,
           "@office-head": shift.office_head}.get(receiver)
    return [who] if who else []


def person_receivers(names: Iterable[str]) -> list[str]:
    return [f"{PERSON_PREFIX}{n}" for n in dict.fromkeys(names)]


def derived_id(nid: str, receiver: str) -> str:
    return hashlib.sha256(f"{nid}\x1f{receiver}".encode()).hexdigest()[:32]


def expand_plan(cfg, plan: Plan, now: datetime) -> Plan:
    """Replace special receivers by people, and add the grid's copies (``grid.auto``)."""
    if not cfg.duty.people:
        return plan
    roster = DutyRoster(cfg.duty)
    out: list[Planned] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()

    def add(p: Planned, receiver: str) -> None:
        key = (receiver, tuple(p.notification.alert_ids))
        if key in seen:  # one person, one message per alert set, even via two routes
            return
        seen.add(key)
        note = p.notification
        if receiver != note.receiver:
            note = note.model_copy(update={"id": derived_id(note.id, receiver),
                                           "receiver": receiver})
        out.append(replace(p, notification=note))

    root = cfg.alerting.route.receiver or ""
    root_people = is_special_receiver(root)
    for p in plan.notifications:
        rec = p.notification.receiver
        if not is_special_receiver(rec):
            add(p, rec)
            continue
        names = people_for(cfg, rec, p.alerts, now, roster)
        if not names:
            # The plan already counts this group as sent: dropping it would tell nobody,
            # ever. The root receiver (the duty office) answers instead.
            log.warning("receiver %s means nobody at %s; notification %s goes to the "
                        "root receiver %s instead", rec, now, p.notification.id, root)
            if not root_people:
                add(p, root)
                continue
            names = people_for(cfg, root, p.alerts, now, roster)
            if not names:
                add(p, rec)  # nobody at all: left undelivered, reported as stuck
        for r in person_receivers(names):
            add(p, r)
    if cfg.duty.grid.auto:
        for p in list(out):
            if p.kind == "repeat":
                continue
            for r in person_receivers(people_for(cfg, "@grid", p.alerts, now, roster)):
                add(p, r)
    return replace(plan, notifications=out)
