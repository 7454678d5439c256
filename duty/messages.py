"""Queue a non-alert message (heartbeat, hand-over) to a receiver through the outbox."""

from __future__ import annotations

import hashlib
from datetime import datetime

from alerts.config import PERSON_PREFIX

from . import state
from .receivers import people_for, person_receivers


def targets(cfg, receiver: str, now: datetime) -> list[str]:
    """Real receiver names for ``receiver`` at ``now``; a special receiver that means
    nobody (no roster) falls back to the root route's receiver, so nothing is lost."""
    if receiver.startswith("@") or receiver.startswith(PERSON_PREFIX):
        got = person_receivers(people_for(cfg, receiver, [], now)) if cfg.duty.people else []
        return got or [cfg.alerting.route.receiver or ""]
    return [receiver]


def message_id(kind: str, key: str, receiver: str) -> str:
    return hashlib.sha256(f"{kind}\x1f{key}\x1f{receiver}".encode()).hexdigest()[:32]


def queue(cfg, outbox, receiver: str, kind: str, key: str, title: str, body: str,
          now: datetime, marks: dict[str, str] | None = None) -> list[str]:
    """Queue the message once per (kind, key, person) and set ``marks`` in the same
    transaction; returns the ids that were new."""
    new = []
    with outbox.transaction() as tx:
        for r in targets(cfg, receiver, now):
            nid = message_id(kind, key, r)
            if state.add_message(tx, nid, r, kind, title, body, now, group_key=f"{kind}:{key}"):
                new.append(nid)
        for k, v in (marks or {}).items():
            state.put(tx, k, v)
    return new
