"""TF-IDF keywords from tokens already produced by the pipeline (never a second segmentation)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

from .segment import content_words


@lru_cache(maxsize=1)
def _idf() -> tuple[dict[str, float], float]:
    # jieba's own IDF table (the statistics jieba.analyse.extract_tags uses), read directly:
    # importing jieba.analyse to load it costs half a second of start-up, and even importing
    # jieba 0.1 s, so the file is found without running the package.
    spec = find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("jieba is not installed: its idf.txt is the keyword IDF table")
    path = Path(next(iter(spec.submodule_search_locations))) / "analyse" / "idf.txt"
    raw = path.read_bytes().decode("utf-8").split()
    table = dict(zip(raw[0::2], map(float, raw[1::2]), strict=True))
    values = sorted(table.values())
    return table, values[len(values) // 2]


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
