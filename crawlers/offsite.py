"""Requests that leave a source's domains: still not fetched, but counted and logged.

Scrapy's OffsiteMiddleware drops them with one DEBUG line per host and a stat the crawl
summary never shows. Those requests are pages we meant to fetch (a feed entry on another
site, an article that redirects away), so each one is a drop like any other: counted by
reason (``offsite``) and logged with its URL.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

from crawlers.spiders.base import SourceSpider


class CountedOffsiteMiddleware(OffsiteMiddleware):
    def process_request(self, request: Request) -> None:  # type: ignore[override]
        try:
            super().process_request(request)
        except IgnoreRequest:
            spider = self.crawler.spider
            if isinstance(spider, SourceSpider):
                host = urlparse_cached(request).hostname
                detail = f"host {host!r} is outside {', '.join(spider.allowed_domains)}"
                if origin := request.meta.get("redirect_urls"):
                    detail += f" (redirected from {origin[0]})"
                # The crawl state is not told: a page outside the domains is no failure of
                # the site, and backing it off would hide it once allowed_domains is fixed.
                spider.drop(request.url, "offsite", detail)
            raise
