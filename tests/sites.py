"""Fixture web content for crawler tests (served by yuqing.demo.server.LocalSite)."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yuqing.demo.server import LocalSite

ARTICLE = """<!DOCTYPE html><html><head><meta charset="{charset}">
<title>{title}_测试新闻网</title>
</head><body><div class="nav">首页 | 新闻 | 论坛</div><div class="article"><h1>{title}</h1>
<div class="info">发布时间：{when} 来源：测试新闻网</div>
<div class="content">{body}</div></div>
<div class="footer">版权所有 测试新闻网</div></body></html>"""


def article(title: str, when: str, paragraphs: list[str], charset: str = "utf-8") -> str:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return ARTICLE.format(title=escape(title), when=when, body=body, charset=charset)


def rss(entries: list[tuple[str, str, str]]) -> str:
    """entries: (title, link, RFC 822 date)."""
    items = "".join(f"<item><title>{escape(t)}</title><link>{link}</link>"
                    f"<pubDate>{d}</pubDate></item>" for t, link, d in entries)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>测试</title>{items}</channel></rss>")


def atom(entries: list[tuple[str, str, str]]) -> str:
    """entries: (title, link, ISO 8601 date)."""
    items = "".join(f'<entry><title>{escape(t)}</title><link href="{link}"/>'
                    f"<published>{d}</published></entry>" for t, link, d in entries)
    return (f'<?xml version="1.0" encoding="utf-8"?>'
            f'<feed xmlns="http://www.w3.org/2005/Atom"><title>测试</title>{items}</feed>')


# -- news list pages ---------------------------------------------------------------------
def news_list(rows: list[tuple[str, str, str]], next_href: str | None = None) -> str:
    """rows: (href, headline, date text as the list prints it)."""
    items = "".join(f'<li><a href="{h}" target="_blank">{escape(t)}</a>'
                    f'<span class="date">{escape(w)}</span></li>' for h, t, w in rows)
    pager = (f'<div class="page"><a href="/news/index.html">首页</a> '
             f'<a href="{next_href}">下一页</a></div>') if next_href else ""
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>本地新闻_测试新闻网</title>'
            '</head><body><div class="nav"><a href="/news/index.html">首页</a> '
            '<a href="/news/channel/minsheng/">民生频道最新消息汇总列表页面</a> '
            '<a href="/news/list_2.html">更多</a> '
            '<a href="http://example.org/2026/11/20/99999.html">外站的一篇很长的新闻标题</a></div>'
            f'<ul class="list">{items}</ul>{pager}<div class="footer">版权所有</div></body></html>')


# -- Discuz! X forum ---------------------------------------------------------------------
def discuz_board(threads: list[tuple[str, str, int, int, str]], next_href: str | None = None
                 ) -> str:
    """threads: (thread href, title, replies, views, post time as shown)."""
    rows = []
    for href, title, replies, views, posted in threads:
        tid = href.rsplit("=", 1)[-1].split("-")[0]
        rows.append(
            f'<tbody id="normalthread_{tid}"><tr><td class="icn"><a href="{href}">'
            f'<img src="folder_new.gif"></a></td><th class="new"><a href="{href}" '
            f'onclick="atarget(this)" class="s xst">{escape(title)}</a></th>'
            f'<td class="by"><cite><a href="home.php?mod=space&amp;uid=7">网友甲</a></cite>'
            f'<em><span{_title_attr(posted)}>{escape(posted)}</span></em></td>'
            f'<td class="num"><a href="{href}" class="xi2">{replies}</a><em>{views}</em></td>'
            f'<td class="by"><cite><a href="#">网友乙</a></cite><em><a href="#">1 小时前</a>'
            f'</em></td></tr></tbody>')
    pager = (f'<div class="pg"><strong>1</strong><a href="{next_href}" class="nxt">下一页</a>'
             '</div>') if next_href else ""
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>民生热线 - 测试论坛 - '
            'Powered by Discuz!</title></head><body><div id="hd"><a href="forum.php">论坛</a>'
            '</div><div id="threadlist"><table id="threadlisttableid">'
            f'{"".join(rows)}</table></div>{pager}<div id="ft">Powered by Discuz! X3.4</div>'
            '</body></html>')


def _title_attr(posted: str) -> str:
    return "" if posted[:1].isdigit() else ' title="2026-11-20 09:15"'


def discuz_thread(title: str, posted_html: str, paragraphs: list[str], replies: int,
                  views: int, *, div_post: bool = False, reply_posts: list[str] | None = None,
                  page: int = 1, pages: int = 1, tid: int = 101, first_pid: int = 12) -> str:
    """A thread page; ``reply_posts``: the replies' message HTML (default: one reply).
    Page ``page`` of ``pages`` (Discuz! X pager): only page 1 has the first post."""
    if reply_posts is None:
        reply_posts = ["楼主说的情况属实，希望尽快解决。"]
    body = "<br />\n".join(escape(p) for p in paragraphs)
    body += '<font class="jammer">jammer8x1</font><span style="display:none">水印</span>'
    post = (f'<div class="t_f" id="postmessage_11">{body}</div>' if div_post else
            f'<table><tr><td class="t_f" id="postmessage_11">{body}</td></tr></table>')
    opening = ('<table><tr><td class="pls"><div class="hm ptn"><span class="xg1">查看:</span> '
               f'<span class="xi1">{views}</span><span class="pipe">|</span>'
               f'<span class="xg1">回复:</span> <span class="xi1">{replies}</span></div></td>'
               f'<td class="plc ptm pbn"><h1 class="ts"><span id="thread_subject">'
               f'{escape(title)}</span></h1></td></tr></table>'
               '<div id="post_11"><div class="pi"><div class="authi"><a class="xw1">楼主网名</a>'
               f'<em id="authorposton11">{posted_html}</em></div></div>{post}</div>')
    if page > 1:  # later pages: the subject, the replies
        opening = (f'<h1 class="ts"><span id="thread_subject">{escape(title)}</span></h1>')
    pager = _thread_pager(tid, page, pages) if pages > 1 else ""
    return ('<!DOCTYPE html><html><head><meta charset="utf-8">'
            f'<title>{escape(title)} - 民生热线 - 测试论坛</title></head><body>'
            f'<div id="pt">论坛 › 民生热线 › 查看内容</div>{pager}<div id="postlist">{opening}'
            f'{"".join(_reply(first_pid + i, html) for i, html in enumerate(reply_posts))}'
            f'</div>{pager}</body></html>')


def _thread_pager(tid: int, page: int, pages: int) -> str:
    """Discuz! X3.4's thread pager, links with the list's ``extra`` as the forum writes them."""
    def href(n: int) -> str:
        return f"forum.php?mod=viewthread&amp;tid={tid}&amp;extra=page%3D1&amp;page={n}"
    links = "".join(f"<strong>{n}</strong>" if n == page else f'<a href="{href(n)}">{n}</a>'
                    for n in range(1, pages + 1))
    nxt = f'<a href="{href(page + 1)}" class="nxt">下一页</a>' if page < pages else ""
    return (f'<div class="pgs mtm mbm cl"><div class="pg">{links}<label><input type="text" '
            f'name="custompage" class="px" size="2" value="{page}" /><span title="共 {pages} '
            f'页"> / {pages} 页</span></label>{nxt}</div></div>')


def _reply(pid: int, html: str) -> str:
    return (f'<div id="post_{pid}"><div class="authi"><a class="xw1">回帖网名{pid}</a>'
            f'<em id="authorposton{pid}">发表于 2026-11-21 10:00</em></div>'
            f'<table><tr><td class="t_f" id="postmessage_{pid}">{html}</td></tr></table></div>')


# -- a government message board ----------------------------------------------------------
def board_list(rows: list[tuple[str, str, str, str]]) -> str:
    """rows: (href, title, date, status text)."""
    trs = "".join(f'<tr><td class="t"><a href="{h}">{escape(t)}</a></td><td>{d}</td>'
                  f'<td class="zt">{s}</td></tr>' for h, t, d, s in rows)
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>县长信箱</title></head>'
            '<body><div class="nav"><a href="/">首页</a> <a href="/liuyan/write.html">我要留言'
            '</a></div><table class="list"><tr><th>标题</th><th>时间</th><th>状态</th></tr>'
            f'{trs}</table></body></html>')


def board_message_table(title: str, when: str, text: str, reply: str = "",
                        reply_when: str = "") -> str:
    reply_rows = (f'<tr><th>回复单位：</th><td>县住建局</td></tr><tr><th>回复内容：</th>'
                  f'<td>{escape(reply)}</td></tr><tr><th>回复时间：</th><td>{reply_when}</td></tr>'
                  if reply else '<tr><th>回复内容：</th><td>暂无回复</td></tr>')
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>留言详情</title></head>'
            '<body><div class="nav">首页 › 县长信箱</div><table class="detail">'
            f'<tr><th>留言标题：</th><td>{escape(title)}</td></tr>'
            f'<tr><th>留言人：</th><td>匿名</td></tr><tr><th>留言时间：</th><td>{when}</td></tr>'
            f'<tr><th>留言内容：</th><td>{escape(text)}</td></tr>{reply_rows}</table>'
            '<div class="footer">主办：测试县人民政府</div></body></html>')


def board_message_blocks(title: str, when: str, text: str, reply: str = "",
                         reply_when: str = "") -> str:
    reply_html = (f'<dl><dt>答复意见</dt><dd>{escape(reply)}</dd><dt>答复时间</dt>'
                  f'<dd>{reply_when}</dd></dl>' if reply else "")
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>来信详情</title></head>'
            f'<body><h2 class="title">{escape(title)}</h2><div class="info">'
            f'<span>来信时间：{when}</span> '
            f'<span>办理状态：{"已办结" if reply else "办理中"}</span>'
            f'</div><dl><dt>来信内容</dt><dd><p>{escape(text)}</p></dd></dl>{reply_html}'
            '</body></html>')


def sitemap_index(children: list[tuple[str, str]]) -> str:
    body = "".join(f"<sitemap><loc>{loc}</loc><lastmod>{lm}</lastmod></sitemap>"
                   for loc, lm in children)
    return ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex '
            f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</sitemapindex>')


def urlset(urls: list[tuple[str, str]]) -> str:
    body = "".join(f"<url><loc>{loc}</loc><lastmod>{lm}</lastmod></url>" for loc, lm in urls)
    return ('<?xml version="1.0" encoding="UTF-8"?><urlset '
            f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>')


def numbered_articles(site: LocalSite, ids: list[int]) -> None:
    """Articles numbered ``ids`` at /news/2026/11/20/<7000 + i>.html."""
    for i in ids:
        site.add(f"/news/2026/11/20/{7000 + i}.html", article(
            f"第{i}条石桥镇道路维修进展通报", "2026-11-20 09:00",
            [f"第{i}条通报：道路维修工程正在推进，预计月底完工。"] * 2))


def paged_list(site: LocalSite, newest: int, *, per_page: int = 2,
               keep_pages: int | None = None, prefix: str = "/news/index") -> None:
    """Articles 1..newest, ``per_page`` a list page, newest first, the list at
    ``prefix``.html, ``prefix``_2.html...; a site that shows only its newest ``keep_pages``
    list pages drops the rest. Publishing again replaces the list."""
    ids = list(range(newest, 0, -1))
    pages = [ids[i:i + per_page] for i in range(0, len(ids), per_page)][:keep_pages]
    for name in [p for p in site.pages if p.startswith(prefix)]:
        del site.pages[name]
    for n, chunk in enumerate(pages, 1):
        site.add(f"{prefix}.html" if n == 1 else f"{prefix}_{n}.html", news_list(
            [(f"/news/2026/11/20/{7000 + i}.html", f"第{i}条石桥镇道路维修进展通报",
              "2026-11-20") for i in chunk],
            next_href=f"{prefix}_{n + 1}.html" if n < len(pages) else None))
    numbered_articles(site, ids)
