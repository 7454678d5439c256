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

from crawlers.extraction.density import block_text

_RECOMMEND = re.compile(
    r"(?:^|[-_\s])(?:recommend\w*|related\w*|relate|more-?stories|morestories|more-?news|"
    r"hot-?news|hotnews|guess\w*|youlike|you-?may-?like|tuijian|xiangguan|xgyd|tjyd)"
    r"(?:$|[-_\s])",
    re.IGNORECASE,
)

# Video/audio players: their controls, error messages and duration stamps ("倍速", "时长：
# 01:45", "当前视频播放失败") read as short text lines next to the article. Named for what
# they are; dropped only when they hold no prose, since some templates put a video's
# description inside the player box.
_MEDIA = re.compile(r"(?:^|[-_\s])(?:\w*player|video\w*|audio\w*)(?:$|[-_\s])", re.IGNORECASE)
_MEDIA_TAGS = frozenset({"video", "audio", "object", "embed"})
_SENTENCE = re.compile(r"[^\n]{20,}")
_SENTENCE_PUNCT = re.compile(r"[，。！？；,!?;]")


def _has_prose(el: HtmlElement) -> bool:
    """Whether ``el`` holds a line of 20+ characters with sentence punctuation."""
    text = block_text(el)
    return any(_SENTENCE_PUNCT.search(line) for line in _SENTENCE.findall(text))


def _is_junk(el: HtmlElement) -> bool:
    if _RECOMMEND.search(_key(el)):
        return True
    if el.tag in _MEDIA_TAGS:
        return True
    return bool(_MEDIA.search(_key(el))) and not _has_prose(el)


# Headings that open a list of other stories. A block that starts with one and is mostly
# links ends the article, whatever its class is called.
_STOP = re.compile(r"^[\s【\[]*(?:相关阅读|推荐阅读|相关新闻|热门推荐|猜你喜欢|延伸阅读|相关文章)")
_STOP_LINK_SHARE = 0.5


def _link_share(el: HtmlElement) -> float:
    text = len("".join(el.text_content().split()))
    links = sum(len("".join(a.text_content().split())) for a in el.iter("a"))
    return links / text if text else 0.0


def _stop_blocks(body: HtmlElement, protected: set[HtmlElement]) -> list[HtmlElement]:
    """Link-dense blocks opened by a related-stories heading, and what follows them."""
    found: list[HtmlElement] = []
    for el in body.iter():
        if not isinstance(el.tag, str) or not el.text or not _STOP.match(el.text):
            continue
        block = el
        while (block.getparent() is not None and block.getparent() is not body
               and block.getparent() not in protected and sum(1 for _ in block.iter("a")) < 2):
            block = block.getparent()
        if block in protected or block is body or _link_share(block) < _STOP_LINK_SHARE:
            continue
        found.append(block)
        found.extend(block.itersiblings())
    return found


def _key(el: HtmlElement) -> str:
    # camelCase (moduleMoreStories) compared in lower case with word edges kept.
    raw = " ".join(filter(None, (el.get("class"), el.get("id"))))
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "-", raw)


def drop_recommendations(tree: HtmlElement, keep: HtmlElement | None) -> HtmlElement | None:
    """A copy of ``tree`` without recommendation blocks, or None when it has none."""
    body = tree.find("body")
    if body is None:
        return None
    marked = _outermost([el for el in body.iter() if isinstance(el.tag, str) and _is_junk(el)])
    protected = {keep, *keep.iterancestors()} if keep is not None else set()
    marked = [el for el in marked if el not in protected]
    marked = _outermost(marked + [el for el in _stop_blocks(body, protected)
                                  if el not in protected and el not in marked])
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


# Old CMS templates, common on government and school sites, lay the whole page out with
# nested tables. trafilatura renders every table as Markdown rows, so the navigation, the
# article and the footer of such a page come out as one table, and the article's
# paragraphs as cells of it. A table that holds another table, or whose rows never have
# two filled cells side by side, is layout rather than data; it is turned into plain
# blocks so that the extractors see the paragraphs.
_TABLE_PARTS = ("table", "thead", "tbody", "tfoot", "tr", "td", "th")


def _owner(el: HtmlElement) -> HtmlElement | None:
    return next(el.iterancestors("table"), None)


def _is_layout_table(table: HtmlElement) -> bool:
    if table.find(".//table") is not None:
        return True
    rows = [row for row in table.iter("tr") if _owner(row) is table]
    return all(sum(1 for cell in row if cell.tag in ("td", "th")
                   and cell.text_content().strip()) <= 1 for row in rows)


def unwrap_layout_tables(tree: HtmlElement) -> HtmlElement | None:
    """A copy of ``tree`` with layout tables turned into ``div``s, or None if it has none."""
    if not any(_is_layout_table(table) for table in tree.iter("table")):
        return None
    copy = deepcopy(tree)
    layout = [table for table in copy.iter("table") if _is_layout_table(table)]
    # Collect each table's own rows and cells before renaming anything: renamed tables no
    # longer own their parts.
    parts = [el for table in layout for el in table.iter(*_TABLE_PARTS)
             if el is table or _owner(el) is table]
    for el in parts:
        el.tag = "div"
    return copy


def _outermost(els: list[HtmlElement]) -> list[HtmlElement]:
    chosen = set(els)
    return [el for el in els if not any(a in chosen for a in el.iterancestors())]
