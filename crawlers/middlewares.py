"""Downloader middleware: retries that back off instead of hammering a struggling site."""

from __future__ import annotations

import asyncio
import logging
import random
from email.utils import parsedate_to_datetime

import scrapy
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings

log = logging.getLogger(__name__)

MAX_BACKOFF = 60.0


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware (5xx, 429, timeouts, connection errors), but the n-th retry
    waits ``RETRY_BACKOFF_SECONDS * 2**(n-1)`` (jittered, capped), or what the site asks
    for in Retry-After. The wait holds only this request, not the whole crawl."""

    def __init__(self, settings: BaseSettings):
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_SECONDS", 2.0)

    def delay_for(self, retry: scrapy.Request, response: Response | None) -> float:
        n = int(retry.meta.get("retry_times", 1))
        delay = self.base * 2 ** (n - 1) * random.uniform(0.8, 1.2)
        asked = _retry_after(response) if response is not None else None
        if asked is not None:
            delay = max(delay, asked)
        return min(delay, MAX_BACKOFF)

    async def process_response(  # type: ignore[override]
            self, request: scrapy.Request, response: Response) -> scrapy.Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, scrapy.Request):
            await self._wait(result, response)
        return result

    async def process_exception(  # type: ignore[override]
            self, request: scrapy.Request, exception: Exception
    ) -> scrapy.Request | Response | None:
        result = super().process_exception(request, exception)
        if isinstance(result, scrapy.Request):
            await self._wait(result, None)
        return result

    async def _wait(self, retry: scrapy.Request, response: Response | None) -> None:
        delay = self.delay_for(retry, response)
        if delay > 0:
            log.info("retrying %s in %.1fs", retry.url, delay)
            await asyncio.sleep(delay)


def _retry_after(response: Response) -> float | None:
    raw = response.headers.get(b"Retry-After")
    if not raw:
        return None
    value = raw.decode("latin-1").strip()
    if value.isdigit():
        return float(value)
    try:
        from datetime import datetime

        when = parsedate_to_datetime(value)
        return max(0.0, (when - datetime.now(when.tzinfo)).total_seconds())
    except (TypeError, ValueError):
        return None
