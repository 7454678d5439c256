"""`analysis.ordered.ordered_map`: input order, bounded read-ahead, failures in place."""

from __future__ import annotations

import multiprocessing as mp
import time

from analysis.ordered import ordered_map


def squares(chunk: list[int]) -> list[int]:
    if 13 in chunk:
        raise ValueError("thirteen")
    # Later chunks finish first now and then: order must come from the map, not the pool.
    time.sleep(0.002 * (3 - chunk[0] % 4))
    return [x * x for x in chunk]


def test_results_come_in_input_order_with_bounded_read_ahead():
    pulled = 0

    def items():
        nonlocal pulled
        for i in range(300):
            pulled += 1
            yield i

    out: list[tuple[int, object]] = []
    ahead = 0
    with mp.get_context("fork").Pool(2) as pool:
        for item, result in ordered_map(pool, squares, items(),
                                        lambda i: None if i % 7 == 0 else i, workers=2,
                                        chunksize=4, window=16):
            ahead = max(ahead, pulled - len(out))
            out.append((item, result))
    assert [i for i, _ in out] == list(range(300))
    for i, r in out:
        if i % 7 == 0:
            assert r is None  # passed through, never sent to a worker
        elif isinstance(r, ValueError):
            assert str(r) == "thirteen"  # its whole chunk failed; the others did not
        else:
            assert r == i * i
    assert isinstance(dict(out)[13], ValueError) and dict(out)[20] == 400
    assert ahead <= 16 + 1  # the window (+ the item being yielded)


def test_input_errors_reach_the_caller():
    def items():
        yield 1
        raise RuntimeError("input broke")

    with mp.get_context("fork").Pool(2) as pool:
        got = []
        try:
            for item, result in ordered_map(pool, squares, items(), lambda i: i, workers=2):
                got.append((item, result))
        except RuntimeError as exc:
            assert str(exc) == "input broke"
        else:
            raise AssertionError("the input's error was swallowed")
