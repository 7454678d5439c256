"""A local on-disk spool: analysed items wait here while Elasticsearch is down.

Each batch is one JSON-lines file written atomically (temp file + rename), so a crash
never leaves half a batch. Draining re-indexes a file and deletes it only after every
document in it was accepted; ids make the re-index idempotent.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from yuqing.records import AnalyzedItem

from .client import StorageUnavailable
from .items import ItemStore

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
        lines = [json.dumps(ai.to_json_dict(), ensure_ascii=False) for ai in items]
        if not lines:
            return 0
        self.dir.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.jsonl"
        tmp = self.dir / f".{name}.tmp"
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        tmp.rename(self.dir / name)
        log.warning("spooled %d items to %s (Elasticsearch unavailable)", len(lines), name)
        return len(lines)

    def drain(self, store: ItemStore, now: datetime,
              quarantine: Spool | None = None) -> tuple[int, int]:
        """Index every spooled batch. Returns (indexed, still pending). Stops at the first
        batch that cannot be reached, leaving it and the rest for the next try; documents
        the cluster rejects go to ``quarantine`` (never retried, never silently lost)."""
        indexed = 0
        for path in self.files():
            items: list[AnalyzedItem] = []
            bad = 0
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    items.append(AnalyzedItem.model_validate_json(line))
                except ValueError as exc:
                    bad += 1
                    log.error("spool %s line %d unreadable, moved aside: %s", path.name, n, exc)
            try:
                result = store.index(items, now)
            except StorageUnavailable:
                break
            if result.failed:
                log.error("spool %s: %d documents rejected, quarantined: %s", path.name,
                          len(result.failed), result.failed[:3])
                rejected = {i for i, _ in result.failed}
                target = quarantine or Spool(self.dir.parent / "quarantine")
                target.append(ai for ai in items if ai.item.id in rejected)
            indexed += result.indexed
            if bad:
                path.rename(path.with_suffix(".bad"))
            else:
                path.unlink()
        return indexed, self.pending()
