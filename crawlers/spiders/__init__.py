"""Spider templates; a configured source names one of these by its ``template`` key."""

from .base import SourceSpider
from .board import BoardSpider
from .discuz import DiscuzSpider
from .feed import FeedSpider
from .news import NewsSpider
from .sitemap import SitemapSpider

TEMPLATES: dict[str, type[SourceSpider]] = {
    "feed": FeedSpider,
    "news": NewsSpider,
    "sitemap": SitemapSpider,
    "discuz": DiscuzSpider,
    "board": BoardSpider,
}

__all__ = ["TEMPLATES", "SourceSpider"]
