"""TF-IDF keywords from tokens already produced by the pipeline (never a second segmentation)."""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from .segment import content_words


@lru_cache(maxsize=1)
def _idf() -> tuple[dict[str, float], float]:
    # jieba's own IDF table: the same statistics jieba.analyse.extract_tags uses.
    tfidf = importlib.import_module("jieba.analyse.tfidf")
    loader = tfidf.IDFLoader(tfidf.DEFAULT_IDF)
    return loader.get_idf()


def tfidf_keywords(tokens: Iterable[str], k: int = 8,
                   boost: frozenset[str] = frozenset()) -> list[str]:
    """Top-k words by TF-IDF. Words in ``boost`` (e.g. gazetteer places) are never
    out-ranked by the IDF table's ignorance of local names: they get the median IDF."""
    counts = Counter(content_words(tokens))
    if not counts:
        return []
    idf, median = _idf()
    total = sum(counts.values())
    scored = sorted(
        ((c / total * idf.get(w, median) * (1.5 if w in boost else 1.0), w)
         for w, c in counts.items()),
        key=lambda x: (-x[0], x[1]),
    )
    return [w for _, w in scored[:k]]
