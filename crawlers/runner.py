"""Run one crawl pass over configured sources in this process and summarise it per source."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, TextIO

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from yuqing.config import Config, Source
from yuqing.records import SHANGHAI

from . import settings as default_settings
from .spiders import TEMPLATES
from .state import CrawlState

log = logging.getLogger(__name__)


@dataclass
class SourceSummary:
    source_id: str
    items: int = 0
    indexed: int = 0
    spooled: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    pages: int = 0
    finish_reason: str = ""
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deferred: int = 0  # left for the next run: list pages past max_pages, sitemap entries
    started_at: str = ""
    finished_at: str = ""
    ok_responses: int = 0  # robots.txt not included: it says nothing of the site's pages
    lists: int = 0  # list pages (feeds, sitemaps, boards...) parsed
    lists_unreadable: int = 0  # ...of which no entry could be read

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    @property
    def success(self) -> bool:
        """The run finished, the site answered and a list of it could be read: what "last
        success" means for health. A site behind a robots.txt ban, or whose lists come back
        empty or unparsable run after run, is failing although every request succeeds."""
        return (self.finish_reason == "finished" and self.ok_responses > 0
                and (self.lists == 0 or self.lists_unreadable < self.lists))

    def run_doc(self, template: str) -> dict[str, Any]:
        doc = asdict(self)
        doc.pop("dropped")
        doc.update({"template": template, "items_new": self.new,
                    "items_updated": self.updated, "errors": dict(self.dropped),
                    "errors_total": self.dropped_total, "success": self.success})
        for k in ("new", "updated", "ok_responses", "lists", "lists_unreadable"):
            doc.pop(k)
        return doc


def scrapy_settings(cfg: Config, *, log_level: str = "INFO") -> Settings:
    s = Settings()
    s.setmodule(default_settings, priority="project")
    s.setdict({**crawl_settings(cfg), "LOG_LEVEL": log_level, "LOGSTATS_INTERVAL": 10.0,
               "LOG_INSTALL_ROOT_HANDLER": False,  # yuqing configures logging itself
               "YUQING_CONFIG_OBJ": cfg}, priority="cmdline")
    return s


def crawl_settings(cfg: Config) -> dict[str, Any]:
    """The Scrapy settings that yuqing's ``crawl:`` section decides."""
    c = cfg.crawl
    return {
        "USER_AGENT": c.user_agent,
        "CONCURRENT_REQUESTS_PER_DOMAIN": c.concurrent_per_domain,
        # No floor needed at 0: the limit is held by crawlers.downloader, not by the delay.
        "DOWNLOAD_DELAY": c.download_delay,
        "AUTOTHROTTLE_ENABLED": c.autothrottle,
        "ROBOTSTXT_OBEY": c.obey_robots,
        "DOWNLOAD_TIMEOUT": c.timeout_seconds,
        "DOWNLOAD_MAXSIZE": int(c.max_page_mb * 2**20),
        "DOWNLOAD_WARNSIZE": int(c.max_page_mb * 2**20) // 2,
        "RETRY_TIMES": c.retries,
        "RETRY_BACKOFF_SECONDS": c.retry_backoff_seconds,
    }


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        when = value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
        return when.astimezone(SHANGHAI).isoformat()
    return datetime.now(SHANGHAI).isoformat()


def _summarise(source: Source, stats: dict[str, Any], reason: str = "") -> SourceSummary:
    prefix = "yuqing/dropped/"
    status = "downloader/response_status_count/"
    return SourceSummary(
        source_id=source.id,
        items=int(stats.get(f"yuqing/source/{source.id}/items", 0)),
        indexed=int(stats.get("yuqing/indexed", 0)),
        spooled=int(stats.get("yuqing/spooled", 0)),
        dropped={k[len(prefix):]: int(v) for k, v in stats.items() if k.startswith(prefix)},
        pages=int(stats.get("response_received_count", 0)),
        # At spider_closed the stats collector has not recorded the reason yet.
        finish_reason=reason or str(stats.get("finish_reason", "")),
        new=int(stats.get("yuqing/new", 0)),
        updated=int(stats.get("yuqing/updated", 0)),
        unchanged=int(stats.get("yuqing/unchanged", 0)),
        deferred=int(stats.get("yuqing/deferred", 0)),
        started_at=_iso(stats.get("start_time")),
        finished_at=_iso(stats.get("finish_time")),
        ok_responses=sum(int(v) for k, v in stats.items()
                         if k.startswith(status) and k[len(status):] in ("200", "304"))
        - sum(int(stats.get(f"robotstxt/response_status_count/{c}", 0)) for c in (200, 304)),
        lists=int(stats.get("yuqing/lists", 0)),
        lists_unreadable=int(stats.get("yuqing/lists_unreadable", 0)),
    )


def run_crawl(cfg: Config, sources: list[Source], *, log_level: str = "INFO",
              progress: TextIO | None = sys.stderr, progress_seconds: float = 30.0,
              at: datetime | None = None) -> list[SourceSummary]:
    """Crawl the given sources once, concurrently, and return one summary per source.

    Each finished source prints a progress line and its run goes into the crawl state
    (and then into Elasticsearch's crawlstats index, when it is reachable). ``at`` sets
    the crawl's clock (it runs on from there): what the crawl state decides by time —
    back-offs, retries, gaps — is decided as at that moment.
    """
    clock = _clock_from(at) if at is not None else None
    process = CrawlerProcess(scrapy_settings(cfg, log_level=log_level))
    state = CrawlState.for_config(cfg)
    summaries: dict[str, SourceSummary] = {}
    touched: list[str] = []
    for source in sources:
        crawler = process.create_crawler(TEMPLATES[source.template])

        def closed(spider: Any, reason: str, _crawler=crawler, _source=source) -> None:
            summary = _summarise(_source, _crawler.stats.get_stats(), reason)
            summaries[_source.id] = summary
            state.add_run(summary.run_doc(_source.template))
            touched.append(_source.id)
            if progress is not None:
                print(f"[{len(summaries)}/{len(sources)}] {_source.id}: {summary.pages} pages, "
                      f"{summary.new} new, {summary.updated} updated, {summary.unchanged} "
                      f"unchanged, {summary.deferred} deferred, {summary.dropped_total} dropped "
                      f"({summary.finish_reason})",
                      file=progress, flush=True)

        if progress is not None and progress_seconds:
            _progress_ticker(crawler, source, progress, progress_seconds)
        # weak=False: the dispatcher holds receivers weakly and these closures have no
        # other owner, so all but the last would be collected before the spiders close.
        crawler.signals.connect(closed, signal=signals.spider_closed, weak=False)
        process.crawl(crawler, source=source, state=state, clock=clock)
    process.start()
    sync_crawlstats(cfg, state, touched)
    state.close()
    return [summaries.get(s.id, SourceSummary(s.id, finish_reason="not run")) for s in sources]


def _clock_from(at: datetime) -> Callable[[], datetime]:
    start = time.monotonic()
    return lambda: at + timedelta(seconds=time.monotonic() - start)


def _progress_ticker(crawler: Any, source: Source, out: TextIO, every: float) -> None:
    """A line every ``every`` seconds while a source is crawling, so long crawls show life."""
    loops: list[Any] = []

    def tick() -> None:
        st = crawler.stats.get_stats()
        print(f"... {source.id}: {st.get('response_received_count', 0)} pages, "
              f"{st.get('yuqing/new', 0)} new, {st.get('yuqing/updated', 0)} updated, "
              f"{st.get('yuqing/unchanged', 0)} unchanged so far", file=out, flush=True)

    def opened(spider: Any) -> None:
        # Imported here: importing twisted.internet.task early installs the wrong reactor.
        from twisted.internet import task

        loops.append(task.LoopingCall(tick))
        loops[0].start(every, now=False)

    def closed(spider: Any, reason: str) -> None:
        if loops and loops[0].running:
            loops[0].stop()

    crawler.signals.connect(opened, signal=signals.spider_opened, weak=False)
    crawler.signals.connect(closed, signal=signals.spider_closed, weak=False)


def sync_crawlstats(cfg: Config, state: CrawlState, source_ids: list[str]) -> bool:
    """Push the latest per-source statistics and every run not yet pushed (runs made while
    Elasticsearch was down included). False, and nothing lost, when it is unreachable."""
    from storage import connect
    from storage.crawlstats import CrawlStatsStore

    runs = state.unsynced_runs()
    latest = [d for sid in source_ids if (d := state.source_stats(sid))]
    try:
        stats = CrawlStatsStore(connect(cfg.elasticsearch), cfg.elasticsearch.prefix)
        stats.ensure_index()
        stats.write(latest, runs)
    except Exception as exc:  # noqa: BLE001 - statistics wait in SQLite for the next run
        log.warning("crawl statistics not written to Elasticsearch (kept locally): %s", exc)
        return False
    state.mark_synced(runs)
    return True
