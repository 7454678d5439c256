"""Thread pages: detection by what the page says of itself, and every reply body kept.
Small synthetic pages, one general rule each."""

from __future__ import annotations

from datetime import datetime

from crawlers.extraction import extract
from crawlers.extraction.dom import parse_html
from crawlers.extraction.forum import forum_posts
from crawlers.extraction.thread import thread_markers
from yuqing.records import SHANGHAI

NOW = datetime(2025, 1, 1, tzinfo=SHANGHAI)

ARTICLE = ("<h1>在 Windows 上设置命令行代理的方法</h1><div class='article'>"
           + "".join(f"<p>这是正文的第{i}段，讲的是如何在命令行里设置代理，步骤很简单。</p>"
                     for i in range(6))
           + "</div>")


def _comments(label: str = "") -> str:
    """Three comments, the last with two nested replies marked unlike the comments."""
    nested = "".join(
        f"<div class='sub'><a href='/u/{i}'>答者{i}</a>{label}<span>2024-05-1{i} 10:0{i}</span>"
        f"<div class='sub-body'>嵌套回复第{i}条，试过了可以用。</div></div>" for i in range(2))
    comments = "".join(
        f"<div class='comment'><div class='head'><a href='/u/c{i}'>评论者{i}</a>"
        f"<span class='time'>{i + 1}周前</span></div>"
        f"<div class='comment-body'><p>顶层评论第{i}条，写得很清楚，谢谢分享。</p></div>"
        + (nested if i == 2 else "") + "</div>" for i in range(3))
    return f"<div class='comments'>{comments}</div>"


def _page(label: str) -> bytes:
    return f"<html><body>{ARTICLE}{_comments(label)}</body></html>".encode()


def test_comments_and_nested_replies_both_kept() -> None:
    posts, _ = forum_posts(parse_html(_page("").decode()))
    text = "\n".join(posts)
    assert "顶层评论第0条" in text and "嵌套回复第1条" in text
    # Bylines are not post bodies.
    assert "评论者0" not in text


def test_opening_post_marked_unlike_replies_is_kept() -> None:
    replies = "".join(
        f"<li class='item'><span class='who'>用户{i}</span><span>2023-07-07 0{i}:46</span>"
        f"<span class='reply-text'>这是第{i}条回复，说得很有道理啊。</span></li>" for i in range(4))
    opening = ("<li class='item'><span class='who'>楼主本人</span><span>2023-07-06 23:12</span>"
               "<span class='post-text'>发现个端到端加密的聊天工具，挺有意思。</span></li>")
    html = f"<html><body><ul>{opening}{replies}</ul></body></html>"
    text = "\n".join(forum_posts(parse_html(html))[0])
    assert "端到端加密" in text and "第3条回复" in text


def test_labels_only_threads_print_mark_a_thread() -> None:
    assert thread_markers(parse_html(_page("<span>（楼主）</span>").decode()))
    assert thread_markers(parse_html("<html><body><span>被采纳</span></body></html>"))
    assert thread_markers(parse_html(
        "<html><head><script type='application/ld+json'>{\"@type\": \"QAPage\"}</script>"
        "</head><body><p>问</p></body></html>"))


def test_words_in_running_text_do_not_mark_a_thread() -> None:
    html = ("<html><body><p>市民的建议被采纳后，3楼会议室改成了阅览室。</p>"
            "<p>作者：张三</p></body></html>")
    assert not thread_markers(parse_html(html))


def test_thread_by_label_gets_its_replies_on_an_article_path() -> None:
    page = extract(_page("<span>（楼主）</span>"), "https://example.com/articles/86852",
                   fetched_at=NOW)
    assert "这是正文的第0段" in page.text and "嵌套回复第1条" in page.text


def test_news_comment_box_stays_out_of_an_article() -> None:
    page = extract(_page(""), "https://example.com/articles/86852", fetched_at=NOW)
    assert "这是正文的第0段" in page.text and "顶层评论" not in page.text
