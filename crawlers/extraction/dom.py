"""Small lxml helpers shared by the date, title and text extractors."""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement, document_fromstring

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_SKIP_TEXT = frozenset({"script", "style", "noscript", "template", "title", "head"})
_WS = re.compile(r"\s+")


# Pages assembled from server-side includes carry the header fragment's own </body></html>
# before the article; libxml2 drops everything after an </html>, article included. Parsers
# close body and html at the end of input anyway, so the end tags are removed.
_END_TAGS = re.compile(r"</\s*(?:html|body)\s*>", re.IGNORECASE)


def repair_markup(html: str) -> str:
    """``html`` without end tags that make parsers stop early (see ``_END_TAGS``)."""
    return _END_TAGS.sub("", html)


def parse_html(html: str) -> HtmlElement | None:
    """Parse decoded HTML; None for empty or unparseable input (never raises)."""
    # lxml refuses str input that still carries an encoding declaration.
    html = repair_markup(_XML_DECL.sub("", html, count=1))
    if not html.strip():
        return None
    try:
        return document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def squash(text: str | None) -> str:
    return _WS.sub(" ", text or "").strip()


def meta_content(tree: HtmlElement, *keys: str) -> str | None:
    """Content of the first meta tag (by name/property) among ``keys``, in key order."""
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or "").strip().lower()
        content = squash(meta.get("content"))
        if key and content and key not in found:
            found[key] = content
    return next((found[k] for k in keys if k in found), None)


def html_title(tree: HtmlElement) -> str:
    node = tree.find(".//title")
    return squash(node.text_content()) if node is not None else ""


def _overlap(a: str, b: str) -> float:
    """Share of the characters of ``a`` that also occur in ``b`` (cheap fuzzy match)."""
    if not a:
        return 0.0
    pool = set(b)
    return sum(ch in pool for ch in a) / len(a)


# Where a headline sits when it is not in a heading: <div class="h-title">, <span
# class="Title">, <td class="biaoti"> of government CMS templates.
_TITLE_ATTR = re.compile(r"title|biaoti|headline", re.IGNORECASE)
_HEADING_BONUS = {"h1": 0.15, "h2": 0.05}


def article_title_meta(tree: HtmlElement) -> str | None:
    """The headline from meta tags: ArticleTitle is required on Chinese government sites
    (政府网站发展指引); og:title elsewhere."""
    return meta_content(tree, "articletitle", "og:title", "twitter:title")


# Share widgets and hidden blocks repeat the whole <title>, site name and all.
_NOT_TITLE = re.compile(r"share|display:\s*none", re.IGNORECASE)


def _title_candidates(tree: HtmlElement) -> list[HtmlElement]:
    out = []
    for el in tree.iter():
        if not isinstance(el.tag, str) or el.tag in _SKIP_TEXT or el.tag == "a":
            continue
        key = " ".join(filter(None, (el.get("class"), el.get("id"))))
        if _NOT_TITLE.search(f"{key} {el.get('style') or ''}"):
            continue
        if el.tag in ("h1", "h2", "h3", "h4", "h5", "h6") or (
                _TITLE_ATTR.search(key) and el.find(".//a") is None):
            if 4 <= len(squash(el.text_content())) <= 120:
                out.append(el)
    return out


def find_title_element(tree: HtmlElement) -> HtmlElement | None:
    """The element that holds the article title.

    Sites use h1 for their logo as often as for the headline, so the heading whose text
    best matches ``<title>`` / og:title wins - and best covers the headline part of them,
    so that a logo heading matching the site-name part of ``<title>`` loses. A heading
    that matches nothing is only taken when it is the sole h1.
    """
    meta = article_title_meta(tree)
    reference = " ".join(filter(None, (meta, html_title(tree))))
    headline = meta or _first_segment(html_title(tree))
    best, best_score = None, 0.0
    candidates = _title_candidates(tree)
    for rank, el in enumerate(candidates):
        text = squash(el.text_content())
        if len(text) < 6 or not reference:
            continue
        found = _overlap(text, reference) + _HEADING_BONUS.get(el.tag, 0.0)
        covered = _overlap(squash(headline), text)
        score = found + 0.5 * covered - rank * 0.001
        if found >= _FOUND and covered >= _COVERED and score > best_score:
            best, best_score = el, score
    if best is not None:
        return best
    h1s = [el for el in candidates if el.tag == "h1"]
    return h1s[0] if len(h1s) == 1 else None


_FOUND = 0.75  # of the element's characters, at least, in <title> / meta titles
_COVERED = 0.5  # of the headline's characters, at least, in the chosen element
_SEGMENTS = re.compile(r"\s*(?:_|\||｜| - | – | — |--|——)\s*")


def _first_segment(title: str) -> str:
    parts = [p for p in _SEGMENTS.split(title) if p.strip()]
    return parts[0] if parts else title


def visible_text_after(tree: HtmlElement, anchor: HtmlElement | None, limit: int) -> str:
    """Up to ``limit`` characters of visible text that follows ``anchor`` (or the body)."""
    start = anchor if anchor is not None else tree.find("body")
    if start is None:
        start = tree
    parts: list[str] = []
    size = 0
    passed = anchor is None
    root = tree if anchor is not None else start
    for el in root.iter():
        if el is start:
            passed = True
            if anchor is not None:  # skip the title itself, keep what follows it
                if el.tail:
                    parts.append(el.tail)
                continue
        if not passed:
            continue
        if isinstance(el.tag, str) and el.tag not in _SKIP_TEXT and el.text:
            parts.append(el.text)
            size += len(el.text)
        if el.tail and el is not start:
            parts.append(el.tail)
            size += len(el.tail)
        if size >= limit:
            break
    return squash(" ".join(parts))[:limit]


# A list row is a link title and a little more (its date, a count); longer lines are
# read as text even when they hold a link.
_LINK_LINE_CHARS = 80
_LINK_COVER = 0.6


def linked_line_share(tree: HtmlElement, text: str) -> float:
    """Share of the characters of ``text`` in lines that are mostly the text of one link.

    An article's lines are paragraphs; a channel index or a board's thread list, which an
    extractor also turns into 'main text', is a column of link titles (with a date or a
    count beside each). On the development corpus the three such pages score 0.76 or more,
    and no article or thread page more than 0.12.
    """
    anchors = {t for a in tree.iter("a") if len(t := "".join(a.text_content().split())) >= 4}
    total = linked = 0
    for raw in text.split("\n"):
        line = "".join(raw.split())
        total += len(line)
        if line in anchors:
            linked += len(line)
        elif len(line) <= _LINK_LINE_CHARS:
            best = max((len(t) for t in anchors if t in line), default=0)
            if best >= _LINK_COVER * len(line):
                linked += len(line)
    return linked / total if total else 0.0
