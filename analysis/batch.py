"""Batch analysis over a stream: per-document work on all cores, events in input order.

Models are loaded in the parent *before* the worker processes fork, so each worker
inherits them (copy-on-write) instead of loading its own; workers receive only the
title/text/region strings, never pickled pages, and return plain features. Results come
back in input order, each as soon as it and the ones before it are done (``ordered``), and
the parent assigns events sequentially, so the output is deterministic whatever the
number of workers. Memory stays bounded: at most a window of items is in flight.

A document whose analysis raises comes back as ``Failed`` (with the reason) in its place:
one odd document never takes a run down. Nor does a worker process that dies (OOM killer,
a crash in a native extension): the document it was on comes back ``Failed``, a new worker
takes its place, and the rest goes on (``workers.ChunkPool``); only when workers keep
dying does ``WorkersKeepDying`` end the run. A worker stuck on one document for longer
than ``item_timeout`` is killed and that document comes back ``Failed`` the same way. So
that one odd document can never stall a run, even ``workers=1`` analyses in one watched
worker process when there is a timeout; only ``workers=1, item_timeout=None`` runs in
this process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .events import engagement
from .ordered import ordered_map
from .pipeline import Analyzer, Features
from .workers import ITEM_TIMEOUT, ChunkPool, WorkerDied, at_item

_WORKER: Analyzer | None = None


@dataclass(frozen=True)
class Doc:
    """What a batch run needs of one input item."""

    id: str
    title: str
    text: str
    when: datetime
    region: str | None = None
    replies: float | None = None
    views: float | None = None
    likes: float | None = None
    # The caller's own record (e.g. the input JSON), passed through untouched; never sent
    # to the workers.
    payload: Any = None
    line: int | None = None  # where the caller read it, for its error messages
    # False when ``when`` is a stand-in (no date, or a wrong one, taken as now): the item
    # still joins events at that time, but never moves their clock (see EventClusterer).
    dated: bool = True


@dataclass(frozen=True)
class Failed:
    """A document whose analysis raised; ``error`` says what happened."""

    doc: Doc
    error: str


def _features(analyzer: Analyzer, title: str, text: str, region: str | None,
              ) -> Features | str:
    try:
        return analyzer.features(title, text, region)
    except Exception as exc:  # reported per document; the run goes on
        return f"analysis failed: {type(exc).__name__}: {exc}"


def _work(chunk: list[tuple[str, str, str | None]]) -> list[Features | str]:
    assert _WORKER is not None
    out: list[Features | str] = []
    for k, args in enumerate(chunk):
        at_item(k)
        out.append(_features(_WORKER, *args))
    return out


def default_workers() -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, cores or 1)


def analyze_docs(analyzer: Analyzer, docs: Iterable[Doc | Any], *, workers: int = 1,
                 chunksize: int = 8, window_size: int = 2000,
                 on_worker_death: Callable[[str], None] | None = None,
                 item_timeout: float | None = ITEM_TIMEOUT,
                 ) -> Iterator[tuple[Any, Features | None, str | None]]:
    """Yield (doc, features, event_id) in input order. Items that are not a ``Doc``
    (e.g. an input error record) pass through untouched with (None, None), and so does
    the ``Failed`` record of a document whose analysis raised or whose worker died.
    ``on_worker_death`` hears of each worker that died (or was killed after
    ``item_timeout`` seconds on one document), and what was done about it."""
    global _WORKER
    it = iter(docs)
    workers = max(1, workers)
    if workers == 1 and item_timeout is None:
        for doc in it:
            if not isinstance(doc, Doc):
                yield doc, None, None
                continue
            yield _finish(analyzer, doc, _features(analyzer, doc.title, doc.text, doc.region))
        return
    _WORKER = analyzer
    with ChunkPool(workers, on_death=on_worker_death, item_timeout=item_timeout) as pool:
        for doc, f in ordered_map(pool, _work, it, _args, workers=workers,
                                  chunksize=chunksize, window=window_size):
            if not isinstance(doc, Doc):
                yield doc, None, None
            elif isinstance(f, WorkerDied):
                yield Failed(doc, str(f)), None, None
            elif isinstance(f, BaseException):  # the whole chunk failed (e.g. pickling)
                yield Failed(doc, f"analysis failed: {type(f).__name__}: {f}"), None, None
            else:
                yield _finish(analyzer, doc, f)


def _args(doc: Doc | Any) -> tuple[str, str, str | None] | None:
    # A non-Doc record keeps its slot (order) but costs the workers nothing.
    return (doc.title, doc.text, doc.region) if isinstance(doc, Doc) else None


def _finish(analyzer: Analyzer, doc: Doc, f: Features | str | None,
            ) -> tuple[Any, Features | None, str | None]:
    if not isinstance(f, Features):
        return Failed(doc, str(f)), None, None
    event_id = analyzer.assign_event(doc.id, doc.title, doc.when, f,
                                     engagement(doc.replies, doc.views, doc.likes),
                                     clock=doc.dated)
    return doc, f, event_id
