"""Scrapy's downloader, with the per-domain concurrency limit held under load."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from scrapy import Request
from scrapy.core.downloader import Downloader, Slot
from scrapy.http import Response
from twisted.internet.defer import Deferred


class SlotGuardDownloader(Downloader):
    """A request leaving a slot's queue counts against the slot's concurrency at once.

    Scrapy 2.19's ``_process_queue`` pops a request and starts its download as an asyncio
    task, but the request joins ``slot.transferring`` only when that task first runs, on a
    later turn of the event loop. Until then the slot looks free: with no download delay
    the loop pops every queued request at once, and with a small one, if more than the
    delay passes between popping a request and re-checking the slot (the process
    descheduled on a loaded machine, a long garbage collection), the re-check pops the
    next request too. Either way two requests reach a site limited to one.
    """

    def _wait_for_download(self, slot: Slot, request: Request,
                           queue_dfd: Deferred[Response]) -> Coroutine[Any, Any, None]:
        # ``_download`` adds it again (a set: no change) and removes it when done.
        slot.transferring.add(request)
        return super()._wait_for_download(slot, request, queue_dfd)
