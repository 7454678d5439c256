"""Lexicon scores per 一级分类 (runtime, pure Python).

``analysis/data/category_lexicon.json`` maps each 一级分类 to weighted cue words, built by
``tools/train_category.py`` from three sources (each word records its source there):
- hand-written everyday cue words (tools/weak_labels.py CUES);
- words of the taxonomy's own 二级/三级 names, segmented with jieba, kept when they are
  specific to one 一级分类 ("物业", "公积金", "出租车", "贪污"...);
- a few co-occurring words mined from unlabelled message-board training messages by
  lift over the seed labels (PMI-style expansion, lower weight).

The scores are features of the category model and its fallback for classes the model
has too little data for. One regex pass over title and head of the text per document.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from importlib import resources

TITLE_WEIGHT = 3.0
BODY_CHARS = 1500
BODY_CAP = 6.0  # per class: a long message repeating one word must not swamp the title
# The feature set when no cue word of any class occurs. Such a complaint ("拖了半年还没
# 解决，请领导重视") names no subject, and the model's argmax for it is right about a third
# of the time (dev: 3 of 9 messages, 0.42 of board titles alone) against 0.7-0.8 otherwise,
# so the pipeline reports no category rather than guess.
NO_EVIDENCE = "rule:none"


class CategoryLexicon:
    def __init__(self, words: dict[str, dict[str, float]]) -> None:
        # word -> [(class, weight)]
        self.index: dict[str, list[tuple[str, float]]] = {}
        for cat, ws in words.items():
            for w, wt in ws.items():
                self.index.setdefault(w, []).append((cat, wt))
        alts = sorted(self.index, key=lambda w: (-len(w), w))
        self.regex = re.compile("|".join(map(re.escape, alts))) if alts else None
        self.classes = sorted(words)

    @classmethod
    def load(cls) -> CategoryLexicon:
        return _load_cached()

    def _hits(self, s: str) -> dict[str, float]:
        out: dict[str, float] = {}
        if self.regex is None or not s:
            return out
        for m in self.regex.findall(s):
            for cat, wt in self.index[m]:
                out[cat] = out.get(cat, 0.0) + wt
        return out

    def scores(self, title: str, text: str) -> dict[str, float]:
        """Weighted cue counts per class: title hits x3, body hits capped."""
        sc = {c: TITLE_WEIGHT * v for c, v in self._hits(title[:200]).items()}
        for c, v in self._hits(text[:BODY_CHARS]).items():
            sc[c] = sc.get(c, 0.0) + min(v, BODY_CAP)
        return sc

    def features(self, title: str, text: str) -> dict[str, float]:
        """Dense features for the linear model: log scores, share and top class."""
        sc = self.scores(title, text)
        if not sc:
            return {NO_EVIDENCE: 1.0}
        total = sum(sc.values())
        top = max(sc, key=lambda c: (sc[c], c))
        feats = {f"rule:{c}": math.log1p(v) for c, v in sc.items()}
        for c, v in sc.items():
            feats[f"rshare:{c}"] = v / total
        feats[f"rtop:{top}"] = 1.0
        return feats


@cache
def _load_cached() -> CategoryLexicon:
    raw = resources.files("analysis").joinpath("data", "category_lexicon.json").read_text(
        encoding="utf-8")
    doc = json.loads(raw)
    return CategoryLexicon({c: {w: e["w"] for w, e in ws.items()}
                            for c, ws in doc["lexicon"].items()})
