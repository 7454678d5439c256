"""`analysis.workers.ChunkPool`: a worker that dies costs one item, never a hang."""

from __future__ import annotations

import os
import signal
import time

import pytest

from analysis.ordered import ordered_map
from analysis.workers import ChunkPool, WorkerDied, WorkersKeepDying, at_item


def die_on_negatives(chunk: list[int]) -> list[int]:
    out = []
    for k, x in enumerate(chunk):
        at_item(k)
        if x < 0:  # stands for a segfault in a native extension on this one input
            os.kill(os.getpid(), signal.SIGKILL)
        out.append(x * x)
    return out


def unpicklable(chunk: list[int]) -> list[object]:
    return [lambda x=x: x for x in chunk]


def run(items: list[int], **kw: object) -> tuple[list[tuple[int, object]], list[str]]:
    notes: list[str] = []
    with ChunkPool(2, on_death=notes.append, **kw) as pool:  # type: ignore[arg-type]
        out = list(ordered_map(pool, die_on_negatives, iter(items), lambda i: i, workers=2,
                               chunksize=4))
    return out, notes


def test_the_item_a_worker_dies_on_fails_and_the_rest_of_its_chunk_does_not():
    items = [1, 2, -3, 4, 5, 6, 7, -8, 9, 10, 11]
    out, notes = run(items)
    assert [i for i, _ in out] == items
    for i, r in out:
        if i < 0:
            assert isinstance(r, WorkerDied)
            assert str(r) == "worker process died (signal 9) while analysing this line"
        else:
            assert r == i * i
    assert len(notes) == 2 and all(n.endswith("died (signal 9); started a new one")
                                   for n in notes)


def test_workers_that_keep_dying_stop_the_run_instead_of_hanging():
    start = time.monotonic()
    with pytest.raises(WorkersKeepDying, match="3 died in a row with no work done"):
        run([-1, -2, -3, -4, -5, 1, 2, 3] * 4)
    assert time.monotonic() - start < 20


def test_a_quiet_pool_hears_of_its_workers_dying_at_once():
    heard: list[WorkersKeepDying] = []
    with ChunkPool(2) as pool:
        pool.on_broken(heard.append)
        deadline = time.monotonic() + 20
        while not heard and time.monotonic() < deadline:
            for w in list(pool._workers):  # noqa: SLF001 (the test is the OOM killer)
                if w.exitcode is None:
                    os.kill(w.pid, signal.SIGKILL)
            time.sleep(0.05)
    assert heard and "keep dying" in str(heard[0])


def test_a_result_that_cannot_be_sent_fails_its_chunk_only():
    with ChunkPool(2) as pool:
        out = list(ordered_map(pool, unpicklable, iter(range(6)), lambda i: i, workers=2,
                               chunksize=3))
    assert [i for i, _ in out] == list(range(6))
    assert all(isinstance(r, RuntimeError) for _, r in out)
