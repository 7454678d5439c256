"""Remove recommendation and related-story blocks before the main text is chosen.

Portals and infinite-scroll readers (更多文章, 推荐, 相关新闻) put whole other stories, with
summaries long enough to look like prose, next to the article; extractors then append them
to it. Such blocks are named for what they are in their class or id in every CMS we have
seen, so they are dropped by name - unless the block holds the article's own headline,
because some templates name the whole article column "related-wrapper" or similar.
"""

from __future__ import annotations

import re
from copy import deepcopy

from lxml.html import HtmlElement

_RECOMMEND = re.compile(
    r"(?:^|[-_\s])(?:recommend\w*|related\w*|relate|more-?stories|morestories|more-?news|"
    r"hot-?news|hotnews|guess\w*|youlike|you-?may-?like|tuijian|xiangguan|xgyd|tjyd)"
    r"(?:$|[-_\s])",
    re.IGNORECASE,
)


def _key(el: HtmlElement) -> str:
    # camelCase (moduleMoreStories) compared in lower case with word edges kept.
    raw = " ".join(filter(None, (el.get("class"), el.get("id"))))
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "-", raw)


def drop_recommendations(tree: HtmlElement, keep: HtmlElement | None) -> HtmlElement | None:
    """A copy of ``tree`` without recommendation blocks, or None when it has none."""
    body = tree.find("body")
    if body is None:
        return None
    marked = [el for el in body.iter() if isinstance(el.tag, str) and _RECOMMEND.search(_key(el))]
    if keep is not None:
        protected = {keep, *keep.iterancestors()}
        marked = [el for el in marked if el not in protected]
    if not marked:
        return None
    # Mark by path, then drop in a copy: the caller's tree is shared with the date and
    # title extractors, which must still see the whole page.
    paths = [tree.getroottree().getpath(el) for el in marked]
    copy = deepcopy(tree)
    root = copy.getroottree()
    # Resolve every path before dropping anything: positional paths of later siblings
    # shift once an earlier sibling is gone.
    targets = [found[0] for found in map(root.xpath, paths) if found]
    for el in _outermost(targets):
        if el.getparent() is not None:
            el.drop_tree()
    return copy


def _outermost(els: list[HtmlElement]) -> list[HtmlElement]:
    chosen = set(els)
    return [el for el in els if not any(a in chosen for a in el.iterancestors())]
