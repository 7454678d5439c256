"""Only one scheduler instance acts: a file lock on one host, a lease across hosts.

Every job asks ``is_leader()`` before doing anything, so a second ``yuqing run`` started
by mistake (or as a warm standby) idles until the first one dies, then takes over.

* ``FileLock``: ``flock`` on ``<data_dir>/state/scheduler.lock``. The kernel drops it when
  the holder dies (even by SIGKILL), so there is no stale lock to clean up. One host only.
* ``EsLease``: a document ``<prefix>-locks/_doc/scheduler`` created with ``op_type=create``
  (only one creator wins) holding ``holder`` and ``expires_at``; the holder renews it, and
  a taker replaces an expired one with optimistic concurrency (``if_seq_no`` /
  ``if_primary_term``), so two standbys cannot both take over. For several hosts sharing
  one cluster. Clocks must agree to well within the TTL (NTP). A holder cut off from the
  cluster keeps leading only until shortly before its lease ends, then stands down.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
from datetime import datetime
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)


class Leader(Protocol):
    # For a standby (see ``yuqing.jobs.standby_heartbeat``): it led and lost contact
    # with whatever decides leadership; another instance it saw leading.
    cut_off: bool
    holder_seen: str | None

    def is_leader(self, now: datetime | None = None) -> bool: ...
    def release(self) -> None: ...


class FileLock:
    # One host, one data directory: a standby shares the leader's outbox and state and
    # has nothing of its own to tell.
    cut_off = False
    holder_seen: str | None = None

    def __init__(self, path: Path):
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = None

    def is_leader(self, now: datetime | None = None) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
        self._fd = fd
        log.warning("this instance is now the leader (file lock %s)", self.path)
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def renew(leader: Leader, held: bool, now: datetime | None = None) -> bool:
    """One tick of the scheduler's main loop: keeps the lease fresh between jobs (jobs
    also ask, but with every job an hour apart an Elasticsearch lease would lapse and a
    standby take over mid-run) and reports a change of leadership loudly. Returns whether
    this instance leads now; a failed check keeps the previous answer."""
    try:
        now_held = leader.is_leader(now)
    except Exception as exc:  # e.g. the cluster unreachable: jobs will ask again
        log.error("leadership check failed: %s", exc)
        return held
    if held and not now_held:
        log.error("leadership lost (taken over, or the lease could not be renewed in "
                  "time); jobs here are skipped")
    elif now_held and not held:
        log.warning("leadership regained")
    return now_held


def make_leader(cfg) -> Leader:
    if cfg.scheduler.lock == "elasticsearch":
        from storage.client import connect
        from storage.lease import EsLease

        return EsLease(connect(cfg.elasticsearch), cfg.elasticsearch.prefix,
                       cfg.scheduler.lease_ttl)
    return FileLock(cfg.data_path("state", "scheduler.lock"))
