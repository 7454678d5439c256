"""Render the demo county's news site and forum (HTML pages + RSS feeds) onto a LocalSite."""

from __future__ import annotations

from email.utils import format_datetime
from html import escape

from .content import DemoPost
from .server import LocalSite

_NEWS_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}_青禾新闻网</title>
<meta name="description" content="{lead}"></head>
<body><div class="nav"><a href="/news/">首页</a> | 时政 | 民生 | 乡镇 | 视频</div>
<div class="main"><div class="article">
<h1>{title}</h1>
<div class="info">发布时间：{when} &nbsp; 来源：青禾新闻网 &nbsp; 作者：本网记者</div>
<div class="content">{body}</div>
<div class="editor">责任编辑：县融媒体中心</div></div>
<div class="side"><h3>热点推荐</h3><ul><li><a href="/news/">更多新闻</a></li></ul></div></div>
<div class="footer">青禾县融媒体中心 版权所有 联系电话：0000-1234567</div></body></html>"""

_THREAD_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title} - 青禾论坛</title></head>
<body><div id="hd">青禾论坛 » 民生热线 » 查看帖子</div>
<div id="postlist"><div class="ts"><h1><span id="thread_subject">{title}</span></h1>
<span class="xg1">查看: {views} | 回复: {replies}</span></div>
<div class="post" id="post_1"><div class="authi"><em>发表于 {when}</em></div>
<div class="t_f" id="postmessage_1">{body}</div></div></div>
<div id="ft">Powered by Discuz! X3.4</div></body></html>"""


def _feed(site: LocalSite, prefix: str, title: str, posts: list[DemoPost], page: str) -> str:
    items = "".join(
        f"<item><title>{escape(p.title)}</title>"
        f"<link>{site.url(f'/{prefix}/{page}/{p.slug}.html')}</link>"
        f"<pubDate>{format_datetime(p.published_at)}</pubDate></item>"
        for p in sorted(posts, key=lambda p: p.published_at, reverse=True))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{escape(title)}</title><link>{site.url('/' + prefix + '/')}</link>"
            f"{items}</channel></rss>")


def publish(site: LocalSite, posts: list[DemoPost]) -> None:
    news = [p for p in posts if p.site == "news"]
    forum = [p for p in posts if p.site == "forum"]
    for p in news:
        body = "".join(f"<p>{escape(x)}</p>" for x in p.paragraphs)
        site.add(f"/news/a/{p.slug}.html", _NEWS_PAGE.format(
            title=escape(p.title), lead=escape(p.paragraphs[0][:60]), body=body,
            when=p.published_at.strftime("%Y-%m-%d %H:%M")))
    for p in forum:
        site.add(f"/forum/t/{p.slug}.html", _THREAD_PAGE.format(
            title=escape(p.title), body="<br>".join(escape(x) for x in p.paragraphs),
            when=p.published_at.strftime("%Y-%m-%d %H:%M"), views=p.views, replies=p.replies))
    site.add("/news/rss.xml", _feed(site, "news", "青禾新闻网", news, "a"),
             "application/rss+xml; charset=utf-8")
    site.add("/forum/rss.xml", _feed(site, "forum", "青禾论坛 民生热线", forum, "t"),
             "application/rss+xml; charset=utf-8")
    site.add("/robots.txt", "User-agent: *\nDisallow: /admin/\n", "text/plain")
