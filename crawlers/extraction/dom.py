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


def find_title_element(tree: HtmlElement) -> HtmlElement | None:
    """The heading that holds the article title.

    Sites use h1 for their logo as often as for the headline, so the heading whose text
    best matches ``<title>`` / og:title wins; a heading that matches nothing is only taken
    when it is the sole h1.
    """
    reference = " ".join(filter(None, (meta_content(tree, "og:title"), html_title(tree))))
    best, best_score = None, 0.0
    headings = [h for h in tree.iter("h1", "h2", "h3") if 4 <= len(squash(h.text_content())) <= 120]
    for rank, heading in enumerate(headings):
        text = squash(heading.text_content())
        score = _overlap(text, reference) if reference else 0.0
        score += {"h1": 0.15, "h2": 0.05}.get(heading.tag, 0.0) - rank * 0.001
        if len(text) >= 6 and score > best_score:
            best, best_score = heading, score
    if best is not None and best_score >= 0.75:
        return best
    h1s = [h for h in headings if h.tag == "h1"]
    return h1s[0] if len(h1s) == 1 else None


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
