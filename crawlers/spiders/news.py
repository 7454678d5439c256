"""Template ``news``: list pages (with pagination) → article pages found by link discovery."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from .base import SourceSpider
from .links import discover


class NewsSpider(SourceSpider):
    template = "news"

    def parse_list(self, response: Response, **_: Any) -> Iterator[Any]:
        links = discover(response, self.allowed_domains,
                         selector=self.source.selectors.list_links)
        if not links:
            self.drop(response.url, "no_article_links")
            return
        for link in links:
            request = self.visit(response, link.url, self.parse_article,
                                 title_hint=link.title, date_hint=self.list_date(link.row_text))
            if request is not None:
                yield request
        nxt = self.next_page(response, [link.url for link in links])
        if nxt is not None:
            yield nxt

    def parse_article(self, response: Response, title_hint: str | None = None,
                      date_hint: Any = None) -> Iterator[Any]:
        item = self.article_item(response, title_hint=title_hint, date_hint=date_hint)
        if item is not None:
            yield item
