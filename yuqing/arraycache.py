"""A directory of numpy arrays keyed by content hash, for state that is slow to rebuild.

Each entry is a directory of ``.npy`` files, written to a temporary name and renamed into
place, so concurrent processes never see half an entry. Arrays are memory-mapped on read:
forked workers share the pages, and pages never touched never count as resident.
Failures to read or write are logged and treated as a miss: a cache never stops a job.
"""

from __future__ import annotations

import glob
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


class ArrayCache:
    def __init__(self, directory: Path | str):
        self.directory = Path(directory)

    def _entry(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError(f"array cache key {key!r}: only letters, digits, _ . - allowed")
        return self.directory / key

    def get(self, key: str) -> dict[str, np.ndarray] | None:
        entry = self._entry(key)
        if not entry.is_dir():
            return None
        try:
            return {p.stem: np.load(p, mmap_mode="r", allow_pickle=False)
                    for p in entry.glob("*.npy")}
        except (OSError, ValueError) as exc:
            log.warning("array cache %s unreadable, rebuilding: %s", entry, exc)
            return None

    def put(self, key: str, arrays: dict[str, np.ndarray], replaces: str = "") -> None:
        """Store ``arrays`` under ``key``; entries whose names start with ``replaces``
        (older versions of the same thing) are then removed."""
        entry = self._entry(key)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=self.directory))
            try:
                for name, arr in arrays.items():
                    np.save(tmp / f"{name}.npy", np.ascontiguousarray(arr), allow_pickle=False)
                if entry.exists():  # a damaged entry that get() could not use
                    shutil.rmtree(entry, ignore_errors=True)
                try:
                    os.rename(tmp, entry)
                except OSError:
                    if not entry.is_dir():
                        raise
                    # else another process renamed the same content into place first
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            if replaces:
                for old in self.directory.glob(f"{glob.escape(replaces)}*"):
                    if old.name != key:
                        shutil.rmtree(old, ignore_errors=True)
        except OSError as exc:
            log.warning("array cache %s not written (%s); the next start rebuilds it",
                        entry, exc)


def model_cache(cfg) -> ArrayCache:  # cfg: yuqing.config.Config
    """The cache of built models under the data directory ($YUQING_DATA_DIR or data_dir)."""
    return ArrayCache(cfg.data_path("cache"))
