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

from crawlers.spiders.base import SourceSpider


class CountedOffsiteMiddleware(OffsiteMiddleware):
    def process_request(self, request: Request) -> None:  # type: ignore[override]
        try:
            super().process_request(request)
        except IgnoreRequest:
            spider = self.crawler.spider
            if isinstance(spider, SourceSpider):
                origin = request.meta.get("redirect_urls")
                spider.drop_offsite(request.url,
                                    f" (redirected from {origin[0]})" if origin else "")
            raise
