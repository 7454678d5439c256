"""GNE-style text-density extraction of the main body from the DOM.

Chinese news pages put the article in one container full of long, punctuated, unlinked
text; navigation, lists of related links and footers are short, link-heavy and have little
punctuation. Scoring every container by text density (non-link text per tag), symbol
density (text per punctuation mark) and paragraph count finds the article container even
where trafilatura's tag-based rules find little (pages built of bare ``<div>``s).
Reference: Hong et al., "基于文本及符号密度的网页正文提取方法" (the method behind GNE).
"""

from __future__ import annotations

import math
from copy import deepcopy

from lxml.html import HtmlElement

_DROP = ("script", "style", "noscript", "iframe", "button", "select", "textarea",
         "svg", "canvas", "template", "header", "footer", "nav", "aside", "input")
# Forms are search boxes, logins and report dialogs, except where a CMS wraps the article
# (VSB's _newscontent_fromname) or an ASP.NET page wraps the whole page in one: a form
# holding a few paragraphs of prose is kept.
_FORM_PROSE_CHARS = 200
_PROSE_LINE = 30
_BLOCK = frozenset({"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
                    "blockquote", "section", "article", "pre", "dd", "dt", "table", "ul", "ol"})
_PUNCT = frozenset("，。！？；：、“”‘’（）《》,.!?;:\"'()…—")


class _Stats:
    __slots__ = ("text", "link_text", "tags", "link_tags", "punct", "paras")

    def __init__(self) -> None:
        self.text = self.link_text = self.tags = self.link_tags = self.punct = self.paras = 0


def _own_text(el: HtmlElement) -> str:
    return (el.text or "") if isinstance(el.tag, str) else ""


def _collect(root: HtmlElement) -> dict[HtmlElement, _Stats]:
    """One post-order pass: subtree counts for every element."""
    stats: dict[HtmlElement, _Stats] = {}

    def visit(el: HtmlElement, in_link: bool) -> _Stats:
        s = _Stats()
        is_link = in_link or el.tag == "a"
        own = "".join(_own_text(el).split())
        s.text = len(own)
        s.punct = sum(ch in _PUNCT for ch in own)
        s.link_text = s.text if is_link else 0
        s.tags = 1
        s.link_tags = 1 if el.tag == "a" else 0
        s.paras = 1 if el.tag == "p" else 0
        for child in el:
            if not isinstance(child.tag, str):
                continue
            c = visit(child, is_link)
            tail = "".join((child.tail or "").split())
            s.text += c.text + len(tail)
            s.link_text += c.link_text + (len(tail) if is_link else 0)
            s.punct += c.punct + sum(ch in _PUNCT for ch in tail)
            s.tags += c.tags
            s.link_tags += c.link_tags
            s.paras += c.paras
        stats[el] = s
        return s

    visit(root, False)
    return stats


def _score(s: _Stats) -> float:
    plain = s.text - s.link_text
    if plain <= 0:
        return 0.0
    text_density = plain / max(1, s.tags - s.link_tags)
    symbol_density = plain / (s.punct + 1)
    # Density alone prefers a single long <p>; the paragraph and plain-text factors make
    # the whole article container beat any one paragraph inside it.
    return (text_density * math.log(symbol_density + 1) * math.log10(s.paras + 2)
            * math.log(plain + 1))


def block_text(el: HtmlElement) -> str:
    """Visible text of ``el`` with a line break at each block element."""
    parts: list[str] = []

    def walk(node: HtmlElement) -> None:
        if not isinstance(node.tag, str):
            return
        block = node.tag in _BLOCK
        if block:
            parts.append("\n")
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            parts.append("\n")

    walk(el)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


_INLINE = frozenset({"span", "strong", "b", "em", "i", "font", "u", "a", "sup", "sub", "small",
                     "big", "code", "mark", "label", "abbr", "cite", "q", "s", "del", "ins"})
_SCORED = frozenset({"p", "pre", "td", "li", "div", "section", "blockquote", "article",
                     "span", "font", "dd"})


def _inline_text(el: HtmlElement) -> str:
    """Text of ``el`` itself, including inline children but not nested blocks."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag in _INLINE:
            parts.append(_inline_text(child))
        parts.append(child.tail or "")
    return "".join("".join(parts).split())


def _paragraph_votes(body: HtmlElement) -> dict[HtmlElement, float]:
    """Readability-style voting: each paragraph of prose votes for its parent and
    grandparent, so the container holding most prose wins, however its tags are nested."""
    votes: dict[HtmlElement, float] = {}
    for el in body.iter(*_SCORED):
        text = _inline_text(el)
        if len(text) < 10 or any(a.tag == "a" for a in el.iterancestors()):
            continue
        punct = sum(ch in _PUNCT for ch in text)
        score = 1 + punct + min(len(text) / 100, 3)
        parent = el.getparent()
        if parent is not None:
            votes[parent] = votes.get(parent, 0.0) + score
            grand = parent.getparent()
            if grand is not None:
                votes[grand] = votes.get(grand, 0.0) + score / 2
    return votes


def drop_boilerplate(body: HtmlElement) -> HtmlElement:
    """Remove scripts, forms and page chrome from ``body`` in place; returns it."""
    for el in list(body.iter(*_DROP)):
        if el.getparent() is not None:
            el.drop_tree()
    for form in list(body.iter("form")):
        if form.getparent() is not None and _prose_chars(form) < _FORM_PROSE_CHARS:
            form.drop_tree()
    return body


def _prose_chars(el: HtmlElement) -> int:
    """Characters in paragraphs of prose (30+ characters with a comma or full stop)."""
    total = 0
    for block in el.iter(*_SCORED):
        text = _inline_text(block)
        if len(text) >= _PROSE_LINE and ("，" in text or "。" in text):
            total += len(text)
    return total


def density_text(tree: HtmlElement) -> str:
    """Main text of the best prose container, or "" when the page has none."""
    body = tree.find("body")
    if body is None:
        return ""
    body = drop_boilerplate(deepcopy(body))
    try:
        stats = _collect(body)
    except RecursionError:  # absurdly deep DOMs: give up on this fallback, not the page
        return ""
    best, best_score = None, 0.0
    for el, vote in _paragraph_votes(body).items():
        s = stats.get(el)
        if s is None or el.tag == "body" or s.text == 0:
            continue
        link_density = s.link_text / s.text
        # Density still matters: of two containers with the same prose, the one with less
        # link text and more punctuation per character is the article.
        score = vote * (1 - link_density) * (1 + math.log1p(_score(s)) / 10)
        if score > best_score:
            best, best_score = el, score
    return block_text(best) if best is not None else ""
