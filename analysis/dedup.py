"""Near-duplicate detection: MinHash over character shingles, LSH banding for look-up.

Character shingles (not words) so that a repost with a changed prefix ("转：", "转发扩散")
or a different segmentation still lands near its original. Plain numpy, deterministic
across processes and runs (fixed permutation seed, no salted ``hash()``), so worker
processes can compute signatures and the parent can index them.
"""

from __future__ import annotations

import re

import numpy as np

NUM_PERM = 63
SHINGLE = 4
# LSH banding: 21 bands of 3 rows. A pair with Jaccard 0.6 shares a band with probability
# 1 - (1 - 0.6**3)**21 ≈ 0.994; candidates are then checked on the full signature.
BANDS, ROWS = 21, 3
_PRIME = np.uint64((1 << 61) - 1)
_MASK32 = np.uint64(0xFFFFFFFF)
_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
# Whitespace and punctuation do not make two posts different.
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)

_rng = np.random.default_rng(20241128)
# a, b < 2**32 so that a * h + b (h < 2**32) never overflows 64 bits.
_A = _rng.integers(1, 1 << 32, size=NUM_PERM, dtype=np.uint64)
_B = _rng.integers(0, 1 << 32, size=NUM_PERM, dtype=np.uint64)
_EMPTY = np.full(NUM_PERM, _MASK32, dtype=np.uint64)


def shingle_hashes(text: str) -> np.ndarray:
    """Distinct 32-bit hashes of the text's character 4-grams, computed vectorised: a
    fixed polynomial over code points plus a multiply-xorshift mix."""
    norm = _NOISE.sub("", text)
    codes = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if codes.size == 0:
        return codes
    if codes.size < SHINGLE:
        codes = np.pad(codes, (0, SHINGLE - codes.size))
    n = codes.size - SHINGLE + 1
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):  # modular arithmetic on purpose
        for k in range(SHINGLE):
            h = h * _M1 + codes[k:k + n]
        h ^= h >> np.uint64(31)
        h *= _M2
        h ^= h >> np.uint64(29)
    return np.unique(h & _MASK32)


def signature(text: str) -> np.ndarray:
    """MinHash signature (NUM_PERM uint64 values) of the text's distinct 4-grams."""
    h = shingle_hashes(text)
    if h.size == 0:
        return _EMPTY.copy()
    return ((np.outer(h, _A) + _B) % _PRIME & _MASK32).min(axis=0)


def _is_empty(sig: np.ndarray) -> bool:
    # A text with no letters or digits (emoji only, an image post) has nothing to be a copy
    # of: matching it would pour every such post, from any source, into one event.
    return bool(np.array_equal(sig, _EMPTY))


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / len(a)


class NearDuplicates:
    """LSH index of signatures; ``match`` returns the most similar earlier key, if any."""

    def __init__(self, threshold: float = 0.6):
        self.threshold = threshold
        self._sigs: dict[str, np.ndarray] = {}
        self._buckets: dict[tuple[int, bytes], set[str]] = {}

    def __len__(self) -> int:
        return len(self._sigs)

    @staticmethod
    def _bands(sig: np.ndarray) -> list[tuple[int, bytes]]:
        return [(i, sig[i * ROWS:(i + 1) * ROWS].tobytes()) for i in range(BANDS)]

    def match(self, sig: np.ndarray) -> tuple[str | None, float]:
        if _is_empty(sig):
            return None, 0.0
        candidates: set[str] = set()
        for band in self._bands(sig):
            candidates |= self._buckets.get(band, set())
        best, best_sim = None, 0.0
        for key in sorted(candidates):
            sim = similarity(sig, self._sigs[key])
            if sim >= self.threshold and sim > best_sim:
                best, best_sim = key, sim
        return best, best_sim

    def add(self, key: str, sig: np.ndarray) -> None:
        if key in self._sigs or _is_empty(sig):
            return
        self._sigs[key] = sig
        for band in self._bands(sig):
            self._buckets.setdefault(band, set()).add(key)

    def remove(self, key: str) -> None:
        sig = self._sigs.pop(key, None)
        if sig is None:
            return
        for band in self._bands(sig):
            keys = self._buckets.get(band)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._buckets[band]
