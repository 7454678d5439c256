"""Whether a page is a forum thread / Q&A page, so its replies belong to its text.

By URL and forum-engine generator first (cheap, and what most boards show), then by what
the page says of itself: schema.org thread types, or labels only threads print. Blogs and
Q&A sites with article-like paths (/articles/86852, /faq/1274706) have replies that are
content, yet news pages with comment boxes must stay articles, so reply blocks alone are
not enough: a comment box has replies but no original poster or accepted answer.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

_FORUM_URL = re.compile(
    r"bbs|forum|thread|topic|tieba|question|answer|viewthread|discuss|club|comments|post|/t/|/d/",
    re.IGNORECASE,
)
_THREAD_TYPES = re.compile(r"DiscussionForumPosting|QAPage")
# Labels only threads print, each as a text of its own: the original poster among the
# replies (楼主, [作者]), an accepted answer (被采纳). Words in running text do not count:
# news says "3楼" for a floor of a building and "建议被采纳" for a proposal.
_THREAD_LABEL = re.compile(
    r"^(?:[\[（(【]\s*(?:楼主|作者)\s*[\]）)】]|楼主|被采纳|已采纳|最佳答案|提问者)$"
)
_MAX_LABEL = 40
_NOT_SHOWN = frozenset({"script", "style", "template", "noscript"})


def looks_like_forum(url: str | None, tree: HtmlElement) -> bool:
    """Whether the URL or the forum-engine generator says this is a thread."""
    if url and _FORUM_URL.search(url):
        return True
    generator = " ".join(m.get("content", "") for m in tree.iter("meta")
                         if (m.get("name") or "").lower() == "generator")
    return "discuz" in generator.lower() or "phpwind" in generator.lower()


def thread_markers(tree: HtmlElement) -> bool:
    """Whether the page marks itself a thread: a schema.org thread/Q&A type, or a label
    of ``_THREAD_LABEL`` as a text of its own."""
    for script in tree.iter("script"):
        if "ld+json" in (script.get("type") or "") and _THREAD_TYPES.search(script.text or ""):
            return True
    body = tree.find("body")
    if body is None:
        return False
    return any(_THREAD_LABEL.match(text.strip())
               for el in body.iter() if isinstance(el.tag, str) and el.tag not in _NOT_SHOWN
               for text in (el.text, el.tail) if text and len(text) < _MAX_LABEL)
