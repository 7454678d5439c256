"""Sentiment, complaint and category scored together in one pass over a document's features.

The three linear models share almost all of their features (the title-independent bag of
``features.base_features``). Scoring them one by one costs three dictionary look-ups per
feature and three Python loops; here one joint index maps each feature name to a row of
one weight matrix holding every model's columns, so a document costs one look-up per
feature and a few numpy sums. The results equal the individual models' (tests check it);
the individual models stay the reference used by training and evaluation.

Every bag feature of a model has the same value 1/sqrt(|bag|), so a model's logits are
``bias + v * (sum of the bag rows) + lexicon terms``; the bags differ only in the title's
character bigrams (``c:`` for the complaint model, ``t:`` for the others). The category
model also sees the title's words (``tw:``, value 1, see ``complaint.title_words``), the
complaint model its cue families (``cue:``, value 1, see ``complaint.complaint_cues``).
The category's decision scores then get the three class-balanced views of
``category_views`` added (they need the tokens themselves, not the bag).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import re
from dataclasses import dataclass
from importlib import resources
from itertools import repeat
from typing import Protocol

import numpy as np

from .category_rules import NO_EVIDENCE, CategoryLexicon
from .category_views import CentroidViews
from .complaint import COMPLAINT_THRESHOLD, complaint_cues, title_words
from .features import Base
from .lexicon import appeal_hits, grievance_hits
from .sentiment import MODEL_FILE as SENTIMENT_FILE
from .sentiment import adjusted, label_for

# Bumped when the cached arrays' layout changes.
FORMAT = 1
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


@dataclass(frozen=True)
class Scores:
    sentiment: float
    sentiment_label: str
    complaint: bool
    complaint_score: float
    category: str | None


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


MODEL_FILES = (SENTIMENT_FILE, "complaint_model.json.gz", "category_model.json.gz")


class ArrayCache(Protocol):
    """Where a built scorer's arrays are kept between processes (injected: analysis does
    no file I/O of its own). ``get`` returns None on a miss; ``put`` may silently fail."""

    def get(self, key: str) -> dict[str, np.ndarray] | None: ...

    def put(self, key: str, arrays: dict[str, np.ndarray], replaces: str = "") -> None: ...


class JointScorer:
    def __init__(self, w: np.ndarray, names: list[str], bias: list[np.ndarray],
                 classes: list[tuple[str, ...]], lexicon: CategoryLexicon,
                 views: CentroidViews):
        """``w``: one row per feature name (plus a last all-zero row for unknown names),
        the models' columns side by side in the order sentiment, complaint, category."""
        self.lexicon = lexicon
        self.views = views
        views.check_classes(classes[2])
        self.classes = classes
        self.bias = bias
        self.cols = []
        start = 0
        for b in bias:
            self.cols.append(slice(start, start + len(b)))
            start += len(b)
        self.w = w
        self.index = dict(zip(names, range(len(names)), strict=True))
        self.unknown = len(names)

    @classmethod
    def from_models(cls, docs: list[dict], lexicon: CategoryLexicon,
                    views: CentroidViews) -> JointScorer:
        """``docs``: the three models' exported JSON (sentiment, complaint, category), as
        ``LinearModel.from_json`` reads them; built with numpy, not per-feature Python."""
        names: dict[str, int] = {}
        for d in docs:
            for n in d["features"]:
                names.setdefault(n, len(names))
        widths = [len(d["bias"]) for d in docs]
        w = np.zeros((len(names) + 1, sum(widths)))  # last row: zeros, for unknown names
        start = 0
        for d, width in zip(docs, widths, strict=True):
            rows = np.fromiter((names[n] for n in d["features"]), dtype=np.int64,
                               count=len(d["features"]))
            w[rows, start:start + width] = np.asarray(d["weights"], dtype=np.float64).reshape(
                len(rows), width)
            start += width
        return cls(w, list(names), [np.asarray(d["bias"], dtype=np.float64) for d in docs],
                   [tuple(d["classes"]) for d in docs], lexicon, views)

    @classmethod
    def load(cls, cache: ArrayCache | None = None) -> JointScorer:
        """The packaged models. With a cache, the built matrix is kept keyed by the model
        files' hash: parsing 2 MB of gzip JSON and building the matrix is most of a
        process's start-up, loading the arrays back (memory-mapped) is a few ms."""
        data = resources.files("analysis").joinpath("data")
        blobs = [data.joinpath(f).read_bytes() for f in MODEL_FILES]
        lexicon = CategoryLexicon.load()
        views = CentroidViews.load()
        key = hashlib.sha256(b"".join(hashlib.sha256(b).digest() for b in blobs)).hexdigest()
        key = f"joint-{FORMAT}-{key[:24]}"
        hit = cache.get(key) if cache is not None else None
        if hit is not None:
            try:
                return cls._from_arrays(hit, lexicon, views)
            except (KeyError, ValueError):
                pass  # a damaged or foreign entry: rebuild and overwrite it
        scorer = cls.from_models([json.loads(gzip.decompress(b)) for b in blobs], lexicon,
                                 views)
        if cache is not None:
            cache.put(key, scorer._arrays(), replaces="joint-")
        return scorer

    def _arrays(self) -> dict[str, np.ndarray]:
        meta = {"classes": self.classes, "widths": [len(b) for b in self.bias]}
        return {
            "w": self.w,
            "bias": np.concatenate(self.bias),
            "names": np.frombuffer("\0".join(self.index).encode("utf-8"), dtype=np.uint8),
            "meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
        }

    @classmethod
    def _from_arrays(cls, a: dict[str, np.ndarray], lexicon: CategoryLexicon,
                     views: CentroidViews) -> JointScorer:
        meta = json.loads(a["meta"].tobytes().decode("utf-8"))
        names = a["names"].tobytes().decode("utf-8").split("\0")
        # A plain ndarray view of the memory map: indexing a np.memmap goes through its
        # Python __getitem__, which cost 10 % of a long document's scoring.
        w = np.asarray(a["w"])
        widths = meta["widths"]
        if w.shape != (len(names) + 1, sum(widths)):
            raise ValueError(f"cached scorer matrix has shape {w.shape}")
        bias = np.split(np.asarray(a["bias"], dtype=np.float64), np.cumsum(widths)[:-1])
        return cls(w, names, bias, [tuple(c) for c in meta["classes"]], lexicon, views)

    def _sum(self, names) -> np.ndarray:
        # map() with a repeated default keeps the per-feature look-up loop in C.
        rows = list(map(self.index.get, names, repeat(self.unknown)))
        return self.w[rows].sum(axis=0) if rows else np.zeros(self.w.shape[1])

    def _dense(self, feats: dict[str, float]) -> np.ndarray:
        out = np.zeros(self.w.shape[1])
        for n, v in feats.items():
            i = self.index.get(n)
            if i is not None:
                out += self.w[i] * v
        return out

    def score(self, base: Base, title: str, text: str, title_tokens: list[str],
              tokens: list[str]) -> Scores:
        """``base``: ``features.base_features(tokens, text)``; ``tokens`` are the title's
        (``title_tokens``) followed by the text's."""
        s_cols, c_cols, k_cols = self.cols
        s_base = self._sum(base.bag)
        pairs = [run[i:i + 2] for run in _CJK_RUN.findall(title[:200])
                 for i in range(len(run) - 1)]
        extra_c = {"c:" + p for p in pairs} - base.bag
        extra_t = {"t:" + p for p in pairs} - base.bag
        n = len(base.bag)
        # Lexicon terms: the sentiment model sees no title; the other two do.
        lex_plain = dict(base.lex)
        lex_title = dict(base.lex)
        for name, plain, titled in (("lex:grievance", base.grievance,
                                     base.grievance + grievance_hits(title)),
                                    ("lex:appeal", base.appeal,
                                     base.appeal + appeal_hits(title))):
            if plain:
                lex_plain[name] = math.log1p(plain)
            if titled:
                lex_title[name] = math.log1p(titled)
        d_plain = self._dense(lex_plain)
        d_title = self._dense(lex_title)

        v_s = 1.0 / math.sqrt(n) if n else 0.0
        z_s = self.bias[0] + v_s * s_base[s_cols] + d_plain[s_cols]
        p_s = _softmax(z_s)
        classes = self.classes[0]
        probs = dict(zip(classes, p_s.tolist(), strict=True))
        sentiment = adjusted(probs["positive"] + 0.5 * probs["neutral"], base, title, text)

        n_c = n + len(extra_c)
        v_c = 1.0 / math.sqrt(n_c) if n_c else 0.0
        z_c = (self.bias[1] + v_c * (s_base[c_cols] + self._sum(extra_c)[c_cols]) + d_title[c_cols]
               + self._dense(complaint_cues(title, text))[c_cols])
        c_classes = self.classes[1]
        p_pos = _sigmoid(float(z_c[0]))
        complaint_p = p_pos if c_classes[1] == "complaint" else 1.0 - p_pos
        if complaint_p < COMPLAINT_THRESHOLD:
            return Scores(sentiment, label_for(sentiment), False, complaint_p, None)

        cat_lex = self.lexicon.features(title, text)
        if NO_EVIDENCE in cat_lex:
            return Scores(sentiment, label_for(sentiment), True, complaint_p, None)
        n_t = n + len(extra_t)
        v_t = 1.0 / math.sqrt(n_t) if n_t else 0.0
        d_cat = self._dense(cat_lex)
        z_k = (self.bias[2] + v_t * (s_base[k_cols] + self._sum(extra_t)[k_cols])
               + d_title[k_cols] + d_cat[k_cols]
               + self._sum(title_words(title_tokens))[k_cols]
               + self.views.scores(title_tokens, tokens))
        k_classes = self.classes[2]
        category = k_classes[int(np.argmax(z_k))]
        return Scores(sentiment, label_for(sentiment), True, complaint_p, category)
