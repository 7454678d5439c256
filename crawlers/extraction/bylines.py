"""Post headers out of forum posts: who wrote a reply is not what the reply says.

The project tracks issues, not people, so a poster's name or user id must not end up in
the stored text. Where forum markup is unknown, whole post blocks are kept (avatar,
name, role label, time, buttons and the body), and their headers read as lines of text
("name | 楼主 | 3天前"). Sites name the header parts for what they are (author, user,
nick, avatar, time, meta) in their class or id, so those elements are found by name;
short header lines that are not marked (a name and a time stamp, a role label, a row of
counters) are found by their shape. Reply bodies stay, including the ones that mention
a place or open with "@name" (the handle goes, the reply stays).
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

# Placeholders that stand for a removed name / header element in the post's text until
# its lines are judged: a line that held one and little else was a header line.
NAME = "\ue000"
META = "\ue001"
_MARKS = NAME + META

# Class or id words of header parts. A word of the body (content, text, detail...) on the
# same element wins: "comment-content-author" wraps a body on some sites.
_NAME_WORDS = frozenset({
    "author", "user", "username", "uname", "nick", "nickname", "avatar", "avator", "name",
    "poster", "byline", "mention", "userinfo", "usercard", "owner",
})
_META_WORDS = frozenset({
    "meta", "metadata", "time", "date", "timestamp", "datetime", "pubtime", "posttime",
    "floor", "role", "badge", "level",
})
_BODY_WORDS = frozenset({
    "content", "text", "body", "detail", "message", "msg", "desc", "description", "title",
    "txt", "summary",
})
_WORD = re.compile(r"[A-Za-z][a-z]*|[a-z]+")
# A header part is short; a longer marked element is a body or a whole post.
_MAX_HEADER_CHARS = 60
_MAX_NAME_LINK = 20
# Shorter header texts ("椿", "ZG") are too likely to be words of a reply to be looked for
# elsewhere in the page.
_MIN_KNOWN = 2
_BLOCKS = frozenset({"div", "p", "ul", "ol", "li", "blockquote", "pre", "table", "section",
                     "article", "dl", "dd", "dt", "h1", "h2", "h3", "h4", "h5", "h6"})
_SENTENCE = re.compile(r"[，。！？；,!?;]")


def _words(el: HtmlElement) -> set[str]:
    raw = " ".join(filter(None, (el.get("class"), el.get("id"))))
    return {w.lower() for w in _WORD.findall(raw)}


def _chars(text: str) -> int:
    return len("".join(text.split()))


def _kind(el: HtmlElement) -> str | None:
    """NAME or META when ``el`` is a post-header part, else None."""
    if el.tag == "time":
        return META
    words = _words(el)
    if not words or words & _BODY_WORDS:
        return None
    kind = NAME if words & _NAME_WORDS else META if words & _META_WORDS else None
    if kind is None:
        return None
    text = el.text_content()
    # Names are free text ("*^__,^*"); other header parts are labels, stamps and counts.
    short_name = kind == NAME and _chars(text) <= _MAX_NAME_LINK
    if not short_name and (_chars(text) > _MAX_HEADER_CHARS or _SENTENCE.search(text)):
        return None
    # A wrapper that holds blocks of text (the name row and the reply under it) is no
    # header part itself; its parts are judged one by one.
    if any(d.tag in _BLOCKS and _chars(d.text_content()) for d in el.iterdescendants()
           if isinstance(d.tag, str)):
        return None
    return kind


def _replace(el: HtmlElement, mark: str) -> None:
    for child in list(el):
        el.remove(child)  # keeps el's tail, unlike drop_tree on the children's tails
    el.text = mark


def _leading_link(post: HtmlElement) -> HtmlElement | None:
    """The link a post block opens with when a colon follows it ("<a>name</a>: reply"),
    or None. Without the colon a leading link is as often a thread title or a tag."""
    if _chars(post.text or ""):
        return None
    for child in post.iterdescendants():
        if not isinstance(child.tag, str):
            continue
        if child.tag == "a":
            size = _chars(child.text_content())
            said = (child.tail or "").lstrip()[:1] in (":", "：")
            return child if said and 0 < size <= _MAX_NAME_LINK else None
        if _chars(child.text or ""):
            return None
    return None


def mark_headers(post: HtmlElement, leading_link: bool = False) -> dict[str, str]:
    """Replace the header parts of ``post`` with NAME / META placeholders, in place, and
    return their texts with their kind (the same names show up in the rest of the page).

    ``leading_link``: the post is a whole post block, so a link that opens it before a
    colon is the poster's name too (comment lists link each name)."""
    size = _chars(post.text_content())
    # An element holding all of the post's text is the post (list pages name thread
    # titles "name"), not its header.
    found = [(el, kind) for el in post.iterdescendants()
             if isinstance(el.tag, str) and (kind := _kind(el)) is not None
             and _chars(el.text_content()) < size]
    if leading_link and (link := _leading_link(post)) is not None:
        found.append((link, NAME))
    chosen = {el for el, _ in found}
    texts: dict[str, str] = {}
    for el, kind in found:
        if not any(a in chosen for a in el.iterancestors()):
            text = " ".join(el.text_content().split()).lstrip("@")
            if len(text) >= _MIN_KNOWN:
                texts.setdefault(text, kind)
            _replace(el, kind)
    return texts


# Post times: dates, clock times and relative times (3小时前, 1周前, 昨天).
_STAMP = (r"(?:\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?"
          r"|\d{1,2}[-/月]\d{1,2}日?\s+\d{1,2}:\d{2}|\d{1,2}:\d{2}"
          r"|\d+\s*(?:秒|分钟|小时|天|周|个月|月|年)前|刚刚|昨天|前天)")
# Role labels printed next to a poster's name: in brackets ("(楼主)", "[作者]") they may
# touch the name, bare words only when set off from it ("某某 楼主").
_ROLE_MARK = r"[\[（(【]\s*(?:楼主|作者|层主|管理员|版主)\s*[\]）)】]"
_ROLE = rf"(?:{_ROLE_MARK}|楼主|作者|层主)"
_SEP = r"[\s|｜·•/:：]"
# Between a name and what follows it: not a colon, which labels a value in a body
# ("时间：3月5日").
_NAME_SEP = r"[\s|｜·•]"
# Words that introduce a post's time ("发布于 2023-07-06 23:12", "X 发表于 ...").
_LEAD = r"(?:发布于|发表于|回复于|编辑于|更新于|最后回复|最后编辑于?|发布|发表|回复|编辑)"
_NAME_CHARS = r"[^\s，。！？；,!?;:：|｜]"
# A name, maybe followed by a user's title set off by separators ("某某 | 版主 | 3天前").
_NAME = (rf"{_NAME_CHARS}{{1,16}}(?:{_NAME_SEP}+|(?={_ROLE_MARK}|{_LEAD}))"
         rf"(?:{_NAME_CHARS}{{1,8}}{_NAME_SEP}+)?")
_HEADER_LINE = re.compile(
    # [name] [role] [lead word] stamp[s] [counters].
    rf"^(?:{_NAME})?{_SEP}*(?:{_ROLE}{_SEP}*)?(?:{_LEAD}{_SEP}*)?"
    rf"{_STAMP}(?:{_SEP}+{_STAMP})*(?:{_SEP}|\d)*$"
    # A name and its role label, or a role label alone.
    rf"|^(?:{_NAME})?{_ROLE}{_SEP}*$"
    # Discuz's edit note names the editor.
    r"|^本帖最后由.{1,40}编辑$"
)
# A row of counters and separators ("0 | 19", "1 |").
_COUNTERS = re.compile(r"^(?:[|｜·•/]|\d{1,3}|\s)+$")
# An @handle that opens a reply is a person's handle; the reply after it stays.
_HANDLE = re.compile(r"^@[^\s@:：,，]{1,20}(?:[:：]\s*|\s+|$)")
# What a header line may hold besides its placeholders and time stamps: a role title
# ("扫地", "课程读者"), a lead word - a few characters at most.
_MAX_REST = 8
_LINE_JUNK = re.compile(rf"{_STAMP}|{_ROLE}|{_LEAD}|{_SEP}|\d+|[{_MARKS}]")
# "name: reply" - a name set off by a colon is followed by what the poster said.
_SAYS = re.compile(rf"{NAME}\s*[:：]")
_DATED = re.compile(rf"{_STAMP}|{_ROLE}|{META}")


def _header_line(line: str) -> bool:
    if _HEADER_LINE.match(line) or _COUNTERS.match(line):
        return True
    if not any(m in line for m in _MARKS):
        return False
    rest = _LINE_JUNK.sub("", line)
    if not rest:
        return True
    # A marked name with a time or a role, and a few unmarked header words beside them.
    return (len(rest) <= _MAX_REST and not _SENTENCE.search(rest)
            and _DATED.search(line) is not None and _SAYS.search(line) is None)


def _mark_known(line: str, known: dict[str, str], longest_first: list[str]) -> str:
    """``line`` with the header texts of ``known`` it opens with as placeholders: a name
    that begins a line, set off from what follows. ``longest_first``: ``known``'s keys,
    longest first (sorted once per text, not per line)."""
    out, rest = "", line
    while True:
        head = re.match(rf"[{_MARKS}@\s|｜·•]*", rest).group(0)  # type: ignore[union-attr]
        out, rest = out + head, rest[len(head):]
        hit = next((t for t in longest_first
                    if rest.startswith(t) and not rest[len(t):len(t) + 1].isalnum()), None)
        if hit is None:
            return out + rest
        out, rest = out + known[hit], rest[len(hit):]


def drop_header_lines(text: str, known: dict[str, str] | None = None) -> str:
    """``text`` of a thread without its header lines and the @handle opening a reply.

    ``known``: header texts found in the page's markup (``mark_headers``); lines that open
    with one are judged as if it were marked there too."""
    out = []
    longest_first = sorted(known, key=len, reverse=True) if known else []
    for raw in text.split("\n"):
        line = raw.strip()
        if known and line:
            line = _mark_known(line, known, longest_first)
        if not line:
            out.append("")
            continue
        if _header_line(line):
            continue
        # A placeholder inside a line of text (a name before the reply, a mention).
        line = re.sub(rf"[{_MARKS}]+\s*[:：]?\s*", "", line).strip()
        line = _HANDLE.sub("", line).strip()
        if line:
            out.append(line)
    return "\n".join(out)
