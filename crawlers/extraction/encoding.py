"""Decode raw HTML bytes into text, treating declared charsets as hints to verify.

Chinese sites lie about their encoding all the time: pages re-saved as UTF-8 keep their
old ``<meta charset=gb2312>``, servers send ``charset=utf-8`` for GBK pages, and GB2312
pages routinely use characters that only exist in GBK. So every declared charset is only
a candidate; each candidate is decoded and scored, and the best-scoring one wins.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

# Decode with the superset: GB2312 and GBK pages use GBK/GB18030-only characters in the
# wild, and GB18030 decodes every valid GB2312/GBK byte sequence identically.
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "euc-cn": "gb18030",
    "hz-gb-2312": "gb18030",
    "gb18030": "gb18030",
    "big5": "big5",
    "big5-hkscs": "big5",
    "big5hkscs": "big5",
    "cp950": "big5",
    "x-x-big5": "big5",
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "ascii": "utf-8",  # ASCII labels are almost always wrong for CJK pages; UTF-8 is a superset
    "us-ascii": "utf-8",
    "iso-8859-1": "windows-1252",  # what browsers actually do (WHATWG)
    "latin1": "windows-1252",
    "latin-1": "windows-1252",
}

# The codec actually used for a normalised name: Big5 pages in the wild contain HKSCS and
# cp950 extensions; big5hkscs is the broadest Python codec for that family.
_CODEC = {"big5": "big5hkscs"}

_META_RE = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE
)
_XML_DECL_RE = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)""", re.I)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def normalize_encoding(name: str | None) -> str | None:
    """Map a charset label to the canonical name we decode with, or None if unknown."""
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    if label in _ALIASES:
        return _ALIASES[label]
    try:
        canonical = codecs.lookup(label).name
    except LookupError:
        return None
    return _ALIASES.get(canonical, canonical)


def codec_for(name: str) -> str:
    """The Python codec that decodes a normalised name the way ``decode_html`` does."""
    return _CODEC.get(name, name)


@lru_cache(maxsize=1)
def _common_hanzi() -> frozenset[str]:
    """Frequent characters of both scripts: GB2312 level 1 plus Big5 level 1.

    Text decoded with the wrong CJK codec still decodes, but into rare characters, kana and
    symbols; the share of frequent characters is what tells a right decoding from a wrong one.
    """
    chars: set[str] = set()
    for lead in range(0xB0, 0xD8):  # GB2312 level-1 hanzi (3755 most frequent)
        for trail in range(0xA1, 0xFF):
            try:
                chars.add(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    for lead in range(0xA4, 0xC7):  # Big5 level-1 (frequent) hanzi
        for trail in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
            try:
                chars.add(bytes((lead, trail)).decode("big5"))
            except UnicodeDecodeError:
                pass
    # Full-width punctuation is common in any correctly decoded Chinese text.
    chars.update("，。、；：？！“”‘’（）《》【】…—·　")
    return frozenset(chars)


def _score(text: str) -> float:
    """Higher is better: frequent hanzi count for, replacement/rare/odd characters against."""
    common = _common_hanzi()
    good = bad = 0
    for ch in text:
        if ch < "\x80":
            continue
        if ch in common:
            good += 1
        elif ch == "\ufffd":
            bad += 4
        else:
            cp = ord(ch)
            # Rare hanzi, kana, Hangul, box drawing, private use, C1 controls: these are what
            # a wrong CJK codec produces. (Accented Latin and emoji are neutral.)
            if (
                0x3040 <= cp <= 0x30FF
                or 0x3400 <= cp <= 0x9FFF
                or 0xAC00 <= cp <= 0xD7AF
                or 0x2500 <= cp <= 0x25FF
                or 0xE000 <= cp <= 0xF8FF
                or 0x80 <= cp <= 0x9F
            ):
                bad += 1
    return good - 2 * bad


def _declared(body: bytes) -> str | None:
    head = body[:4096]
    match = _META_RE.search(head) or _XML_DECL_RE.search(head)
    return match.group(1).decode("ascii", "ignore") if match else None


def decode_html(body: bytes, header_encoding: str | None = None) -> tuple[str, str]:
    """Decode ``body`` and return ``(text, normalised encoding name)``; never raises."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(name if name != "utf-8" else "utf-8", "replace"), name

    hints = [normalize_encoding(header_encoding), normalize_encoding(_declared(body))]
    hints = [h for h in hints if h]

    if body.isascii():
        # Every ASCII-compatible label decodes this identically; keep the declared one.
        name = next((h for h in hints if h not in ("utf-16", "utf-32")), "utf-8")
        return body.decode("ascii"), name

    # Valid multi-byte UTF-8 is practically never produced by another encoding by accident,
    # so strict success beats any declaration (re-saved pages keep stale gb2312 metas).
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass

    candidates: list[str] = []
    for name in [*hints, "gb18030", "big5", "utf-8"]:
        if name not in candidates:
            candidates.append(name)
    try:  # a statistical guess only adds a candidate; it never overrules the scoring
        from charset_normalizer import from_bytes

        best = from_bytes(body[:65536]).best()
        guess = normalize_encoding(best.encoding) if best else None
        if guess and guess not in candidates:
            candidates.append(guess)
    except Exception:  # noqa: BLE001 - detection is best-effort, decoding must not fail
        pass

    best_name, best_text, best_score = "utf-8", "", float("-inf")
    for rank, name in enumerate(candidates):
        try:
            text = body.decode(codec_for(name), "replace")
        except (LookupError, ValueError):
            continue
        # Slight preference for earlier (declared) candidates to break near-ties.
        score = _score(text) - rank * 0.5
        if score > best_score:
            best_name, best_text, best_score = name, text, score
    return best_text, best_name
