"""Template ``sitemap``: sitemap.xml, sitemap indexes (and robots.txt ``Sitemap:`` lines).

Incremental by ``<lastmod>``: a child sitemap whose lastmod has not moved is not fetched
again, and a page is re-fetched only when its lastmod is newer than last time. Newest
entries first, at most ``max_pages × 100`` page fetches per run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from .base import SourceSpider

PAGES_PER_LIST_PAGE = 100


class SitemapSpider(SourceSpider):
    template = "sitemap"
    lists_own_pages = True

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
            sitemap = Sitemap(body)
        except Exception as exc:  # noqa: BLE001 - counted like any other bad page
            self.drop(response.url, "sitemap_unparsable", repr(exc)[:200])
            return
        entries = [e for e in sitemap if e.get("loc")]
        if sitemap.type == "sitemapindex":
            yield from self._children(response, entries)
        elif sitemap.type == "urlset":
            yield from self._pages(response, entries)
        else:
            self.drop(response.url, "sitemap_unparsable", f"root element {sitemap.type!r}")
            return
        if lastmod := response.meta.get("yuqing_sitemap_lastmod"):
            self.state.remember_lastmod(self.source.id, response.url, lastmod, self.now())

    def _children(self, response: Response, entries: list[dict[str, Any]]) -> Iterator[Any]:
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
        entries.sort(key=lambda e: e.get("lastmod") or "", reverse=True)
        budget = self.source.max_pages * PAGES_PER_LIST_PAGE
        for e in entries:
            request = self.visit(response, e["loc"], self.parse_article, lastmod=e.get("lastmod"))
            if request is None:
                continue
            if budget == 0:
                self.stat("yuqing/deferred")  # left for the next run
                continue
            budget -= 1
            yield request

    def parse_article(self, response: Response) -> Iterator[Any]:
        item = self.article_item(response)
        if item is not None:
            yield item
