"""Measure the analysis models on the held-out dev splits (run by hand).

    YUQING_CORPUS=/path/to/shared/corpus python tools/eval_analysis.py \
        [--part sentiment|complaint|all] [--snownlp-limit N]

Prints precision/recall/F1 per label and macro-F1 for our sentiment model and for the
SnowNLP baseline per dataset (weibo / waimai / hotel), binary negative-vs-rest F1,
complaint detection P/R/F1 (whole dev documents, and untitled one-liners from the dev
splits), the complaint share of sources with no 诉求 label (angry/sad Weibo posts, negative
reviews), category macro-F1 on the hand-checked sample, and speed.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus_data import (  # noqa: E402
    TokenCache,
    complaint_short_dev,
    complaint_splits,
    load_news_sentiment,
    sentiment_splits,
    weibo_emotions,
)

from analysis.sentiment import SentimentModel, label_for, snownlp_baseline  # noqa: E402

LABELS3 = ["negative", "neutral", "positive"]
NO_CATEGORY = "(no category: no cue word)"


def prf(gold: list[str], pred: list[str], labels: list[str]) -> dict[str, tuple[float, ...]]:
    out: dict[str, tuple[float, ...]] = {}
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == lab and p == lab)
        n_pred = sum(1 for p in pred if p == lab)
        n_gold = sum(1 for g in gold if g == lab)
        p = tp / n_pred if n_pred else 0.0
        r = tp / n_gold if n_gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        out[lab] = (p, r, f, n_gold)
    return out


def print_prf(title: str, gold: list[str], pred: list[str], labels: list[str]) -> float:
    res = prf(gold, pred, labels)
    macro = macro_f1(gold, pred)
    acc = sum(1 for g, p in zip(gold, pred, strict=True) if g == p) / max(1, len(gold))
    print(f"  {title}: macro-F1 {macro:.3f}  accuracy {acc:.3f}  (n={len(gold)})")
    for lab in labels:
        p, r, f, n = res[lab]
        print(f"    {lab:<16} P {p:.3f}  R {r:.3f}  F1 {f:.3f}  support {n}")
    return macro


def macro_f1(gold: list[str], pred: list[str]) -> float:
    """Mean F1 over the classes present in ``gold``."""
    res = prf(gold, pred, sorted(set(gold)))
    return sum(v[2] for v in res.values()) / max(1, len(res))


def bootstrap_sd(gold: list[str], pred: list[str], rounds: int = 1000) -> float:
    """Standard deviation of macro-F1 over resamples (with replacement) of the items."""
    import numpy as np

    rng = np.random.default_rng(0)
    n = len(gold)
    scores = []
    for _ in range(rounds):
        ix = rng.integers(0, n, n)
        scores.append(macro_f1([gold[i] for i in ix], [pred[i] for i in ix]))
    return float(np.std(scores))


def neg_vs_rest(labels: list[str]) -> list[str]:
    return ["negative" if x == "negative" else "rest" for x in labels]


def eval_sentiment(limit: int | None) -> None:
    from snownlp import SnowNLP

    cache = TokenCache()
    model = SentimentModel.load()
    all_docs, all_toks = [], []
    for name, (_, dev) in sentiment_splits().items():
        toks = [cache.tokens(d.text) for d in dev]
        cache.save()
        all_docs += dev
        all_toks += toks
        gold = [d.label for d in dev]
        ours = [model.score(t, d.text)[1] for t, d in zip(toks, dev, strict=True)]
        base_tok = [label_for(snownlp_baseline(t)) for t in toks]
        sub = dev[:limit] if limit else dev
        snow = [label_for(SnowNLP(d.text).sentiments) for d in sub]
        labels = LABELS3 if name == "weibo" else ["negative", "positive", "neutral"]
        print(f"\n=== sentiment / {name} dev ({len(dev)} docs; gold labels "
              f"{dict(Counter(gold))}) ===")
        print_prf("ours 3-class", gold, ours, labels)
        print_prf("SnowNLP(text).sentiments 3-class (<0.4 neg, >0.6 pos)", gold[: len(sub)],
                  snow, labels)
        print_prf("snownlp_baseline(tokens) 3-class", gold, base_tok, labels)
        for title, pred, g in (("ours", ours, gold), ("SnowNLP(text)", snow, gold[: len(sub)]),
                               ("snownlp_baseline(tokens)", base_tok, gold)):
            f = prf(neg_vs_rest(g), neg_vs_rest(pred), ["negative"])["negative"]
            print(f"  binary negative-vs-rest {title:<26} P {f[0]:.3f}  R {f[1]:.3f}  "
                  f"F1 {f[2]:.3f}")
        agree = sum(1 for a, b in zip(base_tok, snow, strict=False) if a == b) / len(snow)
        print(f"  snownlp_baseline(tokens) label == SnowNLP(text) label on {agree:.1%} of docs")
    eval_news_sentiment(model, cache)
    board_dev = complaint_splits()["board"][1]
    board = Counter(model.score(cache.tokens(d.text), d.text)[1] for d in board_dev)
    print(f"\n=== sentiment / message-board dev (complaints, no sentiment gold): "
          f"{board['negative'] / len(board_dev):.1%} labelled negative {dict(board)} ===")
    speed(model, all_docs, all_toks)


def eval_news_sentiment(model: SentimentModel, cache: TokenCache) -> None:
    """News register: real articles (official news, finance, sport, features) labelled by
    reading. The sentiment sets are reviews and Weibo posts; this shows whether formal
    writing drifts to "negative"."""
    from snownlp import SnowNLP

    docs = load_news_sentiment()
    gold = [d.label for d in docs]
    ours = [model.score(cache.tokens(d.text), d.text)[1] for d in docs]
    cache.save()
    snow = [label_for(SnowNLP(d.text).sentiments) for d in docs]
    print(f"\n=== sentiment / news register ({len(docs)} articles read and labelled; "
          f"{dict(Counter(gold))}) ===")
    print_prf("ours 3-class", gold, ours, LABELS3)
    print_prf("SnowNLP(text).sentiments 3-class", gold, snow, LABELS3)
    for title, pred in (("ours", ours), ("SnowNLP(text)", snow)):
        f = prf(neg_vs_rest(gold), neg_vs_rest(pred), ["negative"])["negative"]
        wrong = sum(1 for g, p in zip(gold, pred, strict=True)
                    if p == "negative" and g != "negative")
        print(f"  binary negative-vs-rest {title:<14} P {f[0]:.3f}  R {f[1]:.3f}  F1 {f[2]:.3f}"
              f"  ({wrong} non-negative articles called negative)")


def speed(model: SentimentModel, docs: list, toks: list[list[str]]) -> None:
    from snownlp import SnowNLP

    n = len(docs)
    t0 = time.perf_counter()
    for t, d in zip(toks, docs, strict=True):
        model.score(t, d.text)
    ours = n / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for t in toks:
        snownlp_baseline(t)
    base = n / (time.perf_counter() - t0)
    k = min(n, 1000)
    t0 = time.perf_counter()
    for d in docs[:k]:
        _ = SnowNLP(d.text).sentiments
    snow = k / (time.perf_counter() - t0)
    mean_chars = sum(len(d.text) for d in docs) / n
    print(f"\n=== speed (single core, all sentiment dev docs, mean {mean_chars:.0f} chars; "
          "tokens precomputed) ===")
    print(f"  ours SentimentModel.score          {ours:9.0f} docs/s")
    print(f"  snownlp_baseline(tokens)           {base:9.0f} docs/s")
    print(f"  SnowNLP(text).sentiments           {snow:9.0f} docs/s  (first {k} docs)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=["sentiment", "complaint", "all"], default="all")
    ap.add_argument("--snownlp-limit", type=int, default=None,
                    help="score only the first N dev docs per set with SnowNLP(text)")
    args = ap.parse_args()
    if args.part in ("sentiment", "all"):
        eval_sentiment(args.snownlp_limit)
    if args.part in ("complaint", "all"):
        eval_complaint()


def eval_complaint() -> None:
    from analysis.complaint import ComplaintModel

    cache = TokenCache()
    model = ComplaintModel.load()
    splits = complaint_splits()
    gold, pred = [], []
    print("\n=== complaint detection, dev splits (threshold 0.5) ===")
    for name, (_, dev) in splits.items():
        g = [d.label for d in dev]
        p = ["complaint" if model.complaint_score(cache.tokens(d.text), d.text, d.title) >= 0.5
             else "not_complaint" for d in dev]
        cache.save()
        share = sum(1 for x in p if x == "complaint") / max(1, len(p))
        print(f"  {name:<6} n={len(dev):<5} predicted complaint share {share:.3f}")
        gold += g
        pred += p
    print_prf("complaint vs not (all dev sources pooled)", gold, pred,
              ["complaint", "not_complaint"])
    eval_complaint_short(cache, model)
    eval_complaint_unlabelled(cache, model)

    eval_category(cache, splits["board"][1])


def _is_complaint(model, cache: TokenCache, text: str, title: str = "") -> bool:  # type: ignore[no-untyped-def]
    return model.complaint_score(cache.tokens(text), text, title) >= 0.5


def eval_complaint_short(cache: TokenCache, model) -> None:  # type: ignore[no-untyped-def]
    """Terse text: board titles and first sentences against short news / Weibo / reply text
    (corpus_data.complaint_short_dev), all scored untitled."""
    print("\n=== complaint detection, untitled one-liners from the dev splits ===")
    gold, pred = [], []
    for name, docs in complaint_short_dev().items():
        p = ["complaint" if _is_complaint(model, cache, d.text) else "not_complaint"
             for d in docs]
        cache.save()
        share = sum(1 for x in p if x == "complaint") / max(1, len(p))
        print(f"  {name:<15} n={len(docs):<5} ({docs[0].label if docs else '-':<13}) "
              f"predicted complaint share {share:.3f}")
        gold += [d.label for d in docs]
        pred += p
    print_prf("short complaint vs not (pooled)", gold, pred, ["complaint", "not_complaint"])


def eval_complaint_unlabelled(cache: TokenCache, model) -> None:  # type: ignore[no-untyped-def]
    """Dev texts that are negative but carry no 诉求 label: some are grievances, most are
    not appeals; a detector that flags most of them has learnt "negative" for "complaint"."""
    sent = sentiment_splits()
    emo = weibo_emotions()
    sets = {
        "weibo angry+sad": [d for d in sent["weibo"][1] if emo.get(d.key) in ("angry", "sad")],
        "weibo fear": [d for d in sent["weibo"][1] if emo.get(d.key) == "fear"],
        "hotel negative": [d for d in sent["hotel"][1] if d.label == "negative"],
        "waimai negative": [d for d in sent["waimai"][1] if d.label == "negative"],
        "waimai positive": [d for d in sent["waimai"][1] if d.label == "positive"],
    }
    print("\n=== predicted complaint share of dev texts with no 诉求 label ===")
    for name, docs in sets.items():
        share = sum(_is_complaint(model, cache, d.text) for d in docs) / max(1, len(docs))
        cache.save()
        print(f"  {name:<16} n={len(docs):<5} predicted complaint share {share:.3f}")


def eval_category(cache: TokenCache, board_dev: list) -> None:
    """Category on the dev split, gold from tools/category_labels.csv (never trained on).

    Two paths: the reference model (ComplaintModel.category on jieba tokens, as trained)
    and the runtime path (Analyzer.features: rjieba, joint scorer, and no category at
    all when the complaint detector says "not a complaint")."""
    from corpus_data import load_category_labels
    from train_category import runtime_tokens

    from analysis.category_rules import CategoryLexicon
    from analysis.complaint import ComplaintModel
    from analysis.pipeline import Analyzer
    from yuqing.config import load_config

    labels = load_category_labels()
    docs = [d for d in board_dev if d.key in labels]
    gold = [labels[d.key][0] for d in docs]
    model = ComplaintModel.load()
    # The same model with the views weighing nothing: the SVM alone.
    svm = ComplaintModel(model.detector, model.categories, model.taxonomy, dataclasses.replace(
        model.views, weight_tfidf=0.0, weight_emb=0.0, weight_taxonomy=0.0))
    ours, svm_only = [], []
    for d in docs:
        tt, toks = runtime_tokens(cache, d.title, d.text)
        ours.append(model.category(toks, d.text, d.title, title_tokens=tt) or NO_CATEGORY)
        svm_only.append(svm.category(toks, d.text, d.title, title_tokens=tt) or NO_CATEGORY)
    cache.save()
    analyzer = Analyzer.from_config(load_config())  # the embedded default config
    runtime = []
    for d in docs:
        f = analyzer.features(d.title, d.text)
        runtime.append(f.category or (NO_CATEGORY if f.complaint else "(not a complaint)"))
    lexicon = CategoryLexicon.load()

    def rule(d) -> str:  # type: ignore[no-untyped-def]
        sc = lexicon.scores(d.title, d.text)
        return max(sc, key=sc.__getitem__) if sc else "城乡建设"

    classes = sorted(set(gold) | set(ours))  # NO_CATEGORY counts as a miss of the gold class
    n_amb = sum(labels[d.key][1] for d in docs)
    print(f"\n=== category (一级分类), dev split, n={len(docs)} annotated messages "
          f"({n_amb} marked ambiguous) ===")
    print("  macro-F1 averages the classes present in the gold labels")
    print_prf("reference model (title + text)", gold, ours, classes)
    print_prf("runtime path (yuqing analyze)", gold, runtime,
              sorted(set(classes) | {"(not a complaint)"}))
    print(f"  bootstrap sd of the runtime path's macro-F1 over these {len(docs)} messages: "
          f"{bootstrap_sd(gold, runtime):.3f} (rare classes have 3-16 messages here; "
          "`python tools/train_category.py cv` averages over all 2,816)")
    print_prf("reference model without the centroid views (SVM alone)", gold, svm_only,
              classes)
    print(f"  no category (no cue word of any class): {ours.count(NO_CATEGORY)} messages, "
          "not scored as any class")
    print_prf("category lexicon alone (argmax, default 城乡建设)", gold,
              [rule(d) for d in docs], classes)
    clear = [i for i, d in enumerate(docs) if not labels[d.key][1]]
    print_prf("reference model, unambiguous messages only", [gold[i] for i in clear],
              [ours[i] for i in clear], classes)
    # The first hand check (an earlier, independent annotation of 265 dev messages).
    path = Path(__file__).parent / "category_handcheck.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    at = {d.key: i for i, d in enumerate(docs)}
    pairs = [(r["一级分类"], ours[at[f"board:{r['留言编号']}"]]) for r in rows
             if f"board:{r['留言编号']}" in at]
    print_prf("reference model against the first hand check (category_handcheck.csv)",
              [g for g, _ in pairs], [p for _, p in pairs], classes)


if __name__ == "__main__":
    main()
