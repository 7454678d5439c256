"""Template ``discuz``: a Discuz! forum: board list → thread rows (replies, views) → thread.

Start URLs are boards (``forum.php?mod=forumdisplay&fid=N``, rewritten ``forum-N-1.html``,
old ``forumdisplay.php?fid=N``) or the forum index, whose board links are followed. A
thread is fetched when it is new or its row shows more replies than last time. Its text is
the first post and the replies on the page, without who wrote them (issues, not people):
a complaint made in a reply ("我们村也停水三天了") is analysed like one made in a thread.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from w3lib.url import url_query_cleaner

from crawlers.extraction.bylines import drop_header_lines
from yuqing.records import Metrics

from .base import SourceSpider

_THREAD_URL = re.compile(r"mod=viewthread.*tid=\d+|thread-\d+-\d+-\d+\.html|"
                         r"viewthread\.php\?tid=\d+", re.I)
_BOARD_URL = re.compile(r"mod=forumdisplay.*fid=\d+|forum-\d+-1\.html|forumdisplay\.php\?fid=\d+",
                        re.I)
_ROWS = "tbody[id^=normalthread], tbody[id^=stickthread]"
_ROW_LINK = ("a.xst, a.s.xst, th a[href*=viewthread], th a[href*='thread-'], "
             "td.subject a[href*=thread], span[id^=thread_] a")
_TITLE = "#thread_subject, h1 a[id^=thread_subject], .ts h1, h1"
_FIRST_POST = ("div[id^=postmessage_], td[id^=postmessage_], td.t_f, div.t_f, "
               "div.t_msgfont, div.message")
_POST_TIME = "em[id^=authorposton], .authi em, .posterinfo .authorinfo em"
_POSTS = "div[id^=postmessage_], td[id^=postmessage_]"
# A quoted post repeats an earlier one under its poster's name ("网友甲 发表于 ...").
_QUOTES = (".//div[contains(concat(' ', normalize-space(@class), ' '), ' quote ')] | "
           ".//blockquote")
# Discuz's reply-to-a-floor opener: "回复 3# 网友甲".
_REPLY_TO = re.compile(r"^回复\s*\d+\s*#\s*[^\s，。,]{1,20}\s*")
_VIEWS = re.compile(r"(?:查看|浏览|阅读|人气)\s*[:：]?\s*(\d+)")
_REPLIES = re.compile(r"(?:回复|回帖)\s*[:：]?\s*(\d+)")


def _int(text: str | None) -> int | None:
    m = re.search(r"\d+", (text or "").replace(",", ""))
    return int(m.group()) if m else None


def thread_url(url: str) -> str:
    """One URL per thread: list pages add ``extra=page%3D2`` / ``highlight`` to the links."""
    return url_query_cleaner(url, ("extra", "highlight", "fromguid", "from"), remove=True)


class DiscuzSpider(SourceSpider):
    template = "discuz"
    detail_callback = "parse_thread"

    def parse_list(self, response: Response, **_: Any) -> Iterator[Any]:
        rows = response.css(_ROWS)
        if rows:
            yield from self._rows(response, rows)
            return
        # Other templates (mobile, portal lists): plain thread links, counts unknown.
        links = [a for a in response.css("a[href]") if _THREAD_URL.search(a.attrib["href"])]
        if links:
            urls = [thread_url(response.urljoin(a.attrib["href"])) for a in links]
            for a, url in zip(links, urls, strict=True):
                req = self.visit(response, url, self.parse_thread, title_hint=self.text_of(a))
                if req is not None:
                    yield req
            if (nxt := self.next_page(response, urls)) is not None:
                yield nxt
            return
        boards = {response.urljoin(a.attrib["href"]) for a in response.css("a[href]")
                  if _BOARD_URL.search(a.attrib["href"])}
        if not boards or response.meta.get("yuqing_page", 1) > 1:
            self.drop(response.url, "no_threads")
            return
        for url in sorted(boards):  # the forum index: crawl each board's first page
            yield scrapy.Request(url, callback=self.parse, errback=self.on_error,
                                 meta={"yuqing_role": "list", "yuqing_page": 1,
                                       "yuqing_start": response.meta.get("yuqing_start")})

    def _rows(self, response: Response, rows: scrapy.selector.SelectorList) -> Iterator[Any]:
        sel = self.source.selectors
        urls: list[str] = []
        for row in rows:
            link = self.select(row, sel.list_links) if sel.list_links else row.css(_ROW_LINK)
            href = link.attrib.get("href")
            if not href:
                self.drop(response.url, "thread_row_without_link")
                continue
            replies = _int(self.text_of(self.select(row, sel.replies)[:1]) if sel.replies
                           else row.css("td.num a::text, td.nums strong::text").get())
            views = _int(self.text_of(self.select(row, sel.views)[:1]) if sel.views
                         else row.css("td.num em::text, td.nums em::text").get())
            by = row.css("td.by")[:1]
            posted = (by.css("em span::attr(title)").get() or self.text_of(by.css("em"))
                      or None)
            urls.append(thread_url(response.urljoin(href)))
            req = self.visit(response, urls[-1], self.parse_thread,
                             replies=replies, title_hint=self.text_of(link[:1]),
                             date_hint=self.list_date(posted),
                             listed=Metrics(replies=replies, views=views))
            if req is not None:
                yield req
        if (nxt := self.next_page(response, urls)) is not None:
            yield nxt

    def parse_thread(self, response: Response, title_hint: str | None = None,
                     date_hint: Any = None, listed: Metrics | None = None) -> Iterator[Any]:
        sel = self.source.selectors
        title = self.text_of(self.select(response, sel.title or _TITLE)[:1]) or title_hint
        if not title:
            title = (response.css("title::text").get() or "").split(" - ")[0].strip()
        post = self.select(response, sel.body or _FIRST_POST)[:1]
        text = self.text_of(post)
        if text and not sel.body:
            text = "\n\n".join([text, *self._replies(response, post)])
        if not text:
            locked = "该帖被管理员或版主屏蔽" in response.text or "没有权限" in response.text
            self.drop(response.url, "thread_hidden" if locked else "empty_text")
            return
        when = self.select(response, sel.date or _POST_TIME)[:1]
        posted = when.css("span::attr(title)").get() or self.text_of(when)
        header = self.text_of(response.css(".hm, .ts, .authi, .xg1")[:6])
        page_replies = _int(m.group(1)) if (m := _REPLIES.search(header)) else None
        page_views = _int(m.group(1)) if (m := _VIEWS.search(header)) else None
        listed = listed or Metrics()
        metrics = Metrics(replies=_max(listed.replies, page_replies),
                          views=_max(listed.views, page_views))
        item = self.make_item(response, title=title or "", text=text,
                              published_at=self.list_date(posted), date_hint=date_hint,
                              metrics=metrics)
        if item is not None:
            yield item

    def _replies(self, response: Response, first: scrapy.selector.SelectorList
                 ) -> list[str]:
        """The text of the replies on a thread page: quotes of other posts, the @handle or
        "回复 3# name" a reply opens with and edit notes left out."""
        opening = {node.root for node in first}
        out = []
        for node in response.css(_POSTS):
            if node.root in opening:
                continue
            root = copy.deepcopy(node.root)
            for quote in root.xpath(_QUOTES):
                quote.drop_tree()
            text = drop_header_lines(self.text_of(scrapy.Selector(root=root, type="html")))
            text = _REPLY_TO.sub("", text).strip()
            if text:
                out.append(text)
        return out


def _max(a: int | None, b: int | None) -> int | None:
    # The list and the thread page are cached separately; the larger count is the newer.
    values = [v for v in (a, b) if v is not None]
    return max(values) if values else None
