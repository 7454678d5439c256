"""Template ``discuz``: a Discuz! forum: board list → thread rows (replies, views) → thread.

Start URLs are boards (``forum.php?mod=forumdisplay&fid=N``, rewritten ``forum-N-1.html``,
old ``forumdisplay.php?fid=N``) or the forum index, whose board links are followed. A
thread is fetched when it is new or its row shows more replies than last time. Its text is
the first post and the replies, without who wrote them (issues, not people): a complaint
made in a reply ("我们村也停水三天了") is analysed like one made in a thread.

A thread longer than a page is read through its pager (``div.pg``): on a first visit its
first page and its last ones, ``max_thread_pages`` in all; when its count grows, from the
page its last reply seen is on to the end (new replies land there). It stays ONE item,
whose text joins every page read so far (the crawl state keeps each page's text): events
count reports, and a thread split into page items would count one complaint several times,
each with the thread's title and counts. A page of it that fails fails the visit (retried
as any failed page; an indexed thread keeps its item and its count, so is asked again).
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import scrapy
from scrapy.http import Response
from w3lib.url import add_or_replace_parameter, url_query_cleaner

from crawlers.extraction.bylines import drop_header_lines
from crawlers.state import Seen
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
# A thread's pager (X: div.pg, 6/7: div.pages): page links "2", "... 12", "共 12 页".
_PAGER = "div.pg, div.pages"
_PAGE_NO = re.compile(r"^[.…\s]*(\d+)$")
_PAGE_COUNT = re.compile(r"共\s*(\d+)\s*页")
_REWRITTEN = re.compile(r"thread-\d+-(\d+)-\d+\.html")
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

    def detail_start(self, url: str, seen: Seen, replies: int | None
                     ) -> tuple[str, dict[str, Any]]:
        """A thread with more replies: fetched from the page its last reply seen is on (new
        replies land after it), when an earlier visit learnt its posts a page."""
        assert self.state is not None
        doc = self.state.thread(self.source.id, url) if seen.item_id else None
        if not doc or "1" not in doc.get("pages", {}):
            return url, {}
        per_page = doc.get("per_page")
        if not per_page or seen.replies is None:
            return url, {"reading": _Reading(doc)}
        page = seen.replies // per_page + 1  # post seen.replies + 1 (the first post is 1)
        if replies is not None:  # grown past what a visit fetches: its last pages
            page = max(page, replies // per_page + 2 - self.source.max_thread_pages)
        href = page_url(doc["url"], page) if page > 1 else None
        return (href, {"reading": _Reading(doc, page)}) if href else (
            url, {"reading": _Reading(doc)})

    def parse_thread(self, response: Response, title_hint: str | None = None,
                     date_hint: Any = None, listed: Metrics | None = None,
                     reading: _Reading | None = None) -> Iterator[Any]:
        """One page of a thread; the item (the whole thread) comes with its last page."""
        reading = reading or _Reading({})
        sel = self.source.selectors
        title = self.text_of(self.select(response, sel.title or _TITLE)[:1]) or title_hint
        if not title:
            title = (response.css("title::text").get() or "").split(" - ")[0].strip()
        if reading.page == 1:
            post = self.select(response, sel.body or _FIRST_POST)[:1]
            text = self.text_of(post)
            if text and not sel.body:
                text = "\n\n".join([text, *self._replies(response, post)])
            if not text:
                locked = "该帖被管理员或版主屏蔽" in response.text or "没有权限" in response.text
                self.drop(response.url, "thread_hidden" if locked else "empty_text")
                return
            when = self.select(response, sel.date or _POST_TIME)[:1]
            published = self.list_date(when.css("span::attr(title)").get() or self.text_of(when))
            header = self.text_of(response.css(".hm, .ts, .authi, .xg1")[:6])
            reading.replies = _int(m.group(1)) if (m := _REPLIES.search(header)) else None
            reading.views = _int(m.group(1)) if (m := _VIEWS.search(header)) else None
            reading.doc = {"url": response.url, "title": title or "",
                           "published_at": published.isoformat() if published else None,
                           "per_page": reading.doc.get("per_page"),
                           "pages": dict(reading.doc.get("pages", {}))}
        else:
            text = "\n\n".join(self._replies(response, scrapy.selector.SelectorList()))
            title = title or reading.doc["title"]
        doc = reading.doc
        doc["pages"][str(reading.page)] = text
        reading.fetched += 1
        if not sel.body and (nxt := self._next_thread_page(response, reading)) is not None:
            yield nxt
            return
        listed = listed or Metrics()
        published = doc["published_at"]
        item = self.make_item(
            response.replace(url=doc["url"]), title=title or doc["title"],
            text="\n\n".join(t for _, t in sorted(
                (int(n), t) for n, t in doc["pages"].items()) if t),
            published_at=datetime.fromisoformat(published) if published else None,
            date_hint=date_hint, metrics=Metrics(replies=_max(listed.replies, reading.replies),
                                                 views=_max(listed.views, reading.views)))
        if item is not None:
            if doc["per_page"] or len(doc["pages"]) > 1:
                response.meta["yuqing_parts"] = doc  # see ``detail_start``
            yield item

    def _next_thread_page(self, response: Response, reading: _Reading
                          ) -> scrapy.Request | None:
        """The thread's next page to read, if any: within ``max_thread_pages`` a visit,
        the ones at the end (where new replies are) rather than those after the first."""
        page, doc = reading.page, reading.doc
        last, links = _pager(response, page)
        if page == 1 and last > 1:
            doc["per_page"] = len(response.css(_POSTS)) or None
        doc["pages"] = {n: t for n, t in doc["pages"].items() if int(n) <= last}
        left = self.source.max_thread_pages - reading.fetched
        nxt = max(page + 1, last - left + 1)
        if left <= 0 or nxt > last:
            return None
        href = links.get(nxt) or page_url(doc["url"], nxt)
        if href is None:
            return None
        # The same visit: its crawl-state key and accounting, through the scheduler.
        return scrapy.Request(
            href, callback=self._detail, errback=self.on_error,
            meta={k: v for k, v in response.meta.items()
                  if k.startswith("yuqing_") and k != "yuqing_parts"},
            cb_kwargs={**response.request.cb_kwargs,
                       "reading": dataclasses.replace(reading, page=nxt)})

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


@dataclass
class _Reading:
    """A thread being read page by page: what is known of it (stored by the crawl state
    once indexed), the page at hand and how many pages this visit has fetched."""

    doc: dict[str, Any]
    page: int = 1
    fetched: int = 0
    replies: int | None = None  # as the first page's header shows them
    views: int | None = None


def page_url(url: str, n: int) -> str | None:
    """Page ``n`` of a thread in the forms Discuz! writes them; None for any other."""
    if m := _REWRITTEN.search(url):
        return url[:m.start(1)] + str(n) + url[m.end(1):]
    if re.search(r"[?&]tid=\d+", url):
        return add_or_replace_parameter(url, "page", str(n))
    return None


def _pager(response: Response, page: int) -> tuple[int, dict[int, str]]:
    """A thread page's pager: the last page (``共 N 页``, the highest page link, or the
    next one when only a 下一页 link shows) and the links to pages by number."""
    pager = response.css(_PAGER)
    links: dict[int, str] = {}
    for a in pager.css("a[href]"):
        if m := _PAGE_NO.match(a.xpath("normalize-space(string())").get() or ""):
            links.setdefault(int(m.group(1)), thread_url(response.urljoin(a.attrib["href"])))
    said = " ".join([*pager.css("[title]::attr(title)").getall(), *pager.css("::text").getall()])
    last = max([page, *links, *(int(n) for n in _PAGE_COUNT.findall(said))])
    nxt = pager.css("a.nxt::attr(href), a.next::attr(href)").get()
    if nxt and last <= page:
        last = page + 1
        links.setdefault(last, thread_url(response.urljoin(nxt)))
    return last, links


def _max(a: int | None, b: int | None) -> int | None:
    # The list and the thread page are cached separately; the larger count is the newer.
    values = [v for v in (a, b) if v is not None]
    return max(values) if values else None
