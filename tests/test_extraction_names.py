"""Posters' names stay out of a thread's text: the project tracks issues, not people.

Where no forum-engine markup marks the post bodies, whole post blocks are kept (avatar,
name, role label, time, buttons and body); their headers must go, their bodies stay.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from crawlers.extraction import extract
from crawlers.extraction.bylines import drop_header_lines
from tests.test_extraction_corpus import CORPUS, _extract, _rows
from yuqing.records import SHANGHAI

NOW = datetime(2025, 1, 1, tzinfo=SHANGHAI)

# An invented custom comment list: every block is avatar, header row (name, role, time,
# separators), body and an action row with counters - nothing marks the bodies as such.
_REPLIES = [
    ("路人甲乙", "", "3天前", "小区门口的路灯坏了快一个月，晚上走路很危险。"),
    ("晨跑的阿丙", "[作者]", "2天前", "我在杭州市西湖区也遇到过，打了热线第二天就修好了。"),
    ("夜猫子丁", "", "1周前", "好的"),
    ("老戊头", "", "2024-05-06 08:30", "@路人甲乙 时间：3月5日 10:00，物业说会派人来看。"),
]


def _thread_page() -> bytes:
    blocks = "".join(
        f"<div class='cmt-item'><div class='cmt-avatar'><img src='/a/{i}.png' alt=''></div>"
        f"<div class='cmt-main'><div class='cmt-head'><span class='nick-name'>{name}</span>"
        f"<span class='role-tag'>{role}</span><span class='sep'>|</span>"
        f"<span>扫地</span><span class='sep'>|</span><span class='cmt-time'>{when}</span></div>"
        f"<div class='cmt-detail'><p>{body}</p></div>"
        f"<div class='cmt-action'><span>{i + 3}</span><span>|</span><span>{i}</span></div>"
        "</div></div>"
        for i, (name, role, when, body) in enumerate(_REPLIES))
    inline = ("<div class='cmt-item'><a href='/u/99'>骑车的己</a>：周末去看了，灯已经亮了。"
              "<span>5小时前</span></div>")
    return ("<html><head><title>小区路灯坏了没人修</title></head><body>"
            "<h1>小区路灯坏了没人修</h1>"
            f"<div class='cmt-list'>{blocks}{inline}</div></body></html>").encode()


def test_custom_comment_list_keeps_replies_without_their_posters() -> None:
    text = extract(_thread_page(), "https://bbs.example.com/thread/42", fetched_at=NOW).text
    for body in ("小区门口的路灯坏了快一个月", "我在杭州市西湖区也遇到过", "好的",
                 "时间：3月5日 10:00，物业说会派人来看。", "周末去看了，灯已经亮了。"):
        assert body in text, f"reply lost: {body!r}"
    for name in ("路人甲乙", "晨跑的阿丙", "夜猫子丁", "老戊头", "骑车的己"):
        assert name not in text, f"poster's name {name!r} kept"
    for header in ("[作者]", "扫地", "3天前", "2024-05-06 08:30"):
        assert header not in text, f"post header {header!r} kept"
    # No line is only counters and separators.
    assert not any(set(line) <= set("0123456789 |") for line in text.split("\n"))


@pytest.mark.parametrize("line", [
    "某某 | 版主 | 3天前", "某某 (楼主)10月前", "发布于 2023-07-06 23:12",
    "某某 发表于 2024-1-2 10:00", "0 | 19", "本帖最后由 某某 于 2024-1-2 10:00 编辑",
])
def test_header_lines_go(line: str) -> None:
    body = "这是回复的正文，说得很清楚。"
    assert drop_header_lines(f"{line}\n{body}") == body


@pytest.mark.parametrize("line", [
    "时间：3月5日 10:00", "明天10:00见", "我是作者，谢谢大家。", "2024年的预算还没批下来", "好的",
])
def test_body_lines_stay(line: str) -> None:
    assert drop_header_lines(line) == line


def test_opening_at_handle_goes_and_the_reply_stays() -> None:
    assert drop_header_lines("@某某 花钱就能解决吗？") == "花钱就能解决吗？"
    assert drop_header_lines("邮箱是 a@b.cn 没错") == "邮箱是 a@b.cn 没错"


# Real pages of the development corpus, with the names and header lines that they kept.
_CORPUS_CASES = {
    "https://www.developers.pub/faq/1312719": (
        ["已优化下载体验", "现在确实可以了 感谢", "哈哈", "怎么会这样"],
        ["客栈小K", "歪哦釉", "[作者]", "ZG | 1周前", "扫地"]),
    "https://bbs.nanshengbbs.top/topic/detail/1102": (
        ["花了1天半的时间买了4个平板", "有句话叫 有钱能使鬼推磨", "花钱就可以解决问题嘛？"],
        ["小诺抓", "马亮南生", "(楼主)", "10月前"]),
    "https://www.paopao.info/#/post?id=1080035365": (
        ["端到端加密 说实话也并不是大众群体的刚性需求", "新的练手项目get"],
        ["henryspace", "@henryspace", "发布于 2023-07-06 23:12", "浙江省杭州市",
         "最后回复"]),
    "https://learnku.com/articles/86852": (
        ["不维护了已经。", "要先安装 TUN 上面的那个服务模式", "这个好像就可以了"],
        ["my38778570", "762 声望", "@Rache1", "@长日将尽"]),
}


@pytest.mark.corpus
@pytest.mark.skipif(CORPUS is None, reason="shared corpus not found: set YUQING_CORPUS or "
                                           "place it at ../shared/corpus")
@pytest.mark.parametrize("url", sorted(_CORPUS_CASES))
def test_corpus_threads_keep_no_poster_names(url: str) -> None:
    rows = _rows(lambda r: r.get("url") == url and r["set"] == "magic_html")
    assert len(rows) == 1, url
    text = _extract(rows[0]).text
    must, must_not = _CORPUS_CASES[url]
    for snippet in must:
        assert snippet in text, f"reply lost: {snippet!r}"
    for snippet in must_not:
        assert snippet not in text, f"poster's name or header {snippet!r} kept"
