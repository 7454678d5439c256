"""Sentiment of one item: P(positive) in [0, 1] and a negative/neutral/positive label.

Model: 3-class logistic regression over jieba token unigrams (negation-marked) and
bigrams, CJK character bigrams and a hand-written negation/complaint lexicon
(``analysis.lexicon``), trained by ``tools/train_sentiment.py`` on Weibo (3-class),
delivery and hotel reviews, and shipped as ``analysis/data/sentiment_model.json.gz``.

Score and label:
- ``score = P(positive) + 0.5 * P(neutral)``: the probability that the item reads as
  positive when neutral mass is split evenly; 0.5 means "no lean either way". This is
  what ``Analysis.sentiment`` stores.
- ``label`` thresholds, on the same score: ``score < NEGATIVE_BELOW`` -> negative,
  ``score > POSITIVE_ABOVE`` -> positive, otherwise neutral. The cut points are the
  SnowNLP convention (0.4 / 0.6) so dashboards keep their meaning; they were not tuned.
- Denied praise: one clause whose only sentiment words are praise under a negator
  (不高兴, 出行很不方便, 不太好吃) is negative whatever the model says: its score is
  capped at ``DENIED_PRAISE_CAP``. The reviews the model learnt from often mention a
  minor "不方便" inside a positive review, so on a one-liner it can lean positive.
"""

from __future__ import annotations

import re
from functools import cache

from analysis.features import MAX_CHARS, Base, base_features, extract
from analysis.lexicon import CLAUSE_BREAKS
from analysis.linear import LinearModel

NEGATIVE_BELOW = 0.4
POSITIVE_ABOVE = 0.6
MODEL_FILE = "sentiment_model.json.gz"
DENIED_PRAISE_CAP = 0.35
_CLAUSES = re.compile("[" + re.escape("".join(sorted(CLAUSE_BREAKS))) + "]")
_WORD = re.compile(r"[^\W_]")


def denied_praise(base: Base, title: str, text: str) -> bool:
    """One clause, and its sentiment words are all praise under a negator ("不 满意"),
    none plain praise nor a denied complaint ("不 差" is praise)."""
    lex = base.lex
    if "lex:notpos" not in lex or "lex:pos" in lex or "lex:notneg" in lex:
        return False
    # Counted on the text (the pipeline's tokens carry no punctuation); a title is the
    # topic, and its sentiment words are in ``base`` already.
    pieces = _CLAUSES.split((text or title)[:MAX_CHARS])
    return sum(1 for c in pieces if _WORD.search(c)) == 1


def adjusted(score: float, base: Base, title: str, text: str) -> float:
    """The model's score with the lexicon rule applied (see the module notes)."""
    return min(score, DENIED_PRAISE_CAP) if denied_praise(base, title, text) else score


def label_for(score: float) -> str:
    if score < NEGATIVE_BELOW:
        return "negative"
    if score > POSITIVE_ABOVE:
        return "positive"
    return "neutral"


class SentimentModel:
    def __init__(self, linear: LinearModel) -> None:
        self.linear = linear

    @classmethod
    def load(cls) -> SentimentModel:
        """The packaged model, read from disk once per process."""
        return _load_cached()

    def proba(self, tokens: list[str], text: str,
              base: Base | None = None) -> dict[str, float]:
        return self.linear.proba(extract(tokens, text, base=base))

    def score(self, tokens: list[str], text: str,
              base: Base | None = None) -> tuple[float, str]:
        """(P(positive) in [0, 1], label) for pre-segmented ``tokens`` of ``text``."""
        base = base or base_features(tokens, text)
        p = self.proba(tokens, text, base)
        s = adjusted(p["positive"] + 0.5 * p["neutral"], base, "", text)
        return s, label_for(s)


@cache
def _load_cached() -> SentimentModel:
    return SentimentModel(LinearModel.load_packaged(MODEL_FILE))


@cache
def _snownlp_classifier():  # type: ignore[no-untyped-def]
    # Importing snownlp.sentiment loads its Bayes model (~1 s); do it once, lazily.
    from snownlp import normal, sentiment

    return sentiment.classifier.classifier, normal.stop


def snownlp_baseline(tokens: list[str]) -> float:
    """SnowNLP's sentiment P(positive) computed on our jieba tokens.

    ``SnowNLP(text).sentiments`` re-segments the text with SnowNLP's own (slow,
    character-based) segmenter and drops its stop words before calling the naive Bayes
    classifier; here we apply the same stop-word filter to the pipeline's tokens and
    call the classifier directly.
    """
    bayes, stop = _snownlp_classifier()
    words = [t for t in tokens if t not in stop]
    label, prob = bayes.classify(words)
    return prob if label == "pos" else 1.0 - prob
