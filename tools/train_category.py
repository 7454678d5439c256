"""Train the complaint detector and the 一级分类 category model (analysis/data/).

    python tools/train_category.py

Complaint detector (complaint_model.json.gz), binary logistic regression:
  positives  train split of the message-board messages (every one is a 诉求);
  negatives  train splits of news article texts (extraction set), Weibo posts labelled
             neutral/positive, positive hotel reviews.
Category model (category_model.json.gz), multinomial logistic regression on the train
split of message-board messages that tools/weak_labels.py labels confidently (rules on
title, body and the replying department). The hand-checked sample
(tools/category_handcheck.csv) lies in the dev split and is never trained on.
Also writes analysis/data/category_taxonomy.json (derived from category_taxonomy.csv).
"""

from __future__ import annotations

import csv
import gzip
import json
import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus_data import (  # noqa: E402
    SEED,
    TokenCache,
    complaint_splits,
    corpus_dir,
    load_board_replies,
)
from train_sentiment import matrix  # noqa: E402
from weak_labels import weak_label  # noqa: E402

from analysis.complaint import complaint_features  # noqa: E402
from analysis.features import extract  # noqa: E402
from analysis.linear import to_json  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "analysis" / "data"
MIN_DF = 2
MIN_CLASS = 8  # a class with fewer weakly labelled examples cannot be learnt


def write_model(doc: dict, name: str) -> None:
    path = DATA / name
    path.write_bytes(gzip.compress(json.dumps(doc, ensure_ascii=False,
                                              separators=(",", ":")).encode("utf-8"), 9))
    print(f"  -> {path} ({path.stat().st_size / 1e6:.2f} MB, {len(doc['features'])} features)")


def write_taxonomy() -> None:
    src = corpus_dir() / "complaints" / "category_taxonomy.csv"
    tree: dict[str, dict[str, list[str]]] = {}
    with src.open(encoding="utf-8-sig", newline="") as fh:
        for r in csv.DictReader(fh):
            tree.setdefault(r["一级分类"], {}).setdefault(r["二级分类"], []).append(r["三级分类"])
    doc = {"source": "category_taxonomy.csv of the 2020 TipDM Cup problem C data (sheet 1), "
                     "via ../shared/corpus/complaints; 一级 -> 二级 -> [三级]",
           "taxonomy": tree}
    (DATA / "category_taxonomy.json").write_text(
        json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"taxonomy: {len(tree)} 一级分类")


def fit_best(x, y, w, cs, average) -> tuple[LogisticRegression, float]:  # type: ignore[no-untyped-def]
    # Choose C on a 10% slice of the (already shuffled) training rows, then refit on all.
    n_tune = max(1, x.shape[0] // 10)
    best_c, best = cs[0], -1.0
    for c in cs:
        clf = LogisticRegression(C=c, max_iter=3000).fit(x[n_tune:], y[n_tune:],
                                                         sample_weight=w[n_tune:])
        score = f1_score(y[:n_tune], clf.predict(x[:n_tune]), average=average)
        print(f"  C={c:<5} tune F1({average}) {score:.4f}")
        if score > best:
            best_c, best = c, score
    return LogisticRegression(C=best_c, max_iter=3000).fit(x, y, sample_weight=w), best_c


def train_complaint(cache: TokenCache) -> None:
    docs = [d for _, (tr, _) in sorted(complaint_splits().items()) for d in tr]
    random.Random(f"{SEED}:complaint-tune").shuffle(docs)
    feats = [complaint_features(cache.tokens(d.text), d.text, d.title) for d in docs]
    cache.save()
    df = Counter(n for f in feats for n in f)
    vocab = sorted(n for n, c in df.items() if c >= MIN_DF)
    x = matrix(feats, {n: i for i, n in enumerate(vocab)})
    y = np.array([1 if d.label == "complaint" else 0 for d in docs])
    # Each source weighs the same in total, so 1,700 Weibo posts do not outvote 90 news
    # articles: news register is what the detector most needs to get right.
    per = Counter(d.source for d in docs)
    w = np.array([len(docs) / (len(per) * per[d.source]) for d in docs])
    print(f"complaint: {len(docs)} docs {dict(per)}; {len(vocab)} features")
    clf, c = fit_best(x, y, w, (0.25, 1.0, 4.0), "binary")
    write_model(to_json(["not_complaint", "complaint"], clf.coef_, clf.intercept_, vocab, meta={
        "trained_on": f"train splits (seed {SEED}) of ../shared/corpus: complaints/"
                      "message_board_with_replies.csv (positives); extraction/ article gold "
                      "texts, sentiment/ Weibo neutral+happy, hotel positive (negatives)",
        "C": c, "script": "tools/train_category.py"}, min_abs=0.01, digits=3),
        "complaint_model.json.gz")


def train_category(cache: TokenCache) -> None:
    replies = load_board_replies()
    board_train = complaint_splits()["board"][0]
    random.Random(f"{SEED}:category-tune").shuffle(board_train)
    labelled = [(d, weak_label(d.title, d.text, replies[d.key])) for d in board_train]
    labelled = [(d, lab) for d, lab in labelled if lab is not None]
    counts = Counter(lab for _, lab in labelled)
    classes = sorted(c for c, n in counts.items() if n >= MIN_CLASS)
    labelled = [(d, lab) for d, lab in labelled if lab in classes]
    print(f"category: {len(labelled)} weakly labelled of {len(board_train)}; {dict(counts)}")
    feats = [extract(cache.tokens(d.text), d.text, d.title) for d, _ in labelled]
    cache.save()
    df = Counter(n for f in feats for n in f)
    vocab = sorted(n for n, c in df.items() if c >= MIN_DF)
    x = matrix(feats, {n: i for i, n in enumerate(vocab)})
    y = np.array([classes.index(lab) for _, lab in labelled])
    # Balanced classes: otherwise 城乡建设 (a third of the board) swallows the rest.
    per = Counter(y.tolist())
    w = np.array([len(y) / (len(per) * per[v]) for v in y])
    clf, c = fit_best(x, y, w, (1.0, 4.0, 16.0), "macro")
    write_model(to_json(classes, clf.coef_, clf.intercept_, vocab, meta={
        "trained_on": f"train split (seed {SEED}) of ../shared/corpus/complaints/"
                      "message_board_with_replies.csv with weak labels from "
                      "tools/weak_labels.py (no human labels exist for it)",
        "C": c, "classes_without_enough_data": sorted(set(counts) - set(classes)),
        "script": "tools/train_category.py"}, min_abs=0.08, digits=3),
        "category_model.json.gz")


def main() -> None:
    cache = TokenCache()
    write_taxonomy()
    train_complaint(cache)
    train_category(cache)


if __name__ == "__main__":
    main()
