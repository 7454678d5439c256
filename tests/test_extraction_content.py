"""Main-text fixes: must / must-not snippets on real corpus pages (read at run time, never
copied here) and small synthetic pages for each general rule."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from crawlers.extraction import extract
from crawlers.extraction.dom import find_title_element, parse_html
from crawlers.extraction.prune import drop_recommendations
from tests.test_extraction_corpus import CORPUS
from yuqing.records import SHANGHAI

NOW = datetime(2025, 1, 1, tzinfo=SHANGHAI)
_corpus_only = pytest.mark.skipif(CORPUS is None, reason="shared corpus not found: set "
                                  "YUQING_CORPUS or place it at ../shared/corpus")


def _page(url: str):
    index = CORPUS / "extraction" / "index.jsonl"
    row = next(r for r in map(json.loads, index.open(encoding="utf-8")) if r.get("url") == url)
    body = (CORPUS / "extraction" / row["html"]).read_bytes()
    return extract(body, url, fetched_at=NOW)


def _squeezed(text: str) -> str:
    return "".join(text.split())


# (url, must contain, must not contain): each a different general rule.
CASES = [
    # Two recommendation blocks side by side: both dropped, not just the first.
    ("https://hk.news.yahoo.com/義大利公開賽-茲韋列夫封王-060502643.html",
     ["羅馬對我來說是意義非凡地地方"], ["現年37歲嘅前TVB小花", "惠康今期推出"]),
    # Video player chrome (speed menu, error message) is not article text.
    ("https://www.1905.com/news/20240520/1676288.shtml?fr=wwwnews_index_newsarea_1_201410",
     ["以光影之名，探寻首都文化魅力"], ["倍速", "当前视频播放失败", "2.0X"]),
]


@_corpus_only
@pytest.mark.parametrize(("url", "must", "must_not"), CASES, ids=[c[0][:60] for c in CASES])
def test_corpus_page_snippets(url: str, must: list[str], must_not: list[str]) -> None:
    text = _squeezed(_page(url).text)
    for snippet in must:
        assert _squeezed(snippet) in text, f"missing {snippet!r}"
    for snippet in must_not:
        assert _squeezed(snippet) not in text, f"leaked {snippet!r}"


def test_sibling_recommendation_blocks_all_dropped() -> None:
    html = ("<html><body><h1>标题在这里写着</h1><div><p>正文。</p></div>"
            "<div class='related-news'><p>甲</p></div><div class='more-stories'><p>乙</p></div>"
            "</body></html>")
    tree = parse_html(html)
    pruned = drop_recommendations(tree, find_title_element(tree))
    text = pruned.text_content()
    assert "正文" in text and "甲" not in text and "乙" not in text


def test_name_linked_replies_form_a_post_group() -> None:
    replies = "".join(
        f"<div class='reply'><a href='/u/{i}'>用户名字很长的{i}号</a>："
        f"<span>说得好啊{i}</span></div>"
        for i in range(6))
    html = ("<html><body><h1>帖子的标题在这里</h1><div class='nav'>"
            + "".join(f"<a href='/n{i}'>导航链接{i}</a>" for i in range(8))
            + f"</div><div class='list'>{replies}</div></body></html>")
    from crawlers.extraction.forum import forum_posts
    posts, _ = forum_posts(parse_html(html))
    assert len(posts) == 6 and "说得好啊5" in posts[-1]


def test_player_without_prose_dropped_but_video_description_kept() -> None:
    html = ("<html><body><h1>标题在这里写着呢</h1><div class='video-player'><span>倍速</span>"
            "<div>很抱歉，当前视频播放失败</div></div>"
            "<div class='video-desc'><p>这段视频记录了当地村民修路的全过程，令人感动。</p></div>"
            "<p>正文第一段。</p></body></html>")
    tree = parse_html(html)
    text = drop_recommendations(tree, find_title_element(tree)).text_content()
    assert "倍速" not in text and "播放失败" not in text and "修路的全过程" in text


def test_related_reading_block_ends_the_article() -> None:
    links = "".join(f"<li><a href='/a{i}'>另一篇新闻的标题第{i}条</a></li>" for i in range(5))
    html = ("<html><body><h1>标题在这里写着呢</h1><div class='c'>"
            "<p>正文第一段，写的是本地新闻。</p>"
            f"<div><b>相关阅读</b><ul>{links}</ul></div><p>别的推广文字</p></div></body></html>")
    tree = parse_html(html)
    text = drop_recommendations(tree, find_title_element(tree)).text_content()
    assert "正文第一段" in text and "另一篇新闻" not in text and "别的推广" not in text


def test_related_reading_phrase_in_prose_is_kept() -> None:
    html = ("<html><body><h1>标题在这里写着呢</h1><div class='c'>"
            "<p>相关阅读材料显示，今年粮食产量稳中有升，农民收入持续增长。</p>"
            "<p>第二段正文。</p></div></body></html>")
    tree = parse_html(html)
    pruned = drop_recommendations(tree, find_title_element(tree))
    assert pruned is None or "第二段正文" in pruned.text_content()
