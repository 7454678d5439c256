"""One pass of analysis per item: segment once, feed the same tokens to every stage."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

from yuqing.config import Gazetteer
from yuqing.records import Analysis, AnalyzedItem, Item, SentimentLabel

from .keywords import tfidf_keywords
from .places import PlaceIndex
from .segment import Segmenter

NEGATIVE_BELOW = 0.4
POSITIVE_ABOVE = 0.6


@lru_cache(maxsize=1)
def _snownlp_classifier():
    from snownlp import sentiment  # loads its model once, on first use

    return sentiment.classifier.classifier


def snownlp_on_tokens(tokens: list[str]) -> float:
    """SnowNLP's Bayes classifier fed our jieba tokens instead of re-segmenting the text."""
    from snownlp.normal import stop

    words = [t for t in tokens if t not in stop]
    label, prob = _snownlp_classifier().classify(words)
    return prob if label == "pos" else 1.0 - prob


def label_for(score: float) -> SentimentLabel:
    if score < NEGATIVE_BELOW:
        return SentimentLabel.negative
    if score > POSITIVE_ABOVE:
        return SentimentLabel.positive
    return SentimentLabel.neutral


class Analyzer:
    """Holds the loaded models; build once per process and reuse for every item."""

    def __init__(self, gazetteer: Gazetteer, domain_words: Iterable[str] = ()):
        self.places = PlaceIndex(gazetteer)
        self.segmenter = Segmenter([*self.places.words(), *gazetteer.domain_words,
                                    *domain_words])
        self._boost = frozenset(self.places.words())

    def analyze(self, item: Item) -> AnalyzedItem:
        tokens = self.segmenter.tokens(f"{item.title}\n{item.text}")
        score = snownlp_on_tokens(tokens)
        match = self.places.find([item.title, item.text])
        analysis = Analysis(
            tokens=tokens,
            keywords=tfidf_keywords(tokens, boost=self._boost),
            sentiment=round(score, 4),
            sentiment_label=label_for(score),
            places=match.places,
            townships=match.townships or ([item.region] if item.region else []),
        )
        return AnalyzedItem(item=item, analysis=analysis)

    def analyze_many(self, items: Iterable[Item]) -> Iterator[AnalyzedItem]:
        for item in items:
            yield self.analyze(item)
