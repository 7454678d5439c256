"""`yuqing crawl` in a process that stalls for a moment each time it starts an asyncio task.

Usage: python stalled_crawl.py SECONDS [yuqing arguments...]

What a loaded machine (the process descheduled) or a long garbage collection does to a
crawl at random, done here at every task start, so a race in the downloader's bookkeeping
shows in every run rather than once in a while. Scrapy runs its reactor on the event loop
set here (it takes the current one).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Coroutine
from typing import Any


def main() -> int:
    stall = float(sys.argv[1])

    def stalling(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any],
                 **kwargs: Any) -> asyncio.Task[Any]:
        time.sleep(stall)
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop = asyncio.new_event_loop()
    loop.set_task_factory(stalling)
    asyncio.set_event_loop(loop)
    from yuqing.cli import main as yuqing

    return yuqing(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
