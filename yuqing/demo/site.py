"""Render the demo county's web onto a LocalSite: a news site with an RSS feed, a Discuz!
forum (board list with reply/view counts → threads) and the county government's message
board (list → message with the official reply when given), so that the demo exercises the
``feed``, ``discuz`` and ``board`` spider templates."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime
from html import escape

from .content import DemoPost
from .server import LocalSite

THREADS_PER_PAGE = 15

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

_BOARD_ROW = (
    '<tbody id="normalthread_{tid}"><tr><td class="icn"><a href="{href}">'
    '<img src="folder_new.gif"></a></td><th class="new"><a href="{href}" class="s xst">'
    '{title}</a></th><td class="by"><cite><a href="#">网友</a></cite><em><span>{when}</span>'
    '</em></td><td class="num"><a href="{href}" class="xi2">{replies}</a><em>{views}</em></td>'
    '</tr></tbody>')

_BOARD_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>民生热线 - 青禾论坛 - Powered by Discuz!</title></head><body>
<div id="hd"><a href="/forum/">青禾论坛</a> › 民生热线</div>
<div id="threadlist"><table id="threadlisttableid">{rows}</table></div>{pager}
<div id="ft">Powered by Discuz! X3.4</div></body></html>"""

_THREAD_PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>{title} - 民生热线 - 青禾论坛</title></head><body>
<div id="pt">青禾论坛 › 民生热线 › 查看帖子</div><div id="postlist">
<table><tr><td class="pls"><div class="hm ptn"><span class="xg1">查看:</span>
<span class="xi1">{views}</span><span class="pipe">|</span><span class="xg1">回复:</span>
<span class="xi1">{replies}</span></div></td><td class="plc"><h1 class="ts">
<span id="thread_subject">{title}</span></h1></td></tr></table>
<div id="post_1"><div class="authi"><a class="xw1">楼主</a>
<em id="authorposton1">发表于 {when}</em></div>
<table><tr><td class="t_f" id="postmessage_1">{body}</td></tr></table></div></div>
<div id="ft">Powered by Discuz! X3.4</div></body></html>"""

_MAILBOX_LIST = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>县长信箱</title></head>
<body><div class="nav"><a href="/">首页</a> <a href="/mailbox/write.html">我要留言</a></div>
<table class="list"><tr><th>标题</th><th>时间</th><th>状态</th></tr>{rows}</table></body></html>"""

_MAILBOX_MESSAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>留言详情</title>
</head><body><div class="nav">首页 › 县长信箱</div><table class="detail">
<tr><th>留言标题：</th><td>{title}</td></tr><tr><th>留言时间：</th><td>{when}</td></tr>
<tr><th>留言内容：</th><td>{text}</td></tr>{reply}</table>
<div class="footer">主办：青禾县人民政府</div></body></html>"""


def thread_path(p: DemoPost) -> str:
    return f"/forum/forum.php?mod=viewthread&tid={p.slug}"


def _feed(site: LocalSite, posts: list[DemoPost]) -> str:
    items = "".join(
        f"<item><title>{escape(p.title)}</title>"
        f"<link>{site.url(f'/news/a/{p.slug}.html')}</link>"
        f"<pubDate>{format_datetime(p.published_at)}</pubDate></item>"
        for p in sorted(posts, key=lambda p: p.published_at, reverse=True))
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>青禾新闻网</title><link>{site.url('/news/')}</link>"
            f"{items}</channel></rss>")


def _forum(site: LocalSite, forum: list[DemoPost]) -> None:
    newest = sorted(forum, key=lambda p: p.published_at, reverse=True)
    pages = [newest[i:i + THREADS_PER_PAGE] for i in range(0, len(newest), THREADS_PER_PAGE)]
    for n, page in enumerate(pages, 1):
        rows = "".join(_BOARD_ROW.format(
            tid=p.slug, href=thread_path(p), title=escape(p.title), replies=p.replies,
            views=p.views, when=p.published_at.strftime("%Y-%m-%d %H:%M")) for p in page)
        nxt = (f'<div class="pg"><strong>{n}</strong><a href="/forum/forum.php?mod='
               f'forumdisplay&amp;fid=2&amp;page={n + 1}" class="nxt">下一页</a></div>'
               if n < len(pages) else "")
        path = "/forum/forum.php?mod=forumdisplay&fid=2" + (f"&page={n}" if n > 1 else "")
        site.add(path, _BOARD_PAGE.format(rows=rows, pager=nxt))
    for p in forum:
        site.add(thread_path(p), _THREAD_PAGE.format(
            title=escape(p.title), body="<br />".join(escape(x) for x in p.paragraphs),
            when=p.published_at.strftime("%Y-%m-%d %H:%M"), views=p.views, replies=p.replies))


def _mailbox(site: LocalSite, board: list[DemoPost]) -> None:
    rows = []
    for p in sorted(board, key=lambda p: p.published_at, reverse=True):
        href = f"/mailbox/show.php?id={p.slug}"
        rows.append(f'<tr><td class="t"><a href="{href}">{escape(p.title)}</a></td>'
                    f'<td>{p.published_at:%Y-%m-%d}</td>'
                    f'<td class="zt">{"已回复" if p.reply else "办理中"}</td></tr>')
        replied_at = p.published_at + timedelta(hours=p.reply_after_hours)
        reply = (f'<tr><th>回复单位：</th><td>青禾县人民政府办公室</td></tr>'
                 f'<tr><th>回复内容：</th><td>{escape(p.reply)}</td></tr>'
                 f'<tr><th>回复时间：</th><td>{replied_at:%Y-%m-%d %H:%M}</td></tr>'
                 if p.reply else "<tr><th>回复内容：</th><td>暂无回复</td></tr>")
        site.add(href, _MAILBOX_MESSAGE.format(
            title=escape(p.title), when=p.published_at.strftime("%Y-%m-%d %H:%M"),
            text=escape(p.paragraphs[0]), reply=reply))
    site.add("/mailbox/list.html", _MAILBOX_LIST.format(rows="".join(rows)))


def publish(site: LocalSite, posts: list[DemoPost]) -> None:
    news = [p for p in posts if p.site == "news"]
    for p in news:
        body = "".join(f"<p>{escape(x)}</p>" for x in p.paragraphs)
        site.add(f"/news/a/{p.slug}.html", _NEWS_PAGE.format(
            title=escape(p.title), lead=escape(p.paragraphs[0][:60]), body=body,
            when=p.published_at.strftime("%Y-%m-%d %H:%M")))
    site.add("/news/rss.xml", _feed(site, news), "application/rss+xml; charset=utf-8")
    _forum(site, [p for p in posts if p.site == "forum"])
    _mailbox(site, [p for p in posts if p.site == "board"])
    site.add("/robots.txt", "User-agent: *\nDisallow: /admin/\n", "text/plain")
