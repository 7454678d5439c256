"""Run one crawl pass over configured sources in this process and summarise it per source."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from yuqing.config import Config, Source

from . import settings as default_settings
from .spiders import TEMPLATES


@dataclass
class SourceSummary:
    source_id: str
    items: int = 0
    indexed: int = 0
    spooled: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    pages: int = 0
    finish_reason: str = ""

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())


def scrapy_settings(cfg: Config, *, log_level: str = "INFO") -> Settings:
    s = Settings()
    s.setmodule(default_settings, priority="project")
    c = cfg.crawl
    s.setdict({
        "USER_AGENT": c.user_agent,
        "CONCURRENT_REQUESTS_PER_DOMAIN": c.concurrent_per_domain,
        "DOWNLOAD_DELAY": c.download_delay,
        "AUTOTHROTTLE_ENABLED": c.autothrottle,
        "ROBOTSTXT_OBEY": c.obey_robots,
        "DOWNLOAD_TIMEOUT": c.timeout_seconds,
        "RETRY_TIMES": c.retries,
        "RETRY_BACKOFF_SECONDS": c.retry_backoff_seconds,
        "LOG_LEVEL": log_level,
        "LOGSTATS_INTERVAL": 10.0,
        "LOG_INSTALL_ROOT_HANDLER": False,  # yuqing configures logging itself
        "YUQING_CONFIG_OBJ": cfg,
    }, priority="cmdline")
    return s


def _summarise(source: Source, stats: dict[str, Any]) -> SourceSummary:
    prefix = "yuqing/dropped/"
    return SourceSummary(
        source_id=source.id,
        items=int(stats.get(f"yuqing/source/{source.id}/items", 0)),
        indexed=int(stats.get("yuqing/indexed", 0)),
        spooled=int(stats.get("yuqing/spooled", 0)),
        dropped={k[len(prefix):]: int(v) for k, v in stats.items() if k.startswith(prefix)},
        pages=int(stats.get("response_received_count", 0)),
        finish_reason=str(stats.get("finish_reason", "")),
    )


def run_crawl(cfg: Config, sources: list[Source], *, log_level: str = "INFO"
              ) -> list[SourceSummary]:
    """Crawl the given sources once, concurrently, and return one summary per source."""
    process = CrawlerProcess(scrapy_settings(cfg, log_level=log_level))
    summaries: dict[str, SourceSummary] = {}
    for source in sources:
        crawler = process.create_crawler(TEMPLATES[source.template])

        def closed(spider: Any, reason: str, _crawler=crawler, _source=source) -> None:
            summaries[_source.id] = _summarise(_source, _crawler.stats.get_stats())

        # weak=False: the dispatcher holds receivers weakly and these closures have no
        # other owner, so all but the last would be collected before the spiders close.
        crawler.signals.connect(closed, signal=signals.spider_closed, weak=False)
        process.crawl(crawler, source=source)
    process.start()
    return [summaries.get(s.id, SourceSummary(s.id, finish_reason="not run")) for s in sources]
