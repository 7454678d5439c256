"""Fixture web content for crawler tests (served by yuqing.demo.server.LocalSite)."""

from __future__ import annotations

from html import escape

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
