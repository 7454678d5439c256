"""Template ``feed``: an RSS 2.0 or Atom feed whose entries link to article pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import scrapy
from scrapy.http import Response

from yuqing.records import SHANGHAI

from .base import SourceSpider
from .xmlfix import repair_xml


class FeedSpider(SourceSpider):
    template = "feed"
    lists_own_pages = True

    def parse_list(self, response: Response, **_: Any) -> Iterator[Any]:
        sel = scrapy.Selector(response.replace(body=repair_xml(response.body)), type="xml")
        sel.remove_namespaces()
        entries = sel.xpath("//item | //entry")
        if not entries:
            self.drop(response.url, "feed_unparsable", "no <item> or <entry>")
            return
        for entry in entries:
            link = (entry.xpath("link/@href").get() or entry.xpath("link/text()").get()
                    or entry.xpath("guid/text()").get() or "").strip()
            if not link:
                self.drop(response.url, "feed_entry_without_link")
                continue
            request = self.visit(response, link, self.parse_article,
                                 title_hint=entry.xpath("title/text()").get(),
                                 date_hint=_entry_date(entry))
            if request is not None:
                yield request

    def parse_article(self, response: Response, title_hint: str | None = None,
                      date_hint: Any = None) -> Iterator[Any]:
        item = self.article_item(response, title_hint=title_hint, date_hint=date_hint)
        if item is not None:
            yield item


def _entry_date(entry: scrapy.Selector) -> datetime | None:
    raw = (entry.xpath("pubDate/text()").get() or entry.xpath("published/text()").get()
           or entry.xpath("updated/text()").get() or "").strip()
    if not raw:
        return None
    try:
        when = parsedate_to_datetime(raw)
        if when.tzinfo is None:
            # RFC 5322 "-0000" is UTC from a sender that does not say where it is; Python
            # returns it naive, and reading it as Shanghai time put it 8 hours early.
            when = when.replace(tzinfo=UTC)
    except (TypeError, ValueError):
        try:
            when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:  # an ISO time without a zone is the site's local time
            when = when.replace(tzinfo=SHANGHAI)
    return when.astimezone(SHANGHAI)
