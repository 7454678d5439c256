"""One pass of analysis per item: segment once, feed the same tokens to every stage.

``Analyzer.features`` is the per-document work (segmentation, keywords, sentiment,
complaint, places, MinHash signature); it is independent per item, so batch runs spread
it over processes. Event assignment is sequential and incremental (``EventClusterer``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from yuqing.config import Gazetteer
from yuqing.records import Analysis, AnalyzedItem, Item, SentimentLabel

from .dedup import signature
from .events import EventClusterer, engagement
from .features import base_features
from .keywords import tfidf_keywords
from .places import PlaceIndex
from .scoring import ArrayCache, JointScorer
from .segment import Segmenter
from .simplify import to_simplified

__all__ = ["MAX_CHARS", "Analyzer", "Features"]

# Of a longer text, analysis reads this much (config ``analysis.max_chars``): its time is
# linear in the text, about 3 ms per 1,000 characters, so a 2-million-character page would
# hold a crawl process for 6 s, and a larger one longer. Articles and threads fit.
MAX_CHARS = 100_000


@dataclass(frozen=True)
class Features:
    tokens: list[str]
    keywords: list[str]
    sentiment: float
    sentiment_label: SentimentLabel
    complaint: bool
    complaint_score: float
    category: str | None
    places: list[str]
    townships: list[str]
    signature: np.ndarray
    truncated: bool = False  # the text was longer than max_chars: its head was analysed


def county_segmenter(gazetteer: Gazetteer, domain_words: Iterable[str] = (),
                     backend: str = "rjieba", places: PlaceIndex | None = None) -> Segmenter:
    """The segmenter with the county's words: gazetteer places, its domain words and
    ``analysis.user_words``, in simplified characters like the text it will cut."""
    places = places or PlaceIndex(gazetteer)
    return Segmenter([*places.segmenter_words(),
                      *map(to_simplified, (*gazetteer.domain_words, *domain_words))],
                     backend=backend)


class Analyzer:
    """Holds the loaded models; build once per process and reuse for every item."""

    def __init__(self, gazetteer: Gazetteer, domain_words: Iterable[str] = (),
                 segmenter: str = "rjieba", cache: ArrayCache | None = None,
                 max_chars: int = MAX_CHARS):
        self.max_chars = max_chars
        self.places = PlaceIndex(gazetteer)
        self.segmenter = county_segmenter(gazetteer, domain_words, segmenter, self.places)
        self._boost = frozenset(self.places.words())
        self.scorer = JointScorer.load(cache)
        self.events = EventClusterer(place_words=frozenset(self.places.words()))
        self.warmed = False  # events of earlier runs restored (see warm)
        # One throw-away document loads every lazy table (IDF, stop words, compiled
        # patterns) here, once, before batch runs fork: otherwise each worker loads its own.
        self.features("县城", "县城")

    @classmethod
    def from_config(cls, cfg, cache: ArrayCache | None = None) -> Analyzer:
        """``cfg``: yuqing.config.Config. ``cache`` keeps the built scorer between
        processes (yuqing.arraycache.ArrayCache under the data directory)."""
        return cls(cfg.gazetteer, cfg.analysis.user_words, segmenter=cfg.analysis.segmenter,
                   cache=cache, max_chars=cfg.analysis.max_chars)

    def features(self, title: str, text: str, region: str | None = None) -> Features:
        # Analysis reads simplified characters (a traditional repost must find the
        # gazetteer's 河口镇 and the models' words); the item keeps what was published.
        # One character for one, so max_chars cuts the same place in either.
        title, full = to_simplified(title), to_simplified(text)
        text = full[:self.max_chars]
        # Title and text cut apart give the same tokens as "title\ntext" cut whole (jieba
        # never joins across a line break), and the category model needs the title's own.
        title_tokens = self.segmenter.tokens(title)
        tokens = title_tokens + self.segmenter.tokens(text)
        sc = self.scorer.score(base_features(tokens, text), title, text, title_tokens, tokens)
        # Places are cheap to find (one scan) and route the alert: a township named deep
        # in a long thread still counts.
        match = self.places.find([title, full])
        return Features(
            tokens=tokens,
            keywords=tfidf_keywords(tokens, boost=self._boost),
            sentiment=round(sc.sentiment, 4),
            sentiment_label=SentimentLabel(sc.sentiment_label),
            complaint=sc.complaint,
            complaint_score=round(sc.complaint_score, 4),
            category=sc.category,
            places=match.places,
            townships=match.townships or ([region] if region else []),
            signature=signature(f"{title}\n{text}"),  # both simplified, as in warm
            truncated=len(full) > len(text),
        )

    def assign_event(self, item_id: str, title: str, when: datetime, f: Features,
                     engagement_score: float = 0.0, *, clock: bool = True) -> str:
        """``clock=False``: ``when`` stands in for an unknown time (see
        ``EventClusterer.assign``)."""
        return self.events.assign(
            item_id, title, when, f.signature, f.keywords, f.townships,
            negative=f.sentiment_label is SentimentLabel.negative,
            engagement_score=engagement_score, category=f.category, clock=clock)

    def warm(self, docs: Iterable[dict]) -> int:
        """Restore the events of recently analysed items (stored documents with
        ``event_id``), oldest first, so that this process continues them."""
        n = 0
        self.warmed = True
        for d in docs:
            if not d.get("event_id") or self.events.knows(d["id"]):
                continue
            when = datetime.fromisoformat(d.get("published_at") or d["fetched_at"])
            m = d.get("metrics") or {}
            self.events.restore(
                d["id"], d["event_id"], d.get("title", ""), when,
                _signature(d.get("title", ""), (d.get("text") or "")[:self.max_chars]),
                list(d.get("keywords") or []), list(d.get("townships") or []),
                negative=d.get("sentiment_label") == "negative",
                engagement_score=engagement(m.get("replies"), m.get("views"), m.get("likes")),
                category=d.get("category"))
            n += 1
        return n

    def analyze(self, item: Item) -> AnalyzedItem:
        f = self.features(item.title, item.text, item.region)
        m = item.metrics
        event_id = self.assign_event(item.id, item.title, item.published_at or item.fetched_at,
                                     f, engagement(m.replies, m.views, m.likes))
        return AnalyzedItem(item=item, analysis=to_analysis(f, event_id))


def _signature(title: str, text: str) -> np.ndarray:
    """A stored item's signature as ``features`` computed it: from simplified text."""
    return signature(f"{to_simplified(title)}\n{to_simplified(text)}")


def to_analysis(f: Features, event_id: str | None) -> Analysis:
    return Analysis(
        tokens=f.tokens, keywords=f.keywords, sentiment=f.sentiment,
        sentiment_label=f.sentiment_label, complaint=f.complaint,
        complaint_score=f.complaint_score, category=f.category, places=f.places,
        townships=f.townships, event_id=event_id,
        simhash=None,
    )
