"""Near-duplicate detection: MinHash over character shingles, LSH for candidate look-up.

Character shingles (not words) so that a repost with a changed prefix ("转：", "转发扩散")
or a different segmentation still lands near its original. Signatures are plain numpy
arrays so worker processes can compute them and the parent can index them.
"""

from __future__ import annotations

import re

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 64
SHINGLE = 4
# Pinned so that stored signatures stay comparable across datasketch upgrades.
SCHEME = "affine32"
# Whitespace and punctuation do not make two posts different.
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def signature(text: str) -> np.ndarray:
    """MinHash signature (uint64 array) of the text's distinct character 4-grams."""
    norm = _NOISE.sub("", text)
    grams = {norm[i:i + SHINGLE] for i in range(max(1, len(norm) - SHINGLE + 1))}
    mh = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME)
    mh.update_batch([g.encode("utf-8") for g in grams if g])
    return mh.hashvalues


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / len(a)


class NearDuplicates:
    """LSH index of signatures; ``match`` returns the most similar earlier key, if any."""

    def __init__(self, threshold: float = 0.6):
        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._sigs: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self._sigs)

    def match(self, sig: np.ndarray) -> tuple[str | None, float]:
        mh = MinHash(num_perm=NUM_PERM, seed=1, hashvalues=sig, scheme=SCHEME)
        best, best_sim = None, 0.0
        for key in self._lsh.query(mh):
            sim = similarity(sig, self._sigs[key])
            if sim >= self.threshold and (sim > best_sim or (sim == best_sim and key < best)):
                best, best_sim = key, sim
        return best, best_sim

    def add(self, key: str, sig: np.ndarray) -> None:
        if key in self._sigs:
            return
        self._sigs[key] = sig
        self._lsh.insert(key, MinHash(num_perm=NUM_PERM, seed=1, hashvalues=sig, scheme=SCHEME))

    def remove(self, key: str) -> None:
        if self._sigs.pop(key, None) is not None:
            self._lsh.remove(key)
