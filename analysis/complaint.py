"""Complaint/appeal (诉求) detection and 一级分类 category of one item.

Two linear models trained by ``tools/train_category.py``:
- complaint detector: message-board messages (positives) against news articles, neutral
  or happy Weibo posts and positive hotel reviews (negatives);
- category model over the 一级分类 of the message board's taxonomy, trained on *weak*
  labels (keyword and replying-department rules, see tools/weak_labels.py) because the
  board data carries no category column. Classes with too little weakly labelled data
  (see the model's meta) are never predicted.

The taxonomy (一级 -> 二级 -> [三级]) ships as ``analysis/data/category_taxonomy.json``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from analysis.category_rules import CategoryLexicon
from analysis.features import Base, Features, extract
from analysis.linear import LinearModel

# P(complaint) at or above which an item counts as a complaint. 0.5 is the model's own
# decision point; it was not tuned.
COMPLAINT_THRESHOLD = 0.5


def complaint_features(tokens: list[str], text: str, title: str = "",
                       base: Base | None = None) -> Features:
    # Title bigrams share the body's namespace: most negatives (Weibo, reviews) have no
    # title, and "has a title" must not itself become evidence of a complaint.
    return extract(tokens, text, title, title_prefix="c:", base=base)


def category_features(tokens: list[str], text: str, title: str = "",
                      lexicon: CategoryLexicon | None = None,
                      base: Base | None = None) -> Features:
    """Bag features plus the category lexicon's per-class scores (see category_rules)."""
    feats = extract(tokens, text, title, base=base)
    feats.update((lexicon or CategoryLexicon.load()).features(title, text))
    return feats


class ComplaintModel:
    def __init__(self, detector: LinearModel, categories: LinearModel,
                 taxonomy: dict[str, dict[str, list[str]]]) -> None:
        self.detector = detector
        self.categories = categories
        self.taxonomy = taxonomy

    @classmethod
    def load(cls) -> ComplaintModel:
        """The packaged models, read from disk once per process."""
        return _load_cached()

    def complaint_score(self, tokens: list[str], text: str, title: str = "",
                        base: Base | None = None) -> float:
        feats = complaint_features(tokens, text, title, base)
        return self.detector.proba(feats)["complaint"]

    def category_proba(self, tokens: list[str], text: str, title: str = "",
                       base: Base | None = None) -> dict[str, float]:
        return self.categories.proba(category_features(tokens, text, title, base=base))

    def category(self, tokens: list[str], text: str, title: str = "",
                 base: Base | None = None) -> str:
        p = self.category_proba(tokens, text, title, base)
        return max(p, key=p.__getitem__)

    def predict(
        self, tokens: list[str], text: str, title: str = "", base: Base | None = None
    ) -> tuple[bool, float, str | None]:
        """(is complaint, P(complaint), 一级分类 or None when not a complaint)."""
        score = self.complaint_score(tokens, text, title, base)
        if score < COMPLAINT_THRESHOLD:
            return False, score, None
        return True, score, self.category(tokens, text, title, base)


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
    )
