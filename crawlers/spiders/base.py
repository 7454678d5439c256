"""What every source spider shares: its Source config, item building, counted failures,
and the incremental visit of detail pages through the persistent crawl state."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Self
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from crawlers.context import config_for
from crawlers.extraction import extract
from crawlers.extraction.encoding import codec_for, decode_html
from crawlers.spiders.dates import parse_list_date
from crawlers.spiders.links import same_site, start_domains
from crawlers.state import MAX_RESUME_FAILURES, CrawlState, Decision, Gap, Seen
from yuqing.config import Config, Source
from yuqing.records import SHANGHAI, Item, Metrics, SourceKind, without_personal_params

DetailHandler = Callable[..., Iterator[Any]]
# Text a reader sees: not scripts, and not the hidden anti-copy noise forums insert
# (Discuz! "jammer" fonts, display:none spans, "本帖最后由 ... 编辑" status lines).
_HIDDEN = ("ancestor-or-self::*[self::script or self::style or contains(@class, 'jammer') "
           "or contains(@class, 'pstatus') or contains(translate(@style, ' ', ''), "
           "'display:none')]")
_VISIBLE_TEXT = f".//text()[not({_HIDDEN})] | .//br | .//p"
_NEXT_TEXT = re.compile(r"^\s*(下一页|下页|后页|next|›|>|»)\s*$", re.I)

# Failed pages retried straight from the crawl state per run: ``max_pages`` x this.
RETRIES_PER_LIST_PAGE = 20
# Drops that say a list page gave nothing to read (see ``parse``).
_UNREADABLE = ("parse_error", "no_article_links", "no_message_links", "no_threads",
               "feed_unparsable", "sitemap_unparsable")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fetched:
    """A fetched item's crawl-state row, written once the pipeline has kept the item."""

    key: str
    item: Item
    etag: str | None
    last_modified: str | None
    lastmod: str | None
    replies: int | None
    # A thread read over several pages: what each gave (``CrawlState.record_thread``).
    parts: dict[str, Any] | None = None


class SourceSpider(scrapy.Spider):
    """A spider instance is one configured source; the subclass is its template."""

    template = ""
    # A feed or sitemap lists the site's own pages, also those on a sibling host
    # (news.example.gov.cn listing www.example.gov.cn), so by default it may fetch from the
    # whole registrable domain. Templates that discover links among all of a page's
    # anchors keep to the start hosts, or other sites' links would pass for articles.
    lists_own_pages = False
    # The callback that reads one of the template's detail pages, for a retry that comes
    # from the crawl state rather than a list entry.
    detail_callback = "parse_article"
    config: Config  # set in from_crawler, from the crawler's settings

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # `scrapy crawl feed -a source=ID` (and Scrapyd) find a template by this name.
        cls.name = cls.template

    def __init__(self, source: Source, state: CrawlState | None = None,
                 clock: Callable[[], datetime] | None = None, **kwargs: Any):
        super().__init__(name=f"{self.template}:{source.id}", **kwargs)
        self.source = source
        self.state = state
        # Back-offs, retries and relative list dates are judged against this clock
        # (`yuqing crawl --at` moves it); the wall clock by default.
        self._clock = clock or (lambda: datetime.now(SHANGHAI))
        self._visited: set[str] = set()
        self._pending: dict[str, list[Fetched]] = {}
        self._fresh: set[str] = set()  # pages asked for this run as new or changed
        self._gaps: dict[int, Gap] = {}  # lists left behind, resumed this run
        self._catch_up_budget: dict[str, int] = {}
        self._gaps_failed: set[int] = set()  # gaps whose catch-up failed this run
        self._gaps_found: set[int] = set()  # gaps whose entries a list page showed this run
        # Gaps whose resume page did not show their entries: they may have moved up.
        self._moved: dict[int, str | None] = {}  # gap -> its loss, if the list ended too
        self._top_depth: dict[str, int] = {}  # list -> deepest page reached from the top
        self._unreadable: set[str] = set()  # list pages dropped as giving nothing to read
        self._dropped: dict[str, str] = {}  # page URL -> why it was dropped this run
        self.allowed_domains = source.allowed_domains or start_domains(
            source.start_urls, whole_site=self.lists_own_pages)

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        # Under `scrapy crawl` / Scrapyd the config's crawl section applies too (`yuqing
        # crawl` has already set the same values at a higher priority).
        from crawlers.runner import crawl_settings

        settings.setdict(crawl_settings(config_for(settings)), priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        cfg = config_for(crawler.settings)
        source = kwargs.get("source")
        if isinstance(source, str):  # `-a source=ID` on the scrapy command line
            try:
                kwargs["source"] = cfg.source(source)
            except KeyError:
                raise ValueError(f"no source {source!r} in the configuration; configured: "
                                 f"{', '.join(s.id for s in cfg.sources)}") from None
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = cfg
        crawler.signals.connect(spider._idle, signal=signals.spider_idle)
        if spider.state is None:
            spider.state = CrawlState.for_config(cfg)
        return spider

    def now(self) -> datetime:
        return self._clock()

    def stat(self, key: str, n: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key, n)

    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.start_urls:
            yield scrapy.Request(url, callback=self.parse, errback=self.on_error,
                                 meta={"yuqing_role": "list", "yuqing_page": 1,
                                       "yuqing_start": url})
        for request in self._catch_up():
            yield request
        for request in self._retries():
            yield request

    # -- selectors -------------------------------------------------------------------------
    @staticmethod
    def select(node: Response | scrapy.Selector, expr: str) -> scrapy.selector.SelectorList:
        """A configured selector: XPath when it starts with '/' or '(' , else CSS."""
        if expr.startswith(("/", "(", "./")):
            return node.xpath(expr)
        return node.css(expr)

    @staticmethod
    def text_of(nodes: scrapy.selector.SelectorList | scrapy.Selector | None) -> str:
        """Visible text of nodes, whitespace collapsed, <br>/<p> kept as line breaks."""
        if nodes is None:
            return ""
        if isinstance(nodes, scrapy.Selector):
            nodes = scrapy.selector.SelectorList([nodes])
        chunks: list[str] = []
        for node in nodes:
            if isinstance(node.root, str):
                chunks.append(node.root)
                continue
            for t in node.xpath(_VISIBLE_TEXT):
                chunks.append("\n" if not isinstance(t.root, str) else t.root)
        lines = (" ".join(line.split()) for line in "".join(chunks).split("\n"))
        return "\n".join(line for line in lines if line)

    # -- pagination ------------------------------------------------------------------------
    def next_page(self, response: Response, entries: Iterable[str]) -> scrapy.Request | None:
        """The next list page of a chain, given this page's entries (their URLs).

        From page 1, lists are newest first: paging stops at the first page with nothing
        new, or at ``max_pages`` with new entries still coming, which leaves a *gap* (the
        entries after this page's) in the crawl state. Later runs resume each gap where it
        was left, find its entries again (newer posts push them down) and fetch what follows
        until a page holds nothing new: catching up costs at most 2 x ``max_pages`` list
        pages per list and run, and a gap not finished is resumed by the next run."""
        urls = [response.urljoin(u) for u in entries]
        fresh = sum(u in self._fresh for u in urls)  # also those another chain asked for
        page = int(response.meta.get("yuqing_page", 1))
        chain = response.meta.get("yuqing_list") or response.request.url
        gap = self._gaps.get(response.meta.get("yuqing_gap", -1))
        if gap is None:
            return self._from_top(response, chain, page, urls, fresh)
        return self._in_gap(response, gap, chain, page, urls, fresh)

    def _from_top(self, response: Response, chain: str, page: int, urls: list[str],
                  fresh: int) -> scrapy.Request | None:
        assert self.state is not None
        self._top_depth[chain] = max(page, self._top_depth.get(chain, 0))
        href = self.next_href(response) if fresh else None
        if href is None:  # nothing new here, so nothing older either; or the list ends
            return None
        if page >= self.source.max_pages:
            self.state.add_gap(self.source.id, chain, response.url, page, urls, self.now(),
                               start_url=response.meta.get("yuqing_start"))
            self._defer(chain, response.url, f"stopped at list page {page} (max_pages) with "
                        "new entries left; later runs continue after this page's entries")
            return None
        # Should the next page fail, the entries below it are only reachable through a gap
        # after this page's (``on_error``): the next run would stop here, finding nothing new.
        return self._follow(response, href, chain, page, above=urls, above_url=response.url)

    def _in_gap(self, response: Response, gap: Gap, chain: str, page: int, urls: list[str],
                fresh: int) -> scrapy.Request | None:
        assert self.state is not None
        found = bool(response.meta.get("yuqing_found"))
        if found and not fresh:
            log.info("%s: caught up with %s at page %d", self.source.id, chain, page)
            self.state.close_gap(gap.id)
            return None
        # The page that holds the entries the gap follows: what comes next is the gap.
        found = found or bool(set(gap.markers) & set(urls))
        if found:
            self._gaps_found.add(gap.id)
        elif response.meta.get("yuqing_resume") and gap.markers and gap.page > 1:
            self._moved.setdefault(gap.id, None)
        href = self.next_href(response)
        if href is None:  # the list ends here: nothing older is left
            self.state.close_gap(gap.id)
            if not found and gap.markers:
                # Every entry from where the catch-up resumed to the end was visited; the
                # gap's were pushed off the list before a run got to them, or moved up
                # (``_idle`` looks above the resume page before calling them lost).
                lost = (f"the list ended at page {page} ({response.url}) before the entries "
                        f"left behind on {gap.since:%Y-%m-%d %H:%M}; newer posts pushed "
                        "them off the list: raise max_pages or crawl it more often")
                if gap.id in self._moved:
                    self._moved[gap.id] = lost
                else:
                    self.drop(chain, "backlog_lost", lost)
            return None
        if not self._spend(chain):
            self.state.move_gap(gap.id, response.url, page, urls if found else list(gap.markers))
            self._defer(chain, response.url, f"catching up: stopped at list page {page} "
                        "(2 x max_pages a run); the next run resumes here")
            return None
        return self._follow(response, href, chain, page, gap=gap.id, found=found)

    def _follow(self, response: Response, href: str, chain: str, page: int, **meta: Any
                ) -> scrapy.Request:
        # dont_filter: a list page may be on two chains (from the top, catching up); the
        # duplicate filter would end one of them without a word.
        return response.follow(
            href, callback=self.parse, errback=self.on_error, dont_filter=True,
            meta={"yuqing_role": "list", "yuqing_page": page + 1, "yuqing_list": chain,
                  "yuqing_start": response.meta.get("yuqing_start"),
                  **{f"yuqing_{k}": v for k, v in meta.items()}})

    def _idle(self) -> None:
        """Every list of the run is done. A gap whose resume page did not show its entries,
        and no page below it either, may have moved *up* (posts deleted above it, a site
        showing more entries a page): the backlog under its entries then lies above the
        resume page, where the catch-up going down never looks and the top, finding nothing
        new, stopped first. Such a gap is resumed from the list's first page instead (now,
        within the list's catch-up budget, else by the next run), down to its entries and
        past the backlog; only a walk from the top that misses them calls them lost."""
        assert self.state is not None
        moved, self._moved = self._moved, {}
        again = []
        for gap_id, lost in moved.items():
            gap = self._gaps[gap_id]
            if gap_id in self._gaps_found or gap_id in self._gaps_failed:
                continue
            if self._top_depth.get(gap.list_url, 0) >= gap.page - 1:
                # The top came down to the resume page: nothing above it is unvisited.
                if lost is not None:
                    self.drop(gap.list_url, "backlog_lost", lost)
                continue
            if lost is None:  # still open where this run left it
                self.state.move_gap(gap.id, gap.list_url, 1, list(gap.markers))
                top = dataclasses.replace(gap, page_url=gap.list_url, page=1)
            else:
                top = dataclasses.replace(gap, id=self.state.add_gap(
                    self.source.id, gap.list_url, gap.list_url, 1, list(gap.markers),
                    gap.since, start_url=gap.start_url or None), page_url=gap.list_url, page=1)
            log.info("%s: the entries %s was left behind at are not on its page %d or below; "
                     "looking for them from the top", self.source.id, gap.list_url, gap.page)
            if self._spend(gap.list_url):
                self._gaps[top.id] = top
                again.append(self._resume(top))
            else:
                self._defer(gap.list_url, gap.list_url, "its entries moved up; the next run "
                            "looks for them from the top")
        for request in again:
            self.crawler.engine.crawl(request)
        if again:
            raise DontCloseSpider

    def _resume(self, gap: Gap) -> scrapy.Request:
        return scrapy.Request(gap.page_url, callback=self.parse, errback=self.on_error,
                              dont_filter=True,
                              meta={"yuqing_role": "list", "yuqing_page": gap.page,
                                    "yuqing_list": gap.list_url, "yuqing_gap": gap.id,
                                    "yuqing_resume": True, "yuqing_start": gap.origin})

    def _catch_up(self) -> Iterator[scrapy.Request]:
        """Resume the lists earlier runs left behind, oldest gap first, within budget."""
        assert self.state is not None
        configured = _as_requested(self.source.start_urls)
        for gap in self.state.gaps(self.source.id):
            if gap.origin not in configured:
                # The list left the configuration: its backlog is not wanted any more, and
                # resuming it would crawl (and count) a list nobody asked for, every run.
                self.state.close_gap(gap.id)
                self.drop(gap.list_url, "backlog_list_removed",
                          f"left behind at list page {gap.page} ({gap.page_url}) on "
                          f"{gap.since:%Y-%m-%d %H:%M}; the list is no longer among the "
                          "source's start_urls")
                continue
            if not self._spend(gap.list_url):
                self._defer(gap.list_url, gap.page_url, "not resumed this run: the list's "
                            "catch-up budget (2 x max_pages pages) is spent")
                continue
            self._gaps[gap.id] = gap
            yield self._resume(gap)

    def _retries(self) -> Iterator[scrapy.Request]:
        """Failed pages whose back-off has passed, asked for straight from the crawl state:
        once a list is caught up no run pages down to its older entries again, so a page
        that failed there would otherwise never be retried. At most ``max_pages`` x
        RETRIES_PER_LIST_PAGE a run, longest waiting first; the rest are deferred."""
        assert self.state is not None
        budget = self.source.max_pages * RETRIES_PER_LIST_PAGE
        due, total = self.state.due_retries(self.source.id, self.now(), budget)
        handler = getattr(self, self.detail_callback)
        for url, hints in due:
            if not same_site(url, self.allowed_domains):
                # Backed off like any failure, or it would be counted again every run.
                self.drop_offsite(url, " (a retry of a failed page)")
                self.state.fail(self.source.id, url, "offsite", self.now())
                continue
            request = self.visit(None, url, handler, **_from_hints(hints))
            if request is not None:
                yield request
        if total > len(due):
            self.stat("yuqing/deferred", total - len(due))
            log.warning("%s: %d failed pages due for a retry left for the next run (max_pages "
                        "x %d retries a run)", self.source.id, total - len(due),
                        RETRIES_PER_LIST_PAGE, extra={"source": self.source.id,
                                                      "reason": "max_pages"})

    def _catch_up_failed(self, gap: Gap, request: scrapy.Request, reason: str) -> None:
        """A list page of a gap's catch-up failed (after the download retries). The gap
        waits for the next run, but not forever: a page that is gone, or one that fails
        in MAX_RESUME_FAILURES runs in a row, gives the gap up, counted and logged."""
        assert self.state is not None
        if gap.id in self._gaps_failed:  # one failure a run, however many chains
            return
        self._gaps_failed.add(gap.id)
        failures = self.state.gap_failed(gap.id)
        where = f"list page {request.meta.get('yuqing_page')} ({request.url}) answered {reason}"
        gone = reason in ("http_404", "http_410")
        if not gone and failures < MAX_RESUME_FAILURES:
            self._defer(gap.list_url, gap.page_url, f"catching up: {where} ({failures} of "
                        f"{MAX_RESUME_FAILURES} runs); the next run tries again")
            return
        self.state.close_gap(gap.id)
        why = "it is gone" if gone else f"failed in {failures} runs in a row"
        self.drop(gap.list_url, "backlog_unreachable",
                  f"catching up, {where}: {why}; the entries left behind on "
                  f"{gap.since:%Y-%m-%d %H:%M} are given up")

    def _spend(self, chain: str) -> bool:
        """One list page of a list's catch-up budget for this run, if any is left."""
        left = self._catch_up_budget.setdefault(chain, 2 * self.source.max_pages)
        self._catch_up_budget[chain] = left - 1
        return left > 0

    def _defer(self, chain: str, url: str, why: str) -> None:
        self.stat("yuqing/deferred")
        log.warning("%s: list %s left behind at %s: %s", self.source.id, chain, url, why,
                    extra={"source": self.source.id, "url": url, "reason": "max_pages"})

    def next_href(self, response: Response) -> str | None:
        """The link to the next list page, if this page has one."""
        href = None
        if self.source.selectors.next_page:
            nodes = self.select(response, self.source.selectors.next_page)
            href = nodes.attrib.get("href") or nodes.xpath("@href").get() or (
                nodes.get() if nodes and isinstance(nodes[0].root, str) else None)
        href = href or response.css("link[rel=next]::attr(href), a[rel=next]::attr(href), "
                                    "a.nxt::attr(href)").get()
        if not href:
            for a in response.css("a[href]"):
                if _NEXT_TEXT.match(self.text_of(a) or a.attrib.get("title", "")):
                    href = a.attrib["href"]
                    break
        if not href or href.startswith(("javascript:", "#")):
            return None
        return str(href)

    # -- incremental visits ----------------------------------------------------------------
    def visit(self, response: Response | None, url: str, handler: DetailHandler, *,
              replies: int | None = None, lastmod: str | None = None,
              replied: bool | None = None, **cb_kwargs: Any) -> scrapy.Request | None:
        """A request for a detail page, or None when the crawl state says it cannot have
        changed. Pages seen before are asked for conditionally (ETag / Last-Modified)."""
        assert self.state is not None
        url = without_personal_params(response.urljoin(url) if response is not None else url)
        if url in self._visited:  # linked from several list pages: one decision per run
            return None
        self._visited.add(url)
        if not same_site(url, self.allowed_domains):
            # Counted here, not by the offsite middleware: it must not count as fresh.
            self.drop_offsite(url, f" (linked from {response.url})" if response else "")
            return None
        decision, seen = self.state.decide(
            self.source.id, url, self.now(), replies=replies, lastmod=lastmod,
            replied=replied, recheck_unreplied_days=self.config.crawl.recheck_unreplied_days)
        if decision is Decision.unchanged:
            self.stat("yuqing/unchanged")
            return None
        if decision is Decision.failing:
            self.stat("yuqing/failing_skipped")
            return None
        if decision in (Decision.new, Decision.changed):
            self._fresh.add(url)
        # More replies than last time: a forum's ETag often covers the first post only and
        # would answer 304, keeping the old counts; ask unconditionally.
        grew = replies is not None and seen is not None and (
            seen.replies is None or replies > seen.replies)
        fetch, resume = self.detail_start(url, seen, replies) if grew else (url, {})
        return scrapy.Request(
            fetch, callback=self._detail, errback=self.on_error,
            headers=seen.conditional_headers() if seen and seen.item_id and not grew
            else None,
            meta={"yuqing_key": url, "yuqing_replies": replies, "yuqing_lastmod": lastmod,
                  "yuqing_decision": decision, "handle_httpstatus_list": [304],
                  "yuqing_hints": _hints(lastmod, cb_kwargs)},
            cb_kwargs={"handler": handler, **cb_kwargs, **resume})

    def detail_start(self, url: str, seen: Seen, replies: int | None
                     ) -> tuple[str, dict[str, Any]]:
        """Where the re-fetch of a page whose list entry shows more replies starts, and what
        its handler needs to resume there: a template whose detail pages run over several
        pages (forum threads) starts at the one the new replies begin on."""
        return url, {}

    def _detail(self, response: Response, handler: DetailHandler, **kwargs: Any
                ) -> Iterator[Any]:
        assert self.state is not None
        key = response.meta.get("yuqing_key", response.url)
        if response.status == 304:
            self.state.touch(self.source.id, key, self.now(),
                             replies=response.meta.get("yuqing_replies"),
                             lastmod=response.meta.get("yuqing_lastmod"))
            self.stat("yuqing/unchanged")
            self.done(key, ok=True)
            return
        response = self.decoded(response)
        waiting = read = False
        for out in self.guarded(response, handler(response, **kwargs)):
            if isinstance(out, Item):
                read = True
                fetched = Fetched(key, out, _header(response, b"ETag"),
                                  _header(response, b"Last-Modified"),
                                  response.meta.get("yuqing_lastmod"),
                                  response.meta.get("yuqing_replies"),
                                  response.meta.get("yuqing_parts"))
                outcome = self.state.compare(self.source.id, key, out)
                if outcome is Decision.unchanged:
                    self._record(fetched)  # nothing to index, nothing to wait for
                    self.stat("yuqing/unchanged")  # re-fetched, same content: not re-indexed
                    continue
                self.stat("yuqing/new" if outcome is Decision.new else "yuqing/updated")
                self._pending.setdefault(out.id, []).append(fetched)
                waiting = True
            yield out
        if not read and (reason := self._dropped.get(response.url)):
            # Remembered as a failure: retried on the back-off, not fetched every run, and
            # counted by crawl health (a site whose pages all fail to read).
            self.state.fail(self.source.id, key, reason, self.now(),
                            response.meta.get("yuqing_hints"))
            self.done(key, ok=False)
        elif not waiting:  # unchanged
            self.done(key, ok=True)

    def settle(self, items: Iterable[Item]) -> None:
        """The pipeline has indexed, spooled or (counted) dropped these items. Only now
        does the crawl state remember them: a crawl killed while they waited in the
        pipeline must fetch them again, not take them for seen."""
        for item in items:
            queue = self._pending.get(item.id)
            if queue:
                fetched = queue.pop(0)
                self._record(fetched)
                if not queue:
                    del self._pending[item.id]
                self.done(fetched.key, ok=True)

    def done(self, key: str, *, ok: bool) -> None:
        """A detail page is settled: remembered in the crawl state, or (not ok) failed."""

    def _record(self, f: Fetched) -> None:
        assert self.state is not None
        self.state.record(self.source.id, f.key, f.item, self.now(), etag=f.etag,
                          last_modified=f.last_modified, lastmod=f.lastmod, replies=f.replies)
        if f.parts is not None:
            self.state.record_thread(self.source.id, f.key, f.parts)

    def closed(self, reason: str) -> None:
        unsettled = sum(len(q) for q in self._pending.values())
        if unsettled:  # the pipeline failed them: not remembered, so fetched next run
            self.stat("yuqing/unsettled", unsettled)
            log.warning("%s: %d items not kept by the pipeline; fetched again next run",
                        self.source.id, unsettled)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """A list page (feed, board list, sitemap...): the template's ``parse_list``.

        Counted, and counted as unreadable when it yields no entry to read (dropped as
        empty or unparsable, or its callback broke): crawl health needs to tell a site that
        answers 200 with nothing readable from one with nothing new."""
        response = self.decoded(response)
        self.stat("yuqing/lists")
        yield from self.guarded(response, self.parse_list(response, **kwargs))
        if response.url in self._unreadable:
            self.stat("yuqing/lists_unreadable")

    @staticmethod
    def decoded(response: Response) -> Response:
        """The page decoded as the extractor decodes it, for ``.text`` and every selector.

        Scrapy trusts the HTTP charset, and servers in front of old GBK sites say
        ``charset=utf-8``: templates and selector overrides then read U+FFFD garbage. The
        extractor treats every declared charset as a hint to verify. The body stays as
        fetched; only the encoding it is read with changes."""
        if not isinstance(response, TextResponse):
            return response
        _, name = decode_html(response.body, _header_charset(response))
        return response.replace(encoding=codec_for(name))

    def parse_list(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        raise NotImplementedError

    def guarded(self, response: Response, outputs: Iterator[Any]) -> Iterator[Any]:
        """Run a callback; a page whose markup breaks it is counted, never fatal."""
        try:
            yield from outputs
        except Exception as exc:  # noqa: BLE001 - one bad page must never stop the crawl
            self.drop(response.url, "parse_error", repr(exc)[:200])

    def list_date(self, text: str | None) -> datetime | None:
        return parse_list_date(text, self.now())

    def recent(self, days: int) -> datetime:
        return self.now() - timedelta(days=days)

    # -- accounting ------------------------------------------------------------------------
    def drop(self, url: str, reason: str, detail: str = "") -> None:
        """Every page we give up on is counted by reason and logged with its URL."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"yuqing/dropped/{reason}")
        if reason in _UNREADABLE:
            self._unreadable.add(url)
        self._dropped[url] = reason
        self.crawler.stats.inc_value(f"yuqing/source/{self.source.id}/dropped")
        log.warning("dropped %s: %s %s", url, reason, detail,
                    extra={"source": self.source.id, "url": url, "reason": reason})

    def drop_offsite(self, url: str, detail: str = "") -> None:
        """A page we meant to fetch on a host outside the source's domains. The crawl state
        is not told: it is no failure of the site, and backing it off would hide it once
        ``allowed_domains`` is fixed."""
        host = urlsplit(url).hostname
        self.drop(url, "offsite",
                  f"host {host!r} is outside {', '.join(self.allowed_domains)}{detail}")

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        response = getattr(failure.value, "response", None)
        if response is not None:
            reason = f"http_{response.status}"
        elif isinstance(failure.value, IgnoreRequest) and "robots" in str(failure.value):
            reason = "robots_disallowed"
        elif "larger than download max size" in str(failure.value):  # crawl.max_page_mb
            reason = "too_large"
        else:
            reason = type(failure.value).__name__
        self.drop(request.url, reason, str(failure.value)[:200])
        gap = self._gaps.get(request.meta.get("yuqing_gap", -1))
        if gap is not None:
            self._catch_up_failed(gap, request, reason)
        elif request.meta.get("yuqing_above") is not None and self.state is not None:
            self._gap_above_failed_page(request, reason)
        if "yuqing_key" in request.meta and self.state is not None:
            self.state.fail(self.source.id, request.meta["yuqing_key"], reason, self.now(),
                            request.meta.get("yuqing_hints"))
            self.done(request.meta["yuqing_key"], ok=False)

    def _gap_above_failed_page(self, request: scrapy.Request, reason: str) -> None:
        """A list page reached from the top failed: its entries and those below it were
        never seen. A gap after the page above lets later runs find them (and give up, as
        for any gap, if the page keeps failing)."""
        assert self.state is not None
        page = int(request.meta["yuqing_page"])
        chain = request.meta.get("yuqing_list") or request.url
        self.state.add_gap(self.source.id, chain, request.meta["yuqing_above_url"], page - 1,
                           list(request.meta["yuqing_above"]), self.now(),
                           start_url=request.meta.get("yuqing_start"))
        self._defer(chain, request.url, f"list page {page} failed ({reason}); later runs "
                    "continue after the entries of the page above it")

    # -- items -----------------------------------------------------------------------------
    def article_item(self, response: Response, *, date_hint: datetime | None = None,
                     title_hint: str | None = None, metrics: Metrics | None = None,
                     **extra: Any) -> Item | None:
        """Extract a page into an Item, or count it as dropped and return None.

        ``response`` is ``decoded`` already (``_detail`` does it): its text is what the
        extractor would decode, so the page is decoded once. A page served as binary
        (``application/octet-stream``) has no text yet: the extractor decodes its bytes."""
        page = response.text if isinstance(response, TextResponse) else response.body
        try:
            ex = extract(page, response.url, fetched_at=self.now(),
                         header_encoding=_header_charset(response))
        except Exception as exc:  # noqa: BLE001 - one bad page must never stop the crawl
            self.drop(response.url, "extract_error", repr(exc)[:200])
            return None
        title, text, published_at, author = ex.title, ex.text, ex.published_at, ex.author
        sel = self.source.selectors
        if sel.title:
            title = self.text_of(self.select(response, sel.title)[:1]) or title
        if sel.body:
            text = self.text_of(self.select(response, sel.body)) or text
        if sel.date:
            published_at = self.list_date(
                self.text_of(self.select(response, sel.date)[:1])) or published_at
        if sel.author:
            author = self.text_of(self.select(response, sel.author)[:1]) or author
        if not text.strip():
            self.drop(response.url, "empty_text")
            return None
        if ex.listing and not sel.body:
            # Link discovery reached an index page (a channel, a board's thread list):
            # its 'text' is other stories' titles, which must not be indexed as an article.
            self.drop(response.url, "not_article")
            return None
        return self.make_item(response, title=title or title_hint or "", text=text,
                              published_at=published_at, date_hint=date_hint,
                              author=author, metrics=metrics, **extra)

    def make_item(self, response: Response, *, title: str, text: str,
                  published_at: datetime | None, date_hint: datetime | None = None,
                  author: str | None = None, metrics: Metrics | None = None,
                  **extra: Any) -> Item | None:
        """The Item for a page whose fields the template found; counts it."""
        try:
            item = self._item(response, title, text, published_at, date_hint, author,
                              metrics, extra)
        except ValueError as exc:  # pydantic: a field the page gave us is unusable
            self.drop(response.url, "invalid_item", str(exc)[:200])
            return None
        self.stat(f"yuqing/source/{self.source.id}/items")
        return item

    def _item(self, response: Response, title: str, text: str,
              published_at: datetime | None, date_hint: datetime | None,
              author: str | None, metrics: Metrics | None, extra: dict[str, Any]) -> Item:
        published = published_at or date_hint
        if (published_at and date_hint and published_at.date() == date_hint.date()
                and published_at.timetz().replace(tzinfo=None) == time(0)):
            published = date_hint  # the page gave only the day; the list knows the minute
        return Item.from_url(
            response.url,
            source_id=self.source.id,
            source_kind=self.source.kind,
            title=title.strip(),
            text=text.strip(),
            published_at=published,
            fetched_at=self.now(),
            # Issues, not people: a news article's byline is a public credit kept for
            # citation; a forum or board poster's name is personal and never kept.
            author=author if self.source.kind is SourceKind.news else None,
            region=self.source.region,
            metrics=metrics or Metrics(),
            **extra,
        )


def _as_requested(urls: Iterable[str]) -> set[str]:
    """Configured URLs as given and as Scrapy requests them (gaps of an earlier version
    kept the requested form)."""
    out = set(urls)
    for url in urls:
        try:
            out.add(scrapy.Request(url).url)
        except ValueError:
            pass
    return out


def _hints(lastmod: str | None, cb_kwargs: dict[str, Any]) -> dict[str, Any]:
    """What a list entry showed of a page, as JSON, for a retry that has no list entry."""
    hints = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in cb_kwargs.items()
             if k in ("title_hint", "date_hint") and isinstance(v, str | datetime)}
    if lastmod:
        hints["lastmod"] = lastmod
    return hints


def _from_hints(hints: dict[str, Any]) -> dict[str, Any]:
    """``visit`` arguments from stored hints; one that does not parse is left out."""
    out: dict[str, Any] = {}
    if isinstance(hints.get("title_hint"), str):
        out["title_hint"] = hints["title_hint"]
    if isinstance(hints.get("lastmod"), str):
        out["lastmod"] = hints["lastmod"]
    try:
        out["date_hint"] = datetime.fromisoformat(hints["date_hint"]).astimezone(SHANGHAI)
    except (KeyError, TypeError, ValueError):
        pass
    return out


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _header_charset(response: Response) -> str | None:
    ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
    if "charset=" in ctype:
        return ctype.split("charset=", 1)[1].split(";")[0].strip().strip('"') or None
    return None
