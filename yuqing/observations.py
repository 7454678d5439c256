"""What the detection cycle reads: the window's items of concern, kept between cycles.

``load_observations`` reads every complaint / negative / scheme-matching item of the
detection window (up to two months) back from Elasticsearch. Doing that every minute
costs the cluster and the scheduler seconds per cycle on a busy county, for a window
that changed by one minute. ``ObservationCache`` keeps the window's observations in the
scheduler process and, each cycle, reads only what was written since the last look
(``indexed_at``, the write time, with a safety margin for refresh delay and clock skew
between crawler hosts), drops what left the window, and re-reads everything when the
window grows backwards (a holiday's longer baseline), the schemes change, time goes
backwards, more was written than the window holds (a bulk load), or an hour has passed
(a safety net for deletions). The result is the same
list, in the same order, as a full read.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime, timedelta
from typing import Any

from detection.detector import Observation
from yuqing.config import Config
from yuqing.records import SHANGHAI

OBS_FIELDS = ["id", "title", "url", "published_at", "fetched_at", "complaint",
              "sentiment_label", "category", "townships", "places", "event_id", "keywords",
              "source_id"]
CONCERN = [{"term": {"complaint": True}}, {"term": {"sentiment_label": "negative"}}]


def _when(doc: dict[str, Any]) -> datetime:
    raw = doc.get("published_at") or doc.get("fetched_at")
    return datetime.fromisoformat(raw).astimezone(SHANGHAI)


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


def _scheme_hits(cfg: Config, store, since: datetime, until: datetime,
                 indexed_since: datetime | None = None) -> dict[str, list[str]]:
    schemes_of: dict[str, list[str]] = {}
    for scheme in cfg.schemes:
        if not scheme.enabled:
            continue
        for doc in store.iter_query(scheme.compile().query(), since=since, until=until,
                                    fields=["id"], indexed_since=indexed_since):
            schemes_of.setdefault(doc["id"], []).append(scheme.name)
    return schemes_of


def load_observations(cfg: Config, store, since: datetime, until: datetime
                      ) -> list[Observation]:
    """Complaint / negative items and scheme matches of the period, oldest first."""
    schemes_of = _scheme_hits(cfg, store, since, until)
    concern = {"bool": {"should": [*CONCERN, {"ids": {"values": list(schemes_of)}}],
                        "minimum_should_match": 1}}
    return [observation(doc, tuple(schemes_of.get(doc["id"], ())))
            for doc in store.iter_query(concern, since=since, until=until, fields=OBS_FIELDS)]


def _written(since: datetime, until: datetime, written_since: datetime) -> dict[str, Any]:
    return {"bool": {"filter": [
        {"range": {"published_at": {"gte": since.isoformat(), "lt": until.isoformat()}}},
        {"range": {"indexed_at": {"gte": written_since.isoformat()}}}]}}


def _schemes_key(cfg: Config) -> str:
    text = "\n".join(s.model_dump_json() for s in cfg.schemes if s.enabled)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ObservationCache:
    def __init__(self, margin: timedelta = timedelta(minutes=5),
                 full_every: timedelta = timedelta(hours=1)) -> None:
        self.margin, self.full_every = margin, full_every
        self.lock = threading.Lock()
        self._obs: dict[str, Observation] = {}
        self._key: tuple[str, str] | None = None
        self._since: datetime | None = None
        self._full_at: datetime | None = None
        self._seen: datetime | None = None  # newest write time covered by the cache
        self.last_read = ""  # "full" or "incremental", for logs and tests
        self.last_docs = 0  # documents read from Elasticsearch by the last load

    def load(self, cfg: Config, store, since: datetime, until: datetime, now: datetime
             ) -> list[Observation]:
        with self.lock:
            key = (store.alias, _schemes_key(cfg))
            seen = store.last_indexed()  # taken before reading: later writes come next time
            full = (key != self._key or self._full_at is None or self._since is None
                    or self._seen is None or since < self._since or now < self._full_at
                    or now - self._full_at >= self.full_every)
            if not full and self._seen is not None:
                # A bulk load or a spool replay just wrote more than the window holds of
                # concern: one full read is cheaper than reading all of those.
                full = store.count(_written(since, until, self._seen - self.margin)) > len(
                    self._obs)
            if full:
                obs = load_observations(cfg, store, since, until)
                self._obs = {o.id: o for o in obs}
                self._key, self._full_at, self.last_read = key, now, "full"
                self.last_docs = len(obs)
            else:
                self._update(cfg, store, since, until, self._seen - self.margin)
            self._since, self._seen = since, seen or self._seen
            for old in [i for i, o in self._obs.items() if o.when < since]:
                del self._obs[old]
            return sorted((o for o in self._obs.values() if o.when < until),
                          key=lambda o: (o.when, o.id))

    def _update(self, cfg: Config, store, since: datetime, until: datetime,
                written_since: datetime) -> None:
        schemes_of = _scheme_hits(cfg, store, since, until, written_since)
        n = 0
        for doc in store.iter_query({"match_all": {}}, since=since, until=until,
                                    fields=OBS_FIELDS, indexed_since=written_since):
            n += 1
            schemes = tuple(schemes_of.get(doc["id"], ()))
            if schemes or doc.get("complaint") or doc.get("sentiment_label") == "negative":
                self._obs[doc["id"]] = observation(doc, schemes)
            else:  # rewritten and no longer of concern (or never was)
                self._obs.pop(doc["id"], None)
        self.last_read, self.last_docs = "incremental", n
