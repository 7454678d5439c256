"""The jobs the scheduler runs, each a function of (configuration, now).

``detect_cycle`` is detection + alert state + routing + delivery for one moment: read the
recent analysed items back from Elasticsearch, evaluate every key at ``now``, store new
alerts, resolve old ones, and hand the firing ones to the dispatcher. Restart-safe: the
cool-down is seeded from the stored alerts and alert ids are stable, so running the same
minute twice neither re-fires nor re-sends.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from detection.detector import Detector, Observation
from detection.sensitivity import sensitivity_at
from yuqing.config import Config
from yuqing.records import SHANGHAI, Alert, AlertStatus

log = logging.getLogger(__name__)

OBS_FIELDS = ["id", "title", "url", "published_at", "fetched_at", "complaint",
              "sentiment_label", "category", "townships", "places", "event_id", "keywords",
              "source_id"]


@dataclass
class CycleReport:
    observed: int = 0
    fired: list[Alert] = field(default_factory=list)
    resolved: int = 0
    firing: int = 0
    enqueued: int = 0
    delivered: int = 0


def _when(doc: dict[str, Any]) -> datetime:
    raw = doc.get("published_at") or doc.get("fetched_at")
    return datetime.fromisoformat(raw).astimezone(SHANGHAI)


def load_observations(cfg: Config, store, since: datetime, until: datetime
                      ) -> list[Observation]:
    """Complaint / negative items and scheme matches of the period, oldest first."""
    schemes_of: dict[str, list[str]] = {}
    for scheme in cfg.schemes:
        if not scheme.enabled:
            continue
        compiled = scheme.compile()
        for doc in store.iter_query(compiled.query(), since=since, until=until, fields=["id"]):
            schemes_of.setdefault(doc["id"], []).append(scheme.name)
    concern = {"bool": {"should": [{"term": {"complaint": True}},
                                   {"term": {"sentiment_label": "negative"}},
                                   {"ids": {"values": list(schemes_of)}}],
                        "minimum_should_match": 1}}
    return [observation(doc, tuple(schemes_of.get(doc["id"], ())))
            for doc in store.iter_query(concern, since=since, until=until, fields=OBS_FIELDS)]


def observation(doc: dict[str, Any], schemes: tuple[str, ...] = ()) -> Observation:
    """What detection needs of one stored item document."""
    return Observation(
        id=doc["id"], title=doc.get("title", ""), when=_when(doc), url=doc.get("url", ""),
        complaint=bool(doc.get("complaint")),
        negative=doc.get("sentiment_label") == "negative",
        category=doc.get("category"), townships=tuple(doc.get("townships") or ()),
        places=tuple(doc.get("places") or ()), event_id=doc.get("event_id"),
        keywords=tuple(doc.get("keywords") or ()), schemes=schemes,
        source=doc.get("source_id", ""))


def _as_alert(doc: dict[str, Any]) -> Alert:
    return Alert.model_validate({k: v for k, v in doc.items() if k in Alert.model_fields})


def detect_cycle(cfg: Config, now: datetime, *, deliver: bool = True) -> CycleReport:
    from alerts.dispatch import dispatch, outbox_path
    from alerts.outbox import Outbox
    from storage import open_alert_stores, open_store

    report = CycleReport()
    s = sensitivity_at(now)
    store = open_store(cfg)
    alert_store, silence_store = open_alert_stores(cfg)
    since = now - timedelta(days=s.baseline_days + 1) - s.window
    detector = Detector(sensitivity=s)
    for obs in load_observations(cfg, store, since, now + timedelta(seconds=1)):
        if obs.when <= now:
            detector.observe(obs)
            report.observed += 1
    earliest = store.earliest()
    if earliest is not None:
        # Observation began when the collected data begins (quiet keys count as zeros
        # from then on), not at the first complaint.
        detector.started = earliest
    stored = [_as_alert(d) for d in alert_store.list(size=1000)]
    for alert in stored:
        if now - alert.fired_at < s.cooldown:
            detector.remember(alert)
    report.fired = detector.evaluate(now, None, s)
    # An alert stays firing through its cool-down; after that it is resolved (it may
    # fire again as a new episode if the growth continues).
    resolved = [a.model_copy(update={"status": AlertStatus.resolved}) for a in stored
                if a.status is AlertStatus.firing and now - a.fired_at >= s.cooldown]
    alert_store.upsert([*report.fired, *resolved], now, refresh=True)
    report.resolved = len(resolved)
    resolved_ids = {a.id for a in resolved}
    firing = {a.id: a for a in stored
              if a.status is AlertStatus.firing and a.id not in resolved_ids}
    firing.update({a.id: a for a in report.fired})
    report.firing = len(firing)
    result = dispatch(cfg.alerting, list(firing.values()), now, Outbox(outbox_path(cfg)),
                      silence_store.list(active_at=now), deliver=deliver)
    report.enqueued = result.enqueued
    if result.delivery is not None:
        report.delivered = result.delivery.sent
    for a in report.fired:
        log.info("alert fired: %s [%s] %s", a.id, a.severity.value, a.title)
    return report
