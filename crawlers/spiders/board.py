"""Template ``board``: a government message board (留言板 / 书记信箱 / 12345 回复公开).

List pages → message pages. A message page is read as labelled fields ("留言标题：",
"留言内容：", "留言时间：", "回复内容：", "回复时间：" and their many variants) whether the
site lays them out as a table, a definition list or labelled blocks; ``selectors``
override any of them. A message without an official reply is re-visited (from the crawl
state, even once it has dropped off the list) until the reply appears.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import lxml.html
from scrapy.http import Response

from .base import SourceSpider
from .links import discover

_LABELS: dict[str, tuple[str, ...]] = {
    "title": ("留言标题", "信件标题", "来信标题", "诉求标题", "标题", "主题"),
    "text": ("留言内容", "来信内容", "信件内容", "诉求内容", "问题描述", "咨询内容",
             "投诉内容", "反映内容", "正文", "内容"),
    "time": ("留言时间", "来信时间", "提交时间", "发表时间", "写信时间", "发布时间",
             "反映时间", "时间", "日期"),
    "reply": ("回复内容", "答复内容", "回复意见", "答复意见", "办理结果", "处理结果",
              "办理情况", "官方回复", "部门回复", "回复", "答复"),
    "reply_time": ("回复时间", "答复时间", "办理时间", "处理时间", "回复日期", "答复日期"),
    # Recognised only so that they end the field before them.
    "other": ("留言人", "来信人", "姓名", "网友", "回复单位", "答复单位", "办理单位",
              "处理单位", "受理单位", "状态", "办理状态", "回复状态", "留言编号", "编号",
              "类型", "留言类型", "浏览次数", "点击", "所属地区", "地区", "附件"),
}
_LABEL_OF = {label: field for field, labels in _LABELS.items() for label in labels}
_ALT = "|".join(sorted(_LABEL_OF, key=len, reverse=True))
# "留言内容：..." or "留言内容" alone on its line, or "【答复】..." (brackets need no colon).
_LABEL_LINE = re.compile(rf"^\s*(?:[【\[](?P<b>{_ALT})[】\]]\s*[:：]?\s*(?P<bv>.*)"
                         rf"|(?P<l>{_ALT})\s*(?:[:：]\s*(?P<lv>.*)|$))")
# Lines that end a field although they are no label we know: page furniture and the
# footer, or an unknown label standing alone on its line ("附件：").
_END = re.compile(r"^(主办|承办|协办|版权所有|Copyright|©|联系电话|联系我们|.*ICP备|网站标识码|"
                  r"技术支持|返回|关闭|打印|上一篇|下一篇)|^[\u4e00-\u9fff]{2,6}[:：]$", re.I)
_REPLIED = re.compile(r"已回复|已答复|已办结|已处理|已反馈|已回应")
_PENDING = re.compile(r"未回复|待回复|未答复|待答复|办理中|处理中|受理中|未办结|待处理")
_NO_REPLY = re.compile(r"^(暂无(回复|答复)?|尚未(回复|答复)|等待(回复|答复)|无)\W*$")
_BLOCK = {"div", "p", "br", "tr", "td", "th", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5",
          "h6", "table", "ul", "ol", "section", "article", "header", "footer", "blockquote"}


def labelled_fields(html: str) -> dict[str, str]:
    """The page's labelled fields, each as the text after its label up to the next label."""
    lines = block_lines(html)
    fields: dict[str, list[str]] = {}
    current: str | None = None
    for line in lines:
        m = _LABEL_LINE.match(line)
        if m:
            field = _LABEL_OF[m.group("b") or m.group("l")]
            value = m.group("bv") or m.group("lv")
            # A field keeps its first occurrence; a later "回复" inside a reply is text.
            current = field if field not in fields else None
            if current:
                fields[current] = [value] if value else []
            continue
        if _END.match(line):
            current = None
        elif current and current != "other":
            fields[current].append(line)
    return {k: "\n".join(v).strip() for k, v in fields.items() if k != "other"}


def block_lines(html: str) -> list[str]:
    """Visible text, one line per block element, hidden parts and scripts removed."""
    tree = lxml.html.document_fromstring(html)
    for bad in tree.xpath("//script | //style | //*[contains(translate(@style, ' ', ''),"
                          " 'display:none')]"):
        bad.drop_tree()
    for el in tree.iter():
        if isinstance(el.tag, str) and el.tag in _BLOCK:
            el.tail = "\n" + (el.tail or "")
            el.text = "\n" + (el.text or "")
    text = tree.text_content()
    return [" ".join(ln.split()) for ln in text.split("\n") if ln.strip()]


class BoardSpider(SourceSpider):
    template = "board"
    detail_callback = "parse_message"

    async def start(self) -> AsyncIterator[Any]:
        async for request in super().start():
            yield request
        assert self.state is not None
        since = self.recent(self.config.crawl.recheck_unreplied_days)
        for url in self.state.unreplied(self.source.id, since):
            request = self.visit(None, url, self.parse_message)
            if request is not None:
                yield request

    def parse_list(self, response: Response, **_: Any) -> Iterator[Any]:
        links = discover(response, self.allowed_domains,
                         selector=self.source.selectors.list_links, min_len=4)
        if not links:
            self.drop(response.url, "no_message_links")
            return
        for link in links:
            replied = (True if _REPLIED.search(link.row_text) else
                       False if _PENDING.search(link.row_text) else None)
            request = self.visit(response, link.url, self.parse_message, replied=replied,
                                 title_hint=link.title, date_hint=self.list_date(link.row_text))
            if request is not None:
                yield request
        if (nxt := self.next_page(response, [link.url for link in links])) is not None:
            yield nxt

    def parse_message(self, response: Response, title_hint: str | None = None,
                      date_hint: Any = None) -> Iterator[Any]:
        sel = self.source.selectors
        fields = labelled_fields(response.text)

        def pick(override: str | None, key: str, fallback: str = "") -> str:
            if override:
                found = self.text_of(self.select(response, override))
                if found:
                    return found
            return fields.get(key) or (
                self.text_of(response.css(fallback)[:1]) if fallback else "")

        title = pick(sel.title, "title", "h1, .title, h2") or title_hint or ""
        text = pick(sel.body, "text", ".message-content, .content, .liuyan, #content")
        if not text:
            self.drop(response.url, "empty_text")
            return
        reply = pick(sel.reply, "reply", ".reply-content, .reply, .hf, #reply")
        if _NO_REPLY.match(reply):
            reply = ""
        status = " ".join(block_lines(response.text)[:80])
        replied = bool(reply) or (bool(_REPLIED.search(status)) and not _PENDING.search(status))
        published = self.list_date(pick(sel.date, "time")) or date_hint
        replied_at = self.list_date(pick(sel.reply_date, "reply_time")) if replied else None
        item = self.make_item(response, title=title, text=text, published_at=published,
                              replied=replied, reply_text=reply or None, replied_at=replied_at)
        if item is not None:
            yield item
