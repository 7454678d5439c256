"""Posts of a forum thread / Q&A page: the opening post and its replies.

On forum pages the replies are the content (complaints and eyewitness reports live there),
but article extractors keep one container, the first post at best. Forum software marks
every post body the same way, so posts are found as a set: first by the post-body markup
of the common engines (Discuz, phpwind, Tieba, Flarum, Discourse, Zhihu...), else as the
largest group of repeated, same-class blocks of unlinked text (comment lists of custom
sites and SPA forums).
"""

from __future__ import annotations

import re
from collections import defaultdict
from copy import deepcopy

from lxml.html import HtmlElement

from crawlers.extraction.density import block_text, drop_boilerplate

# Post-body markup of forum/Q&A engines, by class token. Generic to the engine, not a site:
# Discuz t_f / phpwind tpc_content / Tieba d_post_content / Flarum Post-body / Discourse
# cooked / Zhihu RichContent-inner / NodeBB-style post-content.
_ENGINE_CLASSES = frozenset({
    "t_f", "tpc_content", "d_post_content", "Post-body", "cooked", "RichContent-inner",
})
# Common but ambiguous names: on many sites they mark only the replies, not the opening
# post, so they are a reply group to add to the article text, never the whole thread.
_REPLY_CLASSES = frozenset({
    "post-content", "post_content", "reply-content", "reply_content", "comment-content",
    "comment_content", "answer-content", "answer-text", "best-text",
})
# Discuz and phpwind number post bodies by id (postmessage_123, read_123).
_ENGINE_ID = re.compile(r"^(?:postmessage_\d+|read_(?:tpc|\d+))$")
_MIN_POST_CHARS = 2
_MIN_GROUP = 2
_MAX_LINK_SHARE = 0.5
_INNER_SHARE = 0.5
_MAX_NAME_CHARS = 20


def _chars(text: str) -> int:
    return len("".join(text.split()))


def _link_chars(el: HtmlElement) -> int:
    return sum(_chars(a.text_content()) for a in el.iter("a"))


def _leading_name_chars(el: HtmlElement) -> int:
    """Characters of a short user-name link that opens ``el`` ("<a>name</a>: reply"), or 0.

    Comment lists link every author's name; in a short reply the name is a large share of
    the text, which would make a list of replies look like a list of links.
    """
    if _chars(el.text or ""):
        return 0
    for child in el.iter():
        if child is el or not isinstance(child.tag, str):
            continue
        if child.tag == "a":
            size = _chars(child.text_content())
            return size if 0 < size <= _MAX_NAME_CHARS else 0
        if _chars(child.text or ""):
            return 0
    return 0


def _outermost(els: list[HtmlElement]) -> list[HtmlElement]:
    """Drop members nested inside another member (a quote block inside a post)."""
    chosen = set(els)
    return [el for el in els if not any(a in chosen for a in el.iterancestors())]


def _marked(body: HtmlElement, classes: frozenset[str], ids: re.Pattern[str] | None
            ) -> list[HtmlElement]:
    found = [el for el in body.iter()
             if isinstance(el.tag, str)
             and ((ids is not None and ids.match(el.get("id") or ""))
                  or classes.intersection((el.get("class") or "").split()))]
    return _outermost(found)


def _letters(members: list[HtmlElement]) -> int:
    # Letters (CJK or Latin), not digits: post bodies are words, while the time stamps,
    # counters and vote numbers around them are mostly digits.
    return sum(ch.isalpha() for m in members for ch in m.text_content())


def _groups(body: HtmlElement) -> list[tuple[list[HtmlElement], float]]:
    """Same-class blocks as (members, score), link lists and lone blocks left out."""
    by_class: dict[tuple[str, str], list[HtmlElement]] = defaultdict(list)
    for el in body.iter():
        if isinstance(el.tag, str) and el.get("class"):
            by_class[(el.tag, " ".join(sorted(el.get("class").split())))].append(el)
    out = []
    for members in by_class.values():
        members = _outermost(members)
        if len(members) < _MIN_GROUP:
            continue
        text = sum(_chars(m.text_content()) for m in members)
        links = sum(_link_chars(m) - _leading_name_chars(m) for m in members)
        if not text or links / text > _MAX_LINK_SHARE:
            continue
        # Unlinked text, discounted by link share: lists of thread titles lose to posts.
        out.append((members, (text - links) * (1 - links / text)))
    return out


def _repeated_posts(body: HtmlElement) -> list[HtmlElement]:
    """The same-class blocks that together hold the most unlinked text.

    The winner is often a wrapper (avatar, name, time, buttons and the post body); of the
    groups nested inside it, one per post, the one with the most words is the post bodies.
    """
    groups = _groups(body)
    if not groups:
        return []
    best = max(groups, key=lambda g: g[1])[0]
    outer = set(best)
    inner = [members for members, _ in groups
             if members is not best and len(members) >= len(best)
             and all(any(a in outer for a in m.iterancestors()) for m in members)]
    # Of the nested groups that keep most of the words, the one with the fewest digits and
    # symbols around them is the post bodies.
    letters = _letters(best)
    inner = [g for g in inner if _letters(g) >= _INNER_SHARE * letters]
    if inner:
        return max(inner, key=lambda g: _letters(g) / max(1, sum(_chars(m.text_content())
                                                                  for m in g)))
    return best


def has_engine_markup(tree: HtmlElement) -> bool:
    """Whether the page carries post-body markup of a forum engine."""
    return any(isinstance(el.tag, str)
               and (_ENGINE_ID.match(el.get("id") or "")
                    or _ENGINE_CLASSES.intersection((el.get("class") or "").split()))
               for el in tree.iter())


def forum_posts(tree: HtmlElement) -> tuple[list[str], bool]:
    """Texts of the thread's posts in page order, and whether engine markup found them."""
    body = tree.find("body")
    if body is None:
        return [], False
    body = drop_boilerplate(deepcopy(body))
    posts = _marked(body, _ENGINE_CLASSES, _ENGINE_ID)
    engine = bool(posts)
    if not engine:
        posts = _repeated_posts(body)
    texts = [block_text(p) for p in posts]
    return [t for t in texts if _chars(t) >= _MIN_POST_CHARS], engine
