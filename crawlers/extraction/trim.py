"""Trim page furniture from the first and last lines of an extracted main text.

Both extractors (trafilatura and the density one) pick the right block of a page but often
keep what the template puts at its edges: breadcrumbs (首页 > 新闻 > 正文) and share
prompts above the article; button labels (收藏, 分享到, 我要跟帖, 展开全文, 收起), reaction
counters, "热门推荐"/"小编最近文章" headings, the portal footer (举报电话, 版权所有, ICP备)
and platform disclaimers below it. Pruning the tree cannot catch these, because templates
name such blocks in countless ways (or not at all), but the lines themselves are few and
look alike on every site.

So the trimmer reads lines, from each end inwards, and stops at the first line that looks
like prose or like a byline (责任编辑, 来源, 作者, 记者: the labelled gold keeps those). A
line is only cut when it is recognised as furniture by general wording, or when it is a
short unknown line lying between the edge and such furniture (a footer link such as a
lab's name between two footer lines). Nothing here names a site.
"""

from __future__ import annotations

import re

# Lines that are nothing but a control or a section label, compared after dropping
# digits, punctuation and spaces ("评论(15)", "收藏 0", "|<<1234下一页>>|").
_LABELS = frozenset({
    "热门推荐", "相关推荐", "猜你喜欢", "为你推荐", "推荐阅读", "相关阅读", "相关新闻",
    "相关文章", "相关稿件", "延伸阅读", "精彩推荐", "热门文章", "热点推荐", "更多精彩",
    "收起", "展开", "展开全文", "阅读全文", "查看全文", "点击展开全文", "收起全文",
    "收藏", "分享", "分享到", "转发", "点赞", "评论", "我要评论", "发表评论",
    "我要跟帖", "跟帖", "全部评论", "举报", "打印", "打印本页", "关闭", "关闭窗口",
    "返回顶部", "回到顶部", "上一篇", "下一篇", "上一页", "下一页", "首页", "尾页",
    "小编最近文章", "作者最近文章", "微信公众号", "扫一扫", "关注我", "扫一扫关注我",
    "朋友圈", "微信", "微博", "微信好友", "空间", "复制链接",
    "字号", "大中小", "字体大中小", "默认大号", "发动态", "发帖子", "发文章", "删除",
    "已输入字", "我要投稿", "纠错", "意见反馈", "设为首页", "加入收藏",
})
_LABEL_NOISE = re.compile(r"[\d\s\W_a-zA-Z]+")
# Reaction and comment counters ("0", "0 / 0", "12"); longer numbers may be a year or a
# figure that belongs to the text.
_COUNTER = re.compile(r"^\d{1,3}(?:[/·|]\d{1,3})?$")

# Wording that marks a line as furniture whatever its length: footers and platform
# disclaimers, which no article sentence contains.
_FOOTER = re.compile(
    r"举报电话|举报邮箱|违法和不良信息|版权所有|ICP[备证]|公网安备|Copyright|©|"
    r"仅提供信息存储服务|Notice:\s*The content above",
    re.IGNORECASE,
)
# Follow-us prompts, 'more by this editor' headings and widget text: furniture on lines of
# up to _PROMPT characters; a longer line with such words is more likely a sentence.
_PROMPT = re.compile(
    r"联系我们|关于我们|广告服务|网站地图|扫描.{0,12}二维码|二维码.{0,12}关注|"
    r"返回.{0,8}首页|最近文章|分享到|已输入\d+字|"
    r"展开全文|(?:点击|请使用).{0,12}分享|分享.{0,6}(?:好友|朋友圈)|字体(?:放大|缩小)|"
    # A related story announced by its heading on the same line ("推荐阅读：...").
    r"^[【\[]?(?:推荐阅读|相关阅读|相关新闻|延伸阅读|相关文章|相关链接|热门推荐|猜你喜欢)"
    r"[】\]]?[:：]"
)
_PROMPT_CHARS = 60
# Only on short lines: call-to-action and paging words that also occur in real sentences
# (and in an author's own sign-off, "欢迎关注微信公众号：..., 第一时间...", which the
# labelled gold keeps).
_SHORT_CUE = re.compile(r"点个?赞|打赏|分享[到给让至]|下一页|上一页|字体|字号|扫码|二维码|"
                        r"关注.{0,10}(?:微信|公众号|官方微博)")
_SHORT = 24

# A path of short segments joined by '>' (首页 > 新闻 > 正文, "> 科技湃").
_BREADCRUMB = re.compile(r"^(?:[^>›»]{0,14}[>›»])+[^>›»]{0,14}$")
_BREADCRUMB_LEAD = re.compile(r"^(?:您(?:现在)?(?:所在)?的?位置|当前位置|所在位置|位置)[:：]")

# Bylines and editor lines end or open the article proper; the labelled gold keeps them.
_BYLINE = re.compile(r"^[\s【\[（(]*(?:责任编辑|编辑|来源|本文来源|作者|记者|文|撰文|摄影?|通讯员)"
                     r"\s*[:：/／|｜]")
_SENTENCE_PUNCT = re.compile(r"[，。！？；,!?;]")
_PROSE_CHARS = 16
# Unknown short lines (neither furniture nor prose) that may lie between the edge and
# furniture further in, and be cut with it.
_MAX_UNKNOWN = 2
# ...and no more than this many in all, so that alternating short lines and counters (a
# list of replies with their like counts) are not eaten one pair after another.
_MAX_UNKNOWN_CUT = 4
_UNKNOWN_CHARS = 40


# Notices about the text rather than text: disclaimers, copyright and reprint terms.
# They read as prose (long, punctuated), and the labelled gold keeps some at the end of an
# article, so they are not trimmed; but they must not make an extraction look like one.
_NOTICE = re.compile(r"免责声明|特别声明|版权声明|仅代表作者(?:本人|个人)?(?:的)?观点|"
                     r"不代表.{0,12}(?:观点|立场)|仅提供信息(?:存储|发布)|版权(?:归|所有)|"
                     r"转载请注明|未经.{0,6}授权")


def is_notice(line: str) -> bool:
    """Whether ``line`` is a disclaimer, copyright or reprint notice."""
    return _NOTICE.search(line) is not None


def _squeeze(line: str) -> str:
    return "".join(line.split())


def is_furniture(line: str) -> bool:
    """Whether ``line`` is navigation or boilerplate by its wording alone."""
    text = _squeeze(line)
    if not text:
        return False
    if _LABEL_NOISE.sub("", text) in _LABELS or _COUNTER.match(text):
        return True
    if _FOOTER.search(text):
        return True
    if len(text) <= _PROMPT_CHARS and _PROMPT.search(text):
        return True
    if len(text) <= _SHORT and _SHORT_CUE.search(text):
        return True
    if _BREADCRUMB_LEAD.match(text):
        return True
    # A breadcrumb: separators between short segments, no sentence in it.
    return (len(text) <= 60 and _BREADCRUMB.match(text) is not None
            and not _SENTENCE_PUNCT.search(text))


def _stops(line: str) -> bool:
    """Whether trimming must stop at ``line``: it reads as prose or as a byline."""
    text = _squeeze(line)
    if _BYLINE.match(text):
        return True
    return len(text) >= _PROSE_CHARS and _SENTENCE_PUNCT.search(text) is not None


def _cut_count(lines: list[str]) -> int:
    """How many of ``lines`` (ordered from the edge inwards) are furniture to cut."""
    cut = unknown = unknown_cut = 0
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if is_furniture(line):
            if unknown_cut + unknown > _MAX_UNKNOWN_CUT:
                break
            cut, unknown_cut, unknown = i + 1, unknown_cut + unknown, 0
            continue
        if _stops(line) or len(_squeeze(line)) > _UNKNOWN_CHARS:
            break
        unknown += 1
        if unknown > _MAX_UNKNOWN:
            break
    return cut


_EDITOR = re.compile(r"^[\s【\[（(]*责任编辑\s*[:：]")
# What follows the editor line is at most this share of the text: a related story or
# two, not the rest of a long article that merely names its editor early.
_AFTER_EDITOR_SHARE = 0.25


def _end_at_editor(lines: list[str]) -> list[str]:
    """Lines up to the last 责任编辑 line when only a short tail follows it: CMSs print the
    editor as the article's last line, and what comes after is the next story's teaser."""
    for i in range(len(lines) - 1, -1, -1):
        if _EDITOR.match(lines[i]):
            after = sum(len(_squeeze(line)) for line in lines[i + 1:])
            total = sum(len(_squeeze(line)) for line in lines)
            if after <= _AFTER_EDITOR_SHARE * total:
                return lines[:i + 1]
            break
    return lines


def trim_edges(text: str) -> str:
    """``text`` without furniture lines at its start and its end."""
    lines = text.split("\n")
    head = _cut_count(lines)
    lines = _end_at_editor(lines[head:])
    tail = _cut_count(lines[::-1])
    return "\n".join(lines[:len(lines) - tail])


def tidy_lines(text: str) -> str:
    """Each line stripped of surrounding whitespace, no blank lines at either end and at
    most one blank line in a row: HTML indentation and empty blocks carry no meaning in
    the text that is analysed and shown."""
    out: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)
