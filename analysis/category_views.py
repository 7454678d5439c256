"""Three class-balanced views of a message, added to the category SVM's decision scores.

The SVM learns 一级分类 from 2,253 annotated messages; with a few dozen examples of a
rare class it leans towards the big ones (城乡建设 is a third of all messages). A
nearest-centroid classifier weighs every class the same whatever its size, so its scores
pull a message towards the class it most resembles rather than the most common one:

- ``tfidf``: cosine between the message's TF-IDF vector (sublinear tf; the title's words
  counted twice more) and each class's mean training vector (Rocchio);
- ``emb``: cosine between the IDF-weighted mean word vector of the text (and of the title)
  and each class's mean, with word vectors trained on Chinese Wikipedia (see
  analysis/data/README.md). Words no training message used still count here, which is
  what lets "旅行社" speak for 商贸旅游 when no training message said it;
- ``taxonomy``: for each class, the best cosine between the text's mean word vector and
  the mean vector of one of its 二级分类 (the 二级 name with its 三级 names). A class that
  covers unrelated matters (经济管理: 税务, 金融, 物价...) has no meaningful centroid, but
  each of its 二级 has one; and this view needs no training message at all.

Each view's 15 scores are standardised per message (mean 0, sd 1 over the classes), which
also removes every per-message scale (vector lengths). The packaged word vectors are
reduced to 64 dimensions (PCA) and stored as int8. The views' weights are chosen by
cross-validation in tools/train_category.py.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

VIEWS_FILE = "category_views.npz"
MIN_LEN = 2  # single characters are too ambiguous to stand for a topic
TITLE_REPEAT = 2  # the title's words count this many times more in the TF-IDF view


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
    emb_vectors: np.ndarray  # words x dims, int8; times emb_scale
    emb_scale: float
    text_centroids: np.ndarray  # classes x dims
    title_centroids: np.ndarray  # classes x dims
    node_vectors: np.ndarray  # 二级分类 x dims, grouped by class in ``classes`` order
    node_starts: np.ndarray  # per class, its first row in node_vectors
    weight_tfidf: float
    weight_emb: float
    weight_taxonomy: float

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray]) -> CentroidViews:
        meta = json.loads(a["meta"].tobytes().decode("utf-8"))
        tfidf_words, emb_words = _names(a["tfidf_words"]), _names(a["emb_words"])
        f32 = {k: np.asarray(a[k], dtype=np.float32) for k in (
            "tfidf_w", "emb_idf", "text_centroids", "title_centroids", "node_vectors")}
        node_class = np.asarray(a["node_class"], dtype=np.int64)
        out = cls(
            classes=tuple(meta["classes"]),
            tfidf_index={w: i for i, w in enumerate(tfidf_words)},
            emb_index={w: i for i, w in enumerate(emb_words)},
            emb_vectors=np.asarray(a["emb_vectors"], dtype=np.int8),
            emb_scale=float(meta["emb_scale"]),
            node_starts=np.searchsorted(node_class, np.arange(len(meta["classes"]))),
            weight_tfidf=float(meta["weight_tfidf"]),
            weight_emb=float(meta["weight_emb"]),
            weight_taxonomy=float(meta["weight_taxonomy"]),
            **f32,
        )
        k, dims = len(out.classes), out.emb_vectors.shape[1]
        if (out.tfidf_w.shape != (len(tfidf_words), k)
                or out.emb_vectors.shape != (len(emb_words), dims)
                or out.emb_idf.shape != (len(emb_words),)
                or out.text_centroids.shape != (k, dims)
                or out.title_centroids.shape != (k, dims)
                or out.node_vectors.shape != (len(node_class), dims)
                or np.any(np.diff(node_class) < 0)
                or set(node_class.tolist()) != set(range(k))):
            raise ValueError(f"{VIEWS_FILE}: array shapes do not match {k} classes")
        if any(len(w) < MIN_LEN for w in (*tfidf_words, *emb_words)):
            raise ValueError(f"{VIEWS_FILE}: a word shorter than {MIN_LEN} characters")
        return out

    def check_classes(self, classes: tuple[str, ...]) -> None:
        """Refuse to be added to the scores of a model with other classes (or order)."""
        if self.classes != tuple(classes):
            raise ValueError(f"category views are for classes {self.classes}, the category "
                             f"model's are {tuple(classes)}")

    @classmethod
    def load(cls) -> CentroidViews:
        """The packaged views, read once per process."""
        return _load_cached()

    # Both indexes hold only words of MIN_LEN or more characters, so looking every token
    # up is the same as filtering first (and this runs on every complaint).
    def tfidf(self, title_tokens: list[str], tokens: list[str]) -> np.ndarray:
        """Unstandardised TF-IDF view scores; ``tokens`` include the title's."""
        get = self.tfidf_index.get
        rows = [i for i in map(get, title_tokens) if i is not None] * TITLE_REPEAT
        rows += [i for i in map(get, tokens) if i is not None]
        if not rows:
            return np.zeros(len(self.classes))
        uniq, counts = np.unique(rows, return_counts=True)
        return (1.0 + np.log(counts)).astype(np.float32) @ self.tfidf_w[uniq]

    def mean_vector(self, tokens: list[str]) -> np.ndarray | None:
        """The IDF-weighted mean of the words' vectors; None without a known word."""
        rows = [i for i in map(self.emb_index.get, tokens) if i is not None]
        idf = self.emb_idf[rows]
        total = float(idf.sum())
        if total <= 0:
            return None
        return (idf @ self.emb_vectors[rows].astype(np.float32)) * (self.emb_scale / total)

    def emb(self, title_tokens: list[str], tokens: list[str],
            text_vector: np.ndarray | None = None) -> np.ndarray:
        """Unstandardised word-vector view scores."""
        out = np.zeros(len(self.classes))
        text_vector = self.mean_vector(tokens) if text_vector is None else text_vector
        if text_vector is not None:
            out += self.text_centroids @ text_vector
        title_vector = self.mean_vector(title_tokens)
        if title_vector is not None:
            out += self.title_centroids @ title_vector
        return out

    def taxonomy(self, tokens: list[str], text_vector: np.ndarray | None = None,
                 ) -> np.ndarray:
        """Unstandardised taxonomy view scores: per class, its best 二级分类."""
        text_vector = self.mean_vector(tokens) if text_vector is None else text_vector
        if text_vector is None:
            return np.zeros(len(self.classes))
        return np.maximum.reduceat(self.node_vectors @ text_vector, self.node_starts)

    def scores(self, title_tokens: list[str], tokens: list[str]) -> np.ndarray:
        """What to add to the SVM's decision scores, one per class (``classes`` order)."""
        text_vector = self.mean_vector(tokens)
        return (self.weight_tfidf * standardise(self.tfidf(title_tokens, tokens))
                + self.weight_emb * standardise(self.emb(title_tokens, tokens, text_vector))
                + self.weight_taxonomy * standardise(self.taxonomy(tokens, text_vector)))


@cache
def _load_cached() -> CentroidViews:
    blob = resources.files("analysis").joinpath("data", VIEWS_FILE).read_bytes()
    with np.load(io.BytesIO(blob)) as z:
        return CentroidViews.from_arrays({k: z[k] for k in z.files})
