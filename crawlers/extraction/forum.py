"""Posts of a forum thread / Q&A page: the opening post and its replies.

On forum pages the replies are the content (complaints and eyewitness reports live there),
but article extractors keep one container, the first post at best. Forum software marks
every post body the same way, so posts are found as a set: first by the post-body markup
of the common engines (Discuz, phpwind, Tieba, Flarum, Discourse, Zhihu...), else as the
largest group of repeated, same-class blocks of unlinked text (comment lists of custom
sites and SPA forums), with every body group inside those blocks (comments and the
replies nested under them are often marked differently).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from copy import deepcopy
from typing import NamedTuple

from lxml.html import HtmlElement

from crawlers.extraction.bylines import drop_header_lines, mark_headers
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
_MAX_NAME_CHARS = 20
_MIN_BODY_SHARE = 0.05
_DISTINCT_SHARE = 0.9
_INNER_SHARE = 0.5
_RATIO_SLACK = 0.1
_SIBLING_SIZE = 0.3
# Post times: dates, clock times and relative times (3小时前, 1周前, 昨天).
_STAMP = re.compile(
    r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}|\d{1,2}[-/]\d{1,2}\s+\d{1,2}:\d{2}|\d{1,2}:\d{2}"
    r"|\d+\s*(?:秒|分钟|小时|天|周|个月|月|年)前|刚刚|昨天|前天"
)


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


def _stamped(members: list[HtmlElement]) -> bool:
    """Whether most members show a time stamp: every post and reply carries one."""
    return sum(bool(_STAMP.search(m.text_content())) for m in members) * 2 > len(members)


def _repeats(members: list[HtmlElement]) -> bool:
    """Whether members repeat their text: bylines, locations and role labels do, replies
    rarely do."""
    texts = ["".join(m.text_content().split()) for m in members]
    return len(set(texts)) < min(len(texts), math.ceil(_DISTINCT_SHARE * len(texts)))


def _inside(members: list[HtmlElement], outer: set[HtmlElement]) -> bool:
    return all(any(a in outer for a in m.iterancestors()) for m in members)


def _link_heavy(members: list[HtmlElement]) -> bool:
    text = sum(_chars(m.text_content()) for m in members)
    return sum(_link_chars(m) for m in members) > _MAX_LINK_SHARE * max(1, text)


def _overlaps(members: list[HtmlElement], taken: set[HtmlElement]) -> bool:
    return any(m in taken or any(a in taken for a in m.iterancestors())
               or any(d in taken for d in m.iterdescendants()) for m in members)


def _ratio(members: list[HtmlElement]) -> float:
    return _letters(members) / max(1, sum(_chars(m.text_content()) for m in members))


def _mean_chars(members: list[HtmlElement]) -> float:
    return sum(_chars(m.text_content()) for m in members) / max(1, len(members))


def _body_like(members: list[HtmlElement]) -> bool:
    """Post bodies carry no time stamp (that sits in the post header), do not repeat their
    text (bylines, places and role labels do) and are not lists of name links."""
    return not (_stamped(members) or _repeats(members) or _link_heavy(members))


def _sibling_bodies(best: list[HtmlElement], first: list[HtmlElement],
                    inner: list[list[HtmlElement]]) -> list[HtmlElement]:
    """``first`` and the body groups beside it in the same post blocks.

    Top-level comments and the replies nested under them are often marked differently
    (comment-text / reply-content), so one group would lose the other. A sibling body
    group is as wordy as ``first``, not much shorter per post (user names are) and
    ``_body_like``.
    """
    floor, ratio = _MIN_BODY_SHARE * _letters(best), _ratio(first) - _RATIO_SLACK
    size = _SIBLING_SIZE * _mean_chars(first)
    chosen, taken = list(first), set(first)
    for group in sorted(inner, key=_letters, reverse=True):
        if (group is first or _letters(group) < floor or _ratio(group) < ratio
                or _mean_chars(group) < size or not _body_like(group)
                or _overlaps(group, taken)):
            continue
        chosen.extend(group)
        taken.update(group)
    return chosen


def _repeated_posts(body: HtmlElement, stamped_only: bool = False
                    ) -> tuple[list[HtmlElement], set[HtmlElement]]:
    """The same-class blocks that together hold the most unlinked text.

    The winner is often a wrapper (avatar, name, time, buttons and the post body); of the
    groups nested inside it, the one with the fewest digits and symbols around its words
    is the post bodies, joined by the other body groups beside it, if together they keep
    most of the words. With ``stamped_only`` only blocks that show a time stamp count as
    posts: on a page that is a thread by its markers alone, the article extractor has the
    article, and repeated code blocks or paragraphs in it must not pass for replies.
    Also returns which of them are whole post blocks (header and body) rather than bodies.
    """
    groups = _groups(body)
    if stamped_only:
        stamped = [g for g in groups if _stamped(g[0])]
        groups = [g for g in groups
                  if any(o is g[0] or _inside(g[0], set(o)) for o, _ in stamped)]
        pool = stamped
    else:
        pool = groups
    if not pool:
        return [], set()
    best = max(pool, key=lambda g: g[1])[0]
    outer = set(best)
    inner = [members for members, _ in groups
             if members is not best and _inside(members, outer)]
    letters = _letters(best)
    # Preferred: one body per post block that holds most of the words on its own, the
    # one with the fewest digits and symbols around them. Else the wordiest body group
    # that does so together with its sibling body groups, even if some post blocks lack
    # it (deleted or empty replies, an opening post marked differently).
    alone = [g for g in inner if len(g) >= len(best) and _letters(g) >= _INNER_SHARE * letters]
    joined = sorted((g for g in inner if len(g) >= _INNER_SHARE * len(best) and _body_like(g)),
                    key=_letters, reverse=True)
    for first in ([max(alone, key=_ratio)] if alone else []) + joined:
        bodies = _sibling_bodies(best, first, inner)
        if _letters(bodies) < _INNER_SHARE * letters:
            continue
        # A post block holding none of the bodies (an opening post marked unlike the
        # replies) is kept whole rather than lost.
        found = set(bodies)
        whole = [m for m in best if not any(d in found for d in m.iterdescendants())]
        order = {el: i for i, el in enumerate(body.iter())}
        return sorted(bodies + whole, key=order.__getitem__), set(whole)
    return best, set(best)


class Posts(NamedTuple):
    texts: list[str]
    # Engine markup found the posts (their texts are the whole thread).
    engine: bool
    # Header texts (names, times) taken out of the posts, by kind (see bylines).
    headers: dict[str, str]


def thread_posts(tree: HtmlElement, stamped_only: bool = False) -> Posts:
    """The thread's posts in page order, without their headers.

    ``stamped_only``: take only blocks that show a time stamp as posts (see
    ``_repeated_posts``)."""
    body = tree.find("body")
    if body is None:
        return Posts([], False, {})
    body = drop_boilerplate(deepcopy(body))
    posts = _marked(body, _ENGINE_CLASSES, _ENGINE_ID)
    engine = bool(posts)
    whole: set[HtmlElement] = set()
    if not engine:
        posts, whole = _repeated_posts(body, stamped_only)
    # Who posted is not what was posted (and the project keeps no names): header parts
    # go before the text is read, and so do header lines nobody marked.
    headers: dict[str, str] = {}
    for post in posts:
        for text, kind in mark_headers(post, leading_link=post in whole).items():
            headers.setdefault(text, kind)
    texts = [drop_header_lines(block_text(p)) for p in posts]
    return Posts([t for t in texts if _chars(t) >= _MIN_POST_CHARS], engine, headers)


def forum_posts(tree: HtmlElement, stamped_only: bool = False) -> tuple[list[str], bool]:
    """Texts of the thread's posts in page order, and whether engine markup found them."""
    found = thread_posts(tree, stamped_only)
    return found.texts, found.engine
