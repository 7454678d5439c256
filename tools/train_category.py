"""Train the complaint detector and the 一级分类 category model (analysis/data/).

    python tools/train_category.py [complaint|category|all]
    python tools/train_category.py cv      # repeated CV of the category recipe, no writes

Complaint detector (complaint_model.json.gz), binary logistic regression:
  positives  train split of the message-board messages (every one is a 诉求);
  negatives  train splits of news article texts (extraction set), Weibo posts labelled
             neutral/positive, positive hotel reviews.
  features   complaint.complaint_features: the shared bag + lexicon features and the
             complaint-only cue families (``cue:``, lexicon.COMPLAINT_CUES).
Category model (category_model.json.gz), one-vs-rest linear SVM on the train split of
message-board messages, with the 一级分类 annotated by reading (tools/category_labels.csv,
see tools/README_labels.md), plus three class-balanced views (category_views.npz, see
analysis/category_views.py and tools/train_views.py) whose weights are chosen by the same
cross-validation. The dev split is never trained on. The category lexicon
(category_lexicon.json, features of the model) is still built from hand cues, taxonomy
words and words mined over weak labels (tools/weak_labels.py).
Also writes analysis/data/category_taxonomy.json (derived from category_taxonomy.csv).
"""

from __future__ import annotations

import csv
import gzip
import itertools
import json
import math
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
    Doc,
    TokenCache,
    complaint_splits,
    corpus_dir,
    load_board_replies,
    load_category_labels,
    reply_excerpts,
    snippets,
)
from train_sentiment import matrix  # noqa: E402
from train_views import (  # noqa: E402
    GENERIC,
    fit_views,
    load_vectors,
    reduce_vectors,
    usable_vectors,
    vectors_file,
    view_scores,
    with_weights,
)

from analysis.category_views import VIEWS_FILE, CentroidViews  # noqa: E402
from analysis.complaint import complaint_features  # noqa: E402
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


def fit_best(x, y, w, cs, average, n_tune=None) -> tuple[LogisticRegression, float]:  # type: ignore[no-untyped-def]
    # Choose C on a 10% slice of the (already shuffled) training rows, then refit on all.
    n_tune = n_tune or max(1, x.shape[0] // 10)
    best_c, best = cs[0], -1.0
    for c in cs:
        clf = LogisticRegression(C=c, max_iter=3000).fit(x[n_tune:], y[n_tune:],
                                                         sample_weight=w[n_tune:])
        score = f1_score(y[:n_tune], clf.predict(x[:n_tune]), average=average)
        print(f"  C={c:<5} tune F1({average}) {score:.4f}")
        if score > best:
            best_c, best = c, score
    return LogisticRegression(C=best_c, max_iter=3000).fit(x, y, sample_weight=w), best_c


def short_docs(train: dict[str, list[Doc]], replies: dict[str, str]) -> list[Doc]:
    """One-to-three-sentence excerpts without title, as their own sources.

    Board messages are long and titled, most negatives are short and untitled, so without
    these the detector learns "short means not a complaint" and misses a one-line
    grievance. News excerpts keep short news-register sentences on the negative side.
    """
    out = [Doc(d.key + ":head", s, d.label, "", "board_short")
           for d in train["board"] for s in snippets(d.text)]
    out += [Doc(f"{d.key}:s{i}", s, d.label, "", "news_short")
            for d in train["news"] for i, s in enumerate(snippets(d.text, limit=6))]
    # Official replies: government register on exactly the board's topics (pollution
    # checks, road works, notices) that is not itself an appeal. The opening snippet, which
    # quotes the message, and snippets addressing the writer are skipped.
    out += reply_excerpts(train["board"], replies, "not_complaint", "reply_short")
    return out


def train_complaint(cache: TokenCache) -> None:
    train = {name: tr for name, (tr, _) in sorted(complaint_splits().items())}
    docs = [d for _, tr in sorted(train.items()) for d in tr]
    docs += short_docs(train, load_board_replies())
    random.Random(f"{SEED}:complaint-tune").shuffle(docs)
    feats = [complaint_features(cache.tokens(d.text), d.text, d.title) for d in docs]
    cache.save()
    df = Counter(n for f in feats for n in f)
    vocab = sorted(n for n, c in df.items() if c >= MIN_DF)
    x = matrix(feats, {n: i for i, n in enumerate(vocab)})
    y = np.array([1 if d.label == "complaint" else 0 for d in docs])
    y_names = ("complaint", "not_complaint")
    # Within a class each source weighs the same in total, so 1,700 Weibo posts do not
    # outvote 90 news articles: news register is what the detector most needs to get right.
    # Complaints and non-complaints weigh half each (otherwise five negative sources
    # outvote two positive ones and a terse grievance falls below 0.5).
    per = Counter(d.source for d in docs)
    n_src = {lab: len({d.source for d in docs if d.label == lab}) for lab in y_names}
    w = np.array([len(docs) / (2 * n_src[d.label] * per[d.source]) for d in docs])
    print(f"complaint: {len(docs)} docs {dict(per)}; {len(vocab)} features")
    clf, c = fit_best(x, y, w, (0.25, 1.0, 4.0), "binary")
    write_model(to_json(["not_complaint", "complaint"], clf.coef_, clf.intercept_, vocab, meta={
        "trained_on": f"train splits (seed {SEED}) of ../shared/corpus: complaints/"
                      "message_board_with_replies.csv (positives, plus untitled leading-"
                      "sentence excerpts); extraction/ article gold texts (plus excerpts), "
                      "sentiment/ Weibo neutral+happy, hotel positive, excerpts of the board's "
                      "official replies that do not address the writer (negatives); "
                      "features include the hand-written cue families (cue:)",
        "C": c, "script": "tools/train_category.py"}, min_abs=0.01, digits=3),
        "complaint_model.json.gz")


TAXONOMY_WEIGHT = 1.0
EXPAND_WEIGHT = 0.5
EXPAND_PER_CLASS = 40


def taxonomy_words() -> dict[str, dict[str, str]]:
    """{一级: {word: source}}: jieba words of 二级/三级 names specific to one 一级分类."""
    import jieba

    tax = json.loads((DATA / "category_taxonomy.json").read_text(encoding="utf-8"))["taxonomy"]
    owners: dict[str, set[str]] = {}
    for top, subs in tax.items():
        names = [n for sub, leaves in subs.items() for n in (sub, *leaves)]
        for name in names:
            for w in jieba.lcut(name):
                if len(w) >= 2 and w not in GENERIC and not w.isascii():
                    owners.setdefault(w, set()).add(top)
    out: dict[str, dict[str, str]] = {top: {} for top in tax}
    for w, tops in sorted(owners.items()):
        if len(tops) == 1:
            out[next(iter(tops))][w] = "taxonomy"
    return out


def build_lexicon(board_train: list, replies: dict[str, str], cache: TokenCache) -> dict:
    """Hand cues + taxonomy words, expanded by lift over seed labels of training messages."""
    from weak_labels import CUES, confident, department_scores

    from analysis.category_rules import CategoryLexicon

    lex: dict[str, dict[str, dict]] = {c: {} for c in CUES}
    for c, words in taxonomy_words().items():
        for w in words:
            lex[c][w] = {"w": TAXONOMY_WEIGHT, "src": "taxonomy"}
    for c, words in CUES.items():
        for w in words:
            lex[c][w] = {"w": 1.0, "src": "hand"}
    # A word claimed by several classes (hand cue vs taxonomy) keeps only its hand owner.
    hand = {w: c for c, ws in CUES.items() for w in ws}
    for c in lex:
        for w in [w for w, e in lex[c].items() if e["src"] == "taxonomy" and w in hand
                  and hand[w] != c]:
            del lex[c][w]
    seed = CategoryLexicon({c: {w: e["w"] for w, e in ws.items()} for c, ws in lex.items()})
    # Seed labels: lexicon on title+text plus the replying department (training only).
    labels = []
    for d in board_train:
        sc = seed.scores(d.title, d.text)
        for c, v in department_scores(replies[d.key]).items():
            sc[c] = sc.get(c, 0.0) + 2.0 * v
        labels.append(confident(sc))
    stop = set((DATA / "stopwords.txt").read_text(encoding="utf-8").split())
    df: Counter = Counter()
    dfc: dict[str, Counter] = {c: Counter() for c in lex}
    n_lab = Counter(lab for lab in labels if lab)
    total = sum(n_lab.values())
    for d, lab in zip(board_train, labels, strict=True):
        if lab is None:
            continue
        toks = {t for t in cache.tokens(d.title + "。" + d.text[:1500])
                if len(t) >= 2 and not t.isascii() and t not in stop
                and not any(ch.isdigit() for ch in t)}
        for t in toks:
            df[t] += 1
            dfc[lab][t] += 1
    known = {w for ws in lex.values() for w in ws}
    for c in lex:
        prior = n_lab[c] / total if total else 0.0
        cands = []
        for t, n in dfc[c].items():
            if n < 6 or t in known:
                continue
            p = (n + 0.5) / (df[t] + 1.0)
            if p >= 0.7 and prior and p / prior >= 2.0:
                cands.append((n * math.log(p / prior), t))
        for _, t in sorted(cands, reverse=True)[:EXPAND_PER_CLASS]:
            lex[c][t] = {"w": EXPAND_WEIGHT, "src": "expanded"}
    doc = {"source": "hand cues (tools/weak_labels.py), jieba words of the 二级/三级 names of "
                     "category_taxonomy.csv specific to one 一级分类, and words mined by lift "
                     f"over seed labels of the train split (seed {SEED}) of the message-board "
                     "CSV (src=expanded); built by tools/train_category.py",
           "lexicon": {c: dict(sorted(ws.items())) for c, ws in sorted(lex.items())}}
    (DATA / "category_lexicon.json").write_text(
        json.dumps(doc, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print("lexicon: " + ", ".join(f"{c} {len(ws)}" for c, ws in sorted(lex.items())))
    return doc


AMBIGUOUS_WEIGHT = 0.5  # an example its annotators called borderline teaches half as much
CLASS_WEIGHT_CAP = 3.0  # balanced class weights, capped so 13 examples are not blown up
CS = (0.35, 0.5, 0.7)  # LinearSVC C, chosen by 5-fold cross-validation on the train split
FOLDS = 5
# Training-time scale of feature groups, i.e. how little each group is regularised
# relative to the lexicon features (chosen by the same 5-fold CV: bag x1 0.634 macro-F1,
# x4 0.670, x6 + title words x2 0.680). The exported weights are multiplied back, so
# the runtime features keep their plain values.
BAG_PREFIXES = ("w:", "c:", "c!", "b:", "t:")
BAG_SCALE = 6.0
TITLE_WORD_SCALE = 2.0


def feature_scale(name: str) -> float:
    if name.startswith(BAG_PREFIXES):
        return BAG_SCALE
    if name.startswith("tw:"):
        return TITLE_WORD_SCALE
    return 1.0


def runtime_tokens(cache: TokenCache, title: str, text: str) -> tuple[list[str], list[str]]:
    """(title tokens, document tokens) as Analyzer.features makes them."""
    from analysis.segment import drop_junk

    title_tokens = drop_junk(cache.tokens(title)) if title else []
    return title_tokens, title_tokens + drop_junk(cache.tokens(text))


def board_category_features(docs: list, cache: TokenCache) -> list[dict]:
    from analysis.category_rules import CategoryLexicon
    from analysis.complaint import category_features

    lexicon = CategoryLexicon.load()
    out = []
    for d in docs:
        tt, toks = runtime_tokens(cache, d.title, d.text)
        out.append(category_features(toks, d.text, d.title, lexicon, title_tokens=tt))
    cache.save()
    return out


def fit_svc(x, y, w, c):  # type: ignore[no-untyped-def]
    from sklearn.svm import LinearSVC

    return LinearSVC(C=c, max_iter=20000, random_state=0).fit(x, y, sample_weight=w)


def decisions(clf, x, n_classes: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    out = np.full((x.shape[0], n_classes), -9.0)  # a class absent from training: never
    out[:, clf.classes_] = clf.decision_function(x)
    return out


VIEW_WEIGHTS = (0.0, 0.1, 0.2, 0.3)  # the grid searched for each view's weight
VIEWS = ("tfidf", "emb", "taxonomy")


def load_taxonomy_tree() -> dict[str, dict[str, list[str]]]:
    return json.loads((DATA / "category_taxonomy.json").read_text(encoding="utf-8"))["taxonomy"]


def view_vectors() -> tuple:
    return reduce_vectors(*usable_vectors(*load_vectors(vectors_file())))


def fold_views(tts: list, dts: list, y: np.ndarray, tr: np.ndarray, te: np.ndarray,
               classes: list[str], vectors: tuple) -> np.ndarray:
    """Standardised view scores of ``te`` (views x messages x classes), the views fitted
    on ``tr`` only."""
    views = CentroidViews.from_arrays(fit_views([tts[i] for i in tr], [dts[i] for i in tr],
                                                y[tr], classes, vectors,
                                                load_taxonomy_tree()))
    return view_scores(views, [tts[i] for i in te], [dts[i] for i in te])


def category_weights(y: np.ndarray, amb: np.ndarray) -> np.ndarray:
    per = Counter(y.tolist())
    cw = {k: min(len(y) / (len(per) * n), CLASS_WEIGHT_CAP) for k, n in per.items()}
    return np.array([cw[v] for v in y]) * np.where(amb, AMBIGUOUS_WEIGHT, 1.0)


def train_category(cache: TokenCache) -> None:
    """一级分类 model: linear SVM over bag + lexicon + title-word features, trained on the
    annotated train split (tools/category_labels.csv); C by 5-fold CV within it."""
    labels = load_category_labels()
    board_train = [d for d in complaint_splits()["board"][0] if d.key in labels]
    random.Random(f"{SEED}:category-tune").shuffle(board_train)
    # The lexicon (features `rule:` etc.) is rebuilt exactly as before: hand cues, taxonomy
    # words and an expansion mined over weak labels of the train split.
    replies = load_board_replies()
    lex_doc = build_lexicon(board_train, replies, cache)
    classes = sorted(lex_doc["lexicon"])
    feats = [{n: v * feature_scale(n) for n, v in f.items()}
             for f in board_category_features(board_train, cache)]
    df = Counter(n for f in feats for n in f)
    vocab = sorted(n for n, c in df.items() if c >= MIN_DF)
    x = matrix(feats, {n: i for i, n in enumerate(vocab)})
    y = np.array([classes.index(labels[d.key][0]) for d in board_train])
    amb = np.array([labels[d.key][1] for d in board_train])
    w = category_weights(y, amb)
    print(f"category: {len(board_train)} annotated train messages, {len(vocab)} features; "
          f"{dict(Counter(labels[d.key][0] for d in board_train))}")
    folds = np.arange(len(y)) % FOLDS
    best_c, best, best_dec = CS[0], -1.0, np.zeros(0)
    for c in CS:
        dec = np.zeros((len(y), len(classes)))
        for k in range(FOLDS):
            tr, te = folds != k, folds == k
            dec[te] = decisions(fit_svc(x[tr], y[tr], w[tr], c), x[te], len(classes))
        pred = dec.argmax(axis=1)
        score = f1_score(y, pred, average="macro")
        print(f"  C={c:<5} {FOLDS}-fold CV macro-F1 {score:.4f} accuracy "
              f"{float(np.mean(pred == y)):.4f}")
        if score > best:
            best_c, best, best_dec = c, score, dec
    # The views' weights, by the same folds, on the chosen C's out-of-fold scores.
    toks = [runtime_tokens(cache, d.title, d.text) for d in board_train]
    tts, dts = [t for t, _ in toks], [t for _, t in toks]
    vectors = view_vectors()
    vs = np.zeros((len(VIEWS), *best_dec.shape))
    for k in range(FOLDS):
        tr, te = np.flatnonzero(folds != k), np.flatnonzero(folds == k)
        vs[:, te] = fold_views(tts, dts, y, tr, te, classes, vectors)
    weights, best_views = (0.0,) * len(VIEWS), best
    for ws in itertools.product(VIEW_WEIGHTS, repeat=len(VIEWS)):
        pred = (best_dec + np.tensordot(ws, vs, axes=1)).argmax(axis=1)
        score = f1_score(y, pred, average="macro")
        print("  views " + " ".join(f"{n} {v}" for n, v in zip(VIEWS, ws, strict=True))
              + f": {FOLDS}-fold CV macro-F1 {score:.4f} accuracy "
              f"{float(np.mean(pred == y)):.4f}")
        if score > best_views + 1e-9:
            weights, best_views = ws, score
    print("  chosen: view weights " + " ".join(f"{n} {v}" for n, v in zip(VIEWS, weights,
                                                                        strict=True))
          + f" (macro-F1 {best_views:.4f}; SVM alone {best:.4f})")
    arrays = with_weights(fit_views(tts, dts, y, classes, vectors, load_taxonomy_tree()),
                          *weights)
    np.savez_compressed(DATA / VIEWS_FILE, **arrays)
    print(f"  -> {DATA / VIEWS_FILE} ({(DATA / VIEWS_FILE).stat().st_size / 1e6:.2f} MB)")
    clf = fit_svc(x, y, w, best_c)
    coef = np.zeros((len(classes), len(vocab)))
    bias = np.full(len(classes), -5.0)
    for k, cls_idx in enumerate(clf.classes_):
        coef[int(cls_idx)] = clf.coef_[k]
        bias[int(cls_idx)] = clf.intercept_[k]
    coef *= np.array([feature_scale(n) for n in vocab])  # back to unscaled features
    write_model(to_json(classes, coef, bias, vocab, meta={
        "kind": "one-vs-rest linear SVM: logits are decision scores, only their argmax "
                "is meaningful",
        "trained_on": f"train split (seed {SEED}) of ../shared/corpus/complaints/"
                      "message_board_with_replies.csv, 一级分类 annotated by reading "
                      "(tools/category_labels.csv: two independent passes, disagreements "
                      "adjudicated)",
        "C": best_c, f"cv{FOLDS}_macro_f1": round(best, 4),
        f"cv{FOLDS}_macro_f1_with_views": round(best_views, 4),
        "feature_scale": {"bag": BAG_SCALE, "tw": TITLE_WORD_SCALE},
        "script": "tools/train_category.py"}, min_abs=0.01, digits=3),
        "category_model.json.gz")


def stratified_folds(y: np.ndarray, k: int, seed: int) -> np.ndarray:
    rng = np.random.RandomState(seed)
    fold = np.empty(len(y), dtype=int)
    for c in np.unique(y):
        ix = np.flatnonzero(y == c)
        rng.shuffle(ix)
        fold[ix] = (np.arange(len(ix)) + rng.randint(k)) % k
    return fold


def cv_category(cache: TokenCache, seeds: int = 3) -> None:
    """Repeated stratified 5-fold CV of the shipped recipe over all annotated messages.

    The dev split's 3-16 examples of each rare class move its macro-F1 by 0.1-0.2 per
    message; this estimate averages over every message and several fold draws. It uses
    the packaged lexicon (mined on the train split), the packaged model's C and view
    weights (the views themselves are refitted in each fold), and writes nothing. The SVM
    alone is scored on the same folds: per fold and by a paired bootstrap over messages,
    how often the views help."""
    labels = load_category_labels()
    train, dev = complaint_splits()["board"]
    docs = [d for d in train + dev if d.key in labels]
    classes = sorted({lab for lab, _ in labels.values()})
    meta = json.loads(gzip.decompress((DATA / "category_model.json.gz").read_bytes()))["meta"]
    shipped = CentroidViews.load()
    feats = [{n: v * feature_scale(n) for n, v in f.items()}
             for f in board_category_features(docs, cache)]
    toks = [runtime_tokens(cache, d.title, d.text) for d in docs]
    tts, dts = [t for t, _ in toks], [t for _, t in toks]
    vectors = view_vectors()
    weights = (shipped.weight_tfidf, shipped.weight_emb, shipped.weight_taxonomy)
    y = np.array([classes.index(labels[d.key][0]) for d in docs])
    amb = np.array([labels[d.key][1] for d in docs])
    macro, acc, per = [], [], []
    fold_gains = []  # (macro-F1, accuracy) of shipped minus SVM alone, per fold
    rng = np.random.default_rng(0)
    for seed in range(seeds):
        fold = stratified_folds(y, FOLDS, seed)
        pred, alone = np.empty_like(y), np.empty_like(y)
        for k in range(FOLDS):
            tr, te = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
            df = Counter(n for i in tr for n in feats[i])
            index = {n: j for j, n in enumerate(sorted(n for n, c in df.items()
                                                       if c >= MIN_DF))}
            clf = fit_svc(matrix([feats[i] for i in tr], index), y[tr],
                          category_weights(y[tr], amb[tr]), meta["C"])
            vs = fold_views(tts, dts, y, tr, te, classes, vectors)
            dec = decisions(clf, matrix([feats[i] for i in te], index), len(classes))
            alone[te] = dec.argmax(axis=1)
            pred[te] = (dec + np.tensordot(weights, vs, axes=1)).argmax(axis=1)
            fold_gains.append((
                f1_score(y[te], pred[te], average="macro")
                - f1_score(y[te], alone[te], average="macro"),
                float(np.mean(pred[te] == y[te]) - np.mean(alone[te] == y[te]))))
        macro.append(f1_score(y, pred, average="macro"))
        acc.append(float(np.mean(pred == y)))
        per.append(f1_score(y, pred, average=None, labels=range(len(classes))))
        boot = []
        for _ in range(1000):
            ix = rng.integers(0, len(y), len(y))
            boot.append(f1_score(y[ix], pred[ix], average="macro")
                        - f1_score(y[ix], alone[ix], average="macro"))
        print(f"  seed {seed}: macro-F1 {macro[-1]:.4f} accuracy {acc[-1]:.4f}; SVM alone "
              f"{f1_score(y, alone, average='macro'):.4f} / {float(np.mean(alone == y)):.4f}; "
              f"paired bootstrap of the gain {np.mean(boot):+.3f}, P(gain > 0) "
              f"{np.mean(np.array(boot) > 0):.3f}", flush=True)
    print(f"category, {seeds}x stratified {FOLDS}-fold CV over {len(docs)} annotated messages "
          f"(C={meta['C']}, view weights {weights}): macro-F1 {np.mean(macro):.3f} "
          f"(sd {np.std(macro):.3f}), "
          f"accuracy {np.mean(acc):.3f}")
    gains = np.array(fold_gains)
    print(f"  views vs SVM alone, per fold (~{len(y) // FOLDS} messages each): macro-F1 up in "
          f"{int(np.sum(gains[:, 0] > 0))} of {len(gains)} (worst {gains[:, 0].min():+.3f}), "
          f"accuracy up in {int(np.sum(gains[:, 1] > 0))}")
    f1s = np.mean(per, axis=0)
    for c in sorted(range(len(classes)), key=lambda c: -int(np.sum(y == c))):
        print(f"    {classes[c]:<10} F1 {f1s[c]:.3f}  n={int(np.sum(y == c))}")


def main() -> None:
    cache = TokenCache()
    part = sys.argv[1] if len(sys.argv) > 1 else "all"
    if part == "cv":
        cv_category(cache)
        return
    write_taxonomy()
    if part in ("complaint", "all"):
        train_complaint(cache)
    if part in ("category", "all"):
        train_category(cache)


if __name__ == "__main__":
    main()
