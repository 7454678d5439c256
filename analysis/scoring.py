"""Sentiment, complaint and category scored together in one pass over a document's features.

The three linear models share almost all of their features (the title-independent bag of
``features.base_features``). Scoring them one by one costs three dictionary look-ups per
feature and three Python loops; here one joint index maps each feature name to a row of
one weight matrix holding every model's columns, so a document costs one look-up per
feature and a few numpy sums. The results equal the individual models' (tests check it);
the individual models stay the reference used by training and evaluation.

Every bag feature of a model has the same value 1/sqrt(|bag|), so a model's logits are
``bias + v * (sum of the bag rows) + lexicon terms``; the bags differ only in the title's
character bigrams (``c:`` for the complaint model, ``t:`` for the others).
"""

from __future__ import annotations

import gzip
import json
import math
import re
from dataclasses import dataclass
from importlib import resources
from itertools import repeat

import numpy as np

from .category_rules import CategoryLexicon
from .complaint import COMPLAINT_THRESHOLD
from .features import Base
from .lexicon import appeal_hits, grievance_hits
from .sentiment import MODEL_FILE as SENTIMENT_FILE
from .sentiment import label_for


def _read(filename: str) -> dict:
    blob = resources.files("analysis").joinpath("data", filename).read_bytes()
    return json.loads(gzip.decompress(blob))


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


class JointScorer:
    def __init__(self, docs: list[dict], lexicon: CategoryLexicon):
        """``docs``: the three models' exported JSON (sentiment, complaint, category), as
        ``LinearModel.from_json`` reads them; built with numpy, not per-feature Python."""
        self.lexicon = lexicon
        self.classes = [tuple(d["classes"]) for d in docs]
        self.bias = [np.asarray(d["bias"], dtype=np.float64) for d in docs]
        names: dict[str, int] = {}
        for d in docs:
            for n in d["features"]:
                names.setdefault(n, len(names))
        self.cols = []
        start = 0
        for b in self.bias:
            self.cols.append(slice(start, start + len(b)))
            start += len(b)
        self.w = np.zeros((len(names) + 1, start))  # last row: zeros, for unknown names
        for d, cols in zip(docs, self.cols, strict=True):
            rows = np.fromiter((names[n] for n in d["features"]), dtype=np.int64,
                               count=len(d["features"]))
            self.w[rows, cols] = np.asarray(d["weights"], dtype=np.float64).reshape(
                len(rows), cols.stop - cols.start)
        self.index = names
        self.unknown = len(names)

    @classmethod
    def load(cls) -> JointScorer:
        return cls([_read(SENTIMENT_FILE), _read("complaint_model.json.gz"),
                    _read("category_model.json.gz")], CategoryLexicon.load())

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

    def score(self, base: Base, title: str, text: str) -> Scores:
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
        sentiment = probs["positive"] + 0.5 * probs["neutral"]

        n_c = n + len(extra_c)
        v_c = 1.0 / math.sqrt(n_c) if n_c else 0.0
        z_c = self.bias[1] + v_c * (s_base[c_cols] + self._sum(extra_c)[c_cols]) + d_title[c_cols]
        c_classes = self.classes[1]
        p_pos = _sigmoid(float(z_c[0]))
        complaint_p = p_pos if c_classes[1] == "complaint" else 1.0 - p_pos
        if complaint_p < COMPLAINT_THRESHOLD:
            return Scores(sentiment, label_for(sentiment), False, complaint_p, None)

        n_t = n + len(extra_t)
        v_t = 1.0 / math.sqrt(n_t) if n_t else 0.0
        d_cat = self._dense(self.lexicon.features(title, text))
        z_k = (self.bias[2] + v_t * (s_base[k_cols] + self._sum(extra_t)[k_cols])
               + d_title[k_cols] + d_cat[k_cols])
        k_classes = self.classes[2]
        category = k_classes[int(np.argmax(z_k))]
        return Scores(sentiment, label_for(sentiment), True, complaint_p, category)
