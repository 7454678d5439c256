"""Complaint/appeal (诉求) detection and 一级分类 category of one item.

Two linear models trained by ``tools/train_category.py``:
- complaint detector: message-board messages (positives) against news articles, neutral
  or happy Weibo posts and positive hotel reviews (negatives);
- category model over the 一级分类 of the message board's taxonomy: a one-vs-rest linear
  SVM trained on the board's train split as annotated by reading
  (tools/category_labels.csv); its logits are decision scores, only the argmax counts.
  Three class-balanced views (``category_views``) are added to them.

The taxonomy (一级 -> 二级 -> [三级]) ships as ``analysis/data/category_taxonomy.json``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from analysis.category_rules import NO_EVIDENCE, CategoryLexicon
from analysis.category_views import CentroidViews
from analysis.features import MAX_CHARS, Base, Features, extract
from analysis.lexicon import complaint_cue_families
from analysis.linear import LinearModel
from analysis.segment import content_words

# P(complaint) at or above which an item counts as a complaint. 0.5 is the model's own
# decision point; it was not tuned.
COMPLAINT_THRESHOLD = 0.5


def complaint_features(tokens: list[str], text: str, title: str = "",
                       base: Base | None = None) -> Features:
    # Title bigrams share the body's namespace: most negatives (Weibo, reviews) have no
    # title, and "has a title" must not itself become evidence of a complaint.
    feats = extract(tokens, text, title, title_prefix="c:", base=base)
    feats.update(complaint_cues(title, text))
    return feats


def complaint_cues(title: str, text: str) -> Features:
    """``cue:<family>`` = 1 for each complaint-cue family (lexicon.COMPLAINT_CUES) found in
    the title or the first MAX_CHARS of the text. Dense and not length-normalised, so they
    weigh as much in a one-line grievance as in a long message; complaint model only."""
    head = title + "。" + text[:MAX_CHARS] if title else text[:MAX_CHARS]
    return {"cue:" + name: 1.0 for name in complaint_cue_families(head)}


def title_words(title_tokens: list[str]) -> set[str]:
    """The title's content words as ``tw:`` features of the category model. The title
    names the matter ("小区物业乱收费"); in the L2-normalised bag of a long message its
    words weigh as little as any body word, so they also come unnormalised (value 1)."""
    return {"tw:" + t for t in content_words(title_tokens) if not t.isascii()}


def category_features(tokens: list[str], text: str, title: str = "",
                      lexicon: CategoryLexicon | None = None,
                      base: Base | None = None,
                      title_tokens: list[str] | None = None) -> Features:
    """Bag features, the category lexicon's per-class scores (see category_rules) and the
    title's words. ``tokens`` are the document's (title then text, as the pipeline
    segments them); ``title_tokens`` the title's own, a prefix of them."""
    feats = extract(tokens, text, title, base=base)
    feats.update((lexicon or CategoryLexicon.load()).features(title, text))
    feats.update(dict.fromkeys(title_words(title_tokens or []), 1.0))
    return feats


class ComplaintModel:
    def __init__(self, detector: LinearModel, categories: LinearModel,
                 taxonomy: dict[str, dict[str, list[str]]], views: CentroidViews) -> None:
        self.detector = detector
        self.categories = categories
        self.views = views
        views.check_classes(categories.classes)
        self.taxonomy = taxonomy

    @classmethod
    def load(cls) -> ComplaintModel:
        """The packaged models, read from disk once per process."""
        return _load_cached()

    def complaint_score(self, tokens: list[str], text: str, title: str = "",
                        base: Base | None = None) -> float:
        feats = complaint_features(tokens, text, title, base)
        return self.detector.proba(feats)["complaint"]

    def category(self, tokens: list[str], text: str, title: str = "",
                 base: Base | None = None,
                 title_tokens: list[str] | None = None) -> str | None:
        """The argmax class, or None when title and text hold no cue word of any class
        (see ``category_rules.NO_EVIDENCE``)."""
        feats = category_features(tokens, text, title, base=base, title_tokens=title_tokens)
        if NO_EVIDENCE in feats:
            return None
        z = self.categories.logits(feats)
        z = [a + float(b) for a, b in zip(z, self.views.scores(title_tokens or [], tokens),
                                          strict=True)]
        return self.categories.classes[max(range(len(z)), key=z.__getitem__)]

    def predict(
        self, tokens: list[str], text: str, title: str = "", base: Base | None = None,
        title_tokens: list[str] | None = None,
    ) -> tuple[bool, float, str | None]:
        """(is complaint, P(complaint), 一级分类 or None when not a complaint)."""
        score = self.complaint_score(tokens, text, title, base)
        if score < COMPLAINT_THRESHOLD:
            return False, score, None
        return True, score, self.category(tokens, text, title, base, title_tokens)


def load_taxonomy() -> dict[str, dict[str, list[str]]]:
    raw = resources.files("analysis").joinpath("data", "category_taxonomy.json").read_text(
        encoding="utf-8")
    return json.loads(raw)["taxonomy"]


@cache
def _load_cached() -> ComplaintModel:
    return ComplaintModel(
        LinearModel.load_packaged("complaint_model.json.gz"),
        LinearModel.load_packaged("category_model.json.gz"),
        load_taxonomy(),
        CentroidViews.load(),
    )
