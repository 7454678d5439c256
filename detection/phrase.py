"""One word as a phrase of the raw title/text: in process and in Elasticsearch, alike.

The fields' standard analyzer makes each Chinese character a token, a run of Latin letters
and digits one lower-cased token, and drops punctuation and spaces. So ``水质发黄`` finds
水质，发黄, ``wifi`` finds WiFi, and ``G1`` is not found in G15. Full-width letters and
digits (全角, typed by Chinese IMEs) match their half-width forms: the process folds them,
the query asks for both forms (the node has no folding filter).

Traditional characters match their simplified forms (``analysis.simplify``): the stored
text stays as published, so the process reads text and word simplified, and the query
gives each character position every spelling the table reads as the same simplified
character (镇 → 镇|鎮), in an ``intervals`` query (core Elasticsearch, no plugin) with
the positions in order and no gaps. A word none of whose characters has a traditional
spelling (most words) stays a plain phrase query, which is cheaper.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from analysis.simplify import spellings, to_simplified

# Full-width ASCII (U+FF01..FF5E) and the ideographic space, to their half-width forms.
_HALF = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20}
_FULL = {0x21 + i: 0xFF01 + i for i in range(94)}
_SEP = "\x1f"  # between tokens: never inside one

# Characters the standard tokenizer makes a token each: Han (with its extensions and
# compatibility block) and Hiragana. Enclosed numbers (①) it drops.
_SINGLE = "\u3040-\u309f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
_W = f"[^\\W{_SINGLE}\u2460-\u24ff]"
# A run of letters/digits, joined by an inner ./' (pm2.5, c's) or ,; between digits (1,000).
_TOKEN_RE = re.compile(f"[{_SINGLE}]|{_W}+(?:(?:[.'\u2019]|(?<=\\d)[,;](?=\\d)){_W}+)*")
_HAN = re.compile(f"[{_SINGLE}]")


def tokens(text: str) -> list[str]:
    """An approximation of Lucene's standard tokenizer and lowercase filter (UAX #29),
    full-width forms folded and traditional characters simplified first (the table maps
    Han to Han only, so tokens keep their boundaries)."""
    return _TOKEN_RE.findall(to_simplified(text).translate(_HALF).lower())


@lru_cache(maxsize=64)  # a text is matched against every scheme in turn
def joined(text: str) -> str:
    return _SEP + _SEP.join(tokens(text)) + _SEP


@lru_cache(maxsize=4096)  # a scheme's words, searched for in every item
def _needle(word: str) -> str | None:
    toks = tokens(word)
    return _SEP + _SEP.join(toks) + _SEP if toks else None


def has(word: str, fields: tuple[str, ...]) -> bool:
    """``fields``: texts passed through ``joined``. A phrase never spans two fields
    (title, text), as a per-field phrase query."""
    needle = _needle(word)
    return needle is not None and any(needle in f for f in fields)


def _widths(text: str) -> list[str]:
    half = text.translate(_HALF)
    return list(dict.fromkeys((half, half.translate(_FULL))))


def _any(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return rules[0] if len(rules) == 1 else {"any_of": {"intervals": rules}}


def _positions(word: str) -> list[list[str]] | None:
    """Each token's accepted spellings, or None when every token has just one spelling
    in Chinese (a plain phrase query then does)."""
    out = [list(spellings(t)) if _HAN.fullmatch(t) else _widths(t) for t in tokens(word)]
    if all(len(s) == 1 or not _HAN.fullmatch(s[0]) for s in out):
        return None
    return out


def phrase_query(word: str, field: str, boost: float | None = None) -> dict[str, Any]:
    """``word`` as a phrase of ``field`` in whatever width and script it was written."""
    positions = _positions(word)
    if positions is None:
        forms = [{"match_phrase": {field: {"query": f, **({"boost": boost} if boost else {})}}}
                 for f in _widths(word)]
        return forms[0] if len(forms) == 1 else {
            "bool": {"should": forms, "minimum_should_match": 1}}
    # Each rule analyses its text with the field's analyzer; ordered and gapless, so a
    # Latin run the standard tokenizer splits differently still reads as a phrase.
    rules = [_any([{"match": {"query": s, **({"ordered": True, "max_gaps": 0}
                                             if len(s) > 1 else {})}} for s in alts])
             for alts in positions]
    rule = rules[0] if len(rules) == 1 else {
        "all_of": {"intervals": rules, "ordered": True, "max_gaps": 0}}
    return {"intervals": {field: {**rule, **({"boost": boost} if boost else {})}}}


def word_query(word: str, fields: tuple[str, ...] = ("title", "text")) -> dict[str, Any]:
    """``word`` as a phrase of any of ``fields`` (never spanning two)."""
    if _positions(word) is None:
        forms = [{"multi_match": {"query": f, "type": "phrase", "fields": list(fields)}}
                 for f in _widths(word)]
        return forms[0] if len(forms) == 1 else {
            "bool": {"should": forms, "minimum_should_match": 1}}
    return {"bool": {"should": [phrase_query(word, f) for f in fields],
                     "minimum_should_match": 1}}
