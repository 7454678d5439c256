"""`analysis.workers.ChunkPool`: a worker that dies costs one item, never a hang."""

from __future__ import annotations

import os
import signal
import time

import pytest

from analysis.ordered import ordered_map
from analysis.workers import ChunkPool, ItemTimedOut, WorkerDied, WorkersKeepDying, at_item


def die_on_negatives(chunk: list[int]) -> list[int]:
    out = []
    for k, x in enumerate(chunk):
        at_item(k)
        if x < 0:  # stands for a segfault in a native extension on this one input
            os.kill(os.getpid(), signal.SIGKILL)
        out.append(x * x)
    return out


def hang_on_negatives(chunk: list[float]) -> list[float]:
    out = []
    for k, x in enumerate(chunk):
        at_item(k)
        if x < 0:  # stands for a regex or native code that never returns on this input
            time.sleep(3600)
        time.sleep(x)
        out.append(x)
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


def test_a_worker_stuck_on_one_item_is_killed_and_only_that_item_fails():
    items = [0.0, 0.01, -1.0, 0.02, 0.0, 0.01, 0.0, -2.0, 0.03]
    notes: list[str] = []
    start = time.monotonic()
    with ChunkPool(2, on_death=notes.append, item_timeout=1.0) as pool:
        out = list(ordered_map(pool, hang_on_negatives, iter(items), lambda i: i, workers=2,
                               chunksize=4))
    assert time.monotonic() - start < 20
    assert [i for i, _ in out] == items
    for i, r in out:
        if i < 0:
            assert isinstance(r, ItemTimedOut) and isinstance(r, WorkerDied)
            assert str(r).startswith("analysis of this line did not finish: worker process "
                                     "killed after ")
            assert str(r).endswith("s on one line, over the 1 s limit")
        else:
            assert r == i
    assert len(notes) == 2 and all("over the 1 s limit); started a new one" in n
                                   for n in notes)


def test_the_timeout_is_per_item_not_per_chunk():
    # Four items of 0.4 s: each chunk takes 1.6 s, every item is under the 1 s limit.
    notes: list[str] = []
    with ChunkPool(2, on_death=notes.append, item_timeout=1.0) as pool:
        out = list(ordered_map(pool, hang_on_negatives, iter([0.4] * 8), lambda i: i,
                               workers=2, chunksize=4))
    assert [r for _, r in out] == [0.4] * 8
    assert notes == []


@pytest.mark.parametrize("bad", [0, -1.0])
def test_a_timeout_must_be_positive(bad: float):
    with pytest.raises(ValueError, match="item_timeout must be a positive number"):
        ChunkPool(1, item_timeout=bad)
