"""Main text of a page: trafilatura, cross-checked against the density extractor.

Measured on the development corpus (bench/extraction.py): trafilatura with
``favor_precision`` is the best single extractor on Chinese news, but on some portals it
returns the comment box or a link list instead of the article, and on many forum pages it
returns nothing. The density extractor (density.py) rarely fails that way. Both run; the
one with more prose (long punctuated lines) and less junk (short unpunctuated lines) wins,
with a tie margin in trafilatura's favour because its output is usually cleaner.
"""

from __future__ import annotations

import lxml.html
import trafilatura
from lxml.html import HtmlElement

from crawlers.extraction.bylines import drop_header_lines
from crawlers.extraction.density import density_text
from crawlers.extraction.forum import thread_posts
from crawlers.extraction.prune import drop_recommendations, unwrap_layout_tables
from crawlers.extraction.thread import looks_like_forum, thread_markers
from crawlers.extraction.trim import is_notice, tidy_lines, trim_edges

_SENTENCE_PUNCT = frozenset("，。！？；,!?;")
_JUNK_WEIGHT = 0.5
_TIE_MARGIN = 1.2
_MIN_CHARS = 50
_POSTS_COVER = 0.5
_SEEN_SHARE = 0.8
_MIN_HEADLINE = 6
_HEADLINE_CHARS = 40
_HEADLINE_BLOCK = 4
_TITLE_COVER = 0.8
_CLAUSE_PUNCT = frozenset("，。；,;")


def prose_score(text: str) -> float:
    """Characters in prose lines minus a share of characters in junk lines (disclaimers
    and copyright notices among them: punctuated, but no article's text)."""
    score = 0.0
    for line in text.split("\n"):
        size = len("".join(line.split()))
        if size >= 10 and any(ch in _SENTENCE_PUNCT for ch in line) and not is_notice(line):
            score += size
        else:
            score -= size * _JUNK_WEIGHT
    return score


def _trafilatura(html: str, url: str | None, forum: bool) -> str:
    options = {"favor_recall": True, "include_comments": True} if forum else {
        "favor_precision": True, "include_comments": False}
    try:
        # Given the markup rather than our tree: trafilatura prunes the tree it is handed and
        # measured slightly better parsing the page itself.
        text = trafilatura.extract(html, url=url, deduplicate=False, include_tables=True,
                                   **options)
    except Exception:  # noqa: BLE001 - a library failure on one page must not stop a crawl
        text = None
    return text or ""


def _squeeze(text: str) -> str:
    return "".join(text.split())


def _contained(post: str, seen: str) -> bool:
    """Whether (nearly) all lines of ``post`` are already in ``seen``: extractors render
    the same post with a line more or less, so whole-text containment is too strict."""
    lines = [_squeeze(line) for line in post.split("\n")]
    size = sum(len(line) for line in lines)
    found = sum(len(line) for line in lines if line in seen)
    return found >= _SEEN_SHARE * max(1, size)


def _thread_text(title: str, main: str, posts: list[str], engine: bool,
                 headers: dict[str, str]) -> str:
    """Title, opening post and replies.

    Engine markup marks every post, so its posts are the whole thread. A generic repeated
    group may miss the opening post, which the article extractor (``main``) usually
    found, so unseen posts are added to ``main`` - unless ``main`` is mostly those posts
    already, and its remainder is the page furniture around them. ``main`` read the
    same post blocks with their headers, so it loses them too (``headers`` are the names
    and times found in the posts' markup).
    """
    parts = posts
    if not engine:
        main = drop_header_lines(main, headers)
        seen = _squeeze(main)
        covered = sum(len(_squeeze(p)) for p in posts if _contained(p, seen))
        if covered < _POSTS_COVER * max(1, len(seen)):
            parts = [main, *(p for p in posts if not _contained(p, seen))]
    if title and not any(_squeeze(title) in _squeeze(p) for p in parts[:1]):
        parts = [title, *parts]
    return "\n".join(p for p in parts if p)


def main_text(tree: HtmlElement, html: str, url: str | None = None, title: str = "",
              heading: HtmlElement | None = None) -> str:
    text, thread = _main_text(tree, html, url, title, heading)
    text = trim_edges(tidy_lines(text))
    # A thread's text opens with its title on purpose (_thread_text); an article's
    # headline is the record's title already, and the labelled gold leaves it out.
    return text if thread else drop_headline(text, title)


def _heading_like(line: str) -> bool:
    """A headline's line: short, and no clause punctuation (headlines do use ！ and ？)."""
    text = _squeeze(line)
    return 0 < len(text) <= _HEADLINE_CHARS and not any(ch in _CLAUSE_PUNCT for ch in text)


def _is_title(line: str, title: str) -> bool:
    text, key = _squeeze(line), _squeeze(title)
    if text == key:
        return True
    # The page's headline ends a word longer or shorter than <title>'s ("...座谈会强调");
    # a line that adds a label in front ("原标题：...") is a line of the text.
    short, long_ = sorted((text, key), key=len)
    return long_.startswith(short) and len(short) >= _TITLE_COVER * len(long_)


def drop_headline(text: str, title: str) -> str:
    """``text`` without the headline it opens with: the line that is the headline
    ``title``, and the kicker lines (引题) before it - short heading lines, at most
    _HEADLINE_BLOCK lines in all. A subtitle or a column name after the headline stays:
    the labelled gold keeps those as often as not."""
    if len(_squeeze(title)) < _MIN_HEADLINE:
        # A very short title ("夜雨") is as likely a poem's or a notice's own heading,
        # which belongs to the text.
        return text
    lines = [line for line in text.split("\n") if line.strip()]
    for i, line in enumerate(lines[:_HEADLINE_BLOCK]):
        if _is_title(line, title):
            if i + 1 >= len(lines):
                return text  # nothing else: keep what there is
            return tidy_lines("\n".join(_drop_lines(text.split("\n"), i + 1)))
        if not _heading_like(line):
            break
    return text


def _drop_lines(lines: list[str], count: int) -> list[str]:
    """``lines`` without their first ``count`` non-blank lines."""
    for i, line in enumerate(lines):
        if count == 0:
            return lines[i:]
        if line.strip():
            count -= 1
    return []


def _main_text(tree: HtmlElement, html: str, url: str | None, title: str,
               heading: HtmlElement | None) -> tuple[str, bool]:
    """The main text, and whether it is a thread (title, opening post, replies)."""
    forum = looks_like_forum(url, tree)
    pruned = drop_recommendations(tree, heading)
    if pruned is not None:
        tree, html = pruned, lxml.html.tostring(pruned, encoding="unicode")
    flat = unwrap_layout_tables(tree)
    if flat is None:
        text = _article_text(tree, html, url, forum)
    else:
        # Forum engines mark posts inside tables, so only the article extractors get the
        # unwrapped copy; the post finder below keeps the tree as it is.
        text = _article_text(flat, lxml.html.tostring(flat, encoding="unicode"), url, forum)
    # A thread only by its markers (a blog or Q&A path that does not look like a forum):
    # the article text stands, and only time-stamped post blocks are added to it.
    marked = not forum and thread_markers(tree)
    if not (forum or marked):
        return text, False
    posts, engine, headers = thread_posts(tree, stamped_only=marked)
    if not posts:
        return text, forum
    return _thread_text(title, text, posts, engine, headers), True


def _article_text(tree: HtmlElement, html: str, url: str | None, forum: bool) -> str:
    primary = _trafilatura(html, url, forum)
    dense = density_text(tree)
    if len("".join(primary.split())) < _MIN_CHARS:
        # Precision mode found (almost) nothing: retry in recall mode with comments, which
        # is what rescues user-generated pages (comment lists, Q&A), then compare.
        if not forum:
            primary = _trafilatura(html, url, forum=True)
        return dense if prose_score(dense) > prose_score(primary) else primary
    if prose_score(dense) > _TIE_MARGIN * prose_score(primary):
        return dense
    return primary
