"""Two nearest-centroid views of a message, added to the category SVM's decision scores.

The SVM learns 一级分类 from 2,253 annotated messages; with a few dozen examples of a
rare class it leans towards the big ones (城乡建设 is a third of all messages). A
nearest-centroid classifier weighs every class the same whatever its size, so its scores
pull a message towards the class it most resembles rather than the most common one:

- ``tfidf``: cosine between the message's TF-IDF vector (sublinear tf; the title's words
  counted twice more) and each class's mean training vector (Rocchio);
- ``emb``: cosine between the IDF-weighted mean word vector of the text (and of the title)
  and each class's mean, with word vectors trained on Chinese Wikipedia (see
  analysis/data/README.md). Words no training message used still count here, which is
  what lets "旅行社" speak for 商贸旅游 when no training message said it.

Each view's 15 scores are standardised per message (mean 0, sd 1 over the classes), which
also removes every per-message scale (vector lengths), so the packaged file only needs
per word: its IDF-weighted centroid weights (tfidf) or its IDF and the dot products of
its vector with each class centroid (emb). The weights of the two views are chosen by
cross-validation in tools/train_category.py.
"""

from __future__ import annotations

import io
import json
import math
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

VIEWS_FILE = "category_views.npz"
MIN_LEN = 2  # single characters are too ambiguous to stand for a topic
TITLE_REPEAT = 2  # the title's words count this many times more in the TF-IDF view


def _words(tokens: list[str]) -> list[str]:
    return [t for t in tokens if len(t) >= MIN_LEN]


def standardise(s: np.ndarray) -> np.ndarray:
    sd = float(s.std())
    return (s - s.mean()) / sd if sd > 0 else np.zeros_like(s)


def _names(a: np.ndarray) -> list[str]:
    return a.tobytes().decode("utf-8").split("\0")


def names_array(words: list[str]) -> np.ndarray:
    """Words packed for an .npz (no pickled object arrays in a packaged file)."""
    return np.frombuffer("\0".join(words).encode("utf-8"), dtype=np.uint8)


@dataclass(frozen=True)
class CentroidViews:
    classes: tuple[str, ...]
    tfidf_index: dict[str, int]
    tfidf_w: np.ndarray  # words x classes: idf * class centroid
    emb_index: dict[str, int]
    emb_idf: np.ndarray  # words
    emb_text: np.ndarray  # words x classes: word vector . text centroid of the class
    emb_title: np.ndarray  # words x classes: word vector . title centroid of the class
    weight_tfidf: float
    weight_emb: float

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray]) -> CentroidViews:
        meta = json.loads(a["meta"].tobytes().decode("utf-8"))
        scale = float(meta["emb_scale"])
        tfidf_words, emb_words = _names(a["tfidf_words"]), _names(a["emb_words"])
        out = cls(
            classes=tuple(meta["classes"]),
            tfidf_index={w: i for i, w in enumerate(tfidf_words)},
            tfidf_w=np.asarray(a["tfidf_w"], dtype=np.float32),
            emb_index={w: i for i, w in enumerate(emb_words)},
            emb_idf=np.asarray(a["emb_idf"], dtype=np.float32),
            emb_text=np.asarray(a["emb_text"], dtype=np.float32) * scale,
            emb_title=np.asarray(a["emb_title"], dtype=np.float32) * scale,
            weight_tfidf=float(meta["weight_tfidf"]),
            weight_emb=float(meta["weight_emb"]),
        )
        k = len(out.classes)
        if out.tfidf_w.shape != (len(tfidf_words), k) or out.emb_text.shape != (
                len(emb_words), k) or out.emb_title.shape != out.emb_text.shape:
            raise ValueError(f"{VIEWS_FILE}: array shapes do not match {k} classes")
        return out

    @classmethod
    def load(cls) -> CentroidViews:
        """The packaged views, read once per process."""
        return _load_cached()

    def tfidf(self, title_tokens: list[str], tokens: list[str]) -> np.ndarray:
        """Unstandardised TF-IDF view scores; ``tokens`` include the title's."""
        tf = Counter(_words(title_tokens) * TITLE_REPEAT + _words(tokens))
        rows, vals = [], []
        for w, n in tf.items():
            i = self.tfidf_index.get(w)
            if i is not None:
                rows.append(i)
                vals.append(1.0 + math.log(n))
        if not rows:
            return np.zeros(len(self.classes))
        return np.asarray(vals, dtype=np.float32) @ self.tfidf_w[rows]

    def emb(self, title_tokens: list[str], tokens: list[str]) -> np.ndarray:
        """Unstandardised word-vector view scores."""
        out = np.zeros(len(self.classes))
        for part, proj in ((tokens, self.emb_text), (title_tokens, self.emb_title)):
            rows = [i for i in map(self.emb_index.get, _words(part)) if i is not None]
            idf = self.emb_idf[rows]
            total = float(idf.sum())
            if total > 0:
                out += (idf @ proj[rows]) / total
        return out

    def scores(self, title_tokens: list[str], tokens: list[str]) -> np.ndarray:
        """What to add to the SVM's decision scores, one per class (``classes`` order)."""
        return (self.weight_tfidf * standardise(self.tfidf(title_tokens, tokens))
                + self.weight_emb * standardise(self.emb(title_tokens, tokens)))


@cache
def _load_cached() -> CentroidViews:
    blob = resources.files("analysis").joinpath("data", VIEWS_FILE).read_bytes()
    with np.load(io.BytesIO(blob)) as z:
        return CentroidViews.from_arrays({k: z[k] for k in z.files})
