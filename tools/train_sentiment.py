"""Train the sentiment model shipped as analysis/data/sentiment_model.json.gz.

    python tools/train_sentiment.py            # fits on the train splits, writes the model

Data: train portions (fixed seed, see corpus_data.py) of SMP2020-EWECT Weibo (happy ->
positive, neural -> neutral, angry/sad/fear -> negative, surprise dropped), waimai_10k and
ChnSentiCorp_htl_all (1/0 -> positive/negative). The dev portions are never seen here;
C is chosen on a further 10% slice of train. Needs scikit-learn (training only).
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus_data import SEED, Doc, TokenCache, sentiment_splits  # noqa: E402

from analysis.features import extract  # noqa: E402
from analysis.linear import to_json  # noqa: E402

CLASSES = ["negative", "neutral", "positive"]
OUT = Path(__file__).resolve().parents[1] / "analysis" / "data" / "sentiment_model.json.gz"
MIN_DF = 2


def featurize(docs: list[Doc], cache: TokenCache) -> list[dict[str, float]]:
    return [extract(cache.tokens(d.text), d.text) for d in docs]


def matrix(feats: list[dict[str, float]], index: dict[str, int]) -> sparse.csr_matrix:
    rows, cols, vals = [], [], []
    for i, f in enumerate(feats):
        for name, v in f.items():
            j = index.get(name)
            if j is not None:
                rows.append(i)
                cols.append(j)
                vals.append(v)
    return sparse.csr_matrix((vals, (rows, cols)), shape=(len(feats), len(index)))


def fit(x: sparse.csr_matrix, y: np.ndarray, c: float, w: np.ndarray) -> LogisticRegression:
    clf = LogisticRegression(C=c, max_iter=3000, solver="lbfgs")
    clf.fit(x, y, sample_weight=w)
    return clf


def sample_weights(docs: list[Doc]) -> np.ndarray:
    # Each dataset and each class within it counts equally, so the 4,400 happy Weibo
    # posts do not drown the 1,460 neutral ones and no dataset dominates.
    per = Counter((d.source, d.label) for d in docs)
    per_src = Counter(d.source for d in docs)
    n_lab = {s: len({lab for (src, lab) in per if src == s}) for s in per_src}
    w = np.array([len(docs) / (len(per_src) * n_lab[d.source] * per[(d.source, d.label)])
                  for d in docs])
    return w


def main() -> None:
    cache = TokenCache()
    train = [d for _, (tr, _) in sorted(sentiment_splits().items()) for d in tr]
    rng = random.Random(f"{SEED}:sentiment-tune")
    rng.shuffle(train)
    feats = featurize(train, cache)
    cache.save()
    df = Counter(name for f in feats for name in f)
    vocab = sorted(n for n, c in df.items() if c >= MIN_DF)
    index = {n: i for i, n in enumerate(vocab)}
    x = matrix(feats, index)
    y = np.array([CLASSES.index(d.label) for d in train])
    w = sample_weights(train)
    print(f"train docs {len(train)}  features {len(vocab)}  labels {Counter(y.tolist())}")

    n_tune = len(train) // 10
    best_c, best = 1.0, -1.0
    for c in (0.5, 1.0, 2.0, 4.0, 8.0, 16.0):
        clf = fit(x[n_tune:], y[n_tune:], c, w[n_tune:])
        pred = clf.predict(x[:n_tune])
        score = f1_score(y[:n_tune], pred, average="macro")
        print(f"  C={c:<5} tune macro-F1 {score:.4f}")
        if score > best:
            best_c, best = c, score
    clf = fit(x, y, best_c, w)
    doc = to_json(CLASSES, clf.coef_, clf.intercept_, vocab, meta={
        "trained_on": f"train splits (seed {SEED}, dev fraction 0.2) of ../shared/corpus/"
                      "sentiment: smp2020_ewect_virus_train.json, waimai_10k.csv, "
                      "ChnSentiCorp_htl_all.csv",
        "C": best_c, "min_df": MIN_DF, "n_train": len(train),
        "script": "tools/train_sentiment.py",
    }, min_abs=0.02, digits=3)
    OUT.write_bytes(gzip.compress(json.dumps(doc, ensure_ascii=False,
                                             separators=(",", ":")).encode("utf-8"), 9))
    print(f"C={best_c}  kept {len(doc['features'])} features  -> {OUT} "
          f"({OUT.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
