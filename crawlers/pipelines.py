"""Item pipeline: analyse each crawled item and bulk-index it; spool when storage is down."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from scrapy.crawler import Crawler

from analysis.pipeline import Analyzer
from crawlers.context import config_for
from crawlers.events_sync import shared_sync
from storage import event_store, open_store
from storage.client import StorageUnavailable
from storage.items import log_refusals
from storage.spool import DrainResult, Spool
from yuqing.arraycache import model_cache
from yuqing.config import Config
from yuqing.records import SHANGHAI, AnalyzedItem, Item

log = logging.getLogger(__name__)

_ANALYZERS: dict[int, Analyzer] = {}


def shared_analyzer(cfg: Config) -> Analyzer:
    """One Analyzer (jieba + models) per process, shared by every spider in it."""
    key = id(cfg.gazetteer)
    if key not in _ANALYZERS:
        _ANALYZERS[key] = Analyzer.from_config(cfg, cache=model_cache(cfg))
    return _ANALYZERS[key]


class AnalyzeIndexPipeline:
    def __init__(self, crawler: Crawler, cfg: Config):
        self.crawler = crawler
        self.cfg = cfg
        self.batch_size = cfg.crawl.index_batch
        # A slow crawl still makes its items searchable within seconds, and loses no more
        # than one small batch's worth of work to the spool if storage fails mid-crawl.
        self.flush_seconds = cfg.crawl.flush_seconds
        self.last_flush = time.monotonic()
        self.analyzer = shared_analyzer(cfg)
        self.store = open_store(cfg)
        self.events = event_store(cfg)
        self.spool = Spool(cfg.data_path("spool", "items"))
        self.quarantine = Spool(cfg.data_path("quarantine", "items"))
        self.buffer: list[AnalyzedItem] = []
        self.sync = shared_sync(self.analyzer, self.store)
        self.timer: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AnalyzeIndexPipeline:
        return cls(crawler, config_for(crawler.settings))

    def _stat(self, key: str, n: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key, n)

    def open_spider(self) -> None:
        # Imported here: importing twisted.internet.task early installs the wrong reactor.
        from twisted.internet import task

        now = datetime.now(SHANGHAI)
        self._warm_up(now)
        # Items wait here until flushed; a crawl blocked on a slow page (or killed while
        # waiting) must not keep them from Elasticsearch or the spool for long.
        self.timer = task.LoopingCall(self._tick)
        self.timer.start(min(self.flush_seconds, 1.0), now=False)
        try:
            self.store.ensure_template()
            self._count_replay(self.spool.drain(self.store, now, self.quarantine))
        except StorageUnavailable as exc:
            log.warning("Elasticsearch unavailable at start, items will be spooled: %s", exc)
        except Exception as exc:  # noqa: BLE001 - storage trouble must not stop the crawl
            log.warning("could not prepare the items index: %s", exc)

    def _count_replay(self, r: DrainResult) -> None:
        """The spool is replayed at every crawl start: its outcome goes into the crawl's
        statistics, so a spool that does not empty is seen, not just logged."""
        for key, n in (("drained", r.indexed), ("quarantined", r.quarantined),
                       ("unreadable", r.unreadable), ("pending", r.pending),
                       ("stale", r.stale)):
            if n:
                self._stat(f"yuqing/spool/{key}", n)
        if r.indexed or r.quarantined or r.unreadable or r.pending:
            log.log(logging.WARNING if r.pending or r.unreadable else logging.INFO,
                    "spool replay: %d re-indexed, %d quarantined, %d unreadable lines, "
                    "%d still pending%s", r.indexed, r.quarantined, r.unreadable, r.pending,
                    " (Elasticsearch unavailable)" if r.unavailable else
                    " (another crawl is replaying it)" if r.busy else "")

    def _warm_up(self, now: datetime) -> None:
        # (The models are loaded and exercised when the shared Analyzer is built.)
        # Continue the events of earlier runs: a repost crawled today joins yesterday's
        # event instead of starting a new one (once per process: the analyzer is shared).
        if self.sync.warmed:
            return
        try:
            restored = self.sync.warm(now)
            log.info("restored %d recent items into their events", restored)
        except Exception as exc:  # noqa: BLE001 - without history, events start afresh
            log.warning("could not restore recent events: %s", exc)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Item):
            try:
                # Other crawl processes' new items first: a repost joins their event.
                self.sync.catch_up(datetime.now(SHANGHAI))
            except Exception as exc:  # noqa: BLE001 - events may split, nothing is lost
                log.warning("could not catch up with other crawls' events: %s", exc)
            if len(item.text) > self.analyzer.max_chars:
                self._stat("yuqing/analysis/truncated")
                log.info("%s: text of %d characters, analysed on its first %d "
                         "(analysis.max_chars)", item.url, len(item.text),
                         self.analyzer.max_chars)
            try:
                self.buffer.append(self.analyzer.analyze(item))
            except Exception as exc:  # noqa: BLE001 - counted, logged, never fatal
                self._stat("yuqing/dropped/analysis_error")
                log.error("analysis failed for %s: %r", item.url, exc)
                self._settle([item])  # counted and logged: fetching it again would not help
                return item
            if (len(self.buffer) >= self.batch_size
                    or time.monotonic() - self.last_flush >= self.flush_seconds):
                self.flush()
        return item

    def _tick(self) -> None:
        if self.buffer and time.monotonic() - self.last_flush >= self.flush_seconds:
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - the timer must keep running
                log.exception("flushing on the timer failed")

    def _settle(self, items: Iterable[Item]) -> None:
        """Tell the spider these items are kept (or dropped for a counted reason)."""
        settle = getattr(self.crawler.spider, "settle", None)
        if settle is not None:
            settle(items)

    def flush(self) -> None:
        self.last_flush = time.monotonic()
        batch, self.buffer = self.buffer, []
        if not batch:
            return
        now = datetime.now(SHANGHAI)
        batch = self._current_events(batch)
        try:
            result = self.store.index(batch, now)
        except Exception as exc:  # noqa: BLE001 - unavailable or broken: keep the items
            log.warning("indexing failed (%s); spooling %d items", exc, len(batch))
            if self._spool(batch):
                self._settle(ai.item for ai in batch)
            return
        self._stat("yuqing/indexed", result.indexed)
        if result.stale:
            self._stat("yuqing/stale", len(result.stale))
            log.info("%d documents not written, a later fetch is stored: %s",
                     len(result.stale), result.stale[:5])
        log_refusals(log, result, "indexing")
        if result.retry:
            # Refused for now (429: a full queue or a disk at its flood stage; 503): the
            # spool keeps them until a later crawl replays it.
            retry_ids = {i for i, _ in result.retry}
            if not self._spool([ai for ai in batch if ai.item.id in retry_ids]):
                batch = [ai for ai in batch if ai.item.id not in retry_ids]
        if result.failed:
            failed_ids = {i for i, _ in result.failed}
            # Rejected documents are not transient: kept aside for inspection, not retried.
            self._stat("yuqing/quarantined", self.quarantine.append(
                ai for ai in batch if ai.item.id in failed_ids))
            self._stat("yuqing/rejected", len(result.failed))
        self._settle(ai.item for ai in batch)  # indexed, or quarantined with a count
        self._store_events(batch, now)
        relabelled, failed = self.sync.persist(self.events)
        self._stat("yuqing/events/relabelled", relabelled)
        self._stat("yuqing/events/relabel_failed", failed)

    def _spool(self, items: list[AnalyzedItem]) -> bool:
        """Keep ``items`` on disk for a later replay; False when the disk refused them."""
        try:
            self._stat("yuqing/spooled", self.spool.append(items))
        except OSError as err:  # not remembered as seen: the next run fetches them
            self._stat("yuqing/unsaved", len(items))
            log.error("could not spool %d items (%s); they are fetched again next run",
                      len(items), err)
            return False
        return True

    def _current_events(self, batch: list[AnalyzedItem]) -> list[AnalyzedItem]:
        # An event merged away while its items waited here: write them with the survivor.
        resolve = self.analyzer.events.resolve
        return [ai if ai.analysis.event_id is None
                or resolve(ai.analysis.event_id) == ai.analysis.event_id
                else ai.model_copy(update={"analysis": ai.analysis.model_copy(
                    update={"event_id": resolve(ai.analysis.event_id)})})
                for ai in batch]

    def _store_events(self, batch: list[AnalyzedItem], now: datetime) -> None:
        clusterer = self.analyzer.events
        touched = {ai.analysis.event_id for ai in batch} & set(clusterer.events)
        try:
            self.events.upsert([clusterer.record(eid) for eid in sorted(touched)], now)
        except Exception as exc:  # noqa: BLE001 - items carry event_id; this is a summary
            log.warning("could not store %d events: %s", len(touched), exc)

    def close_spider(self) -> None:
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        self.flush()
        try:
            self.store.refresh()
        except Exception:  # noqa: BLE001 - refresh only speeds up visibility
            pass
