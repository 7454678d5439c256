"""Keep a crawl process's events in step with the other crawl processes.

Each source crawls in its own process (one scheduler job per source), and each process
assigns events with its own ``EventClusterer``, warmed from the items stored when it
started. Two processes that meet the same issue would then each start an event of their
own. ``EventSync`` narrows that window to seconds: every ``every`` seconds, before the
next item is analysed, it restores the items other processes have written since it last
looked (``indexed_at``, with a margin for refresh delay and clock skew) into this
process's clusterer, so a repost here joins the event another process started.

What remains is two processes founding an event for one story within those seconds. The
clusterer merges such a split when it restores the other event's founding item (see
analysis/events.py); ``persist`` then relabels the absorbed event's stored items and
removes its summary, in every process that saw the split, with the same survivor.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from analysis.events import Merge
from analysis.pipeline import Analyzer

log = logging.getLogger(__name__)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

WARM_FIELDS = ["id", "title", "text", "published_at", "fetched_at", "keywords", "townships",
               "event_id", "metrics", "sentiment_label", "category"]


class EventSync:
    def __init__(self, analyzer: Analyzer, store, *, every: float = 10.0,
                 margin: timedelta = timedelta(minutes=1)) -> None:
        self.analyzer, self.store = analyzer, store
        self.every, self.margin = every, margin
        self._seen: datetime | None = None  # newest write time already restored
        self._last = float("-inf")
        self._unsaved: list[Merge] = []  # merges whose relabelling has not succeeded yet

    @property
    def warmed(self) -> bool:
        return self._seen is not None

    def warm(self, now: datetime) -> int:
        """The start of a crawl: every item of the event window."""
        return self._restore(now, None)

    def catch_up(self, now: datetime, *, force: bool = False) -> int:
        """Restore what other processes wrote since the last look (at most every
        ``every`` seconds unless forced); items this process knows are skipped. If the
        warm start failed (storage down), this is the warm start again."""
        if not force and time.monotonic() - self._last < self.every:
            return 0
        return self._restore(now, None if self._seen is None else self._seen - self.margin)

    def _restore(self, now: datetime, written_since: datetime | None) -> int:
        self._last = time.monotonic()
        seen = self.store.last_indexed()  # taken before reading: later writes come next
        docs = self.store.iter_query({"exists": {"field": "event_id"}},
                                     since=now - self.analyzer.events.window,
                                     fields=WARM_FIELDS, indexed_since=written_since)
        n = self.analyzer.warm(docs)
        self._seen = seen or self._seen or _EPOCH
        return n


    def persist(self, events) -> tuple[int, int]:
        """Relabel the stored items of events merged away and delete their summaries
        (``events``: the EventStore). Returns (items relabelled, items failed); a merge
        whose relabelling could not be done is retried on the next call."""
        todo, self._unsaved = self._unsaved + self.analyzer.events.take_merges(), []
        done = failed = 0
        for i, merge in enumerate(todo):
            try:
                result = self.store.relabel_event(merge.items, merge.survivor)
                events.delete([merge.absorbed])
            except Exception as exc:  # noqa: BLE001 - items keep the old id until retried
                log.warning("could not merge event %s into %s (will retry): %s",
                            merge.absorbed, merge.survivor, exc)
                self._unsaved = todo[i:]
                break
            done += result.indexed
            failed += len(result.failed)
            for item_id, reason in result.failed[:5]:
                log.error("item %s not moved from event %s to %s: %s", item_id,
                          merge.absorbed, merge.survivor, reason)
            log.info("merged event %s into %s (%d stored items relabelled)",
                     merge.absorbed, merge.survivor, result.indexed)
        return done, failed


_SYNCS: dict[int, EventSync] = {}


def shared_sync(analyzer: Analyzer, store) -> EventSync:
    """One per shared analyzer (one per process), like the analyzer itself."""
    if id(analyzer) not in _SYNCS:
        _SYNCS[id(analyzer)] = EventSync(analyzer, store)
    return _SYNCS[id(analyzer)]
