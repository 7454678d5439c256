"""Map work over a stream on a process pool; results in input order, each as soon as it
and every earlier one are done.

``Pool.imap`` fed a window at a time holds every result until a whole window has been
*read*, so a slow producer (a live feed piping one item a second) sees nothing for
minutes. Here a thread reads the input and the caller's thread dispatches what has
arrived in chunks: full chunks while the input comes fast (few round trips), a partial
chunk as soon as a worker would otherwise sit idle (low latency). At most ``window``
items are between being read and being yielded, so memory stays bounded and a slow
consumer holds the reader back.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .workers import WorkersKeepDying

T = TypeVar("T")
R = TypeVar("R")

_ITEM, _END, _FAILED, _DONE = range(4)


@dataclass
class _Chunk(Generic[T]):
    items: list[T]
    work: list[int]  # positions of the items that go to the workers
    results: list[Any] | None = None  # set (by the caller's thread) once done


def ordered_map(pool: Any, work_chunk: Callable[[list[Any]], list[R]],
                items: Iterator[T], args_of: Callable[[T], Any | None], *, workers: int,
                chunksize: int = 8, window: int = 2000,
                ) -> Iterator[tuple[T, R | BaseException | None]]:
    """Yield (item, result) in input order. ``args_of(item)`` is what the workers get
    (``work_chunk`` maps a list of them to a list of results), or None for an item that
    needs no work (it passes through with None). A chunk that fails as a whole yields its
    exception as every item's result; ``WorkersKeepDying`` (from a ``ChunkPool`` that gave
    up) is raised instead, since no later chunk would fare better."""
    events: queue.SimpleQueue[tuple[int, Any, Any]] = queue.SimpleQueue()
    room = threading.Semaphore(window)
    stop = threading.Event()

    def read() -> None:
        try:
            while True:
                room.acquire()
                if stop.is_set():
                    return
                try:
                    item = next(items)
                except StopIteration:
                    events.put((_END, None, None))
                    return
                events.put((_ITEM, item, None))
        except BaseException as exc:  # re-raised in the caller's thread
            events.put((_FAILED, exc, None))

    if (watch := getattr(pool, "on_broken", None)) is not None:  # a ChunkPool
        watch(lambda exc: events.put((_FAILED, exc, None)))
    reader = threading.Thread(target=read, name="ordered-map-input", daemon=True)
    reader.start()
    order: deque[_Chunk[T]] = deque()  # every chunk not yet yielded, in input order
    unsent: list[T] = []
    busy = 0  # chunks at the workers
    ended = False

    def dispatch(batch: list[T]) -> None:
        nonlocal busy
        args = [args_of(i) for i in batch]
        chunk = _Chunk(batch, [k for k, a in enumerate(args) if a is not None])
        order.append(chunk)
        if not chunk.work:
            chunk.results = []
            return
        busy += 1
        # The pool's result thread only posts the outcome; the chunk is updated here, in
        # this thread, so no state is shared between threads.
        pool.apply_async(work_chunk, ([args[k] for k in chunk.work],),
                         callback=lambda r, c=chunk: events.put((_DONE, c, r)),
                         error_callback=lambda e, c=chunk: events.put((_DONE, c, e)))

    try:
        while True:
            while order and order[0].results is not None:
                chunk = order.popleft()
                out: list[Any] = [None] * len(chunk.items)
                for k, r in zip(chunk.work, chunk.results, strict=True):
                    out[k] = r
                for item, r in zip(chunk.items, out, strict=True):
                    yield item, r
                    room.release()
            if ended and not order and not unsent:
                return
            event = events.get()  # input or a finished chunk, whichever comes first
            while True:
                kind, a, b = event
                if kind == _ITEM:
                    unsent.append(a)
                elif kind == _END:
                    ended = True
                elif kind == _FAILED:
                    raise a
                elif isinstance(b, WorkersKeepDying):
                    raise b
                else:
                    busy -= 1
                    a.results = (b if not isinstance(b, BaseException)
                                 else [b] * len(a.work))
                try:
                    event = events.get_nowait()
                except queue.Empty:
                    break
            while len(unsent) >= chunksize:
                dispatch(unsent[:chunksize])
                del unsent[:chunksize]
            # Nothing more has arrived: send the rest now if a worker has nothing to do;
            # else wait, a fuller chunk costs fewer round trips and no latency.
            if unsent and (ended or busy < workers):
                dispatch(unsent)
                unsent = []
    finally:
        stop.set()
        room.release()  # a reader waiting for room sees stop and ends
