"""What every source spider shares: its Source config, item building, counted failures."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime, time
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.extraction import extract
from yuqing.config import Source
from yuqing.records import SHANGHAI, Item, Metrics

log = logging.getLogger(__name__)


class SourceSpider(scrapy.Spider):
    """A spider instance is one configured source; the subclass is its template."""

    template = ""

    def __init__(self, source: Source, **kwargs: Any):
        super().__init__(name=f"{self.template}:{source.id}", **kwargs)
        self.source = source
        self.allowed_domains = source.allowed_domains or sorted(
            {urlsplit(u).hostname or "" for u in source.start_urls})

    def now(self) -> datetime:
        return datetime.now(SHANGHAI)

    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.start_urls:
            yield scrapy.Request(url, callback=self.parse, errback=self.on_error,
                                 meta={"yuqing_role": "list"})

    # -- accounting ------------------------------------------------------------------------
    def drop(self, url: str, reason: str, detail: str = "") -> None:
        """Every page we give up on is counted by reason and logged with its URL."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"yuqing/dropped/{reason}")
        self.crawler.stats.inc_value(f"yuqing/source/{self.source.id}/dropped")
        log.warning("dropped %s: %s %s", url, reason, detail,
                    extra={"source": self.source.id, "url": url, "reason": reason})

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        response = getattr(failure.value, "response", None)
        reason = f"http_{response.status}" if response is not None else (
            type(failure.value).__name__)
        self.drop(request.url, reason, str(failure.value)[:200])

    # -- items -----------------------------------------------------------------------------
    def article_item(self, response: Response, *, date_hint: datetime | None = None,
                     title_hint: str | None = None, metrics: Metrics | None = None,
                     **extra: Any) -> Item | None:
        """Extract a page into an Item, or count it as dropped and return None."""
        header_enc = _header_charset(response)
        try:
            ex = extract(response.body, response.url, fetched_at=self.now(),
                         header_encoding=header_enc)
        except Exception as exc:  # noqa: BLE001 - one bad page must never stop the crawl
            self.drop(response.url, "extract_error", repr(exc)[:200])
            return None
        if not ex.text.strip():
            self.drop(response.url, "empty_text")
            return None
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"yuqing/source/{self.source.id}/items")
        published = ex.published_at or date_hint
        if (ex.published_at and date_hint and ex.published_at.date() == date_hint.date()
                and ex.published_at.timetz().replace(tzinfo=None) == time(0)):
            published = date_hint  # the page gave only the day; the feed knows the minute
        return Item.from_url(
            response.url,
            source_id=self.source.id,
            source_kind=self.source.kind,
            title=(ex.title or title_hint or "").strip(),
            text=ex.text.strip(),
            published_at=published,
            fetched_at=self.now(),
            author=ex.author,
            region=self.source.region,
            metrics=metrics or Metrics(),
            **extra,
        )


def _header_charset(response: Response) -> str | None:
    ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
    if "charset=" in ctype:
        return ctype.split("charset=", 1)[1].split(";")[0].strip().strip('"') or None
    return None
