"""Pure page extraction: bytes of an HTML page in, title/text/date/author out.

No network and no Scrapy here, so spiders, the CLI and tests share one implementation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crawlers.extraction.dates import find_publish_date, parse_date
from crawlers.extraction.dom import (
    find_title_element,
    linked_line_share,
    parse_html,
    repair_markup,
    visible_text_after,
)
from crawlers.extraction.encoding import decode_html
from crawlers.extraction.meta import extract_author, extract_title
from crawlers.extraction.text import main_text

__all__ = ["Extracted", "decode_html", "extract", "find_publish_date", "parse_date"]


@dataclass(frozen=True, slots=True)
class Extracted:
    title: str
    text: str
    published_at: datetime | None
    author: str | None
    encoding: str
    # The main text is a list of links (a channel index, a board's thread list), not an
    # article: spiders that reached such a page through link discovery drop it.
    listing: bool = False


# Share of the text in link-title lines from which a page is a listing, and the fewest
# lines for that to be told: on the corpus, listings score 0.76 or more, articles and
# threads 0.12 or less.
_LISTING_SHARE = 0.5
_LISTING_LINES = 5


def extract(body: bytes | str, url: str | None = None, *, fetched_at: datetime,
            header_encoding: str | None = None) -> Extracted:
    """Extract one page. ``fetched_at`` resolves relative dates (3小时前, 昨天)."""
    if isinstance(body, bytes):
        html, encoding = decode_html(body, header_encoding)
    else:
        html, encoding = body, "utf-8"
    html = repair_markup(html)  # trafilatura parses the markup again itself
    tree = parse_html(html)
    if tree is None:
        return Extracted(title="", text="", published_at=None, author=None, encoding=encoding)
    heading = find_title_element(tree)
    title = extract_title(tree, heading)
    text = main_text(tree, html, url, title, heading)
    published = find_publish_date(tree, fetched_at, url, anchor=heading, html=html)
    header_text = visible_text_after(tree, heading, limit=800) if heading is not None else ""
    author = extract_author(tree, header_text, text)
    listing = (sum(1 for line in text.split("\n") if line.strip()) >= _LISTING_LINES
               and linked_line_share(tree, text) >= _LISTING_SHARE)
    return Extracted(title=title, text=text, published_at=published, author=author,
                     encoding=encoding, listing=listing)
