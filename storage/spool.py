"""A local on-disk spool: analysed items wait here while Elasticsearch is down.

Each batch is one JSON-lines file written atomically (temp file + rename), so a crash
never leaves half a batch; a file damaged all the same (a full disk, a copy by hand) costs
only its unreadable lines, counted. Draining re-indexes a file and deletes it only after every
document in it was accepted or quarantined; a document refused for now (429, 503) stays. Ids
make the re-index idempotent, and versions (the fetch time) keep a replay from overwriting a
later fetch of the same item.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from yuqing.records import AnalyzedItem

from .client import StorageUnavailable
from .items import ItemStore, log_refusals

log = logging.getLogger(__name__)


class Spool:
    def __init__(self, directory: Path):
        self.dir = Path(directory)

    def files(self) -> list[Path]:
        if not self.dir.is_dir():
            return []
        return sorted(self.dir.glob("*.jsonl"))

    def pending(self) -> int:
        return sum(1 for f in self.files() for line in f.open("rb") if line.strip())

    def append(self, items: Iterable[AnalyzedItem]) -> int:
        lines = _lines(items)
        if not lines:
            return 0
        self.dir.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.jsonl"
        _write_atomically(self.dir / name, "\n".join(lines) + "\n")
        log.warning("spooled %d items to %s (Elasticsearch unavailable)", len(lines), name)
        return len(lines)

    def drain(self, store: ItemStore, now: datetime,
              quarantine: Spool | None = None) -> DrainResult:
        """Index every spooled batch. Stops at the first batch that cannot be reached,
        leaving it and the rest for the next try; documents the cluster rejects go to
        ``quarantine`` (never retried, never silently lost). A line that cannot be read (a
        file cut short by a crash or a full disk, often inside a multi-byte character)
        costs that line only: it is counted, and its file kept aside as ``.bad``."""
        result = DrainResult()
        self.dir.mkdir(parents=True, exist_ok=True)
        # Every crawl process drains at start; without the lock two would read one file
        # and one of them fail on the file the other had just removed.
        fd = os.open(self.dir / ".drain.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                log.info("spool %s: another process is replaying it", self.dir)
                result.busy = True
            else:
                self._drain_locked(store, now, quarantine, result)
        finally:
            os.close(fd)
        result.pending = self.pending()
        return result

    def _drain_locked(self, store: ItemStore, now: datetime, quarantine: Spool | None,
                      result: DrainResult) -> None:
        for path in self.files():
            items: list[AnalyzedItem] = []
            bad = 0
            for n, raw in enumerate(path.read_bytes().splitlines(), 1):
                if not raw.strip():
                    continue
                try:
                    items.append(AnalyzedItem.model_validate_json(raw.decode("utf-8")))
                except ValueError as exc:  # UnicodeDecodeError and ValidationError alike
                    bad += 1
                    log.error("spool %s line %d unreadable, its file kept as .bad: %s",
                              path.name, n, str(exc)[:300])
            try:
                indexed = store.index(items, now)
            except StorageUnavailable as exc:
                result.unavailable = True
                log.warning("spool replay stopped, Elasticsearch unavailable: %s", exc)
                return
            result.stale += len(indexed.stale)
            log_refusals(log, indexed, f"spool {path.name}")
            if indexed.failed:
                rejected = {i for i, _ in indexed.failed}
                target = quarantine or Spool(self.dir.parent / "quarantine")
                result.quarantined += target.append(
                    ai for ai in items if ai.item.id in rejected)
            result.indexed += indexed.indexed
            result.unreadable += bad
            if bad:
                path.rename(path.with_suffix(".bad"))
            if indexed.retry:
                # Refused for now (429/503): a file of just those, in its place in the
                # order, and the replay stops until the cluster takes writes again.
                keep = {i for i, _ in indexed.retry}
                self._rewrite(path, [ai for ai in items if ai.item.id in keep])
                result.unavailable = True
                log.warning("spool replay stopped, %d documents of %s refused for now",
                            len(keep), path.name)
                return
            if not bad:
                path.unlink()

    def _rewrite(self, path: Path, items: list[AnalyzedItem]) -> None:
        _write_atomically(path, "".join(line + "\n" for line in _lines(items)))


@dataclass
class DrainResult:
    indexed: int = 0
    quarantined: int = 0  # rejected by the cluster, kept in the quarantine spool
    unreadable: int = 0  # lines that could not be read (their file is kept as .bad)
    pending: int = 0  # still waiting in the spool
    stale: int = 0  # skipped: a later fetch of the item is already stored
    unavailable: bool = False  # stopped because Elasticsearch could not be reached
    busy: bool = False  # another process was replaying the spool


def _lines(items: Iterable[AnalyzedItem]) -> list[str]:
    """The spool's line format, one JSON object an item (written by ``append`` and by
    ``_rewrite`` alike)."""
    return [json.dumps(ai.to_json_dict(), ensure_ascii=False) for ai in items]


def _write_atomically(path: Path, text: str) -> None:
    """``path`` holds ``text`` whole or is untouched. A write that fails (a full disk)
    leaves no temp file behind on a disk already short of space; the directory is synced
    after the rename so that a power cut does not lose the file just named."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
