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
    # 文 only as a label of its own, not as the last character of a word or name
    # ("正文：", "王文：中美贸易...").
    re.compile(rf"(?:作者|撰文|(?<![\u4e00-\u9fa5])文)\s*[:：/／|｜]\s*{_NAMES}"),
    re.compile(rf"(?<![责编])(?:记者|通讯员|特约记者|见习记者)\s*[:：]?\s*{_NAMES}"),
)
_STOP_WORDS = ("来源", "发布", "时间", "编辑", "责任", "摄影", "通讯员", "日期", "原标题", "报道")
# What a byline pattern also matches in running text ("记者表示", "记者获悉", "记者采访了",
# "作者：网络整理"): reporting verbs and placeholders, never a name. A name part that
# starts with one of these is not a name.
_NOT_NAMES = ("表示", "获悉", "了解", "采访", "发现", "注意到", "看到", "来到", "走访", "探访",
              "调查", "证实", "核实", "询问", "致电", "联系", "介绍", "说", "称", "首先",
              "随后", "日前", "近日", "昨天", "今天", "昨日", "今日", "当天", "现场", "整理",
              "整合", "综合", "编译", "网络", "未知", "佚名", "匿名", "举报", "原创", "本站",
              "本网", "本报", "独家")
# A byline name ends the phrase: what follows it is a space, a bracket, punctuation, the
# end of the line, or a credit word. A name running straight into more Chinese text is
# the start of a sentence ("记者从沙坪坝区公安分局了解到", "记者向江门警方").
_NAME_END = re.compile(r"[\s)）】\]、，,。；;|｜/]|$|报道|通讯员|实习生|编辑|摄影|整理|整合|综合")
# "记者 某某 摄" credits a photograph, not the story.
_PHOTO_CREDIT = re.compile(r"\s*摄(?!影)")
_META_NOT_AUTHOR = re.compile(r"网|报|社|台|http|www|\.(?:com|cn|net|org)|@|_|editor|admin|"
                              r"team|inc\b|ltd|公司", re.IGNORECASE)
_SIGN_OFF_LINES = 3
_SIGN_OFF_CHARS = 30
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
    parts = [p for p in names.split()
             if len(p) >= 2 and not p.startswith(_NOT_NAMES)]
    return " ".join(parts) or None


def _byline_name(region: str, match: re.Match[str]) -> str | None:
    """The name(s) of one byline match, or None when the match is not a byline."""
    rest = region[match.end():]
    if not _NAME_END.match(rest) or _PHOTO_CREDIT.match(rest):
        return None
    return _trim_names(match.group(1))


def plausible_meta_author(value: str | None) -> str | None:
    """``value`` if it can be a person's or an organisation's name. Many Chinese sites put
    the outlet, a URL, an account id, a number or the CMS's credits into meta author."""
    value = (value or "").strip()
    if not value or _META_NOT_AUTHOR.search(value):
        return None
    if not re.search(r"[^\W\d_]", value):  # digits and marks only ("104363")
        return None
    return value[:60]


def _sign_off(body_text: str) -> str:
    """The article's last short lines, where many stories sign off with their byline
    ("扬子晚报记者 张楠", "（记者 王小明）"). Long lines are left out: in a closing
    paragraph "记者" is usually part of a sentence ("...向记者介绍道。")."""
    lines = [line.strip() for line in body_text.split("\n") if line.strip()]
    return "\n".join(line for line in lines[-_SIGN_OFF_LINES:]
                     if len(line) <= _SIGN_OFF_CHARS)


def extract_author(tree: HtmlElement, header_text: str, body_text: str) -> str | None:
    """Byline from the text around the title or the article's first lines, else meta.

    When the byline patterns only match running text, there is no author rather than a
    fragment of a sentence: authors are shown to users, so precision comes first."""
    for region in (header_text[:600], body_text[:300], _sign_off(body_text)):
        for pattern in _BYLINE_RES:
            for match in pattern.finditer(region):
                if name := _byline_name(region, match):
                    return name
    return plausible_meta_author(meta_content(tree, *_META_AUTHOR_KEYS))
