"""A process pool for chunks of work that survives its workers dying.

``multiprocessing.Pool`` replaces a worker that dies (OOM killer, SIGKILL, a segfault in
a native extension) but loses the task it held, so whoever waits for that result waits
forever; and a worker killed while holding the shared task queue's lock blocks the
others too. ``concurrent.futures.ProcessPoolExecutor`` notices, but fails every pending
task and cannot say which one was running. Here each worker has its own pipe, so the
parent knows exactly which chunks each worker holds, and a slot of shared memory where
the worker notes the item it is on (``at_item``). When a worker dies, that one item gets
a ``WorkerDied`` result, the rest of its chunks go to the other workers, a new worker is
forked in its place, and the run goes on. After ``max_deaths`` deaths with no chunk done
in between (something kills every worker), every waiting chunk fails with
``WorkersKeepDying``: the caller stops instead of hanging or looping.

A worker that hangs instead (a pathological input in a regex or a native extension) is
worse: nothing dies, so nothing is noticed. With ``item_timeout`` the worker also notes
when it started its item, and one that stays on an item longer is killed; that item gets
``ItemTimedOut`` (a ``WorkerDied``) and the run goes on as after a death.

Workers are forked from the parent, so they inherit what it has loaded. ``apply_async``
has ``Pool``'s signature, so ``ordered_map`` takes either.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing as mp
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import ForkingPickler
from typing import Any

# In a worker: [task id, item index, time.monotonic_ns() when that item began], for the
# parent to read on a death or to find a hang. CLOCK_MONOTONIC is system-wide on Linux.
_SLOT: Any = None
_STARTING, _SENDING = -1, -2  # item index before the first item / after the last


# Seconds one item may take by default. A 100,000-character page takes well under a
# second; a minute means a hang (a pathological input), and a hung worker would stall the
# run. Here, not in batch, so the command line can show it without loading the models.
ITEM_TIMEOUT = 60.0


class WorkerDied(Exception):
    """The result of the one item a worker was analysing when its process died."""


class ItemTimedOut(WorkerDied):
    """The result of an item that ran longer than the pool's ``item_timeout``."""


class WorkersKeepDying(Exception):
    """The pool gave up: its workers die faster than they get anything done."""


def at_item(k: int) -> None:
    """Called by a chunk function before item ``k``: if the process dies now, item ``k``
    is the one reported, and the chunk's other items are run again elsewhere."""
    if _SLOT is not None:
        _SLOT[2] = time.monotonic_ns()
        _SLOT[1] = k


def how_it_died(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"signal {-exitcode}"
    return f"exit status {exitcode}"


@dataclass
class _Task:
    func: Callable[[list[Any]], list[Any]]
    args: list[Any]
    done: Callable[[Any], None]  # gets the result list, or an exception for the chunk
    tid: int = 0
    payload: bytes = b""


@dataclass
class _Worker:
    pid: int
    conn: Connection  # its end closes only when the worker's process ends
    slot: Any
    exitcode: int | None = None  # once reaped
    tasks: deque[_Task] = field(default_factory=deque)  # sent, in order, not yet answered
    # monotonic_ns when its oldest unanswered chunk was sent or its last answer came: the
    # slot's clock is stale until the worker picks the chunk up.
    busy_since: int = 0
    hung_for: float | None = None  # seconds on one item when the pool killed it


def _serve(conn: Connection, slot: Any, inherited: list[Connection]) -> None:
    global _SLOT
    # Ctrl-C is for the parent, which then ends the workers; and the other workers'
    # pipe ends, inherited through fork, are not this worker's business.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for c in inherited:
        c.close()
    _SLOT = slot
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        tid, func, args = msg
        slot[0], slot[1], slot[2] = tid, _STARTING, time.monotonic_ns()
        try:
            out: tuple[int, Any] = (tid, func(args))
        except Exception as exc:  # the chunk fails, not the worker
            out = (tid, exc)
        slot[1] = _SENDING
        try:
            data = bytes(ForkingPickler.dumps(out))
        except Exception as exc:  # an unpicklable result or exception
            data = bytes(ForkingPickler.dumps(
                (tid, RuntimeError(f"{type(exc).__name__}: {exc}"))))
        conn.send_bytes(data)


class ChunkPool:
    """``workers`` forked processes, ``per_worker`` chunks sent to each at a time (the
    next one waits in its pipe, so a worker never idles waiting for the parent).
    ``on_death(message)`` hears of every death and what was done about it. A worker on
    one item for more than ``item_timeout`` seconds is killed (None: never)."""

    def __init__(self, workers: int, *, max_deaths: int = 3, per_worker: int = 2,
                 on_death: Callable[[str], None] | None = None,
                 item_timeout: float | None = None) -> None:
        if item_timeout is not None and not item_timeout > 0:
            raise ValueError(f"item_timeout must be a positive number of seconds, "
                             f"not {item_timeout!r}")
        self._ctx = mp.get_context("fork")
        self._item_timeout = item_timeout
        self._max_deaths = max_deaths
        self._per_worker = per_worker
        self._on_death = on_death
        self._lock = threading.Condition()
        self._pending: deque[_Task] = deque()
        self._workers: list[_Worker] = []
        self._tids = itertools.count(1)
        self._deaths_in_row = 0
        self._broken: WorkersKeepDying | None = None
        self._broken_hooks: list[Callable[[WorkersKeepDying], None]] = []
        self._closing = False
        self._wake_r, self._wake_w = self._ctx.Pipe(duplex=False)
        for _ in range(workers):  # before any thread of ours exists
            self._workers.append(self._fork())
        self._threads = [threading.Thread(target=self._guarded(self._collect),
                                          name="chunk-pool-collect", daemon=True),
                         threading.Thread(target=self._guarded(self._send),
                                          name="chunk-pool-send", daemon=True)]
        for t in self._threads:
            t.start()

    def __enter__(self) -> ChunkPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.terminate()

    def apply_async(self, func: Callable[[list[Any]], list[Any]], args: tuple[list[Any]],
                    callback: Callable[[list[Any]], None] | None = None,
                    error_callback: Callable[[BaseException], None] | None = None) -> None:
        def done(result: Any) -> None:
            if isinstance(result, BaseException):
                if error_callback is not None:
                    error_callback(result)
            elif callback is not None:
                callback(result)

        task = _Task(func, list(args[0]), done)
        try:
            self._pickle(task)
        except Exception as exc:  # as Pool does: the chunk fails, nothing else
            done(exc)
            return
        with self._lock:
            if self._broken is None:
                self._pending.append(task)
                self._lock.notify_all()
                return
        done(self._broken)

    def on_broken(self, hook: Callable[[WorkersKeepDying], None]) -> None:
        """Call ``hook`` when the pool gives up, even with no chunk waiting (a feed that
        is quiet now must still hear of it now)."""
        with self._lock:
            broken = self._broken
            if broken is None:
                self._broken_hooks.append(hook)
        if broken is not None:
            hook(broken)

    def terminate(self) -> None:
        with self._lock:
            self._closing = True
            self._lock.notify_all()
            workers = list(self._workers)
        self._wake_w.send_bytes(b"")
        # Workers first: the sender may be blocked on a full pipe to one of them.
        for w in workers:
            if w.exitcode is None:
                with contextlib.suppress(ProcessLookupError):  # reaped meanwhile
                    os.kill(w.pid, signal.SIGTERM)
        for t in self._threads:
            t.join()
        for w in workers:
            self._reap(w)
            w.conn.close()
        self._wake_r.close()
        self._wake_w.close()

    def _pickle(self, task: _Task) -> None:
        task.tid = next(self._tids)
        task.payload = bytes(ForkingPickler.dumps((task.tid, task.func, task.args)))

    def _fork(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        slot = self._ctx.RawArray("q", 3)
        slot[0], slot[1], slot[2] = 0, _STARTING, 0
        inherited = [w.conn for w in self._workers] + [parent, self._wake_r, self._wake_w]
        # os.fork, not multiprocessing.Process: that one closes sys.stdin in the child,
        # which deadlocks when another thread of ours was reading stdin at the fork, and
        # flushes the parent's unwritten stdout a second time on exit.
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                _serve(child, slot, inherited)
                code = 0
            finally:
                os._exit(code)
        child.close()
        return _Worker(pid, parent, slot)

    @staticmethod
    def _reap(w: _Worker) -> None:
        if w.exitcode is None:
            _, status = os.waitpid(w.pid, 0)
            w.exitcode = os.waitstatus_to_exitcode(status)

    def _send(self) -> None:
        """Sends chunks to workers with room. Its own thread: a send blocks while a big
        chunk waits for its worker, and that must not hold up the results."""
        while True:
            with self._lock:
                while not self._closing and not (self._pending and self._room()):
                    self._lock.wait()
                if self._closing:
                    return
                worker = min(self._workers, key=lambda w: len(w.tasks))
                task = self._pending.popleft()
                if not worker.tasks:
                    worker.busy_since = time.monotonic_ns()
                worker.tasks.append(task)
            try:
                worker.conn.send_bytes(task.payload)
            except OSError:
                pass  # it died: the collector gives its chunks to the others

    def _room(self) -> bool:
        return any(len(w.tasks) < self._per_worker for w in self._workers)

    def _collect(self) -> None:
        """Receives results and watches for deaths, until terminated or broken."""
        while True:
            with self._lock:
                if self._closing:
                    return
                by_conn = {w.conn: w for w in self._workers}
            # With a timeout, look for hung workers a few times per timeout period.
            poll = None if self._item_timeout is None else min(self._item_timeout / 4, 1.0)
            ready = wait([*by_conn, self._wake_r], timeout=poll)
            if self._wake_r in ready:
                return
            if self._item_timeout is not None:
                self._kill_hung()
            for conn in ready:
                w = by_conn[conn]
                if not self._receive(w) and not self._died(w):
                    return

    def _kill_hung(self) -> None:
        """SIGKILL every worker that has been on one item too long; its death is then
        handled like any other, blaming that item."""
        assert self._item_timeout is not None
        now = time.monotonic_ns()
        with self._lock:
            for w in self._workers:
                if not w.tasks or w.hung_for is not None:
                    continue
                seconds = (now - max(w.slot[2], w.busy_since)) / 1e9
                if seconds > self._item_timeout:
                    w.hung_for = seconds
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(w.pid, signal.SIGKILL)

    def _receive(self, w: _Worker) -> bool:
        """One result from ``w``; False if there is none to be had (it died)."""
        try:
            tid, result = w.conn.recv()  # the chunk's results, or what it raised
        except (EOFError, OSError):
            return False
        except Exception as exc:  # a result that cannot be unpickled fails its chunk
            tid, result = None, RuntimeError(f"{type(exc).__name__}: {exc}")
        with self._lock:
            task = w.tasks.popleft()
            w.busy_since = time.monotonic_ns()
            self._deaths_in_row = 0
            self._lock.notify_all()
        if tid not in (None, task.tid):
            raise RuntimeError(f"worker {w.pid} answered chunk {tid}, expected {task.tid}")
        task.done(result)
        return True

    def _died(self, w: _Worker) -> bool:
        """Hands ``w``'s chunks to the others and forks a new worker; False once the
        pool has given up."""
        self._reap(w)
        how = how_it_died(w.exitcode)
        if w.hung_for is not None:
            how = (f"killed after {w.hung_for:.0f} s on one line, over the "
                   f"{self._item_timeout:g} s limit")
        failed: list[tuple[_Task, Any]] = []
        with self._lock:
            if self._closing:
                return False
            self._workers.remove(w)
            w.conn.close()
            self._deaths_in_row += 1
            tasks = list(w.tasks)
            tid, k = w.slot[0], w.slot[1]
            if tasks and tasks[0].tid == tid and 0 <= k < len(tasks[0].args):
                first = tasks.pop(0)
                if len(first.args) == 1:
                    failed.append((first, [self._blame(w, how)]))
                else:
                    tasks.insert(0, self._without(first, k, self._blame(w, how)))
            self._pending.extendleft(reversed(tasks))
            note = f"worker process {w.pid} died ({how})"
            if self._deaths_in_row >= self._max_deaths:
                failed += self._give_up(
                    f"worker processes keep dying: {self._deaths_in_row} died in a row "
                    f"with no work done in between (the last by {how})")
                note += "; giving up"
            else:
                try:
                    self._workers.append(self._fork())
                    note += "; started a new one"
                except OSError as exc:  # out of memory or processes: go on with fewer
                    note += f"; could not start a new one: {exc}"
                    if not self._workers:
                        failed += self._give_up(f"no worker process left: the last died "
                                                f"({how}) and a new one failed: {exc}")
            self._lock.notify_all()
        if self._on_death is not None:
            self._on_death(note)
        self._fail(failed)
        return self._broken is None

    def _give_up(self, why: str) -> list[tuple[_Task, Any]]:
        """Under the lock: the pool is broken; every chunk not done is to fail."""
        self._broken = WorkersKeepDying(why)
        waiting = [*self._pending]
        self._pending.clear()
        for other in self._workers:
            waiting.extend(other.tasks)
            other.tasks.clear()
        return [(t, self._broken) for t in waiting]

    def _fail(self, failed: list[tuple[_Task, Any]]) -> None:
        for task, result in failed:
            task.done(result)
        if self._broken is not None:
            for hook in self._broken_hooks:
                hook(self._broken)

    def _guarded(self, body: Callable[[], None]) -> Callable[[], None]:
        """A thread of the pool that fails breaks the pool, loudly: waiting for it would
        be waiting forever."""
        def run() -> None:
            try:
                body()
            except Exception as exc:
                with self._lock:
                    failed = [] if self._closing else self._give_up(
                        f"internal error in {threading.current_thread().name}: "
                        f"{type(exc).__name__}: {exc}")
                self._fail(failed)

        return run

    @staticmethod
    def _blame(w: _Worker, how: str) -> WorkerDied:
        if w.hung_for is not None:
            return ItemTimedOut(f"analysis of this line did not finish: worker process "
                                f"{how}")
        return WorkerDied(f"worker process died ({how}) while analysing this line")

    def _without(self, task: _Task, k: int, blame: WorkerDied) -> _Task:
        """``task`` less its item ``k``, which gets ``blame``; once the rest are done
        ``task`` is done, results in its order."""
        def done(result: Any) -> None:
            if isinstance(result, BaseException):
                task.done(result)
            else:
                task.done([*result[:k], blame, *result[k:]])

        rest = _Task(task.func, task.args[:k] + task.args[k + 1:], done)
        self._pickle(rest)
        return rest
