"""Template ``sitemap``: sitemap.xml, sitemap indexes (and robots.txt ``Sitemap:`` lines).

Incremental by ``<lastmod>``: a child sitemap whose lastmod has not moved is not fetched
again, and a page is re-fetched only when its lastmod is newer than last time. Newest
entries first, at most ``max_pages × 100`` page fetches per run; the rest are deferred
(counted) to later runs. A child's lastmod is remembered only once every entry of it is
in the crawl state: while some are deferred, failing or still on their way to the index,
the child is read again next run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from .base import SourceSpider
from .xmlfix import repair_xml

log = logging.getLogger(__name__)

PAGES_PER_LIST_PAGE = 100


@dataclass
class _Child:
    """A child sitemap fetched this run, and its entries not yet settled."""

    lastmod: str | None
    waiting: set[str] = field(default_factory=set)
    complete: bool = True
    listing: bool = True  # its entries are still being read (some may already be done)


class SitemapSpider(SourceSpider):
    template = "sitemap"
    lists_own_pages = True

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._children: dict[str, _Child] = {}
        self._child_of: dict[str, str] = {}

    def parse_list(self, response: Response, **_: Any) -> Iterator[Any]:
        assert self.state is not None
        if response.url.endswith("/robots.txt"):
            for url in sitemap_urls_from_robots(response.text, base_url=response.url):
                yield scrapy.Request(url, callback=self.parse, errback=self.on_error)
            return
        body = response.body
        if body[:2] == b"\x1f\x8b":
            body = gunzip(body, max_size=50 * 1024 * 1024)
        try:
            sitemap = Sitemap(repair_xml(body))
        except Exception as exc:  # noqa: BLE001 - counted like any other bad page
            self.drop(response.url, "sitemap_unparsable", repr(exc)[:200])
            return
        entries = [e for e in sitemap if e.get("loc")]
        if sitemap.type == "sitemapindex":
            yield from self._index(response, entries)
        elif sitemap.type == "urlset":
            yield from self._pages(response, entries)
        else:
            self.drop(response.url, "sitemap_unparsable", f"root element {sitemap.type!r}")

    def _index(self, response: Response, entries: list[dict[str, Any]]) -> Iterator[Any]:
        assert self.state is not None
        for e in entries:
            url, lastmod = response.urljoin(e["loc"]), e.get("lastmod")
            seen = self.state.seen(self.source.id, url)
            if lastmod and seen is not None and seen.lastmod == lastmod:
                self.stat("yuqing/unchanged")
                continue
            yield scrapy.Request(url, callback=self.parse, errback=self.on_error,
                                 meta={"yuqing_role": "list", "yuqing_sitemap_lastmod": lastmod})

    def _pages(self, response: Response, entries: list[dict[str, Any]]) -> Iterator[Any]:
        assert self.crawler.stats is not None
        entries.sort(key=lambda e: e.get("lastmod") or "", reverse=True)
        budget = self.source.max_pages * PAGES_PER_LIST_PAGE
        child = self._children[response.url] = _Child(
            response.meta.get("yuqing_sitemap_lastmod"))
        failing = self.crawler.stats.get_value("yuqing/failing_skipped", 0)
        deferred = 0
        for e in entries:
            request = self.visit(response, e["loc"], self.parse_article, lastmod=e.get("lastmod"))
            if request is None:
                continue
            if budget == 0:
                deferred += 1
                continue
            budget -= 1
            child.waiting.add(request.meta["yuqing_key"])
            self._child_of[request.meta["yuqing_key"]] = response.url
            yield request
        if deferred:
            self.stat("yuqing/deferred", deferred)
            log.warning("%s: %d entries of %s deferred to the next run (max_pages × %d per "
                        "run)", self.source.id, deferred, response.url, PAGES_PER_LIST_PAGE,
                        extra={"source": self.source.id, "url": response.url,
                               "reason": "max_pages"})
        # Entries backing off after failures: the child must be read again to retry them.
        child.complete = not deferred and (
            self.crawler.stats.get_value("yuqing/failing_skipped", 0) == failing)
        child.listing = False
        self._settled(response.url)

    def done(self, key: str, *, ok: bool) -> None:
        url = self._child_of.pop(key, None)
        if url is None:
            return
        child = self._children[url]
        child.waiting.discard(key)
        child.complete &= ok
        self._settled(url)

    def _settled(self, url: str) -> None:
        assert self.state is not None
        child = self._children[url]
        if child.listing or child.waiting:
            return
        if child.complete and child.lastmod:
            self.state.remember_lastmod(self.source.id, url, child.lastmod, self.now())
        del self._children[url]

    def parse_article(self, response: Response) -> Iterator[Any]:
        item = self.article_item(response)
        if item is not None:
            yield item
