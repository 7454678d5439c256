"""Title and author (byline) of an article page."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from crawlers.extraction.dom import article_title_meta, html_title, meta_content, squash

# Separators between headline and site/channel names in <title>: "标题_新浪网",
# "标题-人民网", "标题 | 澎湃新闻". A bare hyphen only counts before a short last segment,
# because headlines contain hyphens themselves ("2023-2024赛季").
_TITLE_SPLIT = re.compile(r"\s*(?:_|\||｜| - | – | — |--|——)\s*|(?<=\S)-(?=[^-]{2,12}$)")
_NAME = r"[\u4e00-\u9fa5·]{2,4}"
# Several names only when joined by 、 or a single space before a short name that ends
# the byline; otherwise the capture runs into the following text.
_NAMES = rf"({_NAME}(?:(?:、|\s)[\u4e00-\u9fa5]{{2,3}}(?=[\s、)）】\]]|$)){{0,3}})"
# Byline forms, strongest first. 来源 (the outlet), 责任编辑 and 编辑 (the editor) are not
# authors and must never match.
_BYLINE_RES = (
    re.compile(rf"(?:作者|撰文|文)\s*[:：/／|｜]\s*{_NAMES}"),
    re.compile(rf"(?<![责编])(?:记者|通讯员|特约记者|见习记者)\s*[:：]?\s*{_NAMES}"),
)
_STOP_WORDS = ("来源", "发布", "时间", "编辑", "责任", "摄影", "通讯员", "日期", "原标题", "报道")
_META_AUTHOR_KEYS = ("author", "article:author", "byline", "dc.creator", "sailthru.author")


def clean_title(raw: str) -> str:
    """Headline part of a <title>/og:title: Chinese sites put it first, then channel/site."""
    raw = squash(raw)
    segments = [s.strip() for s in _TITLE_SPLIT.split(raw) if s and s.strip()]
    return segments[0] if segments else raw


def extract_title(tree: HtmlElement, heading: HtmlElement | None) -> str:
    # The on-page headline is the article's own; og:title and <title> often carry the
    # site name or an SEO variant.
    if heading is not None:
        text = squash(heading.text_content())
        if text:
            return text
    og = article_title_meta(tree)
    if og:
        return clean_title(og)
    return clean_title(html_title(tree))


def _trim_names(names: str) -> str | None:
    for word in _STOP_WORDS:
        names = names.split(word, 1)[0]
    names = re.sub(r"[ 、，,/]+", " ", names).strip()
    parts = [p for p in names.split() if len(p) >= 2]
    return " ".join(parts) or None


def extract_author(tree: HtmlElement, header_text: str, body_text: str) -> str | None:
    """Byline from the text around the title or the article's first lines, else meta."""
    for region in (header_text[:600], body_text[:300]):
        for pattern in _BYLINE_RES:
            if match := pattern.search(region):
                if name := _trim_names(match.group(1)):
                    return name
    meta = meta_content(tree, *_META_AUTHOR_KEYS)
    # Many Chinese sites put the outlet or a URL into meta author; that is not a byline.
    if meta and not re.search(r"网|报|社|台|http|www|\.com|\.cn|editor|admin", meta, re.I):
        return meta[:60]
    return None
