"""Feature extraction shared by the runtime models and their training scripts.

Training and scoring must produce identical features, so both go through ``extract``.
Inputs are the pipeline's jieba tokens plus the raw text (for character bigrams and
phrase lexicons); nothing here segments text again.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from analysis.lexicon import (
    CLAUSE_BREAKS,
    NEGATION_WINDOW,
    NEGATIVE_WORDS,
    NEGATORS,
    POSITIVE_WORDS,
    appeal_hits,
    grievance_hits,
)

# Long articles add little sentiment signal after the first screens of text, and a
# cap keeps scoring time bounded.
MAX_CHARS = 3000
MAX_TOKENS = 2000
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")

Features = dict[str, float]


def _norm_token(tok: str) -> str | None:
    tok = tok.strip()
    if not tok or tok in CLAUSE_BREAKS:
        return None
    if tok.isascii():
        # Numbers, dates and anonymised ids ("A3", "A00023583") carry no polarity; keep
        # only that a number was there. Lone letters are anonymised place prefixes.
        if any(ch.isdigit() for ch in tok):
            return "<num>"
        if len(tok) == 1 or not tok.isalpha():
            return None
        return tok.lower()
    return tok


def _char_bigrams(pieces: list[str], flags: list[bool], bag: set[str]) -> None:
    last = ""
    last_neg = False
    for piece, negated in zip(pieces, flags, strict=True):
        for ch in piece:
            if "\u4e00" <= ch <= "\u9fff":
                if last:
                    bag.add(("c!" if negated or last_neg else "c:") + last + ch)
                last, last_neg = ch, negated
            else:
                last = ""


@dataclass(frozen=True)
class Base:
    """The title-independent part of a document's features: computed once per document
    and shared by every model (sentiment, complaint, category)."""

    bag: frozenset[str]
    lex: dict[str, float]
    grievance: int
    appeal: int


def base_features(tokens: list[str], text: str) -> Base:
    bag: set[str] = set()
    pos = neg = notpos = notneg = 0
    negated_left = 0
    prev: str | None = None
    # Characters of the token stream with a negation flag, for char bigrams: "不满意"
    # must not fire the same "满意" bigram as "很满意".
    chars: list[str] = []
    flags: list[bool] = []
    n_chars = 0
    for raw in tokens[:MAX_TOKENS]:
        if n_chars < MAX_CHARS:
            neg_here = negated_left > 0 and raw not in NEGATORS
            chars.append(raw)
            flags.append(neg_here)
            n_chars += len(raw)
        if raw in CLAUSE_BREAKS or raw.strip() in CLAUSE_BREAKS:
            negated_left = 0
            prev = None
            continue
        tok = _norm_token(raw)
        if tok is None:
            continue
        negated = negated_left > 0
        if tok in NEGATORS:
            negated_left = NEGATION_WINDOW
            bag.add("w:" + tok)
        else:
            bag.add(("w:!" if negated else "w:") + tok)
            if tok in POSITIVE_WORDS:
                if negated:
                    notpos += 1
                else:
                    pos += 1
            elif tok in NEGATIVE_WORDS:
                if negated:
                    notneg += 1
                else:
                    neg += 1
            if negated:
                negated_left -= 1
        if prev is not None:
            bag.add("b:" + prev + "_" + tok)
        prev = tok
    _char_bigrams(chars, flags, bag)
    lex: dict[str, float] = {}
    for name, count in (("lex:pos", pos), ("lex:neg", neg), ("lex:notpos", notpos),
                        ("lex:notneg", notneg)):
        if count:
            lex[name] = math.log1p(count)
    head = text[:MAX_CHARS]
    return Base(frozenset(bag), lex, grievance_hits(head), appeal_hits(head))


def extract(
    tokens: list[str], text: str, title: str = "", title_prefix: str = "t:",
    base: Base | None = None,
) -> Features:
    """Sparse features of one document.

    Bag features (token unigrams and CJK char bigrams, both negation-marked, and token
    bigrams) are binary and L2-normalised so long news articles and one-line posts sit on the
    same scale. Lexicon features are log counts, deliberately not length-normalised.
    ``text`` feeds the phrase lexicons; ``title`` adds its char bigrams under
    ``title_prefix`` ("c:" merges them with the body's, for sources without titles).
    ``base`` (from ``base_features`` of the same tokens and text) saves recomputing the
    title-independent part when several models score one document.
    """
    b = base or base_features(tokens, text)
    bag = set(b.bag)
    for run in _CJK_RUN.findall(title[:200]):
        for i in range(len(run) - 1):
            bag.add(title_prefix + run[i : i + 2])

    feats: Features = {}
    if bag:
        v = 1.0 / math.sqrt(len(bag))
        feats = dict.fromkeys(bag, v)
    feats.update(b.lex)
    griev = b.grievance + grievance_hits(title)
    appeal = b.appeal + appeal_hits(title)
    if griev:
        feats["lex:grievance"] = math.log1p(griev)
    if appeal:
        feats["lex:appeal"] = math.log1p(appeal)
    return feats
