"""Propose words the segmenter's dictionary does not know (new-word discovery).

A local name or term missing from the dictionary ("沙湾村", "共有产权房", a new app's name)
is cut into pieces by the segmenter: it is still searchable (the character-level ``text``
field), but it never becomes a keyword and two items about it share no token. This finds
such words in a batch of texts so an officer can add them to ``analysis.user_words``.

A candidate is a run of 2-``max_len`` Chinese characters that
- recurs (``min_count`` times, in ``min_docs`` different texts);
- hangs together: every way of cutting it in two is much likelier joined than by chance
  (``cohesion``, the smallest pointwise mutual information of a split, in nats);
- is free on both sides: many different characters come before and after it
  (``left_entropy``/``right_entropy``, nats), so it is a unit of its own and not a
  fragment of a longer word ("河口镇沙" is always followed by "湾");
- is not in the dictionary, and the segmenter cuts it into pieces of which one at least
  is a single character and none a stop word (known words joined are a phrase).
Ranked by ``count × min(left, right entropy)``. Pure: the caller supplies the texts, the
dictionary and the segmenter.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_DIGIT, _LATIN = "0", "a"  # neighbour classes: "3号楼", "A3区" are fragments, not edges
# Characters that start or end phrases, not words: a candidate beginning or ending with one
# is almost always a word plus a particle ("的问题", "了一").
_EDGE_STOP = frozenset("的了是在和与及或也都就还又而被把对将从向给让使为着过吗呢吧啊呀么"
                       "请您你我他她它")
# Address suffixes: a candidate starting with one is the tail of a name ("村村民" of
# "大众村村民", "区教育局" of "A3区教育局").
_SUFFIX_START = frozenset("市区县镇乡村组路街道巷号栋楼期苑园")
_BOUNDARY = ""  # a run's edge: counted as a new, different neighbour every time


@dataclass(frozen=True)
class WordCandidate:
    word: str
    count: int
    docs: int
    cohesion: float
    left_entropy: float
    right_entropy: float
    example: str

    @property
    def score(self) -> float:
        return round(self.count * min(self.left_entropy, self.right_entropy), 2)

    def to_json_dict(self) -> dict[str, object]:
        return {"word": self.word, "count": self.count, "docs": self.docs,
                "score": self.score, "cohesion": round(self.cohesion, 2),
                "left_entropy": round(self.left_entropy, 2),
                "right_entropy": round(self.right_entropy, 2), "example": self.example}


def _neighbour(ch: str) -> str:
    if ch.isdigit():
        return _DIGIT
    if ch.isascii() and ch.isalpha():
        return _LATIN
    return _BOUNDARY


def _runs(text: str) -> list[tuple[str, str, str]]:
    """Chinese runs with the class of the character just outside each end."""
    return [(m.group(), _neighbour(text[m.start() - 1]) if m.start() else _BOUNDARY,
             _neighbour(text[m.end()]) if m.end() < len(text) else _BOUNDARY)
            for m in _CJK_RUN.finditer(text)]


def _entropy(neighbours: Counter[str]) -> float:
    total = sum(neighbours.values())
    if not total:
        return 0.0
    h = -sum(c / total * math.log(c / total) for ch, c in neighbours.items() if ch)
    edges = neighbours.get(_BOUNDARY, 0)  # each edge a distinct neighbour of count 1
    return h - edges * (1 / total) * math.log(1 / total)


def _frequent_grams(runs_by_doc: list[list[str]], min_count: int, max_len: int
                    ) -> tuple[Counter[str], Counter[str]]:
    """Counts (and document counts) of every n-gram occurring ``min_count`` times, level
    by level: an n-gram can only be that frequent if both its (n-1)-grams are, so only
    those are counted and memory stays proportional to the frequent ones. Single
    characters are all kept (the denominators of cohesion)."""
    grams: Counter[str] = Counter()
    docs: Counter[str] = Counter()
    for runs in runs_by_doc:
        for run in runs:
            grams.update(run)
    frequent = {g for g, c in grams.items() if c >= min_count}
    for n in range(2, max_len + 1):
        level: Counter[str] = Counter()
        level_docs: Counter[str] = Counter()
        for runs in runs_by_doc:
            seen: set[str] = set()
            for run in runs:
                for i in range(len(run) - n + 1):
                    g = run[i:i + n]
                    if g[:-1] in frequent and g[1:] in frequent:
                        level[g] += 1
                        seen.add(g)
            level_docs.update(seen)
        frequent = {g for g, c in level.items() if c >= min_count}
        if not frequent:
            break
        grams.update({g: level[g] for g in frequent})
        docs.update({g: level_docs[g] for g in frequent})
    return grams, docs


def propose_words(texts: Iterable[str], known: Container[str],
                  segment: Callable[[str], list[str]], *, min_count: int = 5,
                  min_docs: int = 3, max_len: int = 6, min_cohesion: float = 3.0,
                  min_entropy: float = 1.5, top: int = 50,
                  stop: Container[str] = frozenset()) -> list[WordCandidate]:
    runs_by_doc = [_runs(t) for t in texts]
    grams, docs = _frequent_grams([[r for r, _, _ in runs] for runs in runs_by_doc],
                                  min_count, max_len)
    total = sum(c for g, c in grams.items() if len(g) == 1)
    if not total:
        return []

    def cohesion(w: str) -> float:
        return min(math.log(grams[w] * total / (grams[w[:k]] * grams[w[k:]]))
                   for k in range(1, len(w)))

    cands = {w for w, c in grams.items()
             if len(w) >= 2 and c >= min_count and docs[w] >= min_docs
             and w[0] not in _EDGE_STOP and w[-1] not in _EDGE_STOP
             and w[0] not in _SUFFIX_START
             and w not in known and cohesion(w) >= min_cohesion}
    left: dict[str, Counter[str]] = {w: Counter() for w in cands}
    right: dict[str, Counter[str]] = {w: Counter() for w in cands}
    example: dict[str, str] = {}
    for runs in runs_by_doc:
        for run, before, after in runs:
            for n in range(2, max_len + 1):
                for i in range(len(run) - n + 1):
                    w = run[i:i + n]
                    if w in left:
                        left[w][run[i - 1] if i else before] += 1
                        right[w][run[i + n] if i + n < len(run) else after] += 1
                        example.setdefault(w, run[max(0, i - 8):i + n + 8])
    out = []
    for w in cands:
        le, re_ = _entropy(left[w]), _entropy(right[w])
        if min(le, re_) < min_entropy or not _unknown(segment(w), stop):
            continue
        out.append(WordCandidate(w, grams[w], docs[w], cohesion(w), le, re_, example[w]))
    out.sort(key=lambda c: (-c.score, c.word))
    return _drop_fragments(out)[:top]


def _unknown(pieces: list[str], stop: Container[str]) -> bool:
    # Cut into known words of two or more characters ("相关/部门"), it is a phrase the
    # dictionary already covers; a function word among the pieces ("帮/我") makes it one.
    return (len(pieces) >= 2 and any(len(p) == 1 for p in pieces)
            and not any(p in stop for p in pieces))


def _drop_fragments(cands: list[WordCandidate]) -> list[WordCandidate]:
    # A candidate inside a better-ranked one that occurs almost as often is its fragment.
    kept: list[WordCandidate] = []
    for c in cands:
        if not any(c.word in k.word and k.count >= 0.8 * c.count for k in kept):
            kept.append(c)
    return kept
